/**
 * `npm run validate`: TD3 and UWAC+TD3 at a larger scale than CI (a few minutes):
 *   - TD3 on full-coverage data (the fixture's MDP, w = 0.5, uniform behaviour), five seeds:
 *     within 5% of the optimum;
 *   - TD3 on the 12-D narrow-data fixture, three seeds, 1,000 and 3,000 steps: at every state,
 *     Q1(s, π(s)) above the largest return achievable from it, π(s) out of support;
 *   - TD3 on the default 2-D narrow-data fixture, three seeds: there the support box covers 16%
 *     of the action space around a sharp peak, and TD3 stays in support within 5% of the best
 *     (observed; printed so the contrast with 12-D is on record);
 *   - UWAC+TD3 on the 2-D and 12-D fixtures, 1,000 and 2,000 steps: OOS weights below
 *     in-support weights; its value, support share and Q range printed (Fig. 5-6: on 12-D it
 *     still extrapolates).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed, Rng } from "../../core/rng.js";
import {
  ArrayBatchSource,
  bestInSupportPolicy,
  evaluatePolicy,
  fitStateNormaliser,
  generateNarrowData,
  inSupport,
  type NarrowDataMdp,
  narrowDataMdp,
  type OfflineData,
  returnBounds,
} from "../fixtures/narrow-data.js";
import { uwacTd3Config } from "../uwac-td3/config.js";
import { UwacTd3Trainer } from "../uwac-td3/trainer.js";
import { td3Config } from "./config.js";
import { overestimation, uniformActionData } from "./test-helpers.js";
import { Td3Trainer } from "./trainer.js";

function td3(data: OfflineData, mdp: NarrowDataMdp, steps: number, seed: number): Td3Trainer {
  const config = td3Config({ preset: "quick", gamma: mdp.gamma, steps });
  const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
  const trainer = new Td3Trainer({ config, source, normaliser: fitStateNormaliser(data), seed });
  for (let i = 0; i < steps; i++) trainer.update();
  return trainer;
}

describe("TD3 (validation scale)", () => {
  const full = narrowDataMdp({ rewardWidth: 0.5 });
  const fullData = uniformActionData(full, 1500, 7);
  const fullBest = evaluatePolicy(full, bestInSupportPolicy(full)).value;
  for (const seed of [0, 1, 2, 3, 4]) {
    it(`full coverage, seed ${seed}: within 5% of the optimum`, (t) => {
      const value = evaluatePolicy(full, td3(fullData, full, 2000, seed).policy()).value;
      t.diagnostic(
        `TD3 ${value.toFixed(4)} = ${((100 * value) / fullBest).toFixed(2)}% of ${fullBest.toFixed(4)}`,
      );
      assert.ok(value >= 0.95 * fullBest);
    });
  }

  const wide = narrowDataMdp({ actionDim: 12 });
  const wideData = generateNarrowData(wide, { sessions: 1500, seed: 11 });
  const wideMax = returnBounds(wide, 0).max;
  for (const seed of [0, 1, 2]) {
    for (const steps of [1000, 3000]) {
      it(`narrow 12-D, seed ${seed}, ${steps} steps: Q at its out-of-support actions above every achievable return`, (t) => {
        const trainer = td3(wideData, wide, steps, seed);
        const evaluation = evaluatePolicy(wide, trainer.policy());
        const q = overestimation(wide, trainer);
        t.diagnostic(
          `Q1(s, π(s)) [${q.min.toFixed(3)}, ${q.max.toFixed(3)}], at least ${q.minMargin.toFixed(3)} above each state's largest return (${wideMax.toFixed(3)} at the start); in support ${evaluation.inSupport}; true value ${evaluation.value.toFixed(3)}`,
        );
        assert.equal(evaluation.inSupport, 0);
        assert.ok(q.minMargin > 0);
      });
    }
  }

  const narrow = narrowDataMdp();
  const narrowData = generateNarrowData(narrow, { sessions: 1500, seed: 11 });
  const narrowBest = evaluatePolicy(narrow, bestInSupportPolicy(narrow)).value;
  for (const seed of [0, 1, 2]) {
    it(`narrow 2-D, seed ${seed}: TD3 stays in support, within 5% of the best (observed)`, (t) => {
      const trainer = td3(narrowData, narrow, 2000, seed);
      const evaluation = evaluatePolicy(narrow, trainer.policy());
      const q = overestimation(narrow, trainer);
      t.diagnostic(
        `TD3 ${((100 * evaluation.value) / narrowBest).toFixed(2)}% of the best, in support ${evaluation.inSupport}; Q1(s, π(s)) [${q.min.toFixed(3)}, ${q.max.toFixed(3)}], largest return ${returnBounds(narrow, 0).max.toFixed(3)}`,
      );
      assert.ok(evaluation.value >= 0.95 * narrowBest);
    });
  }
});

describe("UWAC+TD3 (validation scale)", () => {
  for (const actionDim of [2, 12]) {
    const mdp = narrowDataMdp({ actionDim });
    const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
    const best = evaluatePolicy(mdp, bestInSupportPolicy(mdp)).value;
    for (const [seed, steps] of [
      [0, 1000],
      [1, 1000],
      [2, 1000],
      [0, 2000],
      [1, 2000],
    ] as const) {
      it(`narrow ${actionDim}-D, seed ${seed}, ${steps} steps: out-of-support weights below in-support ones`, (t) => {
        const config = uwacTd3Config({ preset: "quick", gamma: mdp.gamma, steps });
        const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
        const trainer = new UwacTd3Trainer({ config, source, normaliser: fitStateNormaliser(data), seed });
        for (let i = 0; i < config.steps; i++) trainer.update();
        const A = actionDim;
        const rows = 400;
        const rng = new Rng(21);
        const states = new Float32Array(rows * 2);
        const logged = new Float32Array(rows * A);
        const outside = new Float32Array(rows * A);
        for (let r = 0; r < rows; r++) {
          const i = rng.int(data.size);
          states.set(data.states.subarray(2 * i, 2 * i + 2), 2 * r);
          logged.set(data.actions.subarray(A * i, A * i + A), A * r);
          do {
            for (let j = 0; j < A; j++) outside[A * r + j] = rng.uniformIn(-1, 1);
          } while (inSupport(mdp, states[2 * r], outside, A * r));
        }
        const wIn = new Float32Array(rows);
        const wOut = new Float32Array(rows);
        trainer.weightsAt(states, logged, rows, new Rng(22), wIn);
        trainer.weightsAt(states, outside, rows, new Rng(23), wOut);
        const mean = (x: Float32Array) => x.reduce((a, b) => a + b, 0) / x.length;
        const evaluation = evaluatePolicy(mdp, trainer.policy());
        const q = overestimation(mdp, trainer);
        t.diagnostic(
          `${steps} steps: weights in ${mean(wIn).toFixed(3)}, out ${mean(wOut).toFixed(3)}; policy in support ${evaluation.inSupport.toFixed(2)}, value ${evaluation.value.toFixed(3)} (best ${best.toFixed(3)}); Q1(s, π(s)) [${q.min.toFixed(3)}, ${q.max.toFixed(3)}], smallest margin over each state's largest return ${q.minMargin.toFixed(3)}`,
        );
        assert.ok(mean(wOut) < mean(wIn));
      });
    }
  }
});
