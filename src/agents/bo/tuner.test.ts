import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DEFAULT_ALPHA_BOUNDS } from "../../core/action.js";
import { ACTION_DIM } from "../../core/interfaces.js";
import { jsonlSink, MetricsLogger, readJsonlMetrics } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { groupMetrics, objectiveValue } from "../common/objective.js";
import { runOnlineLoop } from "../common/online-loop.js";
import { loadBoPolicy, saveBoPolicy } from "./artefact.js";
import { boConfig } from "./config.js";
import { FakeEnvironment } from "./fake-environment.js";
import { BoTuner, behaviourAction, boBudget } from "./tuner.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-bo-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STATE_DIM = 4;
/** Daily app time peaks at 900 s at the action c = (0.3, −0.3, 0.3, …). */
const optimum = Float32Array.from({ length: ACTION_DIM }, (_, d) => (d % 2 === 0 ? 0.3 : -0.3));
function appTime(_state: Float32Array, action: Float32Array): number {
  let s = 0;
  for (let d = 0; d < ACTION_DIM; d++) s += (action[d] - optimum[d]) ** 2;
  return 900 * Math.exp(-s / 4);
}

const config = boConfig({
  usersPerCandidate: 10,
  batchSize: 8,
  initialPoints: 8,
  acquisitionCandidates: 256,
  acquisitionLocalCandidates: 64,
  acquisitionRefineStarts: 2,
});

function tuner(
  budgetUserDays: number,
  environment = new FakeEnvironment({ stateDim: STATE_DIM, appTimeS: appTime, noiseStdS: 30 }),
) {
  return { environment, args: { config, environment, stateDim: STATE_DIM, budgetUserDays, seed: 4 } };
}

test("boBudget: E = ⌊budget / (k·days)⌋ in ⌈E/q⌉ rounds; k rises when E would exceed maxEvaluations", () => {
  assert.deepEqual(boBudget(config, 250), {
    budgetUserDays: 250,
    usersPerCandidate: 10,
    daysPerEvaluation: 1,
    evaluations: 25,
    rounds: 4,
  });
  const capped = boBudget({ ...config, maxEvaluations: 20 }, 1000);
  assert.equal(capped.usersPerCandidate, 50);
  assert.equal(capped.evaluations, 20);
  assert.throws(() => boBudget(config, 9), { code: "INVALID_ARGUMENT" });
});

test("BoTuner spends exactly its budget, logs every round and beats the behaviour action", async () => {
  const { environment, args } = tuner(240);
  const bo = new BoTuner(args);
  const metricsPath = join(dir, "metrics.jsonl");
  const logger = new MetricsLogger([jsonlSink(metricsPath)]);
  const result = await runOnlineLoop(bo, {
    logger,
    checkpointPath: join(dir, "bo.ckpt"),
    checkpointEvery: 1,
  });
  logger.close();
  assert.equal(result.rounds, 3);
  assert.equal(bo.evaluations, 24);
  assert.equal(bo.userDaysUsed, 240);
  assert.equal(environment.userDays, 240);
  const records = readJsonlMetrics(metricsPath);
  assert.deepEqual(
    records.map((r) => r.step),
    [1, 2, 3],
  );
  assert.equal(records[2].metrics["budget/user_days_used"], 240);
  assert.ok(Number.isFinite(records[2].metrics["gp/log_likelihood"]));
  const best = bo.recommendation();
  const behaviour = behaviourAction(DEFAULT_ALPHA_BOUNDS);
  assert.ok(
    appTime(new Float32Array(0), Float32Array.from(best.x)) >
      appTime(new Float32Array(0), Float32Array.from(behaviour)),
  );
});

test("BoTuner.resume continues the run exactly as an uninterrupted one", async () => {
  const full = new BoTuner(tuner(240).args);
  await runOnlineLoop(full, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });

  const path = join(dir, "partial.ckpt");
  const first = new BoTuner(tuner(80).args);
  await runOnlineLoop(first, { logger: new MetricsLogger(), checkpointPath: path, checkpointEvery: 1 });
  assert.equal(first.round, 1);
  const resumed = await BoTuner.resume(path, tuner(240).args);
  assert.equal(resumed.round, 1);
  await runOnlineLoop(resumed, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });
  assert.deepEqual(Array.from(resumed.recommendation().x), Array.from(full.recommendation().x));
  assert.equal(resumed.recommendation().mean, full.recommendation().mean);

  await assert.rejects(BoTuner.resume(path, { ...tuner(240).args, seed: 5 }), { code: "INVALID_CONFIG" });
});

test("the bo-policy artefact round-trips into a FixedAlphaPolicy playing the tuned action", async () => {
  const bo = new BoTuner(tuner(80).args);
  await runOnlineLoop(bo, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });
  const path = join(dir, "bo-policy.ckpt");
  await saveBoPolicy(path, bo.policyContent(), { configHash: "abc", runId: "sim__bo__4__x" });
  const loaded = await loadBoPolicy(path);
  assert.deepEqual(Array.from(loaded.action), Array.from(bo.recommendation().x));
  assert.equal(loaded.artefact.evaluations, 8);
  assert.equal(loaded.policy.stateDim, STATE_DIM);
  const out = new Float32Array(2 * ACTION_DIM);
  loaded.policy.act(new Float32Array(2 * STATE_DIM), 2, out, new Rng(0));
  const expected = Float32Array.from(bo.recommendation().x);
  for (let d = 0; d < ACTION_DIM; d++) {
    assert.ok(Math.abs(out[d] - expected[d]) < 1e-6);
    assert.equal(out[ACTION_DIM + d], out[d]);
  }
  await assert.rejects(loadBoPolicy(join(dir, "bo.ckpt")), { code: "CHECKPOINT_WRONG_KIND" });
});

test("objectives: ADTime per user-day, pooled UPIRate, and the log mix", () => {
  const outcome = {
    policyId: "p",
    days: 2,
    users: [
      { userId: "a", appTimeS: 400, plays: 30, positivePlays: 3, sessions: 2, activeDays: 2 },
      { userId: "b", appTimeS: 0, plays: 10, positivePlays: 3, sessions: 0, activeDays: 0 },
    ],
  };
  const metrics = groupMetrics(outcome, 2, 2);
  assert.equal(metrics.adTimeS, 100);
  assert.equal(metrics.upiRate, 6 / 40);
  assert.equal(objectiveValue(metrics, { kind: "adtime", adTimeWeight: 1, upiRateWeight: 1 }), 100);
  assert.equal(objectiveValue(metrics, { kind: "upirate", adTimeWeight: 1, upiRateWeight: 1 }), 0.15);
  assert.equal(
    objectiveValue(metrics, { kind: "mix", adTimeWeight: 1, upiRateWeight: 2 }),
    Math.log(100) + 2 * Math.log(0.15),
  );
  assert.throws(() => groupMetrics(outcome, 3, 2), { code: "RESULT_INVALID" });
});
