/**
 * Reshapes every agent does on preallocated row-major buffers: concatenating [s, a] for a
 * critic, repeating each state n times for n sampled actions, summary statistics for metrics.
 * Nothing here allocates.
 */
import { MtfError } from "../../core/errors.js";
import type { NumArray } from "../../nn/kernels.js";

function need(array: ArrayLike<number>, n: number, name: string): void {
  if (array.length < n) {
    throw new MtfError("SHAPE_MISMATCH", `${name} needs at least ${n} entries, got ${array.length}`);
  }
}

/** dst [rows, aCols + bCols] = [a | b] for a [rows, aCols] and b [rows, bCols]. */
export function concatColumns(
  a: ArrayLike<number>,
  aCols: number,
  b: ArrayLike<number>,
  bCols: number,
  rows: number,
  dst: NumArray,
): void {
  const cols = aCols + bCols;
  need(a, rows * aCols, "concatColumns a");
  need(b, rows * bCols, "concatColumns b");
  need(dst, rows * cols, "concatColumns dst");
  for (let r = 0; r < rows; r++) {
    // [rows, aCols] ++ [rows, bCols] -> [rows, aCols + bCols]
    const to = r * cols;
    const fromA = r * aCols;
    const fromB = r * bCols;
    for (let c = 0; c < aCols; c++) dst[to + c] = a[fromA + c];
    for (let c = 0; c < bCols; c++) dst[to + aCols + c] = b[fromB + c];
  }
}

/**
 * Overwrites columns [start, start + count) of dst [rows, dstCols] with src [rows, count], e.g.
 * the action part of a prepared [s, a] buffer whose state part stays.
 */
export function setColumns(
  src: ArrayLike<number>,
  count: number,
  dst: NumArray,
  dstCols: number,
  start: number,
  rows: number,
): void {
  if (start < 0 || start + count > dstCols) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `setColumns: columns [${start}, ${start + count}) are outside ${dstCols}`,
    );
  }
  need(src, rows * count, "setColumns src");
  need(dst, rows * dstCols, "setColumns dst");
  for (let r = 0; r < rows; r++) {
    const to = r * dstCols + start;
    const from = r * count;
    for (let c = 0; c < count; c++) dst[to + c] = src[from + c];
  }
}

/** dst [rows, count] = columns [start, start + count) of src [rows, srcCols] (e.g. dL/da out of dL/d[s, a]). */
export function getColumns(
  src: ArrayLike<number>,
  srcCols: number,
  start: number,
  count: number,
  rows: number,
  dst: NumArray,
): void {
  if (start < 0 || start + count > srcCols) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `getColumns: columns [${start}, ${start + count}) are outside ${srcCols}`,
    );
  }
  need(src, rows * srcCols, "getColumns src");
  need(dst, rows * count, "getColumns dst");
  for (let r = 0; r < rows; r++) {
    const from = r * srcCols + start;
    const to = r * count;
    for (let c = 0; c < count; c++) dst[to + c] = src[from + c];
  }
}

/**
 * dst [rows·times, cols]: each row of src [rows, cols] repeated `times` times in a row, like
 * torch.repeat_interleave(src, times, 0) (row r lands at rows r·times … r·times + times − 1).
 */
export function repeatRows(
  src: ArrayLike<number>,
  rows: number,
  cols: number,
  times: number,
  dst: NumArray,
): void {
  need(src, rows * cols, "repeatRows src");
  need(dst, rows * times * cols, "repeatRows dst");
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let t = 0; t < times; t++) {
      const to = (r * times + t) * cols; // [rows, cols] -> [rows * times, cols]
      for (let c = 0; c < cols; c++) dst[to + c] = src[from + c];
    }
  }
}

/** Mean and population standard deviation of the first n entries (float64 sums); NaN when n = 0. */
export function meanStd(values: ArrayLike<number>, n = values.length): { mean: number; std: number } {
  if (n === 0) return { mean: Number.NaN, std: Number.NaN };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i];
  const mean = sum / n;
  let sq = 0;
  for (let i = 0; i < n; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / n) };
}
