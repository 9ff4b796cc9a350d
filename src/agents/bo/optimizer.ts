/**
 * Batch GP-UCB as an ask/tell optimiser over the box [-1, 1]^dim (Srinivas et al. 2010;
 * Rasmussen & Williams 2006 for the GP): `ask(q)` returns q points to evaluate, `tell` records
 * their values, `recommend` names the best point so far. It knows nothing of users or policies,
 * so it is tested on known functions; the tuner (tuner.ts) wires it to an `Environment`.
 *
 * Each ask: the initial design first (the given start points, e.g. the behaviour α, then a Latin
 * hypercube, McKay et al. 1979), then
 *   1. standardise y (zero mean, unit variance), so the kernel bounds are scale-free;
 *   2. fit θ by maximum marginal likelihood, warm-started at the previous fit (hyperparameters.ts);
 *   3. choose the remaining points by GP-BUCB with UCB (acquisition.ts).
 * The recommendation is the observed point of highest posterior mean: with noisy evaluations the
 * highest observed value is biased upwards, the posterior mean pools the neighbours.
 *
 * Randomness: the design from a sub-stream keyed on the seed (so it is the same whenever asked),
 * restarts and candidates from the optimiser's own `Rng`, whose state is part of `exportState`.
 */
import { MtfError } from "../../core/errors.js";
import { Rng, type RngState } from "../../core/rng.js";
import { selectUcbBatch } from "./acquisition.js";
import type { BoConfig } from "./config.js";
import { fitGp, gpPosterior } from "./gp.js";
import { fitHyperparameters } from "./hyperparameters.js";
import { type GpHyperparameters, logParamCount, logParamsToHyper } from "./kernel.js";

/** Where a proposed point came from. */
export type ProposalSource = "design" | "ucb";

export interface BoProposal {
  /** q points, each [dim]. */
  readonly points: readonly Float64Array[];
  readonly sources: readonly ProposalSource[];
  /** Namespaced diagnostics of the GP fit and the acquisition (empty for a design-only round). */
  readonly diagnostics: Readonly<Record<string, number>>;
}

export interface BoRecommendation {
  /** [dim] */
  readonly x: Float64Array;
  /** Posterior mean at x, in the objective's units. */
  readonly mean: number;
  /** Index of x among the observations. */
  readonly index: number;
}

/** Everything needed to continue an optimisation exactly. */
export interface BoOptimizerState {
  /** [n x dim] */
  readonly x: Float64Array;
  /** [n] */
  readonly y: Float64Array;
  /** The last likelihood fit (warm start), or null before the first. */
  readonly logParams: Float64Array | null;
  readonly rngState: RngState;
}

/** The search settings `BayesOptimizer` reads from a BO config. */
export type BoSearchConfig = Pick<
  BoConfig,
  | "initialPoints"
  | "ard"
  | "lengthScaleBounds"
  | "signalVarianceBounds"
  | "noiseVarianceBounds"
  | "hyperRestarts"
  | "hyperIterations"
  | "ucbDelta"
  | "ucbBetaScale"
  | "acquisitionCandidates"
  | "acquisitionLocalCandidates"
  | "acquisitionRefineStarts"
  | "acquisitionRefineIterations"
>;

export interface BayesOptimizerArgs {
  readonly dim: number;
  readonly config: BoSearchConfig;
  readonly seed: number;
  /** Points evaluated first, each [dim] in the box (e.g. the behaviour policy's action). */
  readonly startPoints?: readonly ArrayLike<number>[];
}

/** n points of a Latin hypercube in [-1, 1]^dim, [n x dim]: one point per stratum of every axis. */
export function latinHypercube(n: number, dim: number, rng: Rng): Float64Array {
  const out = new Float64Array(n * dim);
  const strata = Array.from({ length: n }, (_, i) => i);
  for (let d = 0; d < dim; d++) {
    rng.shuffle(strata);
    for (let i = 0; i < n; i++) out[i * dim + d] = -1 + (2 * (strata[i] + rng.uniform())) / n;
  }
  return out;
}

