/**
 * The pure-TypeScript kernels: always available, generic over Float32Array and Float64Array
 * (float64 is what gradient checks run in). Sums are accumulated in float64 and rounded once
 * when stored, so float32 results are at least as accurate as the native backend's.
 *
 * Loops run in i-k-j order where both inner operands are contiguous; the float64 row scratch is
 * module-level and only grows, so steady-state calls allocate nothing.
 */
import { MtfError } from "../core/errors.js";
import type { Activation, Kernels, NumArray } from "./kernels.js";

let scratch = new Float64Array(1024);

/** A float64 scratch row of at least `n` entries (contents unspecified). */
function scratchRow(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

function checkDims(kernel: string, dims: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(dims)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `${kernel}: ${name} must be a non-negative integer, got ${value}`,
      );
    }
  }
}

function checkSize(kernel: string, name: string, array: NumArray, needed: number): void {
  if (array.length < needed) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `${kernel}: ${name} has ${array.length} entries but the given dimensions need ${needed}`,
      { details: { kernel, buffer: name, length: array.length, needed } },
    );
  }
}

/**
 * acc[0..n) += Σ_p a[aOffset + p·aStride] · b[p·n .. p·n + n) over p < k: one row of op(A) times
 * B [k x n]. Four rows of B per pass quarter the traffic on acc.
 */
function accumulateRowTimesMatrix(
  acc: Float64Array,
  a: NumArray,
  aOffset: number,
  aStride: number,
  b: NumArray,
  k: number,
  n: number,
): void {
  let p = 0;
  for (; p + 3 < k; p += 4) {
    const a0 = a[aOffset + p * aStride];
    const a1 = a[aOffset + (p + 1) * aStride];
    const a2 = a[aOffset + (p + 2) * aStride];
    const a3 = a[aOffset + (p + 3) * aStride];
    const b0 = p * n;
    const b1 = b0 + n;
    const b2 = b1 + n;
    const b3 = b2 + n;
    for (let j = 0; j < n; j++) acc[j] += a0 * b[b0 + j] + a1 * b[b1 + j] + a2 * b[b2 + j] + a3 * b[b3 + j];
  }
  for (; p < k; p++) {
    const ap = a[aOffset + p * aStride];
    const bRow = p * n;
    for (let j = 0; j < n; j++) acc[j] += ap * b[bRow + j];
  }
}

/**
 * acc[j] = Σ_p a[aOffset + p·aStride] · b[j·k + p] for j < n: one row of op(A) times Bᵀ where B
 * is [n x k]. Four rows of B per pass share each load of A.
 */
function rowTimesTransposed(
  acc: Float64Array,
  a: NumArray,
  aOffset: number,
  aStride: number,
  b: NumArray,
  k: number,
  n: number,
): void {
  let j = 0;
  for (; j + 3 < n; j += 4) {
    const b0 = j * k;
    const b1 = b0 + k;
    const b2 = b1 + k;
    const b3 = b2 + k;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let p = 0; p < k; p++) {
      const ap = a[aOffset + p * aStride];
      s0 += ap * b[b0 + p];
      s1 += ap * b[b1 + p];
      s2 += ap * b[b2 + p];
      s3 += ap * b[b3 + p];
    }
    acc[j] = s0;
    acc[j + 1] = s1;
    acc[j + 2] = s2;
    acc[j + 3] = s3;
  }
  for (; j < n; j++) {
    const bRow = j * k;
    let sum = 0;
    for (let p = 0; p < k; p++) sum += a[aOffset + p * aStride] * b[bRow + p];
    acc[j] = sum;
  }
}

function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: NumArray,
  b: NumArray,
  beta: number,
  c: NumArray,
): void {
  checkDims("gemm", { m, n, k });
  checkSize("gemm", "A", a, m * k);
  checkSize("gemm", "B", b, k * n);
  checkSize("gemm", "C", c, m * n);
  const acc = scratchRow(n);
  // Row i of op(A): A[i, p] = a[i·k + p], or A stored [k x m] when transposed: a[p·m + i].
  const aStride = transA ? m : 1;
  for (let i = 0; i < m; i++) {
    const aOffset = transA ? i : i * k;
    if (transB) {
      rowTimesTransposed(acc, a, aOffset, aStride, b, k, n);
    } else {
      acc.fill(0, 0, n);
      accumulateRowTimesMatrix(acc, a, aOffset, aStride, b, k, n);
    }
    const cRow = i * n;
    if (beta === 0) {
      for (let j = 0; j < n; j++) c[cRow + j] = alpha * acc[j];
    } else {
      for (let j = 0; j < n; j++) c[cRow + j] = alpha * acc[j] + beta * c[cRow + j];
    }
  }
}

