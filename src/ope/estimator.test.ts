/**
 * Exact tests of the Conservative Offline Policy Estimator on a tabular MDP: every expected
 * number is computed in float64 on the EMPIRICAL MDP of the sampled dataset (counts from D),
 * with one-hot states and actions into a ReLU MLP that can represent any table, and the
 * test's own learning rate and K.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../core/rng.js";
import { type OpeOptions, opeConfigSection } from "./config.js";
import { ConservativeOpe } from "./estimator.js";
import {
  EXAMPLE_BEHAVIOUR,
  EXAMPLE_GREEDY,
  EXAMPLE_MDP,
  empiricalMdp,
  estimatedTable,
  initialStates,
  regularisedFixedPoint,
  sampleTabularDataset,
  type TabularPolicy,
  tabularDecisions,
  tabularValue,
  trueValue,
} from "./fixtures/tabular-mdp.js";
import { conservativeValue } from "./value.js";

const GAMMA = 0.8;
const { states: S, actions: A } = EXAMPLE_MDP;
const dataset = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 400, 30, GAMMA, new Rng(1));
const empirical = empiricalMdp(dataset, S, A);
const starts = initialStates(dataset);

/**
 * The test's own settings: a small net, a larger learning rate than the paper's, K = 3,000.
 * The logging policy, checked to 3% against Monte-Carlo, gets a cheaper fit (its penalty rows
 * hold all three actions).
 */
const OPTIONS: OpeOptions = {
  ...opeConfigSection.parse({ lr: 5e-4, batchSize: 256, iterations: 3000, hiddenSizes: [16] }),
  gamma: GAMMA,
};
const CHEAP: Partial<OpeOptions> = { batchSize: 128, iterations: 2000 };

interface Fit {
  readonly value: number;
  readonly table: number[][];
}

const fits = new Map<string, Fit>();

/** Fits π at α once per (π, α) and caches V̂ (Eq. 9 over every session start) and Q̂'s table. */
function fit(name: string, policy: TabularPolicy, alpha: number, settings: Partial<OpeOptions> = {}): Fit {
  const key = `${name}@${alpha}`;
  const cached = fits.get(key);
  if (cached !== undefined) return cached;
  const estimator = new ConservativeOpe(
    {
      data: dataset.data,
      decisions: tabularDecisions(dataset, policy, A),
      options: { ...OPTIONS, ...settings, alpha },
    },
    new Rng(7),
  );
  estimator.fit();
  const result = {
    value: conservativeValue(estimator.policyValues(dataset.data.initialStateIndex)),
    table: estimatedTable(estimator, S, A),
  };
  fits.set(key, result);
  return result;
}

/** ‖Q̂ − Q‖₂ / ‖Q‖₂ over the whole table. */
function tableError(estimate: number[][], exact: number[][]): number {
  let diff = 0;
  let norm = 0;
  for (let s = 0; s < S; s++) {
    for (let a = 0; a < A; a++) {
      diff += (estimate[s][a] - exact[s][a]) ** 2;
      norm += exact[s][a] ** 2;
    }
  }
  return Math.sqrt(diff / norm);
}

function relative(estimate: number, exact: number): number {
  return Math.abs(estimate / exact - 1);
}

const ALPHAS = [0.05, 0.2];

test("the dataset is rich enough for exact answers: every (s, a) logged, π_β > 0 wherever π > 0", () => {
  for (let s = 0; s < S; s++) for (let a = 0; a < A; a++) assert.ok(empirical.count[s][a] >= 30);
  assert.ok(dataset.data.terminated.includes(1) && dataset.data.terminated.includes(0));
  // The empirical MDP differs from the generating one, so matching it is not matching the truth.
  assert.notEqual(empirical.meanReward[0][0], EXAMPLE_MDP.reward[0][0]);
});

test("α = 0 (plain FQE) matches Q^π of the empirical MDP within 2%", () => {
  const exact = regularisedFixedPoint(empirical, EXAMPLE_GREEDY, GAMMA, 0);
  const { value, table } = fit("greedy", EXAMPLE_GREEDY, 0);
  const exactValue = tabularValue(exact, EXAMPLE_GREEDY, starts);
  assert.ok(relative(value, exactValue) < 0.02, `V̂ ${value} vs exact ${exactValue}`);
  assert.ok(tableError(table, exact) < 0.02, `Q̂ ${JSON.stringify(table)} vs ${JSON.stringify(exact)}`);
});

test("α > 0 matches the fixed point of Q = T^π Q − α·(π − π_β)/π_β within 2%", () => {
  for (const alpha of ALPHAS) {
    const exact = regularisedFixedPoint(empirical, EXAMPLE_GREEDY, GAMMA, alpha);
    const { value, table } = fit("greedy", EXAMPLE_GREEDY, alpha);
    const exactValue = tabularValue(exact, EXAMPLE_GREEDY, starts);
    assert.ok(relative(value, exactValue) < 0.02, `α ${alpha}: V̂ ${value} vs exact ${exactValue}`);
    assert.ok(
      tableError(table, exact) < 0.02,
      `α ${alpha}: Q̂ ${JSON.stringify(table)} vs ${JSON.stringify(exact)}`,
    );
    // The penalty must matter at this α: the regularised answer is far from plain FQE's.
    const fqe = tabularValue(
      regularisedFixedPoint(empirical, EXAMPLE_GREEDY, GAMMA, 0),
      EXAMPLE_GREEDY,
      starts,
    );
    assert.ok(
      exactValue < 0.95 * fqe,
      `α ${alpha} barely changes the exact answer (${exactValue} vs ${fqe})`,
    );
  }
});

test("V̂ decreases monotonically as α grows and lies below the true V^π for α > 0", () => {
  const values = [0, ...ALPHAS].map((alpha) => fit("greedy", EXAMPLE_GREEDY, alpha).value);
  for (let i = 1; i < values.length; i++)
    assert.ok(values[i] < values[i - 1], `V̂ by α: ${values.join(", ")}`);
  const truth = trueValue(EXAMPLE_MDP, EXAMPLE_GREEDY, GAMMA);
  // At α = 0 FQE is close to the truth, so the gap below it at α > 0 is the penalty's doing.
  assert.ok(relative(values[0], truth) < 0.05, `FQE ${values[0]} vs true V^π ${truth}`);
  for (const value of values.slice(1)) assert.ok(value < truth, `V̂ ${value} not below true V^π ${truth}`);
});

test("the logging policy's V̂ matches its Monte-Carlo value at every α", () => {
  // Monte-Carlo truth: 20,000 fresh sessions of π_β in the generating MDP (standard error ~0.3%).
  const rollouts = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 20_000, 30, GAMMA, new Rng(99));
  const monteCarlo = rollouts.returns.reduce((a, b) => a + b, 0) / rollouts.returns.length;
  for (const alpha of [0, ALPHAS[ALPHAS.length - 1]]) {
    const { value } = fit("behaviour", EXAMPLE_BEHAVIOUR, alpha, CHEAP);
    assert.ok(relative(value, monteCarlo) < 0.03, `α ${alpha}: V̂ ${value} vs Monte-Carlo ${monteCarlo}`);
  }
  // …whereas at the largest α the greedy policy's V̂ falls far below its own truth.
  const greedy = fit("greedy", EXAMPLE_GREEDY, ALPHAS[ALPHAS.length - 1]).value;
  assert.ok(greedy < 0.85 * trueValue(EXAMPLE_MDP, EXAMPLE_GREEDY, GAMMA));
});
