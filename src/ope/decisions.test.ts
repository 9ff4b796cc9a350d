import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { decisionsFingerprint, explicitDecisions, precomputeDecisions } from "./decisions.js";
import {
  EXAMPLE_BEHAVIOUR,
  EXAMPLE_MDP,
  sampleTabularDataset,
  samplingPolicy,
} from "./fixtures/tabular-mdp.js";

const dataset = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 200, 30, 0.8, new Rng(5));
const { actions: A } = EXAMPLE_MDP;
const stored = dataset.stateOf.length;

test("a stochastic policy gets `samples` draws per stored state, weighted 1/samples, in proportion to π", () => {
  const decisions = precomputeDecisions(
    samplingPolicy("behaviour", EXAMPLE_BEHAVIOUR),
    dataset.data,
    16,
    new Rng(1),
  );
  assert.equal(decisions.samples, 16);
  assert.equal(decisions.actions.length, stored * 16 * A);
  assert.ok(decisions.weights.every((w) => Math.abs(w - 1 / 16) < 1e-9));
  // Frequencies of each action among the draws of all rows of state 0 follow π_β(·|s0).
  const counts = new Array<number>(A).fill(0);
  let draws = 0;
  for (let row = 0; row < stored; row++) {
    if (dataset.stateOf[row] !== 0) continue;
    for (let j = 0; j < 16; j++) {
      const offset = (row * 16 + j) * A;
      counts[decisions.actions.subarray(offset, offset + A).indexOf(1)] += 1;
      draws += 1;
    }
  }
  for (const [a, c] of counts.entries())
    assert.ok(Math.abs(c / draws - EXAMPLE_BEHAVIOUR[0][a]) < 0.03, `${c / draws}`);
  // Replays from the seed.
  const again = precomputeDecisions(
    samplingPolicy("behaviour", EXAMPLE_BEHAVIOUR),
    dataset.data,
    16,
    new Rng(1),
  );
  assert.equal(decisionsFingerprint(again), decisionsFingerprint(decisions));
});

test("a deterministic policy is asked once per state, whatever the sample count", () => {
  let calls = 0;
  const policy = {
    id: "first-action",
    stateDim: EXAMPLE_MDP.states,
    stochastic: false,
    act(_states: Float32Array, rows: number, out: Float32Array) {
      calls += rows;
      for (let r = 0; r < rows; r++) out.set([1, 0, 0], r * A);
    },
  };
  const decisions = precomputeDecisions(policy, dataset.data, 8, new Rng(1));
  assert.equal(decisions.samples, 1);
  assert.equal(calls, stored);
  assert.ok(decisions.weights.every((w) => w === 1));
});

test("mismatched policies and weights are refused with coded errors", () => {
  const wide = { ...samplingPolicy("x", EXAMPLE_BEHAVIOUR), stateDim: 7 };
  assert.throws(
    () => precomputeDecisions(wide, dataset.data, 4, new Rng(0)),
    (e) => isMtfError(e, "DATASET_MISMATCH"),
  );
  const nan = {
    ...samplingPolicy("nan", EXAMPLE_BEHAVIOUR),
    act: (_s: Float32Array, rows: number, out: Float32Array) => out.fill(Number.NaN, 0, rows * A),
  };
  assert.throws(
    () => precomputeDecisions(nan, dataset.data, 1, new Rng(0)),
    (e) => isMtfError(e, "NON_FINITE_SCORE"),
  );
  assert.throws(
    () => explicitDecisions(Float32Array.of(1, 0), Float32Array.of(0.5, 0.4), 2, 1),
    (e) => isMtfError(e, "INVALID_ARGUMENT"),
  );
  assert.throws(
    () => explicitDecisions(Float32Array.of(1), Float32Array.of(0.5, 0.5), 2, 1),
    (e) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});
