/**
 * Limited-memory BFGS (Nocedal & Wright 2006, Algorithm 7.4 two-loop recursion and 7.5) with a
 * backtracking Armijo line search, for the small smooth problems of BO: the GP's
 * hyper-parameters and the acquisition's local refinement. Box constraints are handled by the
 * callers through smooth bijections onto the box (`toBox`), so the search itself is unconstrained.
 * A non-finite objective counts as a failed step, so the search backs away from it.
 */

/** f(x), writing ∇f(x) into `gradient`. */
export type Objective = (x: Float64Array, gradient: Float64Array) => number;

export interface LbfgsOptions {
  readonly maxIterations: number;
  /** Pairs (s, y) of curvature history (m). */
  readonly history?: number;
  /** Stop when ‖∇f‖_∞ falls below this. */
  readonly gradientTolerance?: number;
  /** Stop when an iteration improves f by less than this, relative to max(|f|, 1). */
  readonly relativeTolerance?: number;
}

export interface LbfgsResult {
  readonly x: Float64Array;
  readonly value: number;
  readonly iterations: number;
  readonly evaluations: number;
}

const ARMIJO_C1 = 1e-4;
const MAX_BACKTRACKS = 30;

function dot(a: Float64Array, b: Float64Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]));
  return m;
}

/** Minimises `objective` from `x0` (not modified). */
export function minimiseLbfgs(
  objective: Objective,
  x0: ArrayLike<number>,
  options: LbfgsOptions,
): LbfgsResult {
  const m = options.history ?? 10;
  const gradientTolerance = options.gradientTolerance ?? 1e-6;
  const relativeTolerance = options.relativeTolerance ?? 1e-10;
  const dim = x0.length;
  let x = Float64Array.from(x0);
  let gradient = new Float64Array(dim);
  let value = objective(x, gradient);
  let evaluations = 1;
  if (!Number.isFinite(value)) return { x, value, iterations: 0, evaluations };
  const sHistory: Float64Array[] = [];
  const yHistory: Float64Array[] = [];
  const rhoHistory: number[] = [];
  const direction = new Float64Array(dim);
  const alphas = new Float64Array(m);
  let candidate = new Float64Array(dim);
  let candidateGradient = new Float64Array(dim);
  let iterations = 0;
  while (iterations < options.maxIterations && maxAbs(gradient) > gradientTolerance) {
    // Two-loop recursion: direction = −H·∇f.
    for (let i = 0; i < dim; i++) direction[i] = -gradient[i];
    for (let k = sHistory.length - 1; k >= 0; k--) {
      alphas[k] = rhoHistory[k] * dot(sHistory[k], direction);
      for (let i = 0; i < dim; i++) direction[i] -= alphas[k] * yHistory[k][i];
    }
    if (sHistory.length > 0) {
      const last = sHistory.length - 1;
      const gamma = dot(sHistory[last], yHistory[last]) / dot(yHistory[last], yHistory[last]);
      for (let i = 0; i < dim; i++) direction[i] *= gamma;
    }
    for (let k = 0; k < sHistory.length; k++) {
      const beta = rhoHistory[k] * dot(yHistory[k], direction);
      for (let i = 0; i < dim; i++) direction[i] += (alphas[k] - beta) * sHistory[k][i];
    }
    let slope = dot(gradient, direction);
    if (!(slope < 0)) {
      // Not a descent direction (stale curvature): restart from steepest descent.
      sHistory.length = 0;
      yHistory.length = 0;
      rhoHistory.length = 0;
      for (let i = 0; i < dim; i++) direction[i] = -gradient[i];
      slope = dot(gradient, direction);
    }
    let step = sHistory.length === 0 ? Math.min(1, 1 / maxAbs(gradient)) : 1;
    let accepted = false;
    let candidateValue = Number.NaN;
    for (let b = 0; b < MAX_BACKTRACKS; b++) {
      for (let i = 0; i < dim; i++) candidate[i] = x[i] + step * direction[i];
      candidateValue = objective(candidate, candidateGradient);
      evaluations += 1;
      if (Number.isFinite(candidateValue) && candidateValue <= value + ARMIJO_C1 * step * slope) {
        accepted = true;
        break;
      }
      step *= 0.5;
    }
    if (!accepted) break;
    iterations += 1;
    const s = new Float64Array(dim);
    const y = new Float64Array(dim);
    for (let i = 0; i < dim; i++) {
      s[i] = candidate[i] - x[i];
      y[i] = candidateGradient[i] - gradient[i];
    }
    const sy = dot(s, y);
    if (sy > 1e-12 * Math.sqrt(dot(s, s) * dot(y, y))) {
      if (sHistory.length === m) {
        sHistory.shift();
        yHistory.shift();
        rhoHistory.shift();
      }
      sHistory.push(s);
      yHistory.push(y);
      rhoHistory.push(1 / sy);
    }
    const improvement = value - candidateValue;
    [x, candidate] = [candidate, x];
    [gradient, candidateGradient] = [candidateGradient, gradient];
    value = candidateValue;
    if (improvement <= relativeTolerance * Math.max(Math.abs(value), 1)) break;
  }
  return { x, value, iterations, evaluations };
}

/**
 * A smooth bijection of the real line onto (low, high): low + (high − low)·(1 + tanh u)/2, and
 * its derivative. Searches run in u; the box's interior is reached to any precision.
 */
export function toBox(
  u: number,
  low: number,
  high: number,
): { readonly value: number; readonly derivative: number } {
  const t = Math.tanh(u);
  const half = 0.5 * (high - low);
  return { value: low + half * (1 + t), derivative: half * (1 - t * t) };
}

/** Inverse of `toBox` for a value strictly inside (low, high); clamps values on or outside the bounds just inside. */
export function fromBox(value: number, low: number, high: number): number {
  const t = (2 * (value - low)) / (high - low) - 1;
  const limit = 1 - 1e-9;
  return Math.atanh(Math.max(-limit, Math.min(limit, t)));
}
