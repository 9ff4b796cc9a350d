/**
 * `mtf train td3` and `mtf train uwac-td3` end to end on a small synthetic dataset: outputs,
 * metrics for Fig. 5 (q/mean, q/std, losses), the serving artefact (loadable as a Policy and
 * by `mtf evaluate`'s policy resolver), `--preset quick`, and a run stopped between checkpoints
 * and finished with `--resume`, bit-identical to an uninterrupted run.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Command } from "commander";
import { resolvePolicy } from "../../cli/commands/evaluate.js";
import { register, TRAIN_OUTPUTS } from "../../cli/commands/train.js";
import { fusionParams, mtfConfigSchema, parseConfig } from "../../core/config.js";
import { isMtfError } from "../../core/errors.js";
import { readJsonlMetrics } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { STATE_ENCODER_VERSION } from "../../core/state-encoder.js";
import { buildDataset, loadDataset } from "../../data/dataset.js";
import { LogStore } from "../../data/log-store.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { loadTd3Policy, TD3_POLICY_KIND, UWAC_TD3_POLICY_KIND } from "./artefact.js";

let root = "";
let data = "";
let configFile = "";

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-train-td3-"));
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
  const section = [
    "  preset: quick",
    "  batchSize: 32",
    "  actorHidden: [32, 32]",
    "  criticHidden: [32, 32]",
  ];
  fs.writeFileSync(
    configFile,
    [
      "seed: 3",
      "td3:",
      ...section,
      "  logEvery: 10",
      "  checkpointEvery: 50",
      "uwac-td3:",
      ...section,
      "  mcSamples: 4",
      "  logEvery: 10",
      "  checkpointEvery: 20",
      "",
    ].join("\n"),
  );
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

async function mtfTrain(algorithm: string, args: readonly string[]): Promise<void> {
  const program = new Command("mtf").exitOverride();
  register(program);
  await program.parseAsync(["train", algorithm, ...args], { from: "user" });
}

async function sameTensors(a: string, b: string, kind: string): Promise<void> {
  const [x, y] = await Promise.all([
    readCheckpoint(a, { expectedKind: kind }),
    readCheckpoint(b, { expectedKind: kind }),
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

for (const [algorithm, policyKind] of [
  ["td3", TD3_POLICY_KIND],
  ["uwac-td3", UWAC_TD3_POLICY_KIND],
] as const) {
  describe(`mtf train ${algorithm}`, () => {
    it("writes config, run info, Q metrics, checkpoint and a policy that mtf evaluate loads", async () => {
      const out = path.join(root, `${algorithm}-a`);
      await mtfTrain(algorithm, ["--data", data, "--out", out, "--config", configFile, "--steps", "40"]);
      for (const name of Object.values(TRAIN_OUTPUTS))
        assert.ok(fs.existsSync(path.join(out, name)), `${name} missing`);
      const run = JSON.parse(fs.readFileSync(path.join(out, TRAIN_OUTPUTS.run), "utf8"));
      assert.equal(run.status, "completed");
      assert.equal(run.stepsDone, 40);
      assert.match(run.runId, new RegExp(`^dataset__${algorithm}__3__`));
      const metrics = readJsonlMetrics(path.join(out, TRAIN_OUTPUTS.metrics));
      assert.deepEqual(
        metrics.map((r) => r.step),
        [10, 20, 30, 40],
      );
      const keys = ["loss/critic", "loss/actor", "q/mean", "q/std", "q/policy_mean", "target/mean"];
      if (algorithm === "uwac-td3") keys.push("uwac/weight_mean", "uwac/target_var_mean");
      for (const key of keys) assert.ok(Number.isFinite(metrics[0].metrics[key]), `${key} in metrics.jsonl`);

      const artefactPath = path.join(out, TRAIN_OUTPUTS.policy);
      const { policy, artefact, kind } = await loadTd3Policy(artefactPath, {
        expectedStateEncoderVersion: STATE_ENCODER_VERSION,
      });
      assert.equal(kind, policyKind);
      assert.equal(artefact.algorithm, algorithm);
      assert.equal(artefact.trainedSteps, 40);
      assert.equal(artefact.runId, run.runId);
      const dataset = loadDataset(data);
      assert.deepEqual(policy.normaliser.mean, dataset.normaliser.mean);
      const rows = 5;
      const actions = new Float32Array(rows * 12);
      policy.act(dataset.states.subarray(0, rows * dataset.stateDim), rows, actions, new Rng(1));
      assert.ok(actions.every((a) => a >= -1 && a <= 1));

      const config = parseConfig({}, mtfConfigSchema, "defaults");
      const resolved = await resolvePolicy(artefactPath, dataset, fusionParams(config.fusion).bounds);
      assert.equal(resolved.policy.id, policy.id);
      assert.equal(resolved.policy.stochastic, false);
    });

    it("stopped between checkpoints and resumed with --resume, ends bit-identical to an uninterrupted run", async () => {
      const steps = "400";
      const whole = path.join(root, `${algorithm}-whole`);
      await mtfTrain(algorithm, ["--data", data, "--out", whole, "--config", configFile, "--steps", steps]);

      // Stop the run as Ctrl-C does, once it has passed a checkpoint.
      const stopped = path.join(root, `${algorithm}-stopped`);
      const metrics = path.join(stopped, TRAIN_OUTPUTS.metrics);
      let signalled = false;
      const poll = setInterval(() => {
        if (signalled || !fs.existsSync(metrics)) return;
        const last = Math.max(0, ...readJsonlMetrics(metrics).map((r) => r.step));
        if (last >= 60) {
          signalled = true;
          process.emit("SIGINT");
        }
      }, 5);
      try {
        await mtfTrain(algorithm, [
          "--data",
          data,
          "--out",
          stopped,
          "--config",
          configFile,
          "--steps",
          steps,
        ]);
      } finally {
        clearInterval(poll);
      }
      const run = JSON.parse(fs.readFileSync(path.join(stopped, TRAIN_OUTPUTS.run), "utf8"));
      assert.ok(signalled, "the run finished before it could be stopped");
      assert.equal(run.status, "stopped");
      assert.ok(run.stepsDone < 400);
      assert.ok(!fs.existsSync(path.join(stopped, TRAIN_OUTPUTS.policy)));

      await mtfTrain(algorithm, [
        "--data",
        data,
        "--out",
        stopped,
        "--config",
        configFile,
        "--steps",
        steps,
        "--resume",
      ]);
      await sameTensors(
        path.join(whole, TRAIN_OUTPUTS.checkpoint),
        path.join(stopped, TRAIN_OUTPUTS.checkpoint),
        algorithm,
      );
      // Every logged record agrees, except the two around the stop: stopping flushes a partial
      // average at the stop step, so the next record averages the remaining steps only.
      const stopStep = run.stepsDone as number;
      const straddling = Math.ceil(stopStep / 10) * 10;
      const comparable = (file: string) =>
        readJsonlMetrics(file)
          .filter((r) => r.step !== stopStep && r.step !== straddling)
          .map((r) => [r.step, r.metrics["q/mean"], r.metrics["loss/critic"]]);
      const a = comparable(path.join(whole, TRAIN_OUTPUTS.metrics));
      assert.equal(a.length, 39, "40 records, one excluded");
      assert.deepEqual(comparable(metrics), a);
      assert.ok(fs.existsSync(path.join(stopped, TRAIN_OUTPUTS.policy)));
    });

    it("refuses --resume without a checkpoint and an unknown preset", async () => {
      await assert.rejects(
        mtfTrain(algorithm, ["--data", data, "--out", path.join(root, `${algorithm}-none`), "--resume"]),
        (e) => isMtfError(e, "FILE_NOT_FOUND"),
      );
      await assert.rejects(
        mtfTrain(algorithm, ["--data", data, "--out", path.join(root, `${algorithm}-p`), "--preset", "huge"]),
        /expected one of paper, quick/,
      );
    });
  });
}
