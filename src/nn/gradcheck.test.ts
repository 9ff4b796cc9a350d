import assert from "node:assert/strict";
import { test } from "node:test";
import { gradCheck } from "./gradcheck.js";

// f(x) = Σ x_i³ + x_0·x_1, ∇f = 3x_i² + (x_1, x_0, 0, …)
function f(x: Float64Array): number {
  let sum = x[0] * x[1];
  for (const v of x) sum += v ** 3;
  return sum;
}

function gradient(x: Float64Array): Float64Array {
  const g = x.map((v) => 3 * v * v);
  g[0] += x[1];
  g[1] += x[0];
  return g;
}

test("gradCheck accepts a correct gradient and restores x", () => {
  const x = Float64Array.of(0.3, -1.2, 2, 0);
  const before = x.slice();
  const result = gradCheck(f, x, gradient(x));
  assert.ok(result.maxRelativeError < 1e-7, `relative error ${result.maxRelativeError}`);
  assert.deepEqual(x, before);
});

test("gradCheck reports a wrong coordinate", () => {
  const x = Float64Array.of(0.3, -1.2, 2, 0);
  const wrong = gradient(x);
  wrong[2] *= 1.01;
  const result = gradCheck(f, x, wrong);
  assert.equal(result.worstIndex, 2);
  assert.ok(result.maxRelativeError > 5e-3);
  assert.ok(Math.abs(result.numeric - 12) < 1e-6);
});

test("gradCheck treats NaN as an infinite error", () => {
  const x = Float64Array.of(1);
  const result = gradCheck(() => Number.NaN, x, [0]);
  assert.equal(result.maxRelativeError, Number.POSITIVE_INFINITY);
});
