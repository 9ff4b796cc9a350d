/**
 * CQL+SAC against TD3 on the shared narrow-data fixture with the problem's 12-dimensional
 * actions (the setting of TD3's extrapolation test, src/agents/td3/learning.test.ts): trained
 * offline on the same data, TD3's estimate of its own policy's value Q_1(s, π_TD3(s)) exceeds
 * the largest achievable return (extrapolation error, BatchRL-MTF Fig. 5-6), while CQL+SAC's
 * estimate E_{a~π}Q_1(s, a) stays below TD3's at every initial state, and at or below the true
 * value of its policy on average (Kumar et al., 2020).
 *
 * CI size: the quick presets, TD3 1,000 steps (as its own test), CQL+SAC 600 steps.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed, Rng } from "../../core/rng.js";
import {
  ArrayBatchSource,
  evaluatePolicy,
  evaluationContexts,
  fitStateNormaliser,
  generateNarrowData,
  narrowDataMdp,
  returnBounds,
} from "../fixtures/narrow-data.js";
import { td3Config } from "../td3/config.js";
import { Td3Trainer } from "../td3/trainer.js";
import { cqlSacConfig } from "./config.js";
import { CqlSacTrainer } from "./trainer.js";

function mean(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  return sum / x.length;
}

describe("CQL+SAC vs TD3 on the narrow-data fixture (12-D actions)", () => {
  it("estimates its policy's value below TD3's estimate of its own, at every initial state", (t) => {
    const mdp = narrowDataMdp({ actionDim: 12 });
    const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
    const normaliser = fitStateNormaliser(data);
    const contexts = evaluationContexts();
    const n = contexts.length;
    const states = new Float32Array(n * 2);
    contexts.forEach((c, i) => {
      states[2 * i] = c; // τ = 0: the start of a session
    });

    const td3Steps = 1000;
    const td3Cfg = td3Config({ preset: "quick", gamma: mdp.gamma, steps: td3Steps });
    const td3 = new Td3Trainer({
      config: td3Cfg,
      source: new ArrayBatchSource(data, td3Cfg.batchSize, new Rng(deriveSeed(0, "source"))),
      normaliser,
      seed: 0,
    });
    for (let i = 0; i < td3Steps; i++) td3.update();
    const td3Policy = td3.policy();
    const td3Actions = new Float32Array(n * mdp.actionDim);
    td3Policy.act(states, n, td3Actions, new Rng(0));
    const td3Q = new Float32Array(n);
    td3.qValues(states, td3Actions, n, td3Q, new Float32Array(n));

    const cqlSteps = 600;
    const cqlCfg = cqlSacConfig({ preset: "quick", gamma: mdp.gamma, steps: cqlSteps });
    const cql = new CqlSacTrainer({
      config: cqlCfg,
      source: new ArrayBatchSource(data, cqlCfg.batchSize, new Rng(deriveSeed(0, "source"))),
      normaliser,
      seed: 0,
    });
    for (let i = 0; i < cqlSteps; i++) cql.update();
    const cqlQ = new Float64Array(n);
    cql.estimatePolicyValue(states, n, 64, new Rng(3), cqlQ);
    const cqlTrue = evaluatePolicy(mdp, cql.policy().stochasticPolicy(), {
      rng: new Rng(5),
      repeats: 50,
    }).value;

    const { max } = returnBounds(mdp, 0);
    t.diagnostic(
      `TD3 Q1(s, π(s)) ${mean(td3Q).toFixed(3)} [${Math.min(...td3Q).toFixed(3)}, ${Math.max(...td3Q).toFixed(3)}] (true ${evaluatePolicy(mdp, td3Policy).value.toFixed(3)}); CQL+SAC E_π Q1 ${mean(cqlQ).toFixed(3)} [${Math.min(...cqlQ).toFixed(3)}, ${Math.max(...cqlQ).toFixed(3)}] (true ${cqlTrue.toFixed(3)}); largest achievable return ${max.toFixed(3)}`,
    );
    assert.ok(mean(td3Q) > max, "TD3 overestimates beyond any achievable return (its own test's claim)");
    contexts.forEach((c, i) => {
      assert.ok(cqlQ[i] < td3Q[i], `context ${c}: CQL+SAC ${cqlQ[i]} not below TD3 ${td3Q[i]}`);
    });
    assert.ok(Math.max(...cqlQ) <= max, "CQL+SAC stays within the achievable returns");
    assert.ok(mean(cqlQ) <= cqlTrue, `CQL+SAC estimate ${mean(cqlQ)} above its true value ${cqlTrue}`);
  });
});
