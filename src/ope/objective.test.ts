import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../core/rng.js";
import { opeConfigSection } from "./config.js";
import type { OpeData } from "./data.js";
import { explicitDecisions } from "./decisions.js";
import { ConservativeOpe } from "./estimator.js";
import { conservativePenalty, expectedDecisionValue, fqeTarget, tdLoss } from "./objective.js";

function close(actual: ArrayLike<number>, expected: readonly number[], tolerance = 1e-6): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tolerance, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
}

test("expectedDecisionValue is Σ_j w_ij·Q(s_i, a_ij) (Eq. 9's inner sum)", () => {
  const out = new Float64Array(2);
  expectedDecisionValue([1, 3, -2, 4], [0.25, 0.75, 0.5, 0.5], 2, 2, out);
  close(out, [2.5, 1]);
});

test("fqeTarget bootstraps unless the session terminated", () => {
  const out = new Float32Array(3);
  fqeTarget([1, 2, 3], [0, 1, 0], [10, 10, -1], 0.9, 3, out);
  close(out, [10, 2, 2.1], 1e-6);
});

test("tdLoss is ½·mean squared TD error with gradient (Q − ŷ)/m", () => {
  const grad = new Float32Array(2);
  assert.equal(tdLoss([1, 3], [2, 1], 2, grad), 0.5 * ((1 + 4) / 2));
  close(grad, [-0.5, 1]);
});

test("conservativePenalty is E_π Q − E_D Q; it adds −α/m to the data gradient", () => {
  const gradData = Float32Array.of(0.1, 0.1);
  const gradPolicy = new Float32Array(4);
  // E_π Q per state: 0.5·2 + 0.5·4 = 3 and 1·(−1) + 0·7 = −1; E_D Q = (1 + 0)/2.
  const r = conservativePenalty([1, 0], [2, 4, -1, 7], [0.5, 0.5, 1, 0], 2, 2, 0.2, gradData, gradPolicy);
  assert.equal(r, (3 - 1) / 2 - 0.5);
  close(gradData, [0.1 - 0.1, 0.1 - 0.1]);
  close(gradPolicy, [0.05, 0.05, 0.1, 0]);
});

test("one estimator step has the hand-computed gradient of ½·TD² + α·R and takes one Adam step", () => {
  // One transition s = [1, 2], a = 0.5, r = 1 → s' = [0, 1]; a linear Q(s, a) = w·[s, a] + b.
  const data: OpeData = {
    stateDim: 2,
    actionDim: 1,
    states: Float32Array.of(1, 2, 0, 1),
    stateIndex: Int32Array.of(0),
    nextStateIndex: Int32Array.of(1),
    actions: Float32Array.of(0.5),
    rewards: Float32Array.of(1),
    terminated: Uint8Array.of(0),
    initialStateIndex: Int32Array.of(0),
  };
  // π_e(s) = {0.2: 0.25, −0.4: 0.75}; π_e(s') = {1: 0.8, 0: 0.2}.
  const decisions = explicitDecisions(
    Float32Array.of(0.2, -0.4, 1, 0),
    Float32Array.of(0.25, 0.75, 0.8, 0.2),
    2,
    1,
  );
  const options = {
    ...opeConfigSection.parse({ alpha: 0.3, lr: 1e-3, batchSize: 3, hiddenSizes: [] }),
    gamma: 0.9,
  };
  const identity = { mean: new Float32Array(2), std: Float32Array.of(1, 1) };
  const estimator = new ConservativeOpe({ data, decisions, options, standardiser: identity }, new Rng(0));
  const before = Float32Array.of(0.1, -0.2, 0.3, 0.05); // W [3 x 1] then b
  estimator.q.setParams(before);
  const metrics = estimator.step();
  // Q(s, a) = 0.1 − 0.4 + 0.15 + 0.05 = −0.1
  // V⁻(s') = 0.8·Q(s', 1) + 0.2·Q(s', 0) = 0.8·0.15 + 0.2·(−0.15) = 0.09;  ŷ = 1 + 0.9·0.09 = 1.081
  // E_π Q(s, ·) = 0.25·(−0.19) + 0.75·(−0.37) = −0.325;  R = −0.325 − (−0.1) = −0.225
  close(
    [metrics["loss/td"], metrics["loss/penalty"], metrics["target/mean"]],
    [0.5 * 1.181 ** 2, -0.225, 1.081],
  );
  close([metrics["loss/total"]], [0.5 * 1.181 ** 2 + 0.3 * -0.225]);
  // dL/dW = (Q − ŷ − α)·[s, a] + α·Σ_j w_j·[s, a_j] = −1.481·[1, 2, 0.5] + 0.3·[1, 2, −0.25]
  // dL/db = (Q − ŷ − α) + α·Σ_j w_j = −1.181 (the batch is three copies of the transition)
  close(estimator.q.grads, [-1.181, -2.362, -0.8155, -1.181], 1e-5);
  // Adam's first step moves each parameter by lr against the sign of its gradient.
  close(
    estimator.q.params,
    Array.from(before, (p) => p + 1e-3),
    1e-7,
  );
  assert.equal(estimator.iteration, 1);
});

test("at α = 0 the step is plain FQE: no penalty rows, gradient (Q − ŷ)·[s, a]", () => {
  const data: OpeData = {
    stateDim: 1,
    actionDim: 1,
    states: Float32Array.of(2, 5),
    stateIndex: Int32Array.of(0),
    nextStateIndex: Int32Array.of(-1),
    actions: Float32Array.of(1),
    rewards: Float32Array.of(0.5),
    terminated: Uint8Array.of(1),
    initialStateIndex: Int32Array.of(0),
  };
  const decisions = explicitDecisions(Float32Array.of(-1, 3), Float32Array.of(1, 1), 1, 1);
  const options = { ...opeConfigSection.parse({ alpha: 0, batchSize: 2, hiddenSizes: [] }), gamma: 0.95 };
  const identity = { mean: new Float32Array(1), std: Float32Array.of(1) };
  const estimator = new ConservativeOpe({ data, decisions, options, standardiser: identity }, new Rng(0));
  estimator.q.setParams(Float32Array.of(1, -1, 0));
  const metrics = estimator.step();
  // Terminated: ŷ = r = 0.5 whatever s' would be; Q(s, a) = 2 − 1 = 1.
  close([metrics["target/mean"], metrics["loss/td"]], [0.5, 0.125]);
  assert.equal("loss/penalty" in metrics, false);
  close(estimator.q.grads, [0.5 * 2, 0.5 * 1, 0.5]);
});
