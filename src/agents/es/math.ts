/**
 * The update math of natural evolution strategies (Salimans et al. 2017, Algorithm 1 with
 * antithetic sampling and fitness shaping; Wierstra et al. 2014, Sec. 3.1 for the shaping):
 * pure functions over flat Float64Arrays.
 */
import { MtfError } from "../../core/errors.js";

/**
 * Centered ranks: rank(v_i) / (N − 1) − 0.5 with ranks 0…N−1 in increasing order (ties share
 * their mean rank), so the shaped fitnesses lie in [−0.5, 0.5], sum to 0 and ignore the scale
 * and outliers of the raw values. N = 1 gives 0.
 */
export function centeredRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i])) {
      throw new MtfError("INVALID_ARGUMENT", `fitness ${i} is ${values[i]}; fitnesses must be finite`);
    }
  }
  const out = new Float64Array(n);
  if (n < 2) return out;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  for (let start = 0; start < n; ) {
    let end = start + 1;
    while (end < n && values[order[end]] === values[order[start]]) end++;
    const rank = (start + end - 1) / 2;
    for (let j = start; j < end; j++) out[order[j]] = rank / (n - 1) - 0.5;
    start = end;
  }
  return out;
}

/**
 * The antithetic search-gradient estimate ĝ = 1/(2nσ) Σ_i (u_{2i} − u_{2i+1}) ε_i, where
 * `noise` holds ε_i as rows [n x dim] and `shaped` [2n] the shaped fitness of θ + σε_i at 2i and of
 * θ − σε_i at 2i + 1. Writes ĝ into `out` [dim].
 */
export function antitheticGradient(
  noise: Float64Array,
  shaped: ArrayLike<number>,
  pairs: number,
  dim: number,
  sigma: number,
  out: Float64Array,
): Float64Array {
  if (noise.length !== pairs * dim || shaped.length !== 2 * pairs || out.length !== dim) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `antitheticGradient: noise ${noise.length} (want ${pairs} x ${dim}), shaped ${shaped.length} (want ${2 * pairs}), out ${out.length} (want ${dim})`,
    );
  }
  out.fill(0);
  for (let i = 0; i < pairs; i++) {
    const weight = (shaped[2 * i] - shaped[2 * i + 1]) / (2 * pairs * sigma);
    const row = i * dim; // ε_i
    for (let p = 0; p < dim; p++) out[p] += weight * noise[row + p];
  }
  return out;
}
