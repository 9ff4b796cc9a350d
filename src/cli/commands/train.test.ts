/**
 * `mtf train bcq` end to end on a small synthetic dataset: outputs, the serving artefact, and a
 * real kill: a child process is SIGKILLed between two checkpoints, `--resume` finishes the run,
 * and the final training state is bit-identical to an uninterrupted run with the same seed.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Command } from "commander";
import { loadBcqPolicy } from "../../agents/bcq/artefact.js";
import { BCQ_CHECKPOINT_KIND } from "../../agents/bcq/trainer.js";
import { isMtfError } from "../../core/errors.js";
import { readJsonlMetrics } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { STATE_ENCODER_VERSION } from "../../core/state-encoder.js";
import { buildDataset, loadDataset } from "../../data/dataset.js";
import { LogStore } from "../../data/log-store.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { trainKilledBetweenCheckpoints } from "../kill-train.js";
import { register, TRAIN_OUTPUTS } from "./train.js";

let root = "";
let data = "";
let configFile = "";

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-train-"));
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
      "bcq:",
      "  preset: quick",
      "  batchSize: 32",
      "  logEvery: 10",
      "  checkpointEvery: 50",
      "",
    ].join("\n"),
  );
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

async function mtfTrain(args: readonly string[]): Promise<void> {
  const program = new Command("mtf").exitOverride();
  register(program);
  await program.parseAsync(["train", "bcq", ...args], { from: "user" });
}

async function tensorsEqual(a: string, b: string): Promise<void> {
  const [x, y] = await Promise.all([
    readCheckpoint(a, { expectedKind: BCQ_CHECKPOINT_KIND }),
    readCheckpoint(b, { expectedKind: BCQ_CHECKPOINT_KIND }),
  ]);
  assert.equal(x.step, y.step);
  assert.deepEqual(Object.keys(x.tensors).sort(), Object.keys(y.tensors).sort());
  for (const [name, tensor] of Object.entries(x.tensors)) {
    const other = y.tensors[name].data;
    const bytes = (t: typeof other) => Buffer.from(t.buffer, t.byteOffset, t.byteLength);
    assert.ok(bytes(tensor.data).equals(bytes(other)), `tensor ${name} differs`);
  }
  assert.deepEqual(x.rngState, y.rngState);
  assert.deepEqual(x.metadata.batchSource, y.metadata.batchSource);
}

describe("mtf train bcq", () => {
  it("writes config, run info, metrics, checkpoint and a loadable serving artefact", async () => {
    const out = path.join(root, "run-a");
    await mtfTrain(["--data", data, "--out", out, "--config", configFile, "--steps", "60"]);
    for (const name of Object.values(TRAIN_OUTPUTS))
      assert.ok(fs.existsSync(path.join(out, name)), `${name} missing`);
    const run = JSON.parse(fs.readFileSync(path.join(out, TRAIN_OUTPUTS.run), "utf8"));
    assert.equal(run.status, "completed");
    assert.equal(run.stepsDone, 60);
    assert.equal(run.seed, 3);
    assert.match(run.runId, /^dataset__bcq__3__\d{8}T\d{6}Z$/);
    assert.match(run.configHash, /^[0-9a-f]{16}$/);
    assert.ok(typeof run.backend === "string" && run.backend.length > 0);
    assert.match(
      fs.readFileSync(path.join(out, TRAIN_OUTPUTS.config), "utf8"),
      new RegExp(`hash ${run.configHash}`),
    );
    const metrics = readJsonlMetrics(path.join(out, TRAIN_OUTPUTS.metrics));
    assert.deepEqual(
      metrics.map((r) => r.step),
      [10, 20, 30, 40, 50, 60],
    );
    for (const key of [
      "loss/vae",
      "loss/actor",
      "loss/critic",
      "q/mean",
      "q/std",
      "action/mean",
      "time/steps_per_s",
    ]) {
      assert.ok(Number.isFinite(metrics[0].metrics[key]), `${key} in metrics.jsonl`);
    }
    const { policy, artefact } = await loadBcqPolicy(path.join(out, TRAIN_OUTPUTS.policy), {
      expectedStateEncoderVersion: STATE_ENCODER_VERSION,
    });
    assert.equal(artefact.trainedSteps, 60);
    assert.equal(artefact.runId, run.runId);
    const dataset = loadDataset(data);
    assert.deepEqual(
      policy.normaliser.mean,
      dataset.normaliser.mean,
      "the dataset's normaliser ships with the policy",
    );
    const rows = 5;
    const actions = new Float32Array(rows * 12);
    policy.act(dataset.states.subarray(0, rows * dataset.stateDim), rows, actions, new Rng(1));
    assert.ok(actions.every((a) => a >= -1 && a <= 1));

    await assert.rejects(
      mtfTrain(["--data", data, "--out", out, "--config", configFile]),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /--resume/.test(e.message),
    );
  });

  it("killed between checkpoints and resumed with --resume, ends bit-identical to an uninterrupted run", async () => {
    const steps = "300";
    const whole = path.join(root, "whole");
    await mtfTrain(["--data", data, "--out", whole, "--config", configFile, "--steps", steps]);

    const killed = path.join(root, "killed");
    await trainKilledBetweenCheckpoints("bcq", ["--data", data, "--config", configFile, "--steps", steps], {
      out: killed,
      minStep: 60,
      checkpointEvery: 50,
    });
    const run = JSON.parse(fs.readFileSync(path.join(killed, TRAIN_OUTPUTS.run), "utf8"));
    assert.equal(run.status, "running", "a killed run never wrote its final status");
    assert.ok(!fs.existsSync(path.join(killed, TRAIN_OUTPUTS.policy)));

    await mtfTrain(["--data", data, "--out", killed, "--config", configFile, "--steps", steps, "--resume"]);
    await tensorsEqual(
      path.join(whole, TRAIN_OUTPUTS.checkpoint),
      path.join(killed, TRAIN_OUTPUTS.checkpoint),
    );
    // The metrics file holds each logged step exactly once, with the uninterrupted run's values.
    const a = readJsonlMetrics(path.join(whole, TRAIN_OUTPUTS.metrics)).map((r) => [
      r.step,
      r.metrics["loss/critic"],
    ]);
    const b = readJsonlMetrics(path.join(killed, TRAIN_OUTPUTS.metrics)).map((r) => [
      r.step,
      r.metrics["loss/critic"],
    ]);
    assert.deepEqual(b, a);
    const resumed = JSON.parse(fs.readFileSync(path.join(killed, TRAIN_OUTPUTS.run), "utf8"));
    assert.equal(resumed.status, "completed");
    assert.deepEqual(
      resumed.events.map((e: { event: string }) => e.event),
      ["started", "resumed"],
    );
  });

  it("refuses --resume without a checkpoint, or with another config", async () => {
    await assert.rejects(mtfTrain(["--data", data, "--out", path.join(root, "nothing"), "--resume"]), (e) =>
      isMtfError(e, "FILE_NOT_FOUND"),
    );
    await assert.rejects(
      mtfTrain([
        "--data",
        data,
        "--out",
        path.join(root, "run-a"),
        "--config",
        configFile,
        "--steps",
        "60",
        "--seed",
        "4",
        "--resume",
      ]),
      (e) => isMtfError(e, "INVALID_CONFIG"),
    );
  });
});
