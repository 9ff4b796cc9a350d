import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { jsonlSink, MetricsLogger, readJsonlMetrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { runTrainingLoop } from "../common/training-loop.js";
import {
  ArrayBatchSource,
  fitStateNormaliser,
  generateNarrowData,
  narrowDataMdp,
  type OfflineData,
} from "../fixtures/narrow-data.js";
import { type Td3Config, td3Config, td3ConfigFromSection, td3ConfigSection } from "./config.js";
import { assertBitIdentical, trainerState } from "./test-helpers.js";
import { TD3_CHECKPOINT_KIND, Td3Trainer } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-td3-trainer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mdp = narrowDataMdp();
const data: OfflineData = generateNarrowData(mdp, { sessions: 200, seed: 3 });
const normaliser = fitStateNormaliser(data);

function smallConfig(overrides: Record<string, unknown> = {}): Td3Config {
  return td3Config({
    preset: "quick",
    actorHidden: [16, 12],
    criticHidden: [16, 12],
    batchSize: 16,
    gamma: mdp.gamma,
    ...overrides,
  });
}

function source(config: Td3Config, seed = 0): ArrayBatchSource {
  return new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
}

function trainer(config: Td3Config, seed = 0): Td3Trainer {
  return new Td3Trainer({ config, source: source(config, seed), normaliser, seed });
}

describe("Td3Trainer", () => {
  it("returns finite critic metrics every step and actor metrics every d-th step", () => {
    const t = trainer(smallConfig());
    const first = t.update();
    for (const key of [
      "loss/critic",
      "loss/critic1",
      "loss/critic2",
      "q/mean",
      "q/std",
      "target/mean",
      "target/std",
    ]) {
      assert.ok(Number.isFinite(first[key]), `${key} = ${first[key]}`);
    }
    assert.equal(first["loss/actor"], undefined, "no actor update at step 1 (d = 2)");
    const second = t.update();
    for (const key of ["loss/actor", "q/policy_mean", "action/mean", "action/std", "action/at_bound"]) {
      assert.ok(Number.isFinite(second[key]), `${key} = ${second[key]}`);
    }
    assert.equal(t.step, 2);
  });

  it("delays the actor and every target update to every d-th step, with Polyak rate τ", () => {
    const config = smallConfig({ policyFreq: 3, tau: 0.05 });
    const t = trainer(config);
    const nets = t.networks;
    const actor0 = Float32Array.from(nets.actor.params);
    const critic1Target0 = Float32Array.from(nets.critic1Target.params);
    assert.deepEqual(critic1Target0, Float32Array.from(nets.critic1.params), "targets start as copies");
    assert.deepEqual(Float32Array.from(nets.actorTarget.params), actor0);
    t.update();
    t.update();
    assert.deepEqual(Float32Array.from(nets.actor.params), actor0, "the actor waits for step d");
    assert.deepEqual(Float32Array.from(nets.critic1Target.params), critic1Target0, "so do the targets");
    assert.notDeepEqual(Float32Array.from(nets.critic1.params), critic1Target0, "while the critics train");
    t.update();
    assert.notDeepEqual(Float32Array.from(nets.actor.params), actor0, "step d updates the actor");
    const source1 = nets.critic1.params;
    const target1 = nets.critic1Target.params;
    for (let i = 0; i < target1.length; i += 37) {
      const expected = 0.05 * source1[i] + 0.95 * critic1Target0[i];
      assert.ok(Math.abs(target1[i] - expected) < 1e-6, `target ${i}: ${target1[i]} vs ${expected}`);
    }
    const actor = nets.actor.params;
    const actorTarget = nets.actorTarget.params;
    for (let i = 0; i < actorTarget.length; i += 29) {
      const expected = 0.05 * actor[i] + 0.95 * actor0[i];
      assert.ok(Math.abs(actorTarget[i] - expected) < 1e-6, `actor target ${i}`);
    }
  });

  it("is reproducible from the seed and differs across seeds", () => {
    const config = smallConfig();
    const a = trainer(config, 1);
    const b = trainer(config, 1);
    const c = trainer(config, 2);
    for (let i = 0; i < 6; i++) for (const t of [a, b, c]) t.update();
    assertBitIdentical(trainerState(a), trainerState(b));
    assert.notDeepEqual(
      Float32Array.from(a.networks.actor.params),
      Float32Array.from(c.networks.actor.params),
    );
  });

  it("killed between checkpoints and resumed, ends bit-identical to an uninterrupted run", async () => {
    const config = smallConfig({ steps: 31, checkpointEvery: 10, logEvery: 5 });
    const whole = trainer(config, 4);
    const wholeLog = new MetricsLogger([jsonlSink(join(dir, "whole.jsonl"))]);
    await runTrainingLoop(whole, {
      totalSteps: 31,
      logEvery: 5,
      checkpointEvery: 10,
      checkpointPath: join(dir, "whole.ckpt"),
      logger: wholeLog,
    });
    wholeLog.close();

    // 25 steps with checkpoints at 10 and 20, then dropped; resume from step 20 (odd total: the
    // delayed-update phase must survive the resume).
    const path = join(dir, "killed.ckpt");
    const killed = trainer(config, 4);
    for (let i = 1; i <= 25; i++) {
      killed.update();
      if (i % 10 === 0) await killed.saveCheckpoint(path);
    }
    const resumed = await Td3Trainer.fromCheckpoint(path, { source: source(config, 4) });
    assert.equal(resumed.step, 20);
    const log = new MetricsLogger([jsonlSink(join(dir, "resumed.jsonl"))]);
    await runTrainingLoop(resumed, {
      totalSteps: 31,
      logEvery: 5,
      checkpointEvery: 10,
      checkpointPath: path,
      logger: log,
    });
    log.close();
    assert.equal(resumed.step, 31);
    assertBitIdentical(trainerState(resumed), trainerState(whole));
    const [x, y] = await Promise.all([
      readCheckpoint(join(dir, "whole.ckpt"), { expectedKind: TD3_CHECKPOINT_KIND }),
      readCheckpoint(path, { expectedKind: TD3_CHECKPOINT_KIND }),
    ]);
    assert.deepEqual(x.rngState, y.rngState);
    assert.deepEqual(x.metadata.batchSource, y.metadata.batchSource);
    const tail = readJsonlMetrics(join(dir, "whole.jsonl")).filter((r) => r.step > 20);
    const again = readJsonlMetrics(join(dir, "resumed.jsonl"));
    assert.deepEqual(
      again.map((r) => [r.step, r.metrics["loss/critic"], r.metrics["loss/actor"]]),
      tail.map((r) => [r.step, r.metrics["loss/critic"], r.metrics["loss/actor"]]),
    );
  });

  it("refuses to resume with a different algorithm config or seed, allows more steps", async () => {
    const config = smallConfig();
    const t = trainer(config, 5);
    t.update();
    const path = join(dir, "cfg.ckpt");
    await t.saveCheckpoint(path);
    await assert.rejects(
      Td3Trainer.fromCheckpoint(path, { source: source(config), config: smallConfig({ policyNoise: 0.3 }) }),
      (e) => isMtfError(e, "INVALID_CONFIG") && /policyNoise/.test(e.message),
    );
    const longer = await Td3Trainer.fromCheckpoint(path, {
      source: source(config),
      config: smallConfig({ steps: 99 }),
    });
    assert.equal(longer.config.steps, 99);
    assert.equal(longer.step, 1);
    await assert.rejects(
      Td3Trainer.fromCheckpoint(join(dir, "missing.ckpt"), { source: source(config) }),
      (e) => isMtfError(e, "FILE_NOT_FOUND"),
    );
  });

  it("validates its inputs and config", () => {
    const config = smallConfig();
    assert.throws(
      () =>
        new Td3Trainer({
          config: smallConfig({ batchSize: 8 }),
          source: source(config),
          normaliser,
          seed: 0,
        }),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /batch/.test(e.message),
    );
    assert.throws(
      () => new Td3Trainer({ config, source: source(config), normaliser: { mean: [0], std: [1] }, seed: 0 }),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
    assert.throws(
      () => td3Config({ policyFreq: 0 }),
      (e) => isMtfError(e, "INVALID_CONFIG"),
    );
    assert.throws(
      () => td3Config({ rho: 0.1 }),
      (e) => isMtfError(e, "UNKNOWN_CONFIG_KEY"),
    );
    assert.equal(td3ConfigFromSection(td3ConfigSection.parse({}), 0.9).gamma, 0.9, "γ from the config root");
    assert.equal(td3ConfigFromSection(td3ConfigSection.parse({ gamma: 0.8 }), 0.9).gamma, 0.8);
    assert.equal(
      td3ConfigSection.parse({ preset: "quick", steps: 7 }).batchSize,
      64,
      "presets apply in sections",
    );
    const paper = td3Config();
    assert.deepEqual(
      [
        paper.lrActor,
        paper.lrCritic,
        paper.tau,
        paper.policyNoise,
        paper.noiseClip,
        paper.policyFreq,
        paper.batchSize,
      ],
      [1e-3, 1e-3, 0.005, 0.2, 0.5, 2, 100],
    );
    assert.deepEqual(paper.actorHidden, [400, 300]);
  });

  it("a policy snapshot acts in [-1, 1] and does not change when training goes on", () => {
    const t = trainer(smallConfig());
    t.update();
    const policy = t.policy();
    const states = Float32Array.of(0.3, 0, -0.5, 0.5);
    const before = new Float32Array(4);
    policy.act(states, 2, before, new Rng(1));
    assert.ok(before.every((a) => a >= -1 && a <= 1));
    for (let i = 0; i < 4; i++) t.update();
    const later = new Float32Array(4);
    policy.act(states, 2, later, new Rng(2));
    assert.deepEqual(later, before);
  });
});
