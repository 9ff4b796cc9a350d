import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Adam, type Parameterised, softUpdate } from "./adam.js";
import { referenceKernels } from "./reference-kernels.js";

function holder(params: readonly number[]): Parameterised {
  return {
    params: Float64Array.from(params),
    grads: new Float64Array(params.length),
    kernels: referenceKernels,
  };
}

function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  tolerance: number,
  label: string,
): void {
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= tolerance,
      `${label}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

// lr 0.1, β1 0.9, β2 0.999, ε 1e-8. Step 1: m = 0.1·g, v = 0.001·g², so the bias-corrected
// step is lr·g/(|g| + ε): 1 − 0.1·0.5/(0.5 + 1e-8) = 0.900000002; g = 0 leaves p alone.
// Steps 2 and 3 follow the same formulas (m ← 0.9m + 0.1g, v ← 0.999v + 0.001g²,
// p ← p − lr·(m/(1 − 0.9^t)) / (√(v/(1 − 0.999^t)) + ε)), evaluated in float64.
const GRADIENTS = [
  [0.5, -1.0, 0.0],
  [0.1, 0.2, -0.3],
  [-0.4, 0.0, 0.25],
];
const EXPECTED = [
  { p: [0.900000002, -1.900000001, 0.5], m: [0.05, -0.1, 0], v: [0.00025, 0.001, 0] },
  {
    p: [0.8196959063846518, -1.8488973939904947, 0.5744136788496809],
    m: [0.055, -0.07, -0.03],
    v: [0.00025975, 0.001039, 0.00009],
  },
  {
    p: [0.8103259663582117, -1.8093949307841704, 0.5776863125473402],
    m: [0.0095, -0.063, -0.002],
    v: [0.00041949025, 0.001037961, 0.00015241],
  },
];

test("Adam matches hand-computed numbers for three steps", () => {
  const net = holder([1, -2, 0.5]);
  const adam = new Adam(net, { lr: 0.1 });
  assert.deepEqual(adam.options, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8 });
  GRADIENTS.forEach((g, t) => {
    net.grads.set(g);
    adam.update();
    const state = adam.exportState();
    assert.equal(state.step, t + 1);
    assertClose(net.params, EXPECTED[t].p, 1e-12, `step ${t + 1} params`);
    assertClose(state.m, EXPECTED[t].m, 1e-15, `step ${t + 1} m`);
    assertClose(state.v, EXPECTED[t].v, 1e-15, `step ${t + 1} v`);
  });
});

test("Adam state exported after a step and imported elsewhere continues identically", () => {
  const a = holder([1, -2, 0.5]);
  const adamA = new Adam(a, { lr: 0.1 });
  a.grads.set(GRADIENTS[0]);
  adamA.update();

  const b = holder(Array.from(a.params));
  const adamB = new Adam(b, { lr: 0.1 });
  adamB.importState(adamA.exportState());
  for (const [net, adam] of [
    [a, adamA],
    [b, adamB],
  ] as const) {
    net.grads.set(GRADIENTS[1]);
    adam.update();
  }
  assert.deepEqual(b.params, a.params);
  assert.equal(adamB.step, 2);
  assert.throws(
    () => adamB.importState({ step: 1, m: new Float64Array(2), v: new Float64Array(3) }),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});

test("Adam validates its hyperparameters", () => {
  for (const options of [
    { lr: 0 },
    { lr: Number.NaN },
    { lr: 1e-3, beta1: 1 },
    { lr: 1e-3, beta2: -0.1 },
    { lr: 1e-3, eps: -1 },
  ]) {
    assert.throws(
      () => new Adam(holder([1]), options),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
});

test("softUpdate is θ' ← η·θ + (1 − η)·θ'", () => {
  const target = holder([1, 2, 3]);
  const source = holder([5, 6, -7]);
  softUpdate(target, source, 0.05);
  assertClose(target.params, [1.2, 2.2, 2.5], 1e-15, "eta 0.05");
  softUpdate(target, source, 1);
  assert.deepEqual(Array.from(target.params), [5, 6, -7]);
  softUpdate(target, holder([0, 0, 0]), 0);
  assert.deepEqual(Array.from(target.params), [5, 6, -7]);
  assert.throws(
    () => softUpdate(target, source, 1.5),
    (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
  );
  assert.throws(
    () => softUpdate(target, holder([1, 2]), 0.5),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});
