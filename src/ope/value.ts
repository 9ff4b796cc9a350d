/**
 * V̂(π_e) of Eq. 9 and its uncertainty over sessions. Each session of D contributes one
 * initial state s⁰, so resampling initial states is resampling sessions: the bootstrap
 * interval covers the SAMPLING OF SESSIONS only, not the variance of fitting Q̂ (refit with
 * other seeds for that; see evaluate.ts).
 */
import { MtfError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";

export interface Interval {
  readonly low: number;
  readonly high: number;
  /** Nominal coverage, e.g. 0.95. */
  readonly confidence: number;
  readonly resamples: number;
}

/**
 * The testing batch of Alg. 2 line 9: `n` initial states drawn without replacement from D's
 * session starts, or all of them (in their order) when D holds at most `n` sessions.
 */
export function sampleInitialStates(initialStateIndex: Int32Array, n: number, rng: Rng): Int32Array {
  if (initialStateIndex.length <= n) return initialStateIndex.slice();
  const pool = initialStateIndex.slice();
  // Partial Fisher-Yates: the first n entries become a uniform sample without replacement.
  for (let i = 0; i < n; i++) {
    const j = i + rng.int(pool.length - i);
    const tmp = pool[i];
    pool[i] = pool[j];
    pool[j] = tmp;
  }
  return pool.slice(0, n);
}

/** Eq. 9: V̂(π_e) = (1/n)·Σ_i v_i with v_i = E_{a~π_e(·|s⁰_i)} Q̂(s⁰_i, a). */
export function conservativeValue(initialValues: ArrayLike<number>): number {
  if (initialValues.length === 0)
    throw new MtfError("INVALID_ARGUMENT", "V̂ needs at least one initial state");
  let sum = 0;
  for (let i = 0; i < initialValues.length; i++) sum += initialValues[i];
  return sum / initialValues.length;
}

/** The q-quantile of sorted values, linearly interpolated (type 7, like numpy's default). */
function quantileSorted(sorted: Float64Array, q: number): number {
  const position = q * (sorted.length - 1);
  const lower = Math.floor(position);
  const upper = Math.min(lower + 1, sorted.length - 1);
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower]);
}

/**
 * Percentile bootstrap interval of the mean of per-session values: `resamples` means of n
 * sessions drawn with replacement; the interval spans their (1 ± confidence)/2 quantiles.
 */
export function bootstrapInterval(
  initialValues: ArrayLike<number>,
  resamples: number,
  confidence: number,
  rng: Rng,
): Interval {
  const n = initialValues.length;
  if (n === 0) throw new MtfError("INVALID_ARGUMENT", "a bootstrap interval needs at least one session");
  const means = new Float64Array(resamples);
  for (let b = 0; b < resamples; b++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += initialValues[rng.int(n)];
    means[b] = sum / n;
  }
  means.sort();
  const tail = (1 - confidence) / 2;
  return { low: quantileSorted(means, tail), high: quantileSorted(means, 1 - tail), confidence, resamples };
}

/** Mean, sample standard deviation, min and max of per-seed V̂: the spread of fitting Q̂. */
export interface Spread {
  readonly mean: number;
  readonly std: number;
  readonly min: number;
  readonly max: number;
}

export function spread(values: readonly number[]): Spread {
  const n = values.length;
  const mu = values.reduce((a, b) => a + b, 0) / n;
  const variance = n > 1 ? values.reduce((a, b) => a + (b - mu) ** 2, 0) / (n - 1) : 0;
  return { mean: mu, std: Math.sqrt(variance), min: Math.min(...values), max: Math.max(...values) };
}
