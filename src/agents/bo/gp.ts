/**
 * Gaussian-process regression with a zero prior mean (Rasmussen & Williams 2006, Ch. 2 and 5;
 * the BO layer standardises y first). With K_y = K(X, X) + σ_n²·I = L·Lᵀ and a = K_y⁻¹·y
 * (Algorithm 2.1):
 *
 *   μ(x*)  = k*ᵀ a                                  (Eq. 2.25)
 *   σ²(x*) = k(x*, x*) − k*ᵀ K_y⁻¹ k*               (Eq. 2.26, the latent f, without noise)
 *   ln p(y | X, θ) = −½ yᵀa − Σ_i ln L_ii − (n/2) ln 2π            (Eq. 2.30)
 *   ∂ ln p / ∂θ_j  = ½ tr((a·aᵀ − K_y⁻¹) ∂K_y/∂θ_j)                 (Eq. 5.9)
 *
 * All inputs are row-major Float64Array [n x dim].
 */
import { MtfError } from "../../core/errors.js";
import {
  crossCovariance,
  type GpHyperparameters,
  lengthScaleOf,
  maternKernel,
  maternSlope,
  observationCovariance,
  scaleInputs,
  squaredDistance,
} from "./kernel.js";
import {
  type CholeskyFactor,
  cholesky,
  choleskyInverse,
  choleskySolve,
  logDeterminant,
  solveLower,
} from "./linalg.js";

/** A GP conditioned on data: everything a posterior query needs. */
export interface GpModel {
  /** [n x dim] training inputs. */
  readonly x: Float64Array;
  /** [n] training targets. */
  readonly y: Float64Array;
  readonly n: number;
  readonly dim: number;
  readonly hyper: GpHyperparameters;
  /** x_d / ℓ_d [n x dim]. */
  readonly scaled: Float64Array;
  readonly factor: CholeskyFactor;
  /** a = K_y⁻¹·y [n]. */
  readonly weights: Float64Array;
}

export interface GpPrediction {
  /** μ(x*) per query row. */
  readonly mean: Float64Array;
  /** σ²(x*) of the latent function per query row (≥ 0). */
  readonly variance: Float64Array;
}

function checkData(x: Float64Array, y: Float64Array, n: number, dim: number): void {
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(dim) || dim < 1) {
    throw new MtfError("INVALID_ARGUMENT", `a GP needs n >= 1 points of dim >= 1, got n ${n}, dim ${dim}`);
  }
  if (x.length !== n * dim || y.length !== n) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `GP data: x must hold ${n} x ${dim} values and y ${n}; got ${x.length} and ${y.length}`,
    );
  }
  for (let i = 0; i < y.length; i++) {
    if (!Number.isFinite(y[i])) {
      throw new MtfError("INVALID_ARGUMENT", `GP target ${i} is ${y[i]}; targets must be finite`);
    }
  }
}

/** Conditions the zero-mean GP with hyper-parameters `hyper` on (x, y). */
export function fitGp(
  x: Float64Array,
  y: Float64Array,
  n: number,
  dim: number,
  hyper: GpHyperparameters,
): GpModel {
  checkData(x, y, n, dim);
  const scaled = scaleInputs(x, n, dim, hyper);
  const factor = cholesky(observationCovariance(scaled, n, dim, hyper), n);
  const weights = choleskySolve(factor, y, new Float64Array(n));
  return { x, y, n, dim, hyper, scaled, factor, weights };
}

/** Posterior mean and latent variance at each row of `queries` [m x dim]. */
export function gpPosterior(model: GpModel, queries: Float64Array, m: number): GpPrediction {
  const { n, dim, hyper } = model;
  if (queries.length < m * dim) {
    throw new MtfError("SHAPE_MISMATCH", `GP queries: need ${m} x ${dim} values, got ${queries.length}`);
  }
  const mean = new Float64Array(m);
  const variance = new Float64Array(m);
  const kStar = new Float64Array(n);
  const v = new Float64Array(n);
  const scaledQueries = scaleInputs(queries, m, dim, hyper);
  for (let q = 0; q < m; q++) {
    crossCovariance(
      scaledQueries.subarray(q * dim, (q + 1) * dim),
      model.scaled,
      n,
      dim,
      hyper.signalVariance,
      kStar,
    );
    let mu = 0;
    for (let i = 0; i < n; i++) mu += kStar[i] * model.weights[i];
    // σ² = k** − vᵀv with v = L⁻¹ k* (Algorithm 2.1 lines 5-6)
    solveLower(model.factor, kStar, v);
    let vv = 0;
    for (let i = 0; i < n; i++) vv += v[i] * v[i];
    mean[q] = mu;
    variance[q] = Math.max(hyper.signalVariance - vv, 0);
  }
  return { mean, variance };
}

