/**
 * The upper-confidence-bound acquisition of GP-UCB (Srinivas, Krause, Kakade & Seeger, "Gaussian
 * Process Optimization in the Bandit Setting: No Regret and Experimental Design", ICML 2010):
 *
 *   x_t = argmax_{x ∈ [-1, 1]^d} μ_{t−1}(x) + √β_t · σ_{t−1}(x)
 *
 * β_t schedule: the continuous-domain form of Srinivas et al.'s Theorem 2 as given by Brochu,
 * Cora & de Freitas (2010, "A Tutorial on Bayesian Optimization…", Sec. 2.3),
 * β_t = 2 ln(t^{d/2+2} π² / (3δ)), times `betaScale`: Srinivas et al. scale β_t down by a factor
 * of 5 in their experiments (Sec. 6); in 12 dimensions we scale by 1/20 (config.ts says why).
 *
 * Batches (a round evaluates q candidates at once): GP-BUCB (Desautels, Krause & Burdick, JMLR
 * 2014), i.e. the kriging believer: after choosing x_j, the GP is conditioned on the fake
 * observation y = μ(x_j) with fixed hyper-parameters, which leaves μ unchanged and shrinks σ
 * around x_j, so the next choice moves elsewhere; t counts the chosen points.
 *
 * Maximisation over the box: UCB on `candidates` uniform points plus `localCandidates` Gaussian
 * perturbations (std 0.1) of the best observed points; the best `refineStarts` of them are then
 * refined by L-BFGS with the analytic gradient in coordinates x = tanh(u), so iterates stay in the
 * box.
 */
import type { Rng } from "../../core/rng.js";
import { fitGp, type GpModel, gpPosterior, gpPosteriorWithGradient } from "./gp.js";
import { fromBox, minimiseLbfgs, toBox } from "./lbfgs.js";

/** μ + √β·σ. */
export function ucb(mean: number, variance: number, beta: number): number {
  return mean + Math.sqrt(beta * Math.max(variance, 0));
}

/** β_t = scale · 2 ln(t^{d/2+2} π² / (3δ)) for the t-th chosen point (t ≥ 1). */
export function gpUcbBeta(t: number, dim: number, delta: number, scale: number): number {
  return scale * 2 * ((dim / 2 + 2) * Math.log(t) + Math.log((Math.PI * Math.PI) / (3 * delta)));
}

export interface AcquisitionSearch {
  /** Uniform random candidates in the box. */
  readonly candidates: number;
  /** Perturbations of the best observed points added to the candidates. */
  readonly localCandidates: number;
  /** Candidates refined by L-BFGS. */
  readonly refineStarts: number;
  readonly refineIterations: number;
}

export interface AcquisitionChoice {
  /** [dim] in [-1, 1]^dim. */
  readonly x: Float64Array;
  readonly ucb: number;
  readonly mean: number;
  readonly variance: number;
}

/** Observed points by decreasing y, at most `count`, as the centres of local candidates. */
function bestRows(model: GpModel, count: number): number[] {
  return Array.from({ length: model.n }, (_, i) => i)
    .sort((a, b) => model.y[b] - model.y[a])
    .slice(0, count);
}

const LOCAL_STD = 0.1;
const LOCAL_CENTRES = 5;

