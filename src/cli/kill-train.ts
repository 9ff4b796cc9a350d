/**
 * Test support for the resume tests of `mtf train <algorithm>`: runs the command in a child
 * process (so it can be killed for real) and SIGKILLs it once its metrics show training past a
 * checkpoint — a logged step of at least `minStep` that is not a multiple of `checkpointEvery` —
 * before the run can finish. Asserts that the kill happened and that the child did not end on
 * its own; returns the last logged step before the kill.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { readJsonlMetrics } from "../core/metrics-logger.js";
import { TRAIN_OUTPUTS } from "./commands/train.js";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const TRAIN_TS = fileURLToPath(new URL("./commands/train.ts", import.meta.url));

export async function trainKilledBetweenCheckpoints(
  algorithm: string,
  args: readonly string[],
  options: { readonly out: string; readonly minStep: number; readonly checkpointEvery: number },
): Promise<number> {
  const code = [
    `import { Command } from "commander";`,
    `import { register } from ${JSON.stringify(pathToFileURL(TRAIN_TS).href)};`,
    `const program = new Command("mtf");`,
    `register(program);`,
    `await program.parseAsync(["train", ${JSON.stringify(algorithm)}, ...process.argv.slice(1)], { from: "user" });`,
  ].join("\n");
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--input-type=module", "-e", code, "--", ...args, "--out", options.out],
    { cwd: REPO, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += String(chunk);
  });
  let ended = false;
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on("exit", (code, signal) => {
      ended = true;
      resolve(signal ?? code);
    }),
  );
  const metrics = path.join(options.out, TRAIN_OUTPUTS.metrics);
  let killedAt = -1;
  for (let i = 0; i < 1200 && killedAt < 0 && !ended; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!fs.existsSync(metrics)) continue;
    const steps = readJsonlMetrics(metrics).map((r) => r.step);
    const last = steps.length === 0 ? 0 : Math.max(...steps);
    if (last >= options.minStep && last % options.checkpointEvery !== 0) {
      child.kill("SIGKILL");
      killedAt = last;
    }
  }
  const how = await exited;
  assert.ok(killedAt > 0, `the child was never killed (stderr: ${stderr})`);
  assert.equal(how, "SIGKILL", `the child ended on its own (${String(how)}) before the kill: ${stderr}`);
  return killedAt;
}
