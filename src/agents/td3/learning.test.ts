/**
 * What TD3 learns offline (issue 7): (a) on data covering the whole action space of a small MDP
 * it reaches the optimum within 5%; (b) on the shared narrow-data fixture with the problem's
 * 12-dimensional actions, its Q estimates at the out-of-support actions its actor picks exceed
 * the largest return achievable from each state: the extrapolation error of BatchRL-MTF's Fig. 5-6.
 * Values are exact (the fixture integrates termination out).
 *
 * CI size: the quick preset, one seed, 2,000 and 1,000 steps; td3.validate.ts runs more seeds.
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
  narrowDataMdp,
  returnBounds,
} from "../fixtures/narrow-data.js";
import { td3Config } from "./config.js";
import { overestimation, uniformActionData } from "./test-helpers.js";
import { Td3Trainer } from "./trainer.js";

function train(
  data: ReturnType<typeof uniformActionData>,
  gamma: number,
  steps: number,
  seed: number,
): Td3Trainer {
  const config = td3Config({ preset: "quick", gamma, steps });
  const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(seed, "source")));
  const trainer = new Td3Trainer({ config, source, normaliser: fitStateNormaliser(data), seed });
  for (let i = 0; i < steps; i++) trainer.update();
  return trainer;
}

describe("TD3 offline", () => {
  it("on data covering the whole action space, reaches within 5% of the optimum", (t) => {
    // The fixture's MDP with a wider reward peak (w = 0.5), logged by a uniform behaviour.
    const mdp = narrowDataMdp({ rewardWidth: 0.5 });
    const data = uniformActionData(mdp, 1500, 7);
    const trainer = train(data, mdp.gamma, 2000, 0);
    const best = evaluatePolicy(mdp, bestInSupportPolicy(mdp)).value;
    const td3 = evaluatePolicy(mdp, trainer.policy()).value;
    t.diagnostic(`optimum ${best.toFixed(4)}, TD3 ${td3.toFixed(4)} (${((100 * td3) / best).toFixed(2)}%)`);
    assert.ok(td3 >= 0.95 * best, `TD3 ${td3} should be within 5% of the optimum ${best}`);
  });

  it("on the narrow-data fixture (12-D actions), its Q estimates at out-of-support actions exceed the largest achievable return", (t) => {
    const mdp = narrowDataMdp({ actionDim: 12 });
    const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
    const trainer = train(data, mdp.gamma, 1000, 0);
    const evaluation = evaluatePolicy(mdp, trainer.policy());
    const q = overestimation(mdp, trainer);
    t.diagnostic(
      `π(s) in support: ${(100 * evaluation.inSupport).toFixed(1)}%; true value ${evaluation.value.toFixed(3)}; Q1(s, π(s)) over all states [${q.min.toFixed(3)}, ${q.max.toFixed(3)}], at least ${q.minMargin.toFixed(3)} above the largest return achievable from each state (${returnBounds(mdp, 0).max.toFixed(3)} at the start)`,
    );
    assert.equal(evaluation.inSupport, 0, "the actor leaves the data support at every state");
    assert.ok(
      q.minMargin > 0,
      `at every state (c, t), Q1(s, π(s)) should exceed the largest return achievable from it; smallest margin ${q.minMargin}`,
    );
    assert.ok(evaluation.value < 0, "while the true value of those actions is negative");
  });
});
