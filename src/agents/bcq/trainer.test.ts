import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { jsonlSink, MetricsLogger, readJsonlMetrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import type { NumArray } from "../../nn/kernels.js";
import { runTrainingLoop } from "../common/training-loop.js";
import {
  ArrayBatchSource,
  fitStateNormaliser,
  generateNarrowData,
  narrowDataMdp,
  type OfflineData,
} from "../fixtures/narrow-data.js";
import { type BcqConfig, bcqConfig } from "./config.js";
import { BCQ_CHECKPOINT_KIND, BcqTrainer } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-bcq-trainer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mdp = narrowDataMdp();
const data: OfflineData = generateNarrowData(mdp, { sessions: 200, seed: 3 });
const normaliser = fitStateNormaliser(data);

function smallConfig(overrides: Record<string, unknown> = {}): BcqConfig {
  return bcqConfig({
    preset: "quick",
    vaeHidden: [16, 16],
    actorHidden: [16, 12],
    criticHidden: [16, 12],
    batchSize: 16,
    nActionSamples: 4,
    gamma: mdp.gamma,
    ...overrides,
  });
}

function source(config: BcqConfig, seed = 0): ArrayBatchSource {
  return new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
}

function trainer(config: BcqConfig, seed = 0): BcqTrainer {
  return new BcqTrainer({ config, source: source(config, seed), normaliser, seed });
}

/** Every parameter and optimiser moment of a trainer, by name. */
function state(t: BcqTrainer): Map<string, NumArray> {
  const out = new Map<string, NumArray>();
  for (const [name, net] of Object.entries(t.networks))
    out.set(`${name}.params`, Float32Array.from(net.params));
  for (const [name, adam] of Object.entries(t.optimisers)) {
    const s = adam.exportState();
    out.set(`${name}.m`, s.m);
    out.set(`${name}.v`, s.v);
    out.set(`${name}.step`, Float64Array.of(s.step));
  }
  return out;
}

function assertBitIdentical(a: Map<string, NumArray>, b: Map<string, NumArray>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [key, x] of a) {
    const y = b.get(key) as NumArray;
    const bytesA = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const bytesB = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
    assert.ok(bytesA.equals(bytesB), `${key} differs`);
  }
}