function activate(value: number, act: Activation): number {
  switch (act) {
    case "identity":
      return value;
    case "relu":
      return Math.max(value, 0);
    case "tanh":
      return Math.tanh(value);
  }
}

function linearForward(
  x: NumArray,
  w: NumArray,
  bias: NumArray,
  y: NumArray,
  rows: number,
  inDim: number,
  outDim: number,
  act: Activation,
): void {
  checkDims("linearForward", { rows, inDim, outDim });
  checkSize("linearForward", "x", x, rows * inDim);
  checkSize("linearForward", "w", w, inDim * outDim);
  checkSize("linearForward", "bias", bias, outDim);
  checkSize("linearForward", "y", y, rows * outDim);
  const acc = scratchRow(outDim);
  for (let r = 0; r < rows; r++) {
    // [1, in] x [in, out] + [out] -> [1, out]
    for (let j = 0; j < outDim; j++) acc[j] = bias[j];
    accumulateRowTimesMatrix(acc, x, r * inDim, 1, w, inDim, outDim);
    const yRow = r * outDim;
    for (let j = 0; j < outDim; j++) y[yRow + j] = activate(acc[j], act);
  }
}

function activationBackward(y: NumArray, dy: NumArray, n: number, act: Activation): void {
  checkDims("activationBackward", { n });
  checkSize("activationBackward", "y", y, n);
  checkSize("activationBackward", "dy", dy, n);
  switch (act) {
    case "identity":
      return;
    case "relu":
      for (let i = 0; i < n; i++) if (!(y[i] > 0)) dy[i] = 0;
      return;
    case "tanh":
      for (let i = 0; i < n; i++) dy[i] *= 1 - y[i] * y[i];
      return;
  }
}

function linearBackward(
  x: NumArray,
  w: NumArray,
  dy: NumArray,
  dx: NumArray | null,
  dw: NumArray,
  db: NumArray,
  rows: number,
  inDim: number,
  outDim: number,
  accumulate: boolean,
): void {
  checkDims("linearBackward", { rows, inDim, outDim });
  checkSize("linearBackward", "x", x, rows * inDim);
  checkSize("linearBackward", "w", w, inDim * outDim);
  checkSize("linearBackward", "dy", dy, rows * outDim);
  checkSize("linearBackward", "dw", dw, inDim * outDim);
  checkSize("linearBackward", "db", db, outDim);
  // dW: [in, rows] x [rows, out] -> [in, out]
  gemm(true, false, inDim, outDim, rows, 1, x, dy, accumulate ? 1 : 0, dw);
  const acc = scratchRow(outDim);
  acc.fill(0, 0, outDim);
  for (let r = 0; r < rows; r++) {
    const dyRow = r * outDim;
    for (let j = 0; j < outDim; j++) acc[j] += dy[dyRow + j];
  }
  for (let j = 0; j < outDim; j++) db[j] = accumulate ? db[j] + acc[j] : acc[j];
  if (dx !== null) {
    checkSize("linearBackward", "dx", dx, rows * inDim);
    // dX: [rows, out] x [out, in] -> [rows, in]
    gemm(false, true, rows, inDim, outDim, 1, dy, w, 0, dx);
  }
}

function adam(
  params: NumArray,
  grads: NumArray,
  m: NumArray,
  v: NumArray,
  n: number,
  lr: number,
  beta1: number,
  beta2: number,
  eps: number,
  step: number,
): void {
  checkDims("adam", { n });
  if (!Number.isInteger(step) || step < 1) {
    throw new MtfError("INVALID_ARGUMENT", `adam: step is 1-based and must be an integer >= 1, got ${step}`);
  }
  checkSize("adam", "params", params, n);
  checkSize("adam", "grads", grads, n);
  checkSize("adam", "m", m, n);
  checkSize("adam", "v", v, n);
  const correction1 = 1 - beta1 ** step;
  const correction2 = 1 - beta2 ** step;
  for (let i = 0; i < n; i++) {
    const g = grads[i];
    const mi = beta1 * m[i] + (1 - beta1) * g;
    const vi = beta2 * v[i] + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    // Use the stored (possibly float32-rounded) moments, as the native backend does.
    params[i] -= (lr * (m[i] / correction1)) / (Math.sqrt(v[i] / correction2) + eps);
  }
}

function softUpdate(target: NumArray, source: NumArray, n: number, eta: number): void {
  checkDims("softUpdate", { n });
  checkSize("softUpdate", "target", target, n);
  checkSize("softUpdate", "source", source, n);
  const keep = 1 - eta;
  for (let i = 0; i < n; i++) target[i] = keep * target[i] + eta * source[i];
}

export const referenceKernels: Kernels = {
  name: "reference",
  supportsFloat64: true,
  gemm,
  linearForward,
  activationBackward,
  linearBackward,
  adam,
  softUpdate,
};
