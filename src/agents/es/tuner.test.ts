import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DEFAULT_ALPHA_BOUNDS } from "../../core/action.js";
import { ACTION_DIM, type Policy } from "../../core/interfaces.js";
import { jsonlSink, MetricsLogger, readJsonlMetrics } from "../../core/metrics-logger.js";
import { Rng } from "../../core/rng.js";
import { FakeEnvironment } from "../bo/fake-environment.js";
import { behaviourAction } from "../bo/tuner.js";
import { runOnlineLoop } from "../common/online-loop.js";
import { loadEsPolicy, saveEsPolicy } from "./artefact.js";
import { esConfig } from "./config.js";
import { EsTuner, esBudget } from "./tuner.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-es-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const STATE_DIM = 4;
/** A personalised optimum: the best action depends on the state, a*(s)_d = ±0.6·tanh(s_{d mod 4}). */
function best(state: Float32Array, d: number): number {
  return 0.6 * Math.tanh(state[d % STATE_DIM]) * (d % 2 === 0 ? 1 : -1);
}
function appTime(state: Float32Array, action: Float32Array): number {
  let s = 0;
  for (let d = 0; d < ACTION_DIM; d++) s += (action[d] - best(state, d)) ** 2;
  return 900 * Math.exp(-s / 4);
}

/** Expected app time of a policy over 2000 fixed random states (no noise). */
const evalRng = new Rng(99);
const evalStates = Float32Array.from({ length: 2000 * STATE_DIM }, () => evalRng.normal());
function value(policy: Policy): number {
  const out = new Float32Array(2000 * ACTION_DIM);
  policy.act(evalStates, 2000, out, evalRng);
  let total = 0;
  for (let u = 0; u < 2000; u++) {
    total += appTime(
      evalStates.subarray(u * STATE_DIM, (u + 1) * STATE_DIM),
      out.subarray(u * ACTION_DIM, (u + 1) * ACTION_DIM),
    );
  }
  return total / 2000;
}

/** σ and lr above Salimans et al.'s defaults, so 30 generations of 10-user groups move visibly. */
const config = esConfig({ usersPerCandidate: 10, pairs: 8, sigma: 0.05, lr: 0.03, hidden: [8] });

function args(budgetUserDays: number) {
  const environment = new FakeEnvironment({ stateDim: STATE_DIM, appTimeS: appTime, noiseStdS: 30 });
  return { config, environment, stateDim: STATE_DIM, budgetUserDays, seed: 2 };
}

test("esBudget: whole generations of 2n candidates x k users x days; too small a budget is refused", () => {
  assert.deepEqual(esBudget(config, 1000), {
    budgetUserDays: 1000,
    usersPerCandidate: 10,
    daysPerEvaluation: 1,
    populationSize: 16,
    generations: 6,
  });
  assert.throws(() => esBudget(config, 159), { code: "INVALID_ARGUMENT" });
});

test("the initial ES policy is the behaviour policy in every state", () => {
  const es = new EsTuner(args(160));
  const out = new Float32Array(3 * ACTION_DIM);
  es.policy().act(evalStates.subarray(0, 3 * STATE_DIM), 3, out, evalRng);
  const start = behaviourAction(DEFAULT_ALPHA_BOUNDS);
  for (let d = 0; d < 3 * ACTION_DIM; d++) assert.ok(Math.abs(out[d] - start[d % ACTION_DIM]) < 1e-5);
});

test("EsTuner improves over its initial policy on a personalised objective within 4800 user-days (30 generations)", async () => {
  const { environment, ...rest } = args(4800);
  const es = new EsTuner({ ...rest, environment });
  const initial = value(es.policy());
  const metricsPath = join(dir, "metrics.jsonl");
  const logger = new MetricsLogger([jsonlSink(metricsPath)]);
  await runOnlineLoop(es, { logger, checkpointPath: null, checkpointEvery: 1 });
  logger.close();
  assert.equal(es.round, 30);
  assert.equal(es.userDaysUsed, 4800);
  assert.equal(environment.userDays, 4800);
  const tuned = value(es.policy());
  assert.ok(tuned > 1.2 * initial, `tuned ${tuned.toFixed(1)} s vs initial ${initial.toFixed(1)} s`);
  const records = readJsonlMetrics(metricsPath);
  assert.equal(records.length, 30);
  assert.ok(records[29].metrics["normaliser/states"] === 160);
  assert.ok(Number.isFinite(records[29].metrics["es/grad_norm"]));
});

test("EsTuner.resume continues bit-identically; the es-policy artefact round-trips", async () => {
  const full = new EsTuner(args(960));
  await runOnlineLoop(full, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });

  const path = join(dir, "es.ckpt");
  const first = new EsTuner(args(480));
  await runOnlineLoop(first, { logger: new MetricsLogger(), checkpointPath: path, checkpointEvery: 1 });
  const resumed = await EsTuner.resume(path, args(960));
  assert.equal(resumed.round, 3);
  await runOnlineLoop(resumed, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });
  assert.deepEqual(Array.from(resumed.network.params), Array.from(full.network.params));
  assert.deepEqual(resumed.policy().normaliser, full.policy().normaliser);
  await assert.rejects(EsTuner.resume(path, { ...args(960), config: { ...config, sigma: 0.1 } }), {
    code: "INVALID_CONFIG",
  });

  const artefact = join(dir, "es-policy.ckpt");
  await saveEsPolicy(artefact, full.policy(), {
    objective: config.objective,
    generations: full.round,
    userDaysUsed: full.userDaysUsed,
    configHash: "abc",
  });
  const loaded = await loadEsPolicy(artefact);
  assert.equal(loaded.artefact.generations, 6);
  const a = new Float32Array(5 * ACTION_DIM);
  const b = new Float32Array(5 * ACTION_DIM);
  full.policy().act(evalStates.subarray(0, 5 * STATE_DIM), 5, a, evalRng);
  loaded.policy.act(evalStates.subarray(0, 5 * STATE_DIM), 5, b, evalRng);
  assert.deepEqual(Array.from(b), Array.from(a));
  await assert.rejects(loadEsPolicy(path), { code: "CHECKPOINT_WRONG_KIND" });
});
