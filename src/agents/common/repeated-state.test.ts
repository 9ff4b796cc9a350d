import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { Activation } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import { referenceKernels } from "../../nn/reference-kernels.js";
import { concatColumns, repeatRows } from "./batch.js";
import { RepeatedStateForward } from "./repeated-state.js";

function compare(sizes: number[], out: Activation, dtype: "float32" | "float64", tol: number): void {
  const rng = new Rng(3);
  const kernels = dtype === "float64" ? { kernels: referenceKernels } : {};
  const net = new Mlp(
    { sizes, hiddenActivation: "relu", outputActivation: out, maxBatch: 4, dtype, ...kernels },
    rng,
  );
  const S = 5;
  const X = sizes[0] - S;
  const n = 3;
  const rows = 7;
  const make = (len: number) => (dtype === "float64" ? new Float64Array(len) : new Float32Array(len));
  const states = make(rows * S);
  const extra = make(rows * n * X);
  rng.fillNormal(states);
  rng.fillNormal(extra);
  // The plain way: repeat the states, concatenate [s, x], run the network.
  const repeated = make(rows * n * S);
  repeatRows(states, rows, S, n, repeated);
  const input = make(rows * n * sizes[0]);
  concatColumns(repeated, S, extra, X, rows * n, input);
  const expected = Array.from(net.forward(input, rows * n).subarray(0, rows * n * sizes[sizes.length - 1]));
  const fast = new RepeatedStateForward(net, S, n);
  const got = fast.forward(states, extra, rows);
  expected.forEach((e, i) => {
    assert.ok(Math.abs(got[i] - e) <= tol * Math.max(1, Math.abs(e)), `entry ${i}: ${got[i]} vs ${e}`);
  });
}

describe("RepeatedStateForward", () => {
  it("equals the network on the repeated, concatenated rows (float64, reference kernels)", () => {
    compare([9, 6, 4, 2], "tanh", "float64", 1e-12);
    compare([8, 3], "identity", "float64", 1e-12);
    compare([7, 5, 1], "tanh", "float64", 1e-12);
  });

  it("equals it in float32 on the default backend up to rounding", () => {
    compare([17, 32, 16, 4], "tanh", "float32", 1e-5);
  });

  it("checks its arguments", () => {
    const net = new Mlp(
      { sizes: [4, 2], hiddenActivation: "relu", outputActivation: "identity", maxBatch: 1 },
      new Rng(1),
    );
    assert.throws(
      () => new RepeatedStateForward(net, 4, 2),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
    const fast = new RepeatedStateForward(net, 3, 2);
    assert.throws(
      () => fast.forward(new Float32Array(3), new Float32Array(1), 1),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
  });
});
