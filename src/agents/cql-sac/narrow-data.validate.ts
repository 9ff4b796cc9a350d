/**
 * `npm run validate`: CQL+SAC on the narrow-data fixture at a larger scale than CI, with the
 * quick preset (the reference learning rates) for 2,000 steps:
 *
 *   2-D actions, five seeds: the estimate E_{s0} E_{a~π}Q_1(s0, a) of the policy's value is at or
 *     below its true value E_{s0} V^π(s0) (Kumar et al., 2020, Theorem 3.2);
 *   12-D actions (the problem's), three seeds: the same, and below TD3's estimate of its own
 *     policy Q_1(s0, π_TD3(s0)) at every initial state (TD3 trained as in its own test).
 *
 * True values are exact over termination and Monte-Carlo over the policy's action draws (200
 * repeats of the context grid). The table of all runs (estimates, true values, states where the
 * estimate is above, the served deterministic policy's exact value) is printed as diagnostics.
 * Several minutes on the native backend.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed, Rng } from "../../core/rng.js";
import {
  ArrayBatchSource,
  bestInSupportPolicy,
  evaluatePolicy,
  evaluationContexts,
  fitStateNormaliser,
  generateNarrowData,
  type NarrowDataMdp,
  narrowDataMdp,
  type OfflineData,
} from "../fixtures/narrow-data.js";
import { td3Config } from "../td3/config.js";
import { Td3Trainer } from "../td3/trainer.js";
import { cqlSacConfig } from "./config.js";
import { CqlSacTrainer } from "./trainer.js";

const STEPS = 2000;
const contexts = evaluationContexts();
const states = new Float32Array(contexts.length * 2);
contexts.forEach((c, i) => {
  states[2 * i] = c; // τ = 0
});

function mean(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  return sum / x.length;
}

function runCql(mdp: NarrowDataMdp, data: OfflineData, seed: number) {
  const config = cqlSacConfig({ preset: "quick", gamma: mdp.gamma, steps: STEPS });
  const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
  const trainer = new CqlSacTrainer({ config, source, normaliser: fitStateNormaliser(data), seed });
  for (let i = 0; i < STEPS; i++) trainer.update();
  const estimates = new Float64Array(contexts.length);
  trainer.estimatePolicyValue(states, contexts.length, 64, new Rng(seed + 3), estimates);
  const policy = trainer.policy();
  const value = evaluatePolicy(mdp, policy.stochasticPolicy(), {
    rng: new Rng(seed + 5),
    repeats: 200,
  }).value;
  return { estimates, value, served: evaluatePolicy(mdp, policy).value, alpha: trainer.alpha };
}

describe("CQL+SAC on the narrow-data fixture (validation scale)", () => {
  it("2-D actions: the estimate of the policy's value stays at or below its true value, five seeds", (t) => {
    const mdp = narrowDataMdp();
    const best = evaluatePolicy(mdp, bestInSupportPolicy(mdp)).value;
    const failures: string[] = [];
    for (const seed of [0, 1, 2, 3, 4]) {
      const run = runCql(mdp, generateNarrowData(mdp, { sessions: 1500, seed: 100 + seed }), seed);
      t.diagnostic(
        `seed ${seed}: E_π Q ${mean(run.estimates).toFixed(3)} vs V^π ${run.value.toFixed(3)}; served tanh(μ) ${run.served.toFixed(3)} (${((100 * run.served) / best).toFixed(1)}% of the best), α ${run.alpha.toFixed(3)}`,
      );
      if (!(mean(run.estimates) <= run.value))
        failures.push(`seed ${seed}: ${mean(run.estimates)} > ${run.value}`);
    }
    assert.deepEqual(failures, []);
  });

  it("12-D actions: at or below its true value and below TD3's estimate at every initial state, three seeds", (t) => {
    const mdp = narrowDataMdp({ actionDim: 12 });
    const failures: string[] = [];
    for (const seed of [0, 1, 2]) {
      const data = generateNarrowData(mdp, { sessions: 1500, seed: 100 + seed });
      const run = runCql(mdp, data, seed);
      const td3Cfg = td3Config({ preset: "quick", gamma: mdp.gamma, steps: 1000 });
      const td3 = new Td3Trainer({
        config: td3Cfg,
        source: new ArrayBatchSource(data, td3Cfg.batchSize, new Rng(deriveSeed(seed, "source"))),
        normaliser: fitStateNormaliser(data),
        seed,
      });
      for (let i = 0; i < 1000; i++) td3.update();
      const actions = new Float32Array(contexts.length * 12);
      td3.policy().act(states, contexts.length, actions, new Rng(0));
      const td3Q = new Float32Array(contexts.length);
      td3.qValues(states, actions, contexts.length, td3Q, new Float32Array(contexts.length));
      const belowTd3 = run.estimates.filter((e, i) => e < td3Q[i]).length;
      t.diagnostic(
        `seed ${seed}: E_π Q ${mean(run.estimates).toFixed(3)} vs V^π ${run.value.toFixed(3)}; served tanh(μ) ${run.served.toFixed(3)}; TD3 Q1(s, π(s)) ${mean(td3Q).toFixed(3)}; below TD3 at ${belowTd3}/${contexts.length} states`,
      );
      if (!(mean(run.estimates) <= run.value))
        failures.push(`seed ${seed}: ${mean(run.estimates)} > ${run.value}`);
      if (belowTd3 < contexts.length) failures.push(`seed ${seed}: not below TD3 at every state`);
    }
    assert.deepEqual(failures, []);
  });
});
