/** Small pure numeric helpers of the simulator: link functions, hashing, quantiles. */

export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

export function logit(p: number): number {
  return Math.log(p / (1 - p));
}

/** Murmur3's 32-bit finaliser: a fast, well-mixed hash of a 32-bit integer. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A 32-bit hash of three 32-bit keys (e.g. day salt, user key, video index). */
export function hash3(a: number, b: number, c: number): number {
  return mix32((a ^ mix32((b + Math.imul(c, 0x9e3779b1)) >>> 0)) >>> 0);
}

/**
 * Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9),
 * so a normal deviate costs exactly one uniform draw (streams stay aligned across arms).
 */
export function normalQuantile(p: number): number {
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  const q0 = p < 1e-300 ? 1e-300 : Math.min(p, 1 - 1e-16);
  if (q0 < low) {
    const q = Math.sqrt(-2 * Math.log(q0));
    return (
      (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  if (q0 > 1 - low) {
    const q = Math.sqrt(-2 * Math.log(1 - q0));
    return (
      -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
      ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    );
  }
  const q = q0 - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf =
    1 -
    ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) *
      t *
      Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

const CDF_RANGE = 8;
const CDF_STEPS_PER_UNIT = 64;
const CDF_TABLE = (() => {
  const n = 2 * CDF_RANGE * CDF_STEPS_PER_UNIT + 2;
  const table = new Float64Array(n);
  for (let i = 0; i < n; i++) table[i] = normalCdf(i / CDF_STEPS_PER_UNIT - CDF_RANGE);
  return table;
})();

/**
 * Standard normal CDF by linear interpolation in a table (step 1/64 over [-8, 8], absolute
 * error < 1e-5): the simulator's candidate scoring calls it four times per candidate.
 */
export function normalCdfFast(x: number): number {
  if (!(x > -CDF_RANGE)) return Number.isNaN(x) ? Number.NaN : 0;
  if (x >= CDF_RANGE) return 1;
  const t = (x + CDF_RANGE) * CDF_STEPS_PER_UNIT;
  const i = t | 0;
  const f = t - i;
  return CDF_TABLE[i] + f * (CDF_TABLE[i + 1] - CDF_TABLE[i]);
}

const SIGMOID_RANGE = 16;
const SIGMOID_STEPS_PER_UNIT = 64;
const SIGMOID_TABLE = (() => {
  const n = 2 * SIGMOID_RANGE * SIGMOID_STEPS_PER_UNIT + 2;
  const table = new Float64Array(n);
  for (let i = 0; i < n; i++) table[i] = sigmoid(i / SIGMOID_STEPS_PER_UNIT - SIGMOID_RANGE);
  return table;
})();

/** σ(x) by linear interpolation in a table (step 1/64 over [-16, 16], absolute error < 3e-6). */
export function sigmoidFast(x: number): number {
  if (!(x > -SIGMOID_RANGE)) return Number.isNaN(x) ? Number.NaN : 0;
  if (x >= SIGMOID_RANGE) return 1;
  const t = (x + SIGMOID_RANGE) * SIGMOID_STEPS_PER_UNIT;
  const i = t | 0;
  const f = t - i;
  return SIGMOID_TABLE[i] + f * (SIGMOID_TABLE[i + 1] - SIGMOID_TABLE[i]);
}

/** Linear-interpolated quantile of an ascending-sorted array. */
export function sortedQuantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
