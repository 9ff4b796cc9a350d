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
import { loadCqlSacPolicy, saveCqlSacPolicy } from "./artefact.js";
import { type CqlSacConfig, cqlSacConfig } from "./config.js";
import { CQL_SAC_CHECKPOINT_KIND, CqlSacTrainer } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-cql-sac-trainer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mdp = narrowDataMdp();
const data: OfflineData = generateNarrowData(mdp, { sessions: 200, seed: 3 });
const normaliser = fitStateNormaliser(data);

function smallConfig(overrides: Record<string, unknown> = {}): CqlSacConfig {
  return cqlSacConfig({
    preset: "quick",
    actorHidden: [16, 12],
    criticHidden: [16, 12],
    batchSize: 16,
    cqlSamples: 3,
    gamma: mdp.gamma,
    ...overrides,
  });
}

function source(config: CqlSacConfig, seed = 0): ArrayBatchSource {
  return new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
}

function trainer(config: CqlSacConfig, seed = 0): CqlSacTrainer {
  return new CqlSacTrainer({ config, source: source(config, seed), normaliser, seed });
}

/** Every parameter, optimiser moment and log α of a trainer, by name. */
function state(t: CqlSacTrainer): Map<string, NumArray> {
  const out = new Map<string, NumArray>();
  for (const [name, net] of Object.entries(t.networks))
    out.set(`${name}.params`, Float32Array.from(net.params));
  for (const [name, adam] of Object.entries(t.optimisers)) {
    const s = adam.exportState();
    out.set(`${name}.m`, s.m);
    out.set(`${name}.v`, s.v);
    out.set(`${name}.step`, Float64Array.of(s.step));
  }
  out.set("logAlpha", Float32Array.from(t.temperature.params));
  out.set("logCqlMultiplier", Float32Array.from(t.cqlMultiplier.params));
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

describe("CqlSacTrainer", () => {
  it("returns the namespaced metrics of every update, all finite", () => {
    const t = trainer(smallConfig());
    const metrics = t.update();
    for (const key of [
      "loss/actor",
      "loss/critic",
      "loss/critic_td",
      "loss/cql",
      "loss/alpha",
      "alpha",
      "entropy",
      "cql/logsumexp",
      "cql/gap",
      "q/mean",
      "q/std",
      "q/policy",
      "target/mean",
      "target/std",
      "action/mean",
      "action/std",
      "action/at_bound",
    ]) {
      assert.ok(Number.isFinite(metrics[key]), `${key} = ${metrics[key]}`);
    }
    assert.equal(t.step, 1);
  });

  it("tunes α by Adam on −log α·(log π + H̄), H̄ = −|A|, and keeps it fixed without autoEntropy", () => {
    const t = trainer(smallConfig({ lrActor: 1e-2 }));
    const metrics = t.update();
    // dL/dlog α = −mean(log π) − H̄ = entropy + |A|; Adam's first step is lr·sign(gradient).
    const grad = metrics.entropy + 2;
    assert.ok(Math.abs(grad) > 1e-3, "a clear gradient sign");
    const expected = Math.log(1) - 1e-2 * Math.sign(grad);
    assert.ok(Math.abs(t.temperature.log - expected) < 1e-6, `${t.temperature.log} vs ${expected}`);
    assert.ok(Math.abs(metrics.alpha - Math.exp(expected)) < 1e-6, "the actor loss uses the updated α");
    const fixed = trainer(smallConfig({ autoEntropy: false, initialAlpha: 0.2 }));
    fixed.update();
    fixed.update();
    assert.ok(Math.abs(fixed.alpha - 0.2) < 1e-7);
  });

  it("Lagrange variant: α' rises while the weighted gap exceeds τ and falls while below it", () => {
    for (const [targetGap, direction] of [
      [0, 1],
      [1e4, -1],
    ] as const) {
      const t = trainer(smallConfig({ cqlTargetGap: targetGap, lrCritic: 1e-2 }));
      const metrics = t.update();
      assert.equal(metrics["cql/weight"], 5, "the first step weighs the CQL term by α' = 1");
      assert.ok(5 * metrics["cql/gap"] > 0 && 5 * metrics["cql/gap"] < 1e4);
      // Adam's first step on log α' is lr·sign(−dL/dlog α') = lr·sign(gap − τ).
      assert.ok(
        Math.abs(t.cqlMultiplier.log - direction * 1e-2) < 1e-6,
        `τ ${targetGap}: ${t.cqlMultiplier.log}`,
      );
      assert.ok(Math.abs(t.cqlWeight - 5 * Math.exp(direction * 1e-2)) < 1e-5);
    }
    const fixed = trainer(smallConfig());
    const metrics = fixed.update();
    assert.equal(fixed.cqlMultiplier.log, 0, "without cqlTargetGap α' stays 1");
    assert.equal(metrics["cql/weight"], undefined);
  });

  it("soft-updates the critic targets by τ every step", () => {
    const config = smallConfig({ tau: 0.05, targetUpdateEvery: 2 });
    const t = trainer(config);
    const initial = Float32Array.from(t.networks.critic2Target.params);
    assert.deepEqual(initial, Float32Array.from(t.networks.critic2.params), "targets start as copies");
    t.update();
    assert.deepEqual(Float32Array.from(t.networks.critic2Target.params), initial, "untouched before step 2");
    t.update();
    const source2 = t.networks.critic2.params;
    const target2 = t.networks.critic2Target.params;
    for (let i = 0; i < target2.length; i += 37) {
      const expected = 0.05 * source2[i] + 0.95 * initial[i];
      assert.ok(Math.abs(target2[i] - expected) < 1e-6, `target ${i}: ${target2[i]} vs ${expected}`);
    }
  });

  it("is reproducible from the seed and differs across seeds", () => {
    const config = smallConfig();
    const a = trainer(config, 1);
    const b = trainer(config, 1);
    const c = trainer(config, 2);
    for (let i = 0; i < 4; i++) for (const t of [a, b, c]) t.update();
    assertBitIdentical(state(a), state(b));
    assert.notDeepEqual(
      Float32Array.from(a.networks.actor.params),
      Float32Array.from(c.networks.actor.params),
    );
  });

  it("killed between checkpoints and resumed, ends bit-identical to an uninterrupted run", async () => {
    // The Lagrange variant, so that every learned scalar (log α and log α') is exercised.
    const config = smallConfig({ steps: 30, checkpointEvery: 10, logEvery: 5, cqlTargetGap: 1 });
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

    // 25 steps with checkpoints at 10 and 20, then "killed"; a fresh trainer resumes from 20.
    const path = join(dir, "killed.ckpt");
    const killed = trainer(config, 4);
    for (let i = 1; i <= 25; i++) {
      killed.update();
      if (i % 10 === 0) await killed.saveCheckpoint(path);
    }
    const resumed = await CqlSacTrainer.fromCheckpoint(path, { source: source(config, 4) });
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
    const [x, y] = await Promise.all([
      readCheckpoint(join(dir, "whole.ckpt"), { expectedKind: CQL_SAC_CHECKPOINT_KIND }),
      readCheckpoint(path, { expectedKind: CQL_SAC_CHECKPOINT_KIND }),
    ]);
    assert.deepEqual(x.rngState, y.rngState);
    assert.deepEqual(x.metadata.batchSource, y.metadata.batchSource);
    assert.deepEqual(x.metadata.scalars, y.metadata.scalars);
    const tail = readJsonlMetrics(join(dir, "whole.jsonl")).filter((r) => r.step > 20);
    const again = readJsonlMetrics(join(dir, "resumed.jsonl"));
    assert.deepEqual(
      again.map((r) => [r.step, r.metrics["loss/critic"], r.metrics.alpha]),
      tail.map((r) => [r.step, r.metrics["loss/critic"], r.metrics.alpha]),
    );
  });

  it("refuses to resume with a different algorithm config or seed, allows more steps", async () => {
    const config = smallConfig();
    const t = trainer(config, 5);
    t.update();
    const path = join(dir, "cfg.ckpt");
    await t.saveCheckpoint(path);
    await assert.rejects(
      CqlSacTrainer.fromCheckpoint(path, { source: source(config), config: smallConfig({ cqlWeight: 1 }) }),
      (e) => isMtfError(e, "INVALID_CONFIG") && /cqlWeight/.test(e.message),
    );
    const longer = await CqlSacTrainer.fromCheckpoint(path, {
      source: source(config),
      config: smallConfig({ steps: 99 }),
    });
    assert.equal(longer.config.steps, 99);
    assert.equal(longer.step, 1);
    assert.equal(longer.temperature.log, t.temperature.log);
    await assert.rejects(
      CqlSacTrainer.fromCheckpoint(join(dir, "missing.ckpt"), { source: source(config) }),
      (e) => isMtfError(e, "FILE_NOT_FOUND"),
    );
  });

  it("validates its inputs", () => {
    const config = smallConfig();
    assert.throws(
      () =>
        new CqlSacTrainer({
          config: smallConfig({ batchSize: 8 }),
          source: source(config),
          normaliser,
          seed: 0,
        }),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /batch/.test(e.message),
    );
    assert.throws(
      () =>
        new CqlSacTrainer({ config, source: source(config), normaliser: { mean: [0], std: [1] }, seed: 0 }),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
    assert.throws(
      () => cqlSacConfig({ cqlWeight: -1 }),
      (e) => isMtfError(e, "INVALID_CONFIG"),
    );
    assert.throws(
      () => cqlSacConfig({ minQWeight: 5 }),
      (e) => isMtfError(e, "UNKNOWN_CONFIG_KEY"),
    );
  });

  it("serves tanh(μ) deterministically; the artefact round-trips; snapshots do not follow training", async () => {
    const t = trainer(smallConfig());
    t.update();
    const policy = t.policy("p");
    const states = Float32Array.of(0.3, 0, -0.5, 0.5);
    const before = new Float32Array(4);
    policy.act(states, 2, before, new Rng(1));
    // tanh of the actor's mean head on the normalised states.
    const normalised = Float32Array.of(
      (0.3 - normaliser.mean[0]) / normaliser.std[0],
      (0 - normaliser.mean[1]) / normaliser.std[1],
    );
    const head = t.networks.actor.forward(normalised, 1);
    assert.ok(
      Math.abs(before[0] - Math.tanh(head[0])) < 1e-6 && Math.abs(before[1] - Math.tanh(head[1])) < 1e-6,
    );
    const other = new Float32Array(4);
    policy.act(states, 2, other, new Rng(99));
    assert.deepEqual(other, before, "no randomness at serving");
    for (let i = 0; i < 3; i++) t.update();
    const after = new Float32Array(4);
    policy.act(states, 2, after, new Rng(1));
    assert.deepEqual(after, before);

    const file = join(dir, "policy.ckpt");
    await saveCqlSacPolicy(file, policy, {
      stateEncoderVersion: 7,
      trainedSteps: 1,
      configHash: "abc",
      runId: "r",
    });
    const loaded = await loadCqlSacPolicy(file, { expectedStateEncoderVersion: 7 });
    const again = new Float32Array(4);
    loaded.policy.act(states, 2, again, new Rng(0));
    assert.deepEqual(again, before);
    assert.equal(loaded.artefact.serving, "deterministic-tanh-mean");
    assert.equal(loaded.policy.stochastic, false);
    await assert.rejects(loadCqlSacPolicy(file, { expectedStateEncoderVersion: 8 }), (e) =>
      isMtfError(e, "DATASET_MISMATCH"),
    );
    // The stochastic training policy draws from its rng only, inside the action box.
    const sampled = new Float32Array(4);
    const sampledAgain = new Float32Array(4);
    policy.stochasticPolicy().act(states, 2, sampled, new Rng(3));
    policy.stochasticPolicy().act(states, 2, sampledAgain, new Rng(3));
    assert.deepEqual(sampled, sampledAgain);
    assert.notDeepEqual(sampled, before);
    assert.ok(sampled.every((a) => a > -1 && a < 1));
  });
});