/** μ, σ² and their gradients with respect to the query point, for the acquisition's local search. */
export interface GpPointPrediction {
  readonly mean: number;
  readonly variance: number;
  /** ∂μ/∂x* [dim] */
  readonly meanGradient: Float64Array;
  /** ∂σ²/∂x* [dim] */
  readonly varianceGradient: Float64Array;
}

/**
 * μ(x*), σ²(x*) and their gradients at one point [dim]:
 * ∂μ/∂x* = Σ_i a_i ∂k(x*, x_i)/∂x*,  ∂σ²/∂x* = −2 Σ_i (K_y⁻¹ k*)_i ∂k(x*, x_i)/∂x*.
 */
export function gpPosteriorWithGradient(model: GpModel, query: ArrayLike<number>): GpPointPrediction {
  const { n, dim, hyper, scaled } = model;
  const scaledQuery = scaleInputs(query, 1, dim, hyper);
  const kStar = crossCovariance(scaledQuery, scaled, n, dim, hyper.signalVariance, new Float64Array(n));
  const solved = choleskySolve(model.factor, kStar, new Float64Array(n));
  let mean = 0;
  let kSolved = 0;
  for (let i = 0; i < n; i++) {
    mean += kStar[i] * model.weights[i];
    kSolved += kStar[i] * solved[i];
  }
  const meanGradient = new Float64Array(dim);
  const varianceGradient = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    const slope = maternSlope(squaredDistance(scaled, i, scaledQuery, 0, dim), hyper.signalVariance);
    for (let d = 0; d < dim; d++) {
      const dk = (-slope * (scaledQuery[d] - scaled[i * dim + d])) / lengthScaleOf(hyper, d);
      meanGradient[d] += model.weights[i] * dk;
      varianceGradient[d] -= 2 * solved[i] * dk;
    }
  }
  return { mean, variance: Math.max(hyper.signalVariance - kSolved, 0), meanGradient, varianceGradient };
}

export interface MarginalLikelihood {
  /** ln p(y | X, θ). */
  readonly value: number;
  /** ∂ ln p / ∂ logParams, in `hyperToLogParams` order [ln ℓ…, ln σ_f², ln σ_n²]. */
  readonly gradient: Float64Array;
}

/** The log marginal likelihood (Eq. 2.30) and its gradient in log-parameters (Eq. 5.9). */
export function logMarginalLikelihood(
  x: Float64Array,
  y: Float64Array,
  n: number,
  dim: number,
  hyper: GpHyperparameters,
): MarginalLikelihood {
  const model = fitGp(x, y, n, dim, hyper);
  const { scaled, weights: a } = model;
  let fit = 0;
  for (let i = 0; i < n; i++) fit += y[i] * a[i];
  const value = -0.5 * fit - 0.5 * logDeterminant(model.factor) - 0.5 * n * Math.log(2 * Math.PI);

  // W = a·aᵀ − K_y⁻¹; ∂/∂θ_j = ½ Σ_pq W_pq ∂K_pq/∂θ_j, summed over pairs p > q twice (symmetry).
  const inverse = choleskyInverse(model.factor);
  const l = hyper.lengthScales.length;
  const gradient = new Float64Array(l + 2);
  let signal = 0;
  let noise = 0;
  for (let p = 0; p < n; p++) {
    const wpp = a[p] * a[p] - inverse[p * n + p];
    signal += 0.5 * wpp * hyper.signalVariance;
    noise += 0.5 * wpp * hyper.noiseVariance;
    for (let q = 0; q < p; q++) {
      const w = a[p] * a[q] - inverse[p * n + q];
      const r2 = squaredDistance(scaled, p, scaled, q, dim);
      signal += w * maternKernel(Math.sqrt(r2), hyper.signalVariance);
      const slope = w * maternSlope(r2, hyper.signalVariance);
      if (l === 1) {
        gradient[0] += slope * r2;
      } else {
        for (let d = 0; d < dim; d++) {
          const delta = scaled[p * dim + d] - scaled[q * dim + d];
          gradient[d] += slope * delta * delta;
        }
      }
    }
  }
  gradient[l] = signal;
  gradient[l + 1] = noise;
  return { value, gradient };
}
