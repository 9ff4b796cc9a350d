/**
 * A server in a child process (the crash test kills it; the serving benchmark loads it from
 * outside): `node --import tsx child-server.ts
 * '<config JSON>'` prints `READY <url>` once listening and closes gracefully on SIGTERM.
 */
import { parseConfig } from "../core/config.js";
import { serveRootSchema } from "./config.js";
import { startServer } from "./server.js";

const config = parseConfig(JSON.parse(process.argv[2] ?? "{}"), serveRootSchema, "child server config");
const server = await startServer(config, { silent: true });
process.stdout.write(`READY ${server.url}\n`);
process.on("SIGTERM", () => {
  void server.close().then(() => process.exit(0));
});
