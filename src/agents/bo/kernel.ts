/**
 * The Matérn 5/2 covariance (Rasmussen & Williams 2006, Eq. 4.17) with automatic relevance
 * determination (one length-scale per input) or one shared length-scale:
 *
 *   r² = Σ_d (x_d − x'_d)² / ℓ_d²,   s = √5·r
 *   k(x, x') = σ_f² · (1 + s + s²/3) · exp(−s)
 *
 * and the derivatives the GP needs, written through r² so nothing is singular at r = 0:
 *
 *   ∂k/∂r²       = −(5/6) σ_f² (1 + s) e^{−s}
 *   ∂k/∂ln ℓ_d   = (5/3) σ_f² (1 + s) e^{−s} · (x_d − x'_d)² / ℓ_d²
 *   ∂k/∂x_d      = −(5/3) σ_f² (1 + s) e^{−s} · (x_d − x'_d) / ℓ_d²
 *   ∂k/∂ln σ_f²  = k
 *
 * Hyper-parameters are optimised in log space; `logParams` lays them out as
 * [ln ℓ_1 … ln ℓ_L, ln σ_f², ln σ_n²] with L = dim (ARD) or 1 (shared).
 */
import { MtfError } from "../../core/errors.js";

const SQRT5 = Math.sqrt(5);

export interface GpHyperparameters {
  /** ℓ_d: one per input dimension (ARD) or a single shared one. */
  readonly lengthScales: Float64Array;
  /** σ_f², the prior variance of the latent function. */
  readonly signalVariance: number;
  /** σ_n², the observation noise variance. */
  readonly noiseVariance: number;
}

/** k(r) of the Matérn 5/2 covariance at scaled distance r ≥ 0. */
export function maternKernel(r: number, signalVariance: number): number {
  const s = SQRT5 * r;
  return signalVariance * (1 + s + (s * s) / 3) * Math.exp(-s);
}

/** (5/3) σ_f² (1 + s) e^{−s} at r² (the common factor of every derivative above). */
export function maternSlope(r2: number, signalVariance: number): number {
  const s = SQRT5 * Math.sqrt(r2);
  return (5 / 3) * signalVariance * (1 + s) * Math.exp(-s);
}

/** ℓ of input dimension d. */
export function lengthScaleOf(hyper: GpHyperparameters, d: number): number {
  return hyper.lengthScales.length === 1 ? hyper.lengthScales[0] : hyper.lengthScales[d];
}

/** x_d / ℓ_d for every row of x [rows x dim]: distances between scaled rows are r. */
export function scaleInputs(
  x: ArrayLike<number>,
  rows: number,
  dim: number,
  hyper: GpHyperparameters,
): Float64Array {
  const out = new Float64Array(rows * dim);
  for (let d = 0; d < dim; d++) {
    const inverse = 1 / lengthScaleOf(hyper, d);
    for (let i = 0; i < rows; i++) out[i * dim + d] = x[i * dim + d] * inverse;
  }
  return out;
}

/** Squared Euclidean distance between row `i` of `a` and row `j` of `b` (both [rows x dim]). */
export function squaredDistance(a: Float64Array, i: number, b: Float64Array, j: number, dim: number): number {
  let r2 = 0;
  const ai = i * dim;
  const bj = j * dim;
  for (let d = 0; d < dim; d++) {
    const delta = a[ai + d] - b[bj + d];
    r2 += delta * delta;
  }
  return r2;
}

/** K(x, x) + σ_n²·I from scaled inputs [n x dim]: the covariance of the noisy observations. */
export function observationCovariance(
  scaled: Float64Array,
  n: number,
  dim: number,
  hyper: GpHyperparameters,
): Float64Array {
  const k = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    k[i * n + i] = hyper.signalVariance + hyper.noiseVariance;
    for (let j = 0; j < i; j++) {
      const value = maternKernel(Math.sqrt(squaredDistance(scaled, i, scaled, j, dim)), hyper.signalVariance);
      k[i * n + j] = value;
      k[j * n + i] = value;
    }
  }
  return k;
}

/** k(x*, x_i) for one scaled query row `query` [dim] against scaled rows [n x dim], into `out` [n]. */
export function crossCovariance(
  query: Float64Array,
  scaled: Float64Array,
  n: number,
  dim: number,
  signalVariance: number,
  out: Float64Array,
): Float64Array {
  for (let i = 0; i < n; i++) {
    out[i] = maternKernel(Math.sqrt(squaredDistance(scaled, i, query, 0, dim)), signalVariance);
  }
  return out;
}

/** Number of log-parameters: L length-scales, σ_f², σ_n². */
export function logParamCount(dim: number, ard: boolean): number {
  return (ard ? dim : 1) + 2;
}

/** [ln ℓ_1 … ln ℓ_L, ln σ_f², ln σ_n²]. */
export function hyperToLogParams(hyper: GpHyperparameters): Float64Array {
  const l = hyper.lengthScales.length;
  const out = new Float64Array(l + 2);
  for (let d = 0; d < l; d++) out[d] = Math.log(hyper.lengthScales[d]);
  out[l] = Math.log(hyper.signalVariance);
  out[l + 1] = Math.log(hyper.noiseVariance);
  return out;
}

/** Inverse of `hyperToLogParams`. */
export function logParamsToHyper(logParams: ArrayLike<number>): GpHyperparameters {
  const l = logParams.length - 2;
  if (l < 1) {
    throw new MtfError("SHAPE_MISMATCH", `GP log-parameters need at least 3 values, got ${logParams.length}`);
  }
  const lengthScales = new Float64Array(l);
  for (let d = 0; d < l; d++) lengthScales[d] = Math.exp(logParams[d]);
  return {
    lengthScales,
    signalVariance: Math.exp(logParams[l]),
    noiseVariance: Math.exp(logParams[l + 1]),
  };
}
