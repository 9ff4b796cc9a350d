import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { uwacWeights } from "./weights.js";

describe("UWAC weights", () => {
  it("are clamp(β / Var, clipBottom, clipTop) as in the reference code", () => {
    const out = new Float64Array(5);
    uwacWeights(Float64Array.of(0.25, 1, 2, 0, 100), 5, { beta: 0.5, clipBottom: 0.01, clipTop: 1 }, out);
    // 0.5/0.25 = 2 -> 1; 0.5; 0.25; 0.5/0 = ∞ -> 1; 0.005 -> 0.01
    assert.deepEqual([...out], [1, 0.5, 0.25, 1, 0.01]);
  });

  it("decrease as the variance grows and reject bad parameters", () => {
    const variance = Float64Array.from({ length: 20 }, (_, i) => 0.1 * (i + 1));
    const out = new Float64Array(20);
    uwacWeights(variance, 20, { beta: 0.3, clipBottom: 0, clipTop: 1 }, out);
    for (let i = 1; i < 20; i++) assert.ok(out[i] <= out[i - 1]);
    assert.throws(
      () => uwacWeights(variance, 20, { beta: 0, clipBottom: 0, clipTop: 1 }, out),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => uwacWeights(variance, 20, { beta: 1, clipBottom: 2, clipTop: 1 }, out),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });
});
