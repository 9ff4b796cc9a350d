import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import type { Activation, NumArray } from "./kernels.js";
import { referenceKernels as k } from "./reference-kernels.js";
import { relativeError } from "./tensor.js";

function random(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  rng.fillUniform(out, -1, 1);
  return out;
}

/** C = alpha·op(A)·op(B) + beta·C by the textbook triple loop in float64. */
function naiveGemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  kk: number,
  alpha: number,
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  beta: number,
  c: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < kk; p++) {
        sum += (transA ? a[p * m + i] : a[i * kk + p]) * (transB ? b[j * kk + p] : b[p * n + j]);
      }
      out[i * n + j] = alpha * sum + (beta === 0 ? 0 : beta * c[i * n + j]);
    }
  }
  return out;
}

function act(value: number, activation: Activation): number {
  if (activation === "relu") return Math.max(value, 0);
  if (activation === "tanh") return Math.tanh(value);
  return value;
}

const COMBOS: ReadonlyArray<readonly [boolean, boolean]> = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

test("gemm matches a naive float64 triple loop for every transpose combination", () => {
  const rng = new Rng(1);
  for (const [m, n, kk] of [
    [1, 1, 1],
    [5, 7, 3],
    [17, 13, 29],
  ]) {
    for (const [transA, transB] of COMBOS) {
      for (const [alpha, beta] of [
        [1, 0],
        [0.7, 0.3],
        [-1.5, 1],
      ]) {
        const a = random(rng, m * kk);
        const b = random(rng, kk * n);
        const c = random(rng, m * n);
        const expected = naiveGemm(transA, transB, m, n, kk, alpha, a, b, beta, c);
        const c64 = c.slice();
        k.gemm(transA, transB, m, n, kk, alpha, a, b, beta, c64);
        assert.ok(relativeError(c64, expected) < 1e-13, `float64 ${m}x${n}x${kk} tA=${transA} tB=${transB}`);
        const c32 = Float32Array.from(c);
        k.gemm(transA, transB, m, n, kk, alpha, Float32Array.from(a), Float32Array.from(b), beta, c32);
        assert.ok(relativeError(c32, expected) < 1e-6, `float32 ${m}x${n}x${kk} tA=${transA} tB=${transB}`);
      }
    }
  }
});

test("gemm with beta = 0 does not read C (NaN there does not propagate)", () => {
  const rng = new Rng(2);
  for (const [transA, transB] of COMBOS) {
    const c = new Float32Array(12).fill(Number.NaN);
    k.gemm(
      transA,
      transB,
      3,
      4,
      5,
      1,
      Float32Array.from(random(rng, 15)),
      Float32Array.from(random(rng, 20)),
      0,
      c,
    );
    assert.ok(c.every(Number.isFinite));
  }
});

test("gemm touches only the leading m·n entries of a larger C", () => {
  const rng = new Rng(3);
  const c = new Float64Array(10).fill(7);
  k.gemm(false, false, 2, 2, 3, 1, random(rng, 6), random(rng, 6), 0, c);
  assert.deepEqual([...c.subarray(4)], [7, 7, 7, 7, 7, 7]);
});

test("kernels refuse buffers too small for the given dimensions", () => {
  assert.throws(
    () => k.gemm(false, false, 2, 2, 2, 1, new Float64Array(3), new Float64Array(4), 0, new Float64Array(4)),
    (error: unknown) => isMtfError(error, "SHAPE_MISMATCH"),
  );
  assert.throws(
    () =>
      k.linearForward(
        new Float64Array(4),
        new Float64Array(6),
        new Float64Array(2),
        new Float64Array(4),
        2,
        2,
        3,
        "relu",
      ),
    (error: unknown) => isMtfError(error, "SHAPE_MISMATCH"),
  );
});

