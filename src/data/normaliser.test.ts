import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import { applyNormaliser, fitNormaliser, MIN_STD, validateNormaliser } from "./normaliser.js";

describe("normaliser", () => {
  it("matches the two-pass mean and population std, also for a large offset", () => {
    const rng = new Rng(1);
    const rows = 5000;
    const dim = 3;
    const states = new Float32Array(rows * dim);
    for (let r = 0; r < rows; r++) {
      states[r * dim] = rng.normal();
      states[r * dim + 1] = 1e4 + 0.5 * rng.normal(); // large mean, small spread
      states[r * dim + 2] = 4; // constant
    }
    const n = fitNormaliser(states, rows, dim);
    for (let i = 0; i < dim; i++) {
      let mean = 0;
      for (let r = 0; r < rows; r++) mean += states[r * dim + i];
      mean /= rows;
      let variance = 0;
      for (let r = 0; r < rows; r++) variance += (states[r * dim + i] - mean) ** 2;
      const std = Math.sqrt(variance / rows);
      assert.ok(Math.abs(n.mean[i] - mean) < 1e-6 * Math.max(1, Math.abs(mean)), `mean ${i}`);
      assert.ok(Math.abs(n.std[i] - (std >= MIN_STD ? std : 1)) < 1e-6, `std ${i}: ${n.std[i]} vs ${std}`);
    }
    const out = new Float32Array(states.length);
    applyNormaliser(n, states, rows, out);
    assert.ok(Math.abs(out[0] - (states[0] - n.mean[0]) / n.std[0]) < 1e-6);
    assert.equal(out[2], 0); // constant feature: std 1, centred
  });

  it("refuses empty fits and malformed saved normalisers", () => {
    assert.throws(() => fitNormaliser(new Float32Array(0), 0, 2), { code: "INVALID_ARGUMENT" });
    assert.throws(() => validateNormaliser({ mean: [0], std: [0], rows: 1 }, 1, "x"), {
      code: "CHECKPOINT_CORRUPT",
    });
    assert.throws(() => validateNormaliser({ mean: [0, 1], std: [1, 1], rows: 1 }, 1, "x"), {
      code: "CHECKPOINT_CORRUPT",
    });
    assert.throws(
      () =>
        applyNormaliser({ mean: [0, 0], std: [1, 1], rows: 1 }, new Float32Array(3), 2, new Float32Array(4)),
      {
        code: "SHAPE_MISMATCH",
      },
    );
  });
});
