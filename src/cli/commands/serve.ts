/**
 * `mtf serve`: the ranking API (src/serve). Runs with embedded defaults: 127.0.0.1:8080, the
 * in-memory state store, registry and feedback log under runs/default/, the fallback α while
 * the registry is empty. `STATE_STORE=redis://…` (or --state-store) shares state through Redis.
 * Stops gracefully on SIGINT / SIGTERM: requests in flight finish, the open feedback segment is
 * closed.
 */
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfigFile, parseConfig } from "../../core/config.js";
import { type ServeRootConfig, serveRootSchema } from "../../serve/config.js";
import { startServer } from "../../serve/server.js";
import { parseSeed } from "../options.js";

interface ServeCommandOptions {
  readonly config?: string;
  readonly seed?: number;
  readonly run?: string;
  readonly registry?: string;
  readonly feedbackDir?: string;
  readonly host?: string;
  readonly port?: number;
  readonly stateStore?: string;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= 0 && n <= 65535))
    throw new InvalidArgumentError(`expected a port 0-65535, got "${value}"`);
  return n;
}

/** The config file (or defaults) with the command-line overrides applied. */
export function serveConfig(options: ServeCommandOptions): ServeRootConfig {
  const base =
    options.config === undefined
      ? parseConfig({}, serveRootSchema, "defaults")
      : loadConfigFile(options.config, serveRootSchema);
  const serve = { ...base.serve };
  if (options.run !== undefined) {
    serve.registryDir = path.join(options.run, "registry");
    serve.feedbackDir = path.join(options.run, "feedback");
  }
  if (options.registry !== undefined) serve.registryDir = options.registry;
  if (options.feedbackDir !== undefined) serve.feedbackDir = options.feedbackDir;
  if (options.host !== undefined) serve.host = options.host;
  if (options.port !== undefined) serve.port = options.port;
  return { ...base, seed: options.seed ?? base.seed, serve };
}

export function register(program: Command): void {
  program
    .command("serve")
    .description(
      "serve the ranking API: POST /v1/rank, POST /v1/feedback, /healthz, /readyz, /metrics, /docs",
    )
    .option("--config <yaml>", "config file (root sections, `exploration` and `serve`)")
    .option("--seed <n>", "root seed; decision seeds derive from it and the request id", parseSeed)
    .option("--run <dir>", "run folder: registry in <dir>/registry, feedback log in <dir>/feedback")
    .option("--registry <dir>", "model registry folder (overrides --run)")
    .option("--feedback-dir <dir>", "feedback log folder (overrides --run)")
    .option("--host <address>", "address to listen on (default 127.0.0.1)")
    .option("--port <n>", "port (default 8080; 0 picks a free one)", parsePort)
    .option("--state-store <url>", '"memory" or redis://…; default: $STATE_STORE, else the config')
    .action(async (options: ServeCommandOptions) => {
      const config = serveConfig(options);
      const server = await startServer(config, { stateStore: options.stateStore ?? process.env.STATE_STORE });
      process.stderr.write(`mtf serve: listening on ${server.url} (docs at ${server.url}/docs)\n`);
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          process.stderr.write(`mtf serve: ${signal}, closing\n`);
          void server.close().then(resolve);
        };
        process.once("SIGINT", () => stop("SIGINT"));
        process.once("SIGTERM", () => stop("SIGTERM"));
      });
    });
}