test("linearForward computes act(x·W + b) for each activation", () => {
  const rng = new Rng(4);
  const [rows, inDim, outDim] = [6, 5, 4];
  const x = random(rng, rows * inDim);
  const w = random(rng, inDim * outDim);
  const b = random(rng, outDim);
  const pre = naiveGemm(false, false, rows, outDim, inDim, 1, x, w, 0, []);
  for (let r = 0; r < rows; r++) for (let j = 0; j < outDim; j++) pre[r * outDim + j] += b[j];
  for (const activation of ["identity", "relu", "tanh"] as const) {
    const y = new Float64Array(rows * outDim);
    k.linearForward(x, w, b, y, rows, inDim, outDim, activation);
    const expected = pre.map((v) => act(v, activation));
    assert.ok(relativeError(y, expected) < 1e-14, activation);
  }
});

test("activationBackward multiplies by the derivative computed from the output", () => {
  const y = Float64Array.of(-0.5, 0, 0.25, 0.9);
  const cases: ReadonlyArray<readonly [Activation, readonly number[]]> = [
    ["identity", [1, 2, 3, 4]],
    ["relu", [0, 0, 3, 4]],
    ["tanh", [1 * 0.75, 2, 3 * (1 - 0.0625), 4 * (1 - 0.81)]],
  ];
  for (const [activation, expected] of cases) {
    const dy = Float64Array.of(1, 2, 3, 4);
    k.activationBackward(y, dy, 4, activation);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(dy[i] - expected[i]) < 1e-15, `${activation}[${i}]`);
  }
});

test("linearBackward gives dW = xᵀ·dY, db = Σ dY, dx = dY·Wᵀ, accumulating on request", () => {
  const rng = new Rng(5);
  const [rows, inDim, outDim] = [7, 3, 5];
  const x = random(rng, rows * inDim);
  const w = random(rng, inDim * outDim);
  const dy = random(rng, rows * outDim);
  const dwExpected = naiveGemm(true, false, inDim, outDim, rows, 1, x, dy, 0, []);
  const dxExpected = naiveGemm(false, true, rows, inDim, outDim, 1, dy, w, 0, []);
  const dbExpected = new Float64Array(outDim);
  for (let r = 0; r < rows; r++) for (let j = 0; j < outDim; j++) dbExpected[j] += dy[r * outDim + j];

  const dw = new Float64Array(inDim * outDim).fill(Number.NaN);
  const db = new Float64Array(outDim).fill(Number.NaN);
  const dx = new Float64Array(rows * inDim).fill(Number.NaN);
  k.linearBackward(x, w, dy, dx, dw, db, rows, inDim, outDim, false);
  assert.ok(relativeError(dw, dwExpected) < 1e-14);
  assert.ok(relativeError(db, dbExpected) < 1e-14);
  assert.ok(relativeError(dx, dxExpected) < 1e-14);

  k.linearBackward(x, w, dy, null, dw, db, rows, inDim, outDim, true);
  assert.ok(
    relativeError(
      dw,
      dwExpected.map((v) => 2 * v),
    ) < 1e-14,
  );
  assert.ok(
    relativeError(
      db,
      dbExpected.map((v) => 2 * v),
    ) < 1e-14,
  );
});

test("float32 and float64 results agree to float32 precision", () => {
  const rng = new Rng(6);
  const [rows, inDim, outDim] = [9, 11, 6];
  const x = random(rng, rows * inDim);
  const w = random(rng, inDim * outDim);
  const b = random(rng, outDim);
  const y64: NumArray = new Float64Array(rows * outDim);
  const y32: NumArray = new Float32Array(rows * outDim);
  k.linearForward(x, w, b, y64, rows, inDim, outDim, "tanh");
  k.linearForward(
    Float32Array.from(x),
    Float32Array.from(w),
    Float32Array.from(b),
    y32,
    rows,
    inDim,
    outDim,
    "tanh",
  );
  assert.ok(relativeError(y32, y64) < 1e-6);
});
