/**
 * Type-II maximum likelihood of the GP's hyper-parameters (Rasmussen & Williams 2006, Sec. 5.4.1):
 * maximise ln p(y | X, θ) over θ = (ℓ, σ_f², σ_n²) by L-BFGS with the analytic gradient (Eq. 5.9),
 * from several starts, keeping the best. Each log-parameter is confined to its configured range
 * by the bijection `toBox` (so the search is unconstrained and the bounds are never crossed); the
 * likelihood is multi-modal, hence the restarts: the previous round's optimum (warm start) plus
 * `restarts` points drawn uniformly in log space.
 */
import type { Rng } from "../../core/rng.js";
import { logMarginalLikelihood } from "./gp.js";
import { type GpHyperparameters, logParamCount, logParamsToHyper } from "./kernel.js";
import { fromBox, minimiseLbfgs, toBox } from "./lbfgs.js";

export interface HyperparameterSearch {
  /** One length-scale per input (ARD) or one shared. */
  readonly ard: boolean;
  /** [low, high] of each ℓ_d (inputs live in [-1, 1], width 2). */
  readonly lengthScaleBounds: readonly [number, number];
  /** [low, high] of σ_f² (targets are standardised, so about 1). */
  readonly signalVarianceBounds: readonly [number, number];
  /** [low, high] of σ_n². */
  readonly noiseVarianceBounds: readonly [number, number];
  /** Random starts besides the warm start (or the default start when there is none). */
  readonly restarts: number;
  readonly maxIterations: number;
}

export interface HyperparameterFit {
  readonly hyper: GpHyperparameters;
  /** [ln ℓ…, ln σ_f², ln σ_n²], the warm start of the next fit. */
  readonly logParams: Float64Array;
  readonly logLikelihood: number;
  readonly evaluations: number;
}

/** The [low, high] of each log-parameter, in `hyperToLogParams` order. */
function logBounds(search: HyperparameterSearch, dim: number): Array<readonly [number, number]> {
  const log = ([low, high]: readonly [number, number]) => [Math.log(low), Math.log(high)] as const;
  const l = logParamCount(dim, search.ard) - 2;
  return [
    ...Array.from({ length: l }, () => log(search.lengthScaleBounds)),
    log(search.signalVarianceBounds),
    log(search.noiseVarianceBounds),
  ];
}

/**
 * The default first start: ℓ = 0.5 (a quarter of the box), σ_f² = 1 (standardised targets),
 * σ_n² = 0.1, each clamped into its bounds.
 */
function defaultStart(search: HyperparameterSearch, dim: number): Float64Array {
  const l = logParamCount(dim, search.ard) - 2;
  const values = [...Array.from({ length: l }, () => 0.5), 1, 0.1];
  const bounds = logBounds(search, dim);
  return Float64Array.from(values, (v, j) => Math.min(Math.max(Math.log(v), bounds[j][0]), bounds[j][1]));
}

/** Fits θ to (x [n x dim], y [n]); `warmStart` is a previous fit's `logParams` (same layout). */
export function fitHyperparameters(
  x: Float64Array,
  y: Float64Array,
  n: number,
  dim: number,
  search: HyperparameterSearch,
  rng: Rng,
  warmStart: Float64Array | null,
): HyperparameterFit {
  const bounds = logBounds(search, dim);
  const p = bounds.length;
  const logParams = new Float64Array(p);
  const derivatives = new Float64Array(p);
  // Negative log likelihood in the unconstrained coordinates u (logParam_j = toBox(u_j)).
  const objective = (u: Float64Array, gradient: Float64Array): number => {
    for (let j = 0; j < p; j++) {
      const mapped = toBox(u[j], bounds[j][0], bounds[j][1]);
      logParams[j] = mapped.value;
      derivatives[j] = mapped.derivative;
    }
    let result: ReturnType<typeof logMarginalLikelihood>;
    try {
      result = logMarginalLikelihood(x, y, n, dim, logParamsToHyper(logParams));
    } catch {
      return Number.NaN; // an unfactorisable covariance: the line search backs off
    }
    for (let j = 0; j < p; j++) gradient[j] = -result.gradient[j] * derivatives[j];
    return -result.value;
  };
  const starts: Float64Array[] = [
    warmStart !== null && warmStart.length === p ? warmStart : defaultStart(search, dim),
  ];
  for (let r = 0; r < search.restarts; r++) {
    starts.push(Float64Array.from(bounds, ([low, high]) => low + (high - low) * rng.uniform()));
  }
  let best: { u: Float64Array; value: number } | null = null;
  let evaluations = 0;
  for (const start of starts) {
    const u0 = Float64Array.from(start, (v, j) => fromBox(v, bounds[j][0], bounds[j][1]));
    const result = minimiseLbfgs(objective, u0, { maxIterations: search.maxIterations });
    evaluations += result.evaluations;
    if (Number.isFinite(result.value) && (best === null || result.value < best.value)) {
      best = { u: result.x, value: result.value };
    }
  }
  // The default start lies inside the bounds, where the likelihood is finite for any data, so
  // `best` is only null when every start failed to factorise: keep the first start's θ then.
  const u = best?.u ?? Float64Array.from(starts[0], (v, j) => fromBox(v, bounds[j][0], bounds[j][1]));
  const fitted = Float64Array.from(u, (uj, j) => toBox(uj, bounds[j][0], bounds[j][1]).value);
  return {
    hyper: logParamsToHyper(fitted),
    logParams: fitted,
    logLikelihood: best === null ? Number.NaN : -best.value,
    evaluations,
  };
}
