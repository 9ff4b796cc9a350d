import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { gradCheck } from "./gradcheck.js";
import {
  logOneMinusTanhSquared,
  softplus,
  TANH_GAUSSIAN_LOG_STD_MAX,
  TANH_GAUSSIAN_LOG_STD_MIN,
  tanhGaussianBackward,
  tanhGaussianMode,
  tanhGaussianSample,
} from "./tanh-gaussian.js";

/** Density of a = tanh(u), u ~ N(μ, σ²), by the change of variables, for one coordinate. */
function closedFormLogDensity(a: number, mean: number, std: number): number {
  const u = Math.atanh(a);
  const gauss = -0.5 * ((u - mean) / std) ** 2 - Math.log(std) - 0.5 * Math.log(2 * Math.PI);
  return gauss - Math.log(1 - a * a);
}

describe("tanh-Gaussian head", () => {
  it("the stable Jacobian term equals log(1 − tanh²u) and stays finite where the naive one does not", () => {
    for (const u of [-3, -0.7, 0, 0.2, 1.5, 4]) {
      const naive = Math.log(1 - Math.tanh(u) ** 2);
      assert.ok(Math.abs(logOneMinusTanhSquared(u) - naive) < 1e-12, `u = ${u}`);
    }
    // At u = 30, tanh(u) rounds to 1: the naive log is −∞; the identity gives ≈ 2·log 2 − 2u.
    assert.equal(Math.log(1 - Math.tanh(30) ** 2), Number.NEGATIVE_INFINITY);
    assert.ok(Math.abs(logOneMinusTanhSquared(30) - (2 * Math.LN2 - 60)) < 1e-9);
    assert.ok(Math.abs(logOneMinusTanhSquared(-30) - (2 * Math.LN2 - 60)) < 1e-9);
    assert.ok(Math.abs(softplus(800) - 800) < 1e-9 && softplus(-800) >= 0);
  });

  it("samples tanh(μ + σε) with log π equal to the change-of-variables density (SAC Eq. 21)", () => {
    const A = 3;
    const head = Float64Array.of(
      0.3,
      -1.2,
      0.05,
      /* rawLogσ */ -0.5,
      0.4,
      -2,
      /* row 2 */ 0,
      2,
      -0.3,
      1,
      -1,
      0,
    );
    const repeats = 2;
    const eps = new Float64Array(2 * repeats * A);
    new Rng(4).fillNormal(eps);
    const action = new Float64Array(2 * repeats * A);
    const logProb = new Float64Array(2 * repeats);
    tanhGaussianSample(head, 2, A, repeats, eps, action, logProb);
    for (let r = 0; r < 2; r++) {
      for (let k = 0; k < repeats; k++) {
        const i = r * repeats + k;
        let expected = 0;
        for (let j = 0; j < A; j++) {
          const mean = head[r * 2 * A + j];
          const std = Math.exp(head[r * 2 * A + A + j]);
          const a = action[i * A + j];
          assert.ok(Math.abs(a - Math.tanh(mean + std * eps[i * A + j])) < 1e-15);
          expected += closedFormLogDensity(a, mean, std);
        }
        assert.ok(
          Math.abs(logProb[i] - expected) < 1e-9,
          `row ${r} sample ${k}: ${logProb[i]} vs ${expected}`,
        );
      }
    }
    const mode = new Float64Array(2 * A);
    tanhGaussianMode(head, 2, A, mode);
    assert.deepEqual([...mode], [0.3, -1.2, 0.05, 0, 2, -0.3].map(Math.tanh));
  });

  it("clamps log σ to [−20, 2] as the SAC reference code", () => {
    const head = Float64Array.of(0, 5); // rawLogσ 5 > 2
    const eps = Float64Array.of(0.5);
    const a = new Float64Array(1);
    const lp = new Float64Array(1);
    tanhGaussianSample(head, 1, 1, 1, eps, a, lp);
    assert.ok(Math.abs(a[0] - Math.tanh(Math.exp(TANH_GAUSSIAN_LOG_STD_MAX) * 0.5)) < 1e-15);
    const tiny = Float64Array.of(0.1, -50);
    tanhGaussianSample(tiny, 1, 1, 1, eps, a, lp);
    assert.ok(Math.abs(a[0] - Math.tanh(0.1 + Math.exp(TANH_GAUSSIAN_LOG_STD_MIN) * 0.5)) < 1e-15);
    assert.ok(Number.isFinite(lp[0]));
  });

  it("gradients w.r.t. μ and raw log σ match central finite differences (float64)", () => {
    const rng = new Rng(11);
    const rows = 3;
    const A = 2;
    for (const repeats of [1, 4]) {
      const n = rows * repeats;
      const head = new Float64Array(rows * 2 * A);
      rng.fillNormal(head, 0, 0.8);
      head[2 * A + A] = 2.7; // a saturated clamp: its gradient must be 0
      const eps = new Float64Array(n * A);
      rng.fillNormal(eps);
      const wAction = new Float64Array(n * A);
      const wLogProb = new Float64Array(n);
      rng.fillNormal(wAction);
      rng.fillNormal(wLogProb);
      const action = new Float64Array(n * A);
      const logProb = new Float64Array(n);
      // L = Σ wAction·a + Σ wLogProb·log π, so dL/da = wAction and dL/dlogπ = wLogProb.
      const loss = (x: Float64Array): number => {
        tanhGaussianSample(x, rows, A, repeats, eps, action, logProb);
        let sum = 0;
        for (let i = 0; i < n * A; i++) sum += wAction[i] * action[i];
        for (let i = 0; i < n; i++) sum += wLogProb[i] * logProb[i];
        return sum;
      };
      loss(head);
      const dHead = new Float64Array(rows * 2 * A);
      tanhGaussianBackward(head, rows, A, repeats, eps, action, wAction, wLogProb, dHead);
      const result = gradCheck(loss, head, dHead, { floor: 1e-4 });
      assert.ok(result.maxRelativeError < 1e-6, `repeats ${repeats}: ${JSON.stringify(result)}`);
      assert.equal(dHead[2 * A + A], 0, "no gradient through a saturated clamp");
      // Only log π, only the action: each path on its own.
      for (const [da, dl] of [
        [wAction, null],
        [null, wLogProb],
      ] as const) {
        const partial = (x: Float64Array): number => {
          tanhGaussianSample(x, rows, A, repeats, eps, action, logProb);
          let sum = 0;
          if (da !== null) for (let i = 0; i < n * A; i++) sum += da[i] * action[i];
          if (dl !== null) for (let i = 0; i < n; i++) sum += dl[i] * logProb[i];
          return sum;
        };
        partial(head);
        tanhGaussianBackward(head, rows, A, repeats, eps, action, da, dl, dHead);
        const r = gradCheck(partial, head, dHead, { floor: 1e-4 });
        assert.ok(r.maxRelativeError < 1e-6, JSON.stringify(r));
      }
    }
  });

  it("checks its arguments", () => {
    assert.throws(
      () =>
        tanhGaussianSample(
          new Float64Array(2),
          1,
          2,
          1,
          new Float64Array(2),
          new Float64Array(2),
          new Float64Array(1),
        ),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
    assert.throws(
      () =>
        tanhGaussianSample(
          new Float64Array(2),
          1,
          1,
          0,
          new Float64Array(1),
          new Float64Array(1),
          new Float64Array(1),
        ),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });
});
