/**
 * Minimal shape helpers over flat row-major typed arrays: dtypes, allocation, size checks,
 * column copies (concatenating or splitting [rows, cols] blocks) and norms.
 */
import { MtfError } from "../core/errors.js";
import type { NumArray } from "./kernels.js";

export type DType = "float32" | "float64";

export const DTYPES: readonly DType[] = ["float32", "float64"];

export function allocate(dtype: DType, n: number): NumArray {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

export function dtypeOf(array: NumArray): DType {
  return array instanceof Float64Array ? "float64" : "float32";
}

/** Throws SHAPE_MISMATCH unless `array` has exactly `expected` entries. */
export function assertLength(array: ArrayLike<number>, expected: number, name: string): void {
  if (array.length !== expected) {
    throw new MtfError("SHAPE_MISMATCH", `${name} must have ${expected} entries, got ${array.length}`, {
      details: { name, expected, found: array.length },
    });
  }
}

/** Throws SHAPE_MISMATCH unless `array` has at least `needed` entries (buffers sized for a larger batch). */
export function assertMinLength(array: ArrayLike<number>, needed: number, name: string): void {
  if (array.length < needed) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `${name} must have at least ${needed} entries, got ${array.length}`,
      {
        details: { name, expected: needed, found: array.length },
      },
    );
  }
}

/**
 * Copies `count` columns of each of `rows` rows: dst[r, dstStart + c] = src[r, srcStart + c].
 * Concatenates inputs (e.g. [state, action] for a critic) or splits outputs and gradients
 * (e.g. an encoder's [mean, logStd] head).
 */
export function copyColumns(
  src: NumArray,
  srcCols: number,
  srcStart: number,
  dst: NumArray,
  dstCols: number,
  dstStart: number,
  rows: number,
  count: number,
): void {
  if (srcStart + count > srcCols || dstStart + count > dstCols) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `copyColumns: columns [${srcStart}, ${srcStart + count}) of ${srcCols} -> [${dstStart}, ${dstStart + count}) of ${dstCols} are out of range`,
    );
  }
  assertMinLength(src, rows * srcCols, "copyColumns source");
  assertMinLength(dst, rows * dstCols, "copyColumns destination");
  for (let r = 0; r < rows; r++) {
    // [rows, srcCols][:, srcStart:srcStart+count] -> [rows, dstCols][:, dstStart:dstStart+count]
    const from = r * srcCols + srcStart;
    const to = r * dstCols + dstStart;
    for (let c = 0; c < count; c++) dst[to + c] = src[from + c];
  }
}

/** Euclidean norm of the first `n` entries. */
export function l2Norm(array: ArrayLike<number>, n = array.length): number {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += array[i] * array[i];
  return Math.sqrt(sum);
}

/** ‖a − b‖₂ / max(‖b‖₂, tiny) over the first `n` entries: the normwise relative error of `a` against `b`. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>, n = b.length): number {
  let diff = 0;
  for (let i = 0; i < n; i++) diff += (a[i] - b[i]) ** 2;
  return Math.sqrt(diff) / Math.max(l2Norm(b, n), Number.MIN_VALUE);
}
