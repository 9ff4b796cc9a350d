import assert from "node:assert/strict";
import { test } from "node:test";
import { antitheticGradient, centeredRanks } from "./math.js";

test("centeredRanks: rank/(N−1) − 0.5, ties share their mean rank, scale-free", () => {
  // ranks 2, 0, 3, 1 of 4: r/3 − 0.5
  assert.deepEqual(Array.from(centeredRanks([3, -1, 10, 2])), [2 / 3 - 0.5, -0.5, 0.5, 1 / 3 - 0.5]);
  assert.deepEqual(Array.from(centeredRanks([5, 5, 1])), [0.25, 0.25, -0.5]);
  assert.deepEqual(Array.from(centeredRanks([1e9, -1e9, 0, 1])), Array.from(centeredRanks([4, 1, 2, 3])));
  assert.deepEqual(Array.from(centeredRanks([7])), [0]);
  assert.throws(() => centeredRanks([1, Number.NaN]), { code: "INVALID_ARGUMENT" });
});

test("antitheticGradient equals the hand-computed 1/(2nσ) Σ (u⁺ − u⁻) ε_i", () => {
  // n = 2 pairs in 3 dimensions, σ = 0.5
  const noise = Float64Array.of(1, 0, -2, 0.5, 1, 0);
  const shaped = [0.5, -0.5, 1 / 6, -1 / 6];
  const g = antitheticGradient(noise, shaped, 2, 3, 0.5, new Float64Array(3));
  // weights: (0.5 + 0.5) / 2 = 0.5 and (1/6 + 1/6) / 2 = 1/6
  const expected = [0.5 * 1 + (1 / 6) * 0.5, 0.5 * 0 + (1 / 6) * 1, 0.5 * -2 + 0];
  g.forEach((v, i) => {
    assert.ok(Math.abs(v - expected[i]) < 1e-15, `${v} vs ${expected[i]}`);
  });
  assert.throws(() => antitheticGradient(noise, [0, 0], 2, 3, 0.5, new Float64Array(3)), {
    code: "SHAPE_MISMATCH",
  });
});
