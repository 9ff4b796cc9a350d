/**
 * Per-feature standardisation of the raw states fed to Q_θ, fitted on D itself (the data the
 * estimator is fitted on), so any dataset's raw states reach the network on a unit scale. The
 * evaluated policy never sees it: policies apply their own normalisers to raw states.
 */

export interface Standardiser {
  /** [stateDim] */
  readonly mean: Float32Array;
  /** [stateDim], 1 where a feature is constant in D. */
  readonly std: Float32Array;
}

/** Features whose spread is below this are constant in D: their std is set to 1. */
const MIN_STD = 1e-6;

/** Mean and standard deviation of each of `dim` columns over `rows` rows of `states`. */
export function fitStandardiser(states: Float32Array, rows: number, dim: number): Standardiser {
  // Two passes (mean, then squared deviations), so large raw values lose no precision.
  const mean64 = new Float64Array(dim);
  for (let r = 0; r < rows; r++) for (let c = 0; c < dim; c++) mean64[c] += states[r * dim + c];
  for (let c = 0; c < dim; c++) mean64[c] /= rows;
  const variance = new Float64Array(dim);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) variance[c] += (states[r * dim + c] - mean64[c]) ** 2;
  }
  const mean = Float32Array.from(mean64);
  const std = new Float32Array(dim);
  for (let c = 0; c < dim; c++) {
    const sd = Math.sqrt(variance[c] / rows);
    std[c] = sd < MIN_STD ? 1 : sd;
  }
  return { mean, std };
}

/** (x − mean) / std for every row of `states` [rows x dim], into a new array. */
export function standardise(
  states: Float32Array,
  rows: number,
  dim: number,
  standardiser: Standardiser,
): Float32Array {
  const out = new Float32Array(rows * dim);
  const { mean, std } = standardiser;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < dim; c++) out[r * dim + c] = (states[r * dim + c] - mean[c]) / std[c];
  }
  return out;
}
