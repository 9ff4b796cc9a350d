/**
 * Proof that BCQ learns (issue: "narrow-data" fixture): trained offline on data whose actions
 * cover only a box around the behaviour's mean, BCQ's greedy policy (Eq. 4) must reach within
 * 5% of the best in-support value, where behaviour cloning stays at least 20% below it, and its
 * Q estimates must stay within the range of returns the MDP can produce. Values are exact (the
 * fixture integrates termination out), not Monte-Carlo estimates.
 *
 * CI size: the quick preset, 1,000 steps (seconds on the native backend). More seeds, more
 * steps and the paper's learning rates run in narrow-data.validate.ts.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { deriveSeed, Rng } from "../../core/rng.js";
import {
  ArrayBatchSource,
  behaviourCloningPolicy,
  bestInSupportPolicy,
  evaluatePolicy,
  fitStateNormaliser,
  generateNarrowData,
  narrowDataMdp,
  returnBounds,
  valueEstimateRange,
} from "../fixtures/narrow-data.js";
import { bcqConfig } from "./config.js";
import { BcqTrainer } from "./trainer.js";

describe("BCQ on the narrow-data fixture", () => {
  it("reaches within 5% of the best in-support value, where behaviour cloning is 20% worse", (t) => {
    const mdp = narrowDataMdp();
    const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
    const config = bcqConfig({ preset: "quick", gamma: mdp.gamma, steps: 1000 });
    const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(0, "source")));
    const trainer = new BcqTrainer({ config, source, normaliser: fitStateNormaliser(data), seed: 0 });
    for (let i = 0; i < config.steps; i++) trainer.update();
    const policy = trainer.policy();

    const best = evaluatePolicy(mdp, bestInSupportPolicy(mdp)).value;
    const bc = evaluatePolicy(mdp, behaviourCloningPolicy(mdp)).value;
    const bcq = evaluatePolicy(mdp, policy, { rng: new Rng(5), repeats: 2 });
    const rng = new Rng(9);
    const q = valueEstimateRange(mdp, (states, rows, actions, values) =>
      policy.actWithValues(states, rows, actions, rng, values),
    );
    const returns = returnBounds(mdp, 0);
    t.diagnostic(
      `best in support ${best.toFixed(3)}, behaviour cloning ${bc.toFixed(3)} (${((100 * bc) / best).toFixed(1)}%), BCQ ${bcq.value.toFixed(3)} (${((100 * bcq.value) / best).toFixed(1)}%), Q estimates [${q.min.toFixed(3)}, ${q.max.toFixed(3)}] within returns [${returns.min.toFixed(3)}, ${returns.max.toFixed(3)}]`,
    );
    assert.ok(bc <= 0.8 * best, `behaviour cloning ${bc} should be at least 20% below the best ${best}`);
    assert.ok(bcq.value >= 0.95 * best, `BCQ ${bcq.value} should be within 5% of the best ${best}`);
    assert.equal(bcq.inSupport, 1, "BCQ's actions stay inside the data support");
    assert.ok(
      q.min >= returns.min && q.max <= returns.max,
      `Q estimates [${q.min}, ${q.max}] leave the achievable returns [${returns.min}, ${returns.max}]`,
    );
  });
});
