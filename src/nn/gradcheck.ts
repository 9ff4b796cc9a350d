/**
 * Gradient checking by central finite differences in float64, for tests: compares an analytic
 * gradient with (f(x + h·e_i) − f(x − h·e_i)) / 2h for every coordinate i.
 */
import { MtfError } from "../core/errors.js";

export interface GradCheckOptions {
  /** Finite-difference step; default 1e-6. */
  readonly step?: number;
  /**
   * Denominator floor: the relative error of coordinate i is |a − n| / max(|a|, |n|, floor), so
   * gradients near zero are compared absolutely. Default 1e-6.
   */
  readonly floor?: number;
}

export interface GradCheckResult {
  readonly maxRelativeError: number;
  readonly maxAbsoluteError: number;
  /** The coordinate with the largest relative error, and both gradients there. */
  readonly worstIndex: number;
  readonly analytic: number;
  readonly numeric: number;
}

/**
 * Checks `analytic` ≈ ∇f at `x`. `f` is called with `x` perturbed in place (one coordinate at a
 * time, restored afterwards), so it may read `x` directly, e.g. when `x` is a network's params.
 */
export function gradCheck(
  f: (x: Float64Array) => number,
  x: Float64Array,
  analytic: ArrayLike<number>,
  options: GradCheckOptions = {},
): GradCheckResult {
  const h = options.step ?? 1e-6;
  const floor = options.floor ?? 1e-6;
  if (analytic.length !== x.length) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `gradCheck: the analytic gradient has ${analytic.length} entries but x has ${x.length}`,
    );
  }
  let worst = { relative: -1, index: -1, analytic: 0, numeric: 0 };
  let maxAbsoluteError = 0;
  for (let i = 0; i < x.length; i++) {
    const saved = x[i];
    x[i] = saved + h;
    const plus = f(x);
    x[i] = saved - h;
    const minus = f(x);
    x[i] = saved;
    const numeric = (plus - minus) / (2 * h);
    const error = Math.abs(analytic[i] - numeric);
    // NaN anywhere counts as an infinite error.
    const ratio = error / Math.max(Math.abs(analytic[i]), Math.abs(numeric), floor);
    const relative = Number.isNaN(ratio) ? Number.POSITIVE_INFINITY : ratio;
    maxAbsoluteError = Math.max(maxAbsoluteError, Number.isNaN(error) ? Number.POSITIVE_INFINITY : error);
    if (relative > worst.relative) worst = { relative, index: i, analytic: analytic[i], numeric };
  }
  return {
    maxRelativeError: Math.max(worst.relative, 0),
    maxAbsoluteError,
    worstIndex: worst.index,
    analytic: worst.analytic,
    numeric: worst.numeric,
  };
}
