/**
 * `npm run validate`: BCQ on the narrow-data fixture at a larger scale than CI: five seeds of
 * the quick preset for 2,000 steps, and two seeds with the paper's learning rates (Sec. 4.2:
 * actor 1e-4, critic 2e-4) for 5,000 steps. Every run must reach within 5% of the best
 * in-support value (behaviour cloning: 36% below it) and keep its Q estimates Q1(s, π(s)) in the
 * range of achievable returns; the table of all runs is printed as diagnostics. A few minutes on
 * the native backend.
 *
 * BCQ's value estimates rise towards the top of the achievable range as training goes on: the
 * max over n sampled actions in Eq. 4 and Eq. 7 picks up estimation noise, the more so the
 * noisier the critic. With the paper's learning rates they stay within the range (5% slack);
 * with the quick preset's 5x larger critic rate they overshoot the best achievable return by up
 * to ~15% after 2,000 steps (observed), so for those runs the check is "no divergence": within
 * 25% of it. The diagnostics print every run's range.
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

const RUNS: readonly {
  seed: number;
  steps: number;
  config: Record<string, unknown>;
  label: string;
  /** Allowed overshoot of the Q estimates beyond the achievable returns, as a share of the best return. */
  qSlack: number;
}[] = [
  ...[0, 1, 2, 3, 4].map((seed) => ({ seed, steps: 2000, config: {}, label: "quick", qSlack: 0.25 })),
  ...[0, 1].map((seed) => ({
    seed,
    steps: 5000,
    config: { lrActor: 1e-4, lrCritic: 2e-4 },
    label: "paper lrs",
    qSlack: 0.05,
  })),
];

describe("BCQ on the narrow-data fixture (validation scale)", () => {
  const mdp = narrowDataMdp();
  const data = generateNarrowData(mdp, { sessions: 1500, seed: 11 });
  const best = evaluatePolicy(mdp, bestInSupportPolicy(mdp)).value;
  const bc = evaluatePolicy(mdp, behaviourCloningPolicy(mdp)).value;
  const returns = returnBounds(mdp, 0);

  it("behaviour cloning stays at least 20% below the best in-support value", (t) => {
    t.diagnostic(
      `best in support ${best.toFixed(4)}, behaviour cloning ${bc.toFixed(4)} (${((100 * bc) / best).toFixed(1)}%)`,
    );
    assert.ok(bc <= 0.8 * best);
  });

  for (const run of RUNS) {
    it(`${run.label}, seed ${run.seed}, ${run.steps} steps: within 5% of the best, Q in range (+${100 * run.qSlack}%)`, (t) => {
      const config = bcqConfig({ preset: "quick", gamma: mdp.gamma, steps: run.steps, ...run.config });
      const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(run.seed, "source")));
      const trainer = new BcqTrainer({
        config,
        source,
        normaliser: fitStateNormaliser(data),
        seed: run.seed,
      });
      for (let i = 0; i < run.steps; i++) trainer.update();
      const policy = trainer.policy();
      const bcq = evaluatePolicy(mdp, policy, { rng: new Rng(5), repeats: 4 });
      const rng = new Rng(9);
      const q = valueEstimateRange(mdp, (states, rows, actions, values) =>
        policy.actWithValues(states, rows, actions, rng, values),
      );
      t.diagnostic(
        `BCQ ${bcq.value.toFixed(4)} = ${((100 * bcq.value) / best).toFixed(2)}% of the best; in support ${(100 * bcq.inSupport).toFixed(1)}%; Q estimates [${q.min.toFixed(3)}, ${q.max.toFixed(3)}], achievable [${returns.min.toFixed(3)}, ${returns.max.toFixed(3)}]`,
      );
      assert.ok(bcq.value >= 0.95 * best, `BCQ ${bcq.value} vs best ${best}`);
      assert.equal(bcq.inSupport, 1);
      const slack = run.qSlack * returns.max;
      assert.ok(
        q.min >= returns.min - slack && q.max <= returns.max + slack,
        `Q estimates [${q.min}, ${q.max}]`,
      );
    });
  }
});
