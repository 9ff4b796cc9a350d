import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import { Command, CommanderError } from "commander";
import { stringify } from "yaml";
import { isMtfError } from "../../core/errors.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import type { RetrainDecision } from "../../pipeline/retrain.js";
import { TINY_MODEL_SECTIONS, writeFeedbackLog } from "../../pipeline/retrain-fixtures.js";
import { ModelRegistry } from "../../serve/registry.js";
import { register } from "./retrain.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-cli-retrain-"));
const run = path.join(dir, "run");
const config = path.join(dir, "config.yaml");
after(() => fs.rmSync(dir, { recursive: true, force: true }));

before(async () => {
  await writeFeedbackLog(
    path.join(run, "feedback"),
    [...syntheticLog({ users: 30, days: 4, seed: 11 })].flat(),
  );
  fs.writeFileSync(
    config,
    stringify({ ...TINY_MODEL_SECTIONS, retrain: { minTrainTransitions: 100, minTestSessions: 5 } }),
  );
});

/**
 * Runs `mtf <args>` in-process and returns what it printed on stdout and stderr. Only strings are
 * captured: the test runner's own messages (binary chunks on stdout) pass through untouched.
 */
async function mtf(args: readonly string[]): Promise<{ out: string; err: string }> {
  const program = new Command("mtf").exitOverride();
  program.configureOutput({ writeErr: () => {}, writeOut: () => {} });
  register(program);
  const captured = { out: "", err: "" };
  const capture = (stream: NodeJS.WriteStream, key: keyof typeof captured) => {
    const original = stream.write;
    stream.write = ((chunk: unknown, ...rest: unknown[]) => {
      if (typeof chunk !== "string")
        return (original as (...a: unknown[]) => boolean).call(stream, chunk, ...rest);
      captured[key] += chunk;
      return true;
    }) as typeof stream.write;
    return () => {
      stream.write = original;
    };
  };
  const restore = [capture(process.stdout, "out"), capture(process.stderr, "err")];
  try {
    await program.parseAsync(args as string[], { from: "user" });
  } finally {
    for (const undo of restore) undo();
  }
  return captured;
}

test("mtf retrain --run publishes through the gate, shows each stage and writes decision.json in the run", async () => {
  const { out, err } = await mtf([
    "retrain",
    "--run",
    run,
    "--days",
    "3",
    "--config",
    config,
    "--gate",
    "none",
  ]);
  for (let stage = 1; stage <= 7; stage++) assert.match(err, new RegExp(`mtf retrain \\[${stage}/7\\]`));
  assert.match(out, /gate none: PASSED/);
  assert.match(out, /published v0001 as current/);
  const [stamp] = fs.readdirSync(path.join(run, "retrain"));
  const decision = JSON.parse(
    fs.readFileSync(path.join(run, "retrain", stamp, "decision.json"), "utf8"),
  ) as RetrainDecision;
  assert.equal(decision.window.days, 3);
  assert.equal(decision.current.version, "fallback");
  assert.deepEqual(decision.published, { version: "v0001", role: "current" });
  assert.ok(out.includes(decision.candidate.value.toFixed(4)));
});

test("mtf retrain --canary publishes a passing model as a canary; flags override the config", async () => {
  const outDir = path.join(dir, "canary");
  const { out } = await mtf([
    ...["retrain", "--run", run, "--config", config, "--out", outDir],
    ...[
      "--gate",
      "lower-bound",
      "--margin",
      "1e9",
      "--canary",
      "0.25",
      "--steps",
      "30",
      "--iterations",
      "30",
    ],
  ]);
  assert.match(out, /gate lower-bound: PASSED/);
  assert.match(out, /published v0002 as canary/);
  const decision = JSON.parse(fs.readFileSync(path.join(outDir, "decision.json"), "utf8")) as RetrainDecision;
  assert.equal(decision.current.version, "v0001");
  assert.equal(decision.training.steps, 30);
  const pointer = await new ModelRegistry(path.join(run, "registry")).pointer();
  assert.deepEqual([pointer.current, pointer.canary], ["v0001", { version: "v0002", share: 0.25 }]);
});

test("mtf retrain refuses bad arguments and an empty feedback log with clear errors", async () => {
  for (const args of [
    ["--days", "0"],
    ["--gate", "always"],
    ["--margin", "-1"],
    ["--canary", "1"],
    ["--until", "yesterday"],
  ]) {
    await assert.rejects(
      mtf(["retrain", "--run", run, ...args]),
      (e) => e instanceof CommanderError && e.code === "commander.invalidArgument",
      args.join(" "),
    );
  }
  const empty = path.join(dir, "empty");
  fs.mkdirSync(empty);
  await assert.rejects(
    mtf(["retrain", "--feedback", empty, "--registry", path.join(dir, "reg"), "--config", config]),
    (e) => isMtfError(e, "EMPTY_DATASET") && e.message.includes(empty),
  );
});

test("mtf retrain --help describes the window, the gate and the outputs", async () => {
  const program = new Command("mtf");
  register(program);
  const help = program.commands.find((c) => c.name() === "retrain")?.helpInformation() ?? "";
  for (const option of [
    "--days",
    "--run",
    "--feedback",
    "--gate",
    "--margin",
    "--warm-start",
    "--canary",
    "--out",
  ]) {
    assert.ok(help.includes(option), option);
  }
  assert.match(help, /lower-bound/);
});