/** (y − mean) / std, with std = 1 when y is constant; returns the scale used. */
function standardise(y: Float64Array): {
  readonly z: Float64Array;
  readonly mean: number;
  readonly std: number;
} {
  const n = y.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += y[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (y[i] - mean) ** 2 / n;
  const std = variance > 1e-24 ? Math.sqrt(variance) : 1;
  return { z: Float64Array.from(y, (v) => (v - mean) / std), mean, std };
}

export class BayesOptimizer {
  readonly dim: number;
  readonly config: BoSearchConfig;
  private readonly startPoints: readonly Float64Array[];
  private rng: Rng;
  private xs: Float64Array[] = [];
  private ys: number[] = [];
  private logParams: Float64Array | null = null;

  constructor(args: BayesOptimizerArgs) {
    if (!Number.isInteger(args.dim) || args.dim < 1) {
      throw new MtfError("INVALID_ARGUMENT", `BO dim must be a positive integer, got ${args.dim}`);
    }
    this.dim = args.dim;
    this.config = args.config;
    this.rng = new Rng(args.seed);
    this.startPoints = (args.startPoints ?? []).map((point) => this.checkPoint(point, "start point"));
  }

  /** Observations so far. */
  get size(): number {
    return this.ys.length;
  }

  /** The observed points and values (copies). */
  observations(): { readonly x: Float64Array; readonly y: Float64Array } {
    const x = new Float64Array(this.size * this.dim);
    this.xs.forEach((point, i) => {
      x.set(point, i * this.dim);
    });
    return { x, y: Float64Array.from(this.ys) };
  }

  /** The next `q` points to evaluate. */
  ask(q: number): BoProposal {
    if (!Number.isInteger(q) || q < 1) {
      throw new MtfError("INVALID_ARGUMENT", `BO ask needs a positive integer batch size, got ${q}`);
    }
    const { dim } = this;
    const n = this.size;
    const design = this.design(Math.max(this.config.initialPoints, q));
    const designRows = design.length / dim;
    const fromDesign = Math.max(0, Math.min(q, designRows - n));
    const points: Float64Array[] = [];
    for (let i = n; i < n + fromDesign; i++) points.push(design.slice(i * dim, (i + 1) * dim));
    const sources: ProposalSource[] = points.map(() => "design");
    if (fromDesign === q) return { points, sources, diagnostics: {} };

    const { x, y } = this.observations();
    const { z, std } = standardise(y);
    const fit = fitHyperparameters(x, z, n, dim, this.searchSettings(), this.rng, this.logParams);
    this.logParams = fit.logParams;
    const model = fitGp(x, z, n, dim, fit.hyper);
    const pending = new Float64Array(fromDesign * dim);
    points.forEach((point, i) => {
      pending.set(point, i * dim);
    });
    const batch = selectUcbBatch(
      model,
      q - fromDesign,
      pending,
      n + fromDesign + 1,
      { delta: this.config.ucbDelta, betaScale: this.config.ucbBetaScale },
      {
        candidates: this.config.acquisitionCandidates,
        localCandidates: this.config.acquisitionLocalCandidates,
        refineStarts: this.config.acquisitionRefineStarts,
        refineIterations: this.config.acquisitionRefineIterations,
      },
      this.rng,
    );
    for (const choice of batch.choices) {
      points.push(choice.x);
      sources.push("ucb");
    }
    const ls = fit.hyper.lengthScales;
    return {
      points,
      sources,
      diagnostics: {
        "gp/log_likelihood": fit.logLikelihood,
        "gp/lengthscale_min": Math.min(...ls),
        "gp/lengthscale_max": Math.max(...ls),
        "gp/signal_std": Math.sqrt(fit.hyper.signalVariance) * std,
        "gp/noise_std": Math.sqrt(fit.hyper.noiseVariance) * std,
        "acq/beta": batch.betas[0],
        "acq/ucb_max": Math.max(...batch.choices.map((c) => c.ucb)),
      },
    };
  }

  /** Records the values of evaluated points (each [dim]). */
  tell(points: readonly ArrayLike<number>[], values: ArrayLike<number>): void {
    if (points.length !== values.length) {
      throw new MtfError("SHAPE_MISMATCH", `BO tell got ${points.length} points and ${values.length} values`);
    }
    const checked = points.map((point) => this.checkPoint(point, "evaluated point"));
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) {
        throw new MtfError(
          "INVALID_ARGUMENT",
          `BO objective value ${i} is ${values[i]}; values must be finite`,
        );
      }
    }
    checked.forEach((point, i) => {
      this.xs.push(point);
      this.ys.push(values[i]);
    });
  }

  /**
   * The observed point of highest posterior mean, under the last fitted θ (or a fresh fit
   * without restarts before any); does not change the optimiser's state or draw from its RNG.
   */
  recommend(): BoRecommendation {
    const n = this.size;
    if (n === 0) throw new MtfError("INVALID_ARGUMENT", "BO has no observations to recommend from");
    const { x, y } = this.observations();
    const { z, mean: yMean, std } = standardise(y);
    const hyper: GpHyperparameters =
      this.logParams !== null
        ? logParamsToHyper(this.logParams)
        : fitHyperparameters(x, z, n, this.dim, { ...this.searchSettings(), restarts: 0 }, new Rng(0), null)
            .hyper;
    const posterior = gpPosterior(fitGp(x, z, n, this.dim, hyper), x, n);
    let index = 0;
    for (let i = 1; i < n; i++) if (posterior.mean[i] > posterior.mean[index]) index = i;
    return { x: this.xs[index].slice(), mean: yMean + std * posterior.mean[index], index };
  }

  exportState(): BoOptimizerState {
    const { x, y } = this.observations();
    return { x, y, logParams: this.logParams?.slice() ?? null, rngState: this.rng.getState() };
  }

  importState(state: BoOptimizerState): void {
    const n = state.y.length;
    if (state.x.length !== n * this.dim) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `BO state holds ${state.x.length} inputs for ${n} values of dim ${this.dim}`,
      );
    }
    const p = logParamCount(this.dim, this.config.ard);
    if (state.logParams !== null && state.logParams.length !== p) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `BO state has ${state.logParams.length} GP log-parameters, expected ${p}`,
      );
    }
    this.xs = Array.from({ length: n }, (_, i) => state.x.slice(i * this.dim, (i + 1) * this.dim));
    this.ys = Array.from(state.y);
    this.logParams = state.logParams?.slice() ?? null;
    this.rng = Rng.fromState(state.rngState);
  }

  /** The first `size` design points [size x dim]: start points, then a Latin hypercube. */
  private design(size: number): Float64Array {
    const { dim } = this;
    const starts = this.startPoints.slice(0, size);
    const out = new Float64Array(size * dim);
    starts.forEach((point, i) => {
      out.set(point, i * dim);
    });
    const rest = size - starts.length;
    if (rest > 0) out.set(latinHypercube(rest, dim, this.rng.derive("bo-design")), starts.length * dim);
    return out;
  }

  private searchSettings() {
    const c = this.config;
    return {
      ard: c.ard,
      lengthScaleBounds: c.lengthScaleBounds,
      signalVarianceBounds: c.signalVarianceBounds,
      noiseVarianceBounds: c.noiseVarianceBounds,
      restarts: c.hyperRestarts,
      maxIterations: c.hyperIterations,
    };
  }

  private checkPoint(point: ArrayLike<number>, what: string): Float64Array {
    if (point.length !== this.dim) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `BO ${what} has ${point.length} coordinates, expected ${this.dim}`,
      );
    }
    const copy = Float64Array.from(point);
    for (let d = 0; d < this.dim; d++) {
      if (!(copy[d] >= -1 && copy[d] <= 1)) {
        throw new MtfError("INVALID_ARGUMENT", `BO ${what}: coordinate ${d} is ${copy[d]}, outside [-1, 1]`);
      }
    }
    return copy;
  }
}
