/**
 * `mtf train cql-sac` end to end on a small synthetic dataset: outputs, metrics, the serving
 * artefact and `mtf evaluate` on it, and a real kill: a child process is SIGKILLed between two
 * checkpoints, `--resume` finishes the run, and the final training state is bit-identical to an
 * uninterrupted run with the same seed.
 */

import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Command } from "commander";
import { register as registerEvaluate } from "../../cli/commands/evaluate.js";
import { register as registerTrain, TRAIN_OUTPUTS } from "../../cli/commands/train.js";
import { trainKilledBetweenCheckpoints } from "../../cli/kill-train.js";
import { runInProcess } from "../../cli/run-in-process.js";
import { isMtfError } from "../../core/errors.js";
import { readJsonlMetrics } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { STATE_ENCODER_VERSION } from "../../core/state-encoder.js";
import { buildDataset, loadDataset } from "../../data/dataset.js";
import { LogStore } from "../../data/log-store.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { loadCqlSacPolicy } from "./artefact.js";
import { CQL_SAC_CHECKPOINT_KIND } from "./trainer.js";

let root = "";
let data = "";
let configFile = "";

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-train-cql-sac-"));
  const store = await LogStore.open(path.join(root, "store.duckdb"));
  for (const events of syntheticLog({ users: 24, days: 3, seed: 5 })) await store.appendEvents(events);
  data = path.join(root, "dataset");
  await buildDataset(store, {
    outDir: data,
    reward: { preset: "default", source: "test fallback" },
    testFraction: 0.2,
  });
  store.close();
  configFile = path.join(root, "train.yaml");
  fs.writeFileSync(
    configFile,
    [
      "seed: 3",
      "cql-sac:",
      "  preset: quick",
      "  batchSize: 16",
      "  actorHidden: [32, 32]",
      "  criticHidden: [32, 32]",
      "  cqlSamples: 4",
      "  logEvery: 10",
      "  checkpointEvery: 50",
      "",
    ].join("\n"),
  );
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

async function mtf(register: (program: Command) => void, args: readonly string[]): Promise<string> {
  return (await runInProcess([register], args)).out;
}

const train = (args: readonly string[]) => mtf(registerTrain, ["train", "cql-sac", ...args]);

describe("mtf train cql-sac", () => {
  it("writes config, run info, metrics, checkpoint and a serving artefact mtf evaluate accepts", async () => {
    const out = path.join(root, "run-a");
    await train(["--data", data, "--out", out, "--config", configFile, "--steps", "30"]);
    for (const name of Object.values(TRAIN_OUTPUTS))
      assert.ok(fs.existsSync(path.join(out, name)), `${name} missing`);
    const run = JSON.parse(fs.readFileSync(path.join(out, TRAIN_OUTPUTS.run), "utf8"));
    assert.equal(run.status, "completed");
    assert.equal(run.stepsDone, 30);
    assert.match(run.runId, /^dataset__cql-sac__3__\d{8}T\d{6}Z$/);
    assert.match(
      fs.readFileSync(path.join(out, TRAIN_OUTPUTS.config), "utf8"),
      /cql-sac:\n(.*\n)*\s+cqlWeight: 5\n/,
    );
    const metrics = readJsonlMetrics(path.join(out, TRAIN_OUTPUTS.metrics));
    assert.deepEqual(
      metrics.map((r) => r.step),
      [10, 20, 30],
    );
    for (const key of ["loss/actor", "loss/critic", "loss/cql", "alpha", "q/mean", "q/std", "q/policy"]) {
      assert.ok(Number.isFinite(metrics[0].metrics[key]), `${key} in metrics.jsonl`);
    }
    const policyPath = path.join(out, TRAIN_OUTPUTS.policy);
    const { policy, artefact } = await loadCqlSacPolicy(policyPath, {
      expectedStateEncoderVersion: STATE_ENCODER_VERSION,
    });
    assert.equal(artefact.trainedSteps, 30);
    assert.equal(artefact.runId, run.runId);
    const dataset = loadDataset(data);
    const actions = new Float32Array(5 * 12);
    policy.act(dataset.states.subarray(0, 5 * dataset.stateDim), 5, actions, new Rng(1));
    assert.ok(actions.every((a) => a > -1 && a < 1));

    const report = await mtf(registerEvaluate, [
      "evaluate",
      "--data",
      data,
      "--policy",
      policyPath,
      "--iterations",
      "5",
      "--alpha",
      "0",
    ]);
    assert.match(report, new RegExp(`V̂\\(cql-sac@${run.runId}\\) on the test split`));

    await assert.rejects(
      train(["--data", data, "--out", out, "--config", configFile]),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /--resume/.test(e.message),
    );

    // --preset without a config file: the preset's values, resolved into config.yaml.
    const quick = path.join(root, "run-quick");
    await train(["--data", data, "--out", quick, "--preset", "quick", "--steps", "5", "--seed", "2"]);
    const resolved = fs.readFileSync(path.join(quick, TRAIN_OUTPUTS.config), "utf8");
    assert.match(resolved, /preset: quick/);
    assert.match(resolved, /batchSize: 64/);
    assert.match(resolved, /gamma: 0\.95/);
    await assert.rejects(train(["--data", data, "--out", path.join(root, "bad"), "--preset", "fast"]), (e) =>
      /expected one of paper, quick/.test(String(e)),
    );
  });

  it("killed between checkpoints and resumed with --resume, ends bit-identical to an uninterrupted run", async () => {
    const steps = "200";
    const whole = path.join(root, "whole");
    await train(["--data", data, "--out", whole, "--config", configFile, "--steps", steps]);

    const killed = path.join(root, "killed");
    await trainKilledBetweenCheckpoints(
      "cql-sac",
      ["--data", data, "--config", configFile, "--steps", steps],
      {
        out: killed,
        minStep: 60,
        checkpointEvery: 50,
      },
    );
    assert.ok(!fs.existsSync(path.join(killed, TRAIN_OUTPUTS.policy)));

    await train(["--data", data, "--out", killed, "--config", configFile, "--steps", steps, "--resume"]);
    const [x, y] = await Promise.all([
      readCheckpoint(path.join(whole, TRAIN_OUTPUTS.checkpoint), { expectedKind: CQL_SAC_CHECKPOINT_KIND }),
      readCheckpoint(path.join(killed, TRAIN_OUTPUTS.checkpoint), { expectedKind: CQL_SAC_CHECKPOINT_KIND }),
    ]);
    assert.equal(x.step, y.step);
    assert.deepEqual(Object.keys(x.tensors).sort(), Object.keys(y.tensors).sort());
    for (const [name, tensor] of Object.entries(x.tensors)) {
      const other = y.tensors[name].data;
      const bytes = (t: typeof other) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
      assert.ok(bytes(tensor.data).equals(bytes(other)), `tensor ${name} differs`);
    }
    assert.deepEqual(x.rngState, y.rngState);
    assert.deepEqual(x.metadata.scalars, y.metadata.scalars);
    const a = readJsonlMetrics(path.join(whole, TRAIN_OUTPUTS.metrics)).map((r) => [
      r.step,
      r.metrics["loss/critic"],
    ]);
    const b = readJsonlMetrics(path.join(killed, TRAIN_OUTPUTS.metrics)).map((r) => [
      r.step,
      r.metrics["loss/critic"],
    ]);
    assert.deepEqual(b, a);
  });
});
