/**
 * Per-feature state normaliser: z = (s − mean) / std, fitted on the TRAIN split only and saved
 * with the dataset (DESIGN.md "MDP"). Datasets hold raw states; each policy applies its own
 * normaliser, so any policy can be evaluated on any dataset.
 *
 * A feature whose standard deviation is below `MIN_STD` (constant on the train split, e.g. a
 * profile feature every user shares) gets std 1, so it maps to s − mean instead of blowing up.
 */
import { MtfError } from "../core/errors.js";

export const MIN_STD = 1e-6;

export interface Normaliser {
  /** [stateDim] */
  readonly mean: readonly number[];
  /** [stateDim], every value >= MIN_STD. */
  readonly std: readonly number[];
  /** Rows it was fitted on. */
  readonly rows: number;
}

/**
 * Streaming mean / variance over state rows, shifted by the first row (sums of s − s0) so the
 * float64 sums do not lose precision when a feature's mean is large next to its spread.
 */
export class NormaliserAccumulator {
  readonly dim: number;
  private rows = 0;
  private readonly shift: Float64Array;
  private readonly sum: Float64Array;
  private readonly sumSq: Float64Array;

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim <= 0) {
      throw new MtfError("INVALID_ARGUMENT", `normaliser dimension must be a positive integer, got ${dim}`);
    }
    this.dim = dim;
    this.shift = new Float64Array(dim);
    this.sum = new Float64Array(dim);
    this.sumSq = new Float64Array(dim);
  }

  /** Adds the row at `values[offset .. offset + dim)`. */
  add(values: Float32Array, offset: number): void {
    const { dim, shift, sum, sumSq } = this;
    if (this.rows === 0) for (let i = 0; i < dim; i++) shift[i] = values[offset + i];
    for (let i = 0; i < dim; i++) {
      const x = values[offset + i] - shift[i];
      sum[i] += x;
      sumSq[i] += x * x;
    }
    this.rows += 1;
  }

  /** The normaliser of the rows added so far (population std). */
  result(): Normaliser {
    const { dim, rows, shift, sum, sumSq } = this;
    if (rows === 0) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        "cannot fit a normaliser on zero rows (is the train split empty?)",
      );
    }
    const mean: number[] = new Array(dim);
    const std: number[] = new Array(dim);
    for (let i = 0; i < dim; i++) {
      const m = sum[i] / rows;
      const variance = Math.max(sumSq[i] / rows - m * m, 0);
      mean[i] = shift[i] + m;
      const s = Math.sqrt(variance);
      std[i] = s >= MIN_STD ? s : 1;
    }
    return { mean, std, rows };
  }
}

/** Fits a normaliser on `rows` state rows of `states` [rows x dim]. */
export function fitNormaliser(states: Float32Array, rows: number, dim: number): Normaliser {
  const acc = new NormaliserAccumulator(dim);
  for (let r = 0; r < rows; r++) acc.add(states, r * dim);
  return acc.result();
}

/** out[r, i] = (states[r, i] − mean_i) / std_i over [rows x dim]; `out` may be `states`. */
export function applyNormaliser(
  normaliser: Normaliser,
  states: Float32Array,
  rows: number,
  out: Float32Array,
): void {
  const dim = normaliser.mean.length;
  if (states.length < rows * dim || out.length < rows * dim) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `normalising ${rows} rows x ${dim} needs ${rows * dim} values, got ${states.length} in and ${out.length} out`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const base = r * dim; // [rows x dim] row-major
    for (let i = 0; i < dim; i++) out[base + i] = (states[base + i] - normaliser.mean[i]) / normaliser.std[i];
  }
}

/** Checks a normaliser read from a file: two arrays of `dim` finite numbers, std > 0. */
export function validateNormaliser(value: Normaliser, dim: number, source: string): Normaliser {
  const ok =
    Array.isArray(value.mean) &&
    Array.isArray(value.std) &&
    value.mean.length === dim &&
    value.std.length === dim &&
    value.mean.every((m) => Number.isFinite(m)) &&
    value.std.every((s) => Number.isFinite(s) && s > 0);
  if (!ok) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${source}: normaliser must hold ${dim} finite means and ${dim} positive standard deviations`,
      { details: { source, dim } },
    );
  }
  return value;
}
