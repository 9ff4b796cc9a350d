import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { normalCdf, normalCdfFast, sigmoid, sigmoidFast } from "./math.js";

/** Largest |fast(x) − exact(x)| on a fine grid over [−20, 20] (beyond the tables' ranges too). */
function maxError(fast: (x: number) => number, exact: (x: number) => number): number {
  let worst = 0;
  for (let x = -20; x <= 20; x += 1 / 997) worst = Math.max(worst, Math.abs(fast(x) - exact(x)));
  return worst;
}

describe("table approximations", () => {
  it("σ by table is within 3e-6 of 1/(1+e^−x), exact at the ends and NaN-preserving", () => {
    assert.ok(maxError(sigmoidFast, (x) => 1 / (1 + Math.exp(-x))) < 3e-6);
    assert.equal(sigmoidFast(-1e9), 0);
    assert.equal(sigmoidFast(1e9), 1);
    assert.ok(Number.isNaN(sigmoidFast(Number.NaN)));
    assert.ok(Math.abs(sigmoid(0) - 0.5) < 1e-15);
  });

  it("Φ by table is within 1e-5 of the reference Φ", () => {
    assert.ok(maxError(normalCdfFast, normalCdf) < 1e-5);
    // Reference values of Φ (closed-form tables): Φ(1) = 0.841344746, Φ(−1.96) = 0.024997895.
    assert.ok(Math.abs(normalCdf(1) - 0.841344746) < 1e-7);
    assert.ok(Math.abs(normalCdf(-1.96) - 0.024997895) < 1e-7);
    assert.ok(Number.isNaN(normalCdfFast(Number.NaN)));
  });
});