describe("BcqTrainer", () => {
  it("returns the namespaced metrics of every update, all finite", () => {
    const t = trainer(smallConfig());
    const metrics = t.update();
    for (const key of [
      "loss/vae",
      "loss/vae_recon",
      "loss/vae_kl",
      "loss/actor",
      "loss/critic",
      "q/mean",
      "q/std",
      "target/mean",
      "action/mean",
      "action/std",
      "action/perturbation",
      "action/at_bound",
    ]) {
      assert.ok(Number.isFinite(metrics[key]), `${key} = ${metrics[key]}`);
    }
    assert.equal(t.step, 1);
  });

  it("soft-updates the targets every L steps only (Alg. 1 lines 10-12)", () => {
    const config = smallConfig({ targetUpdateEvery: 3, eta: 0.05 });
    const t = trainer(config);
    const initial = Float32Array.from(t.networks.critic1Target.params);
    const initialActor = Float32Array.from(t.networks.actorTarget.params);
    assert.deepEqual(
      initial,
      Float32Array.from(t.networks.critic1.params),
      "targets start as copies (line 2)",
    );
    assert.deepEqual(initialActor, Float32Array.from(t.networks.actor.params));
    t.update();
    t.update();
    assert.deepEqual(Float32Array.from(t.networks.critic1Target.params), initial, "untouched before step L");
    assert.deepEqual(Float32Array.from(t.networks.actorTarget.params), initialActor);
    assert.notDeepEqual(Float32Array.from(t.networks.actor.params), initialActor, "while the actor trains");
    t.update();
    const source1 = t.networks.critic1.params;
    const target1 = t.networks.critic1Target.params;
    for (let i = 0; i < target1.length; i += 97) {
      const expected = 0.05 * source1[i] + 0.95 * initial[i];
      assert.ok(Math.abs(target1[i] - expected) < 1e-6, `target ${i}: ${target1[i]} vs ${expected}`);
    }
    const actor = t.networks.actor.params;
    const actorTarget = t.networks.actorTarget.params;
    for (let i = 0; i < actorTarget.length; i += 89) {
      const expected = 0.05 * actor[i] + 0.95 * initialActor[i];
      assert.ok(
        Math.abs(actorTarget[i] - expected) < 1e-6,
        `actor target ${i}: ${actorTarget[i]} vs ${expected}`,
      );
    }
  });

  it("is reproducible from the seed and differs across seeds and update orders", () => {
    const config = smallConfig();
    const a = trainer(config, 1);
    const b = trainer(config, 1);
    const c = trainer(config, 2);
    const d = trainer(smallConfig({ updateOrder: "original" }), 1);
    for (let i = 0; i < 5; i++) for (const t of [a, b, c, d]) t.update();
    assertBitIdentical(state(a), state(b));
    assert.notDeepEqual(
      Float32Array.from(a.networks.actor.params),
      Float32Array.from(c.networks.actor.params),
    );
    assert.notDeepEqual(
      Float32Array.from(a.networks.actor.params),
      Float32Array.from(d.networks.actor.params),
    );
  });

  it("killed between checkpoints and resumed, ends bit-identical to an uninterrupted run", async () => {
    const config = smallConfig({ steps: 30, checkpointEvery: 10, logEvery: 5 });
    // Uninterrupted: the training loop, checkpoints every 10 steps.
    const whole = trainer(config, 4);
    const wholeLog = new MetricsLogger([jsonlSink(join(dir, "whole.jsonl"))]);
    await runTrainingLoop(whole, {
      totalSteps: 30,
      logEvery: 5,
      checkpointEvery: 10,
      checkpointPath: join(dir, "whole.ckpt"),
      logger: wholeLog,
    });
    wholeLog.close();

    // Interrupted: 25 steps with checkpoints at 10 and 20, then "killed" (the object dropped,
    // no final checkpoint), then a fresh process state resumes from step 20.
    const path = join(dir, "killed.ckpt");
    const killed = trainer(config, 4);
    for (let i = 1; i <= 25; i++) {
      killed.update();
      if (i % 10 === 0) await killed.saveCheckpoint(path);
    }
    const resumed = await BcqTrainer.fromCheckpoint(path, { source: source(config, 4) });
    assert.equal(resumed.step, 20);
    const log = new MetricsLogger([jsonlSink(join(dir, "resumed.jsonl"))]);
    await runTrainingLoop(resumed, {
      totalSteps: 30,
      logEvery: 5,
      checkpointEvery: 10,
      checkpointPath: path,
      logger: log,
    });
    log.close();
    assert.equal(resumed.step, 30);
    assertBitIdentical(state(resumed), state(whole));
    // The final checkpoints agree too, RNG and data position included.
    const [x, y] = await Promise.all([
      readCheckpoint(join(dir, "whole.ckpt"), { expectedKind: BCQ_CHECKPOINT_KIND }),
      readCheckpoint(path, { expectedKind: BCQ_CHECKPOINT_KIND }),
    ]);
    assert.deepEqual(x.rngState, y.rngState);
    assert.deepEqual(x.metadata.batchSource, y.metadata.batchSource);
    // And so do the metrics of the steps both ran.
    const tail = readJsonlMetrics(join(dir, "whole.jsonl")).filter((r) => r.step > 20);
    const again = readJsonlMetrics(join(dir, "resumed.jsonl"));
    assert.deepEqual(
      again.map((r) => [r.step, r.metrics["loss/critic"]]),
      tail.map((r) => [r.step, r.metrics["loss/critic"]]),
    );
  });

  it("refuses to resume with a different algorithm config or seed, allows more steps", async () => {
    const config = smallConfig();
    const t = trainer(config, 5);
    t.update();
    const path = join(dir, "cfg.ckpt");
    await t.saveCheckpoint(path);
    await assert.rejects(
      BcqTrainer.fromCheckpoint(path, { source: source(config), config: smallConfig({ rho: 0.3 }) }),
      (e) => isMtfError(e, "INVALID_CONFIG") && /rho/.test(e.message),
    );
    const longer = await BcqTrainer.fromCheckpoint(path, {
      source: source(config),
      config: smallConfig({ steps: 99 }),
    });
    assert.equal(longer.config.steps, 99);
    assert.equal(longer.step, 1);
    await assert.rejects(
      BcqTrainer.fromCheckpoint(join(dir, "missing.ckpt"), { source: source(config) }),
      (e) => isMtfError(e, "FILE_NOT_FOUND"),
    );
  });

  it("validates its inputs", () => {
    const config = smallConfig();
    assert.throws(
      () =>
        new BcqTrainer({
          config: smallConfig({ batchSize: 8 }),
          source: source(config),
          normaliser,
          seed: 0,
        }),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /batch/.test(e.message),
    );
    assert.throws(
      () => new BcqTrainer({ config, source: source(config), normaliser: { mean: [0], std: [1] }, seed: 0 }),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
  });

  it("a policy snapshot does not change when training goes on", () => {
    const t = trainer(smallConfig());
    t.update();
    const policy = t.policy();
    const states = Float32Array.of(0.3, 0, -0.5, 0.5);
    const before = new Float32Array(4);
    policy.act(states, 2, before, new Rng(1));
    for (let i = 0; i < 3; i++) t.update();
    const after = new Float32Array(4);
    policy.act(states, 2, after, new Rng(1));
    assert.deepEqual(after, before);
  });
});
