import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { jsonlSink, MetricsLogger } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { runTrainingLoop } from "../common/training-loop.js";
import {
  ArrayBatchSource,
  fitStateNormaliser,
  generateNarrowData,
  narrowDataMdp,
} from "../fixtures/narrow-data.js";
import { assertBitIdentical, trainerState } from "../td3/test-helpers.js";
import { Td3Trainer } from "../td3/trainer.js";
import { type UwacTd3Config, uwacTd3Config } from "./config.js";
import { UwacTd3Trainer } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-uwac-trainer-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mdp = narrowDataMdp();
const data = generateNarrowData(mdp, { sessions: 200, seed: 3 });
const normaliser = fitStateNormaliser(data);

function smallConfig(overrides: Record<string, unknown> = {}): UwacTd3Config {
  return uwacTd3Config({
    preset: "quick",
    actorHidden: [16, 12],
    criticHidden: [16, 12],
    batchSize: 16,
    mcSamples: 4,
    gamma: mdp.gamma,
    ...overrides,
  });
}

function source(config: UwacTd3Config, seed = 0): ArrayBatchSource {
  return new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
}

function trainer(config: UwacTd3Config, seed = 0): UwacTd3Trainer {
  return new UwacTd3Trainer({ config, source: source(config, seed), normaliser, seed });
}

describe("UwacTd3Trainer", () => {
  it("has the reference code's defaults on top of TD3's", () => {
    const config = uwacTd3Config();
    assert.deepEqual(
      [config.dropout, config.mcSamples, config.beta, config.clipBottom, config.clipTop, config.weightActor],
      [0.1, 100, 0.5, 0, 1, true],
    );
    assert.equal(config.policyFreq, 2);
    assert.equal(uwacTd3Config({ preset: "quick" }).mcSamples, 10);
    assert.throws(
      () => uwacTd3Config({ dropout: 0 }),
      (e) => isMtfError(e, "INVALID_CONFIG"),
    );
  });

  it("reports the weights and variances, in [clipBottom, clipTop]", () => {
    const t = trainer(smallConfig({ beta: 0.01 }));
    t.update();
    const m = t.update();
    for (const key of [
      "uwac/weight_mean",
      "uwac/weight_min",
      "uwac/target_var_mean",
      "uwac/actor_weight_mean",
    ]) {
      assert.ok(Number.isFinite(m[key]), `${key} = ${m[key]}`);
    }
    assert.ok(m["uwac/weight_min"] >= 0 && m["uwac/weight_mean"] <= 1);
    assert.ok(m["uwac/target_var_mean"] > 0, "dropout critics disagree across passes");
  });

  it("draws its dropout masks from its own RNG: reproducible from the seed, different across seeds", () => {
    const config = smallConfig();
    const a = trainer(config, 1);
    const b = trainer(config, 1);
    const c = trainer(config, 2);
    for (let i = 0; i < 4; i++) for (const t of [a, b, c]) t.update();
    assertBitIdentical(trainerState(a), trainerState(b));
    assert.notDeepEqual(
      Float32Array.from(c.networks.actor.params),
      Float32Array.from(a.networks.actor.params),
    );
  });

  it("killed between checkpoints and resumed, ends bit-identical to an uninterrupted run", async () => {
    const config = smallConfig({ steps: 13, checkpointEvery: 5, logEvery: 5 });
    const whole = trainer(config, 4);
    const log = () => new MetricsLogger([jsonlSink(join(dir, `log-${Math.random()}.jsonl`))]);
    const wholeLog = log();
    await runTrainingLoop(whole, {
      totalSteps: 13,
      logEvery: 5,
      checkpointEvery: 5,
      checkpointPath: join(dir, "whole.ckpt"),
      logger: wholeLog,
    });
    wholeLog.close();
    const path = join(dir, "killed.ckpt");
    const killed = trainer(config, 4);
    for (let i = 1; i <= 8; i++) {
      killed.update();
      if (i % 5 === 0) await killed.saveCheckpoint(path);
    }
    const resumed = await UwacTd3Trainer.fromCheckpoint(path, { source: source(config, 4) });
    assert.ok(resumed instanceof UwacTd3Trainer);
    assert.equal(resumed.step, 5);
    const resumedLog = log();
    await runTrainingLoop(resumed, {
      totalSteps: 13,
      logEvery: 5,
      checkpointEvery: 5,
      checkpointPath: path,
      logger: resumedLog,
    });
    resumedLog.close();
    assertBitIdentical(trainerState(resumed), trainerState(whole));
  });

  it("refuses a TD3 checkpoint and a changed UWAC parameter", async () => {
    const config = smallConfig();
    const t = trainer(config, 5);
    t.update();
    const path = join(dir, "uwac.ckpt");
    await t.saveCheckpoint(path);
    await assert.rejects(
      UwacTd3Trainer.fromCheckpoint(path, { source: source(config), config: smallConfig({ beta: 2 }) }),
      (e) => isMtfError(e, "INVALID_CONFIG") && /beta/.test(e.message),
    );
    await assert.rejects(Td3Trainer.fromCheckpoint(path, { source: source(config) }), (e) =>
      isMtfError(e, "CHECKPOINT_WRONG_KIND"),
    );
  });
});
