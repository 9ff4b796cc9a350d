import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { gradCheck } from "../../nn/gradcheck.js";
import { actionStats, smoothTargetActions, weightedActorLoss, weightedCriticLoss } from "./math.js";

describe("TD3 math", () => {
  it("target policy smoothing clips the noise to ±c and the action to [-1, 1] (Eq. 14-15)", () => {
    const out = new Float64Array(4);
    // σ = 0.2, c = 0.5: ε = 1 -> +0.2; ε = 5 -> +0.5 (clipped); ε = −10 -> −0.5; 0.9 + 0.2 -> 1 (clipped).
    smoothTargetActions(Float64Array.of(0, 0, 0, 0.9), Float64Array.of(1, 5, -10, 1), 0.2, 0.5, 4, out);
    assert.deepEqual(
      [...out].map((v) => Number(v.toFixed(12))),
      [0.2, 0.5, -0.5, 1],
    );
  });

  for (const form of ["linear", "squared"] as const) {
    it(`the weighted critic loss (${form}) has the gradient of its closed form`, () => {
      const y = Float64Array.of(0.5, -1, 2);
      const w = Float64Array.of(1, 0.25, 0.5);
      const q = Float64Array.of(0.1, 0.3, 1.2);
      const dQ = new Float64Array(3);
      const loss = weightedCriticLoss(q, y, w, form, 3, dQ);
      const p = form === "linear" ? 1 : 2;
      const expected = (0.4 ** 2 * 1 + 1.3 ** 2 * 0.25 ** p + 0.8 ** 2 * 0.5 ** p) / 3;
      assert.ok(Math.abs(loss - expected) < 1e-12, `${loss} vs ${expected}`);
      const check = gradCheck((x) => weightedCriticLoss(x, y, w, form, 3, new Float64Array(3)), q, dQ);
      assert.ok(check.maxRelativeError < 1e-7, JSON.stringify(check));
    });
  }

  it("weights null give TD3's plain MSE", () => {
    const dQ = new Float64Array(2);
    assert.equal(
      weightedCriticLoss(Float64Array.of(1, 2), Float64Array.of(0, 0), null, "linear", 2, dQ),
      2.5,
    );
    assert.deepEqual([...dQ], [1, 2]);
  });

  it("the weighted actor loss is −mean_r w_r · mean_k q_rk, with its gradient", () => {
    const q = Float64Array.of(1, 3, -2, 0); // 2 rows x 2 samples
    const w = Float64Array.of(0.5, 1);
    const dQ = new Float64Array(4);
    const loss = weightedActorLoss(q, w, 2, 2, dQ);
    assert.equal(loss, -(0.5 * 2 + 1 * -1) / 2);
    const check = gradCheck((x) => weightedActorLoss(x, w, 2, 2, new Float64Array(4)), q, dQ);
    assert.ok(check.maxRelativeError < 1e-7, JSON.stringify(check));
    assert.equal(weightedActorLoss(Float64Array.of(2, 4), null, 2, 1, new Float64Array(2)), -3);
  });

  it("action statistics count saturated actions", () => {
    const stats = actionStats(Float64Array.of(1, -0.995, 0, 0.5), 4);
    assert.equal(stats.atBound, 0.5);
    assert.ok(Math.abs(stats.mean - 0.505 / 4) < 1e-12);
  });
});
