/**
 * CQL's defining property on the shared narrow-data fixture (a small MDP with exact values, whose
 * logged actions cover only a box around the behaviour's mean): the agent's estimate of its own
 * policy's value, E_{s0} E_{a~π}Q_1(s0, a) over the initial states, stays at or below that
 * policy's true value E_{s0} V^π(s0) (Kumar et al., 2020, Theorem 3.2: CQL(H) learns a lower
 * bound of V^π), where plain offline SAC (α_cql = 0) overestimates its policy through
 * out-of-support actions (the extrapolation error of the paper's Fig. 5-6).
 *
 * True values: exact over termination (the fixture integrates it out), Monte-Carlo over the
 * policy's action draws (seeded; 100 repeats of the whole context grid). The bound is checked on
 * the average over initial states, the policy's value; state by state, the estimate's own
 * approximation error is of the size of the margin (the diagnostics count those states). CI
 * size: the quick preset, 600 steps per agent.
 */
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
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
import { cqlSacConfig } from "./config.js";
import { CqlSacTrainer } from "./trainer.js";

const mdp = narrowDataMdp();
const STEPS = 600;
const contexts = evaluationContexts();

interface Trained {
  /** E_{a~π}Q_1([c, 0], a) per context (64 actions each). */
  readonly estimates: Float64Array;
  /** V^π([c, 0]) per context (Monte-Carlo over the actions, 100 repeats). */
  readonly values: Float64Array;
}

function mean(x: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i];
  return sum / x.length;
}

function train(cqlWeight: number): Trained {
  const data = generateNarrowData(mdp, { sessions: 1000, seed: 11 });
  const config = cqlSacConfig({ preset: "quick", gamma: mdp.gamma, steps: STEPS, cqlWeight });
  const source = new ArrayBatchSource(data, config.batchSize, new Rng(deriveSeed(0, "source")));
  const trainer = new CqlSacTrainer({ config, source, normaliser: fitStateNormaliser(data), seed: 0 });
  for (let i = 0; i < STEPS; i++) trainer.update();
  const states = new Float32Array(contexts.length * 2);
  contexts.forEach((c, i) => {
    states[2 * i] = c; // τ = 0: the start of a session
  });
  const estimates = new Float64Array(contexts.length);
  trainer.estimatePolicyValue(states, contexts.length, 64, new Rng(3), estimates);
  const stochastic = trainer.policy().stochasticPolicy();
  const values = Float64Array.from(
    contexts,
    (c) =>
      evaluatePolicy(mdp, stochastic, { contexts: Float64Array.of(c), rng: new Rng(5), repeats: 100 }).value,
  );
  return { estimates, values };
}

let cql: Trained;
let sac: Trained;

before(() => {
  cql = train(5);
  sac = train(0);
});

describe("CQL+SAC on the narrow-data fixture", () => {
  it("estimates its policy's value at or below the true value", (t) => {
    const above = cql.estimates.filter((e, i) => e > cql.values[i]).length;
    t.diagnostic(
      `CQL+SAC: E_π Q ${mean(cql.estimates).toFixed(3)} vs true V^π ${mean(cql.values).toFixed(3)} (above at ${above} of ${contexts.length} initial states); plain SAC: ${mean(sac.estimates).toFixed(3)} vs ${mean(sac.values).toFixed(3)}`,
    );
    assert.ok(
      mean(cql.estimates) <= mean(cql.values),
      `CQL+SAC estimate ${mean(cql.estimates)} above the true value ${mean(cql.values)}`,
    );
    // Without the CQL term the same check fails: SAC's estimate exceeds its true value.
    assert.ok(
      mean(sac.estimates) > mean(sac.values),
      `plain SAC ${mean(sac.estimates)} vs true ${mean(sac.values)}`,
    );
  });

  it("stays below the largest achievable return and below plain SAC's (α_cql = 0) estimate", () => {
    const { max } = returnBounds(mdp, 0);
    assert.ok(Math.max(...cql.estimates) <= max, `max estimate ${Math.max(...cql.estimates)} > ${max}`);
    assert.ok(
      mean(cql.estimates) < mean(sac.estimates),
      `CQL+SAC ${mean(cql.estimates)} should be below plain SAC ${mean(sac.estimates)}`,
    );
  });
});