/** argmax of UCB over [-1, 1]^dim (see the header). */
export function maximiseUcb(
  model: GpModel,
  beta: number,
  search: AcquisitionSearch,
  rng: Rng,
): AcquisitionChoice {
  const { dim } = model;
  const total = search.candidates + search.localCandidates;
  const candidates = new Float64Array(total * dim); // [total x dim]
  for (let i = 0; i < search.candidates * dim; i++) candidates[i] = rng.uniformIn(-1, 1);
  const centres = bestRows(model, LOCAL_CENTRES);
  for (let c = 0; c < search.localCandidates; c++) {
    const centre = centres[c % centres.length];
    const row = (search.candidates + c) * dim;
    for (let d = 0; d < dim; d++) {
      const value = model.x[centre * dim + d] + LOCAL_STD * rng.normal();
      candidates[row + d] = Math.max(-1, Math.min(1, value));
    }
  }
  const { mean, variance } = gpPosterior(model, candidates, total);
  const scores = Float64Array.from(mean, (mu, i) => ucb(mu, variance[i], beta));
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);

  let best: AcquisitionChoice = {
    x: candidates.slice(order[0] * dim, (order[0] + 1) * dim),
    ucb: scores[order[0]],
    mean: mean[order[0]],
    variance: variance[order[0]],
  };
  const x = new Float64Array(dim);
  const slope = new Float64Array(dim);
  // −UCB in u-coordinates, x_d = tanh(u_d).
  const objective = (u: Float64Array, gradient: Float64Array): number => {
    for (let d = 0; d < dim; d++) {
      const mapped = toBox(u[d], -1, 1);
      x[d] = mapped.value;
      slope[d] = mapped.derivative;
    }
    const p = gpPosteriorWithGradient(model, x);
    const sd = Math.sqrt(Math.max(p.variance, 1e-18));
    const root = Math.sqrt(beta);
    for (let d = 0; d < dim; d++) {
      gradient[d] = -(p.meanGradient[d] + (root * p.varianceGradient[d]) / (2 * sd)) * slope[d];
    }
    return -(p.mean + root * sd);
  };
  for (const index of order.slice(0, search.refineStarts)) {
    const u0 = Float64Array.from(candidates.subarray(index * dim, (index + 1) * dim), (v) =>
      fromBox(v, -1, 1),
    );
    const result = minimiseLbfgs(objective, u0, { maxIterations: search.refineIterations });
    if (Number.isFinite(result.value) && -result.value > best.ucb) {
      const refined = Float64Array.from(result.x, (u) => toBox(u, -1, 1).value);
      const p = gpPosterior(model, refined, 1);
      best = {
        x: refined,
        ucb: ucb(p.mean[0], p.variance[0], beta),
        mean: p.mean[0],
        variance: p.variance[0],
      };
    }
  }
  return best;
}

export interface BatchChoice {
  readonly choices: readonly AcquisitionChoice[];
  /** β_t of each choice. */
  readonly betas: readonly number[];
}

export interface UcbSchedule {
  /** δ of β_t. */
  readonly delta: number;
  /** Multiplier of β_t. */
  readonly betaScale: number;
}

/**
 * `q` points by GP-BUCB / kriging believer from `model` (see the header); `pending` rows [p x dim]
 * already chosen this round (e.g. design points) are believed first. `firstT` is t of the first
 * choice (observations + pending + 1).
 */
export function selectUcbBatch(
  model: GpModel,
  q: number,
  pending: Float64Array,
  firstT: number,
  schedule: UcbSchedule,
  search: AcquisitionSearch,
  rng: Rng,
): BatchChoice {
  const { dim } = model;
  let current = model;
  const believe = (point: ArrayLike<number>, value: number) => {
    const x = new Float64Array((current.n + 1) * dim);
    x.set(current.x);
    x.set(point, current.n * dim);
    const y = new Float64Array(current.n + 1);
    y.set(current.y);
    y[current.n] = value;
    current = fitGp(x, y, current.n + 1, dim, current.hyper);
  };
  for (let r = 0; r < pending.length / dim; r++) {
    const point = pending.subarray(r * dim, (r + 1) * dim);
    believe(point, gpPosterior(current, point, 1).mean[0]);
  }
  const choices: AcquisitionChoice[] = [];
  const betas: number[] = [];
  for (let j = 0; j < q; j++) {
    const beta = gpUcbBeta(firstT + j, dim, schedule.delta, schedule.betaScale);
    const choice = maximiseUcb(current, beta, search, rng);
    choices.push(choice);
    betas.push(beta);
    if (j < q - 1) believe(choice.x, choice.mean);
  }
  return { choices, betas };
}
