/**
 * Natural evolution strategies as an ask/tell optimiser of a flat parameter vector θ (Salimans
 * et al. 2017; config.ts lists the update): `ask` draws n Gaussian directions ε_i and defines
 * the 2n antithetic candidates θ ± σε_i, `candidate` writes one of them, `tell` takes their
 * fitnesses (higher is better), shapes them by centered ranks and moves θ by Adam along the
 * estimated search gradient. It knows nothing of policies, so it is tested on known functions.
 *
 * θ is the target's own parameter array (an Mlp's, or any `Parameterised`), updated in place.
 * Random draws: ε [n x dim] per generation from the strategy's `Rng`. Its state (`rngState`) and
 * Adam's (`adam`, checkpointed with the agent's networks) are all a resumed run needs.
 */
import { MtfError } from "../../core/errors.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { Rng, type RngState } from "../../core/rng.js";
import { Adam, type Parameterised } from "../../nn/adam.js";
import type { NumArray } from "../../nn/kernels.js";
import { antitheticGradient, centeredRanks } from "./math.js";

export interface EvolutionStrategyArgs {
  /** θ lives in `target.params`; `target.grads` is overwritten with −(ĝ − l2·θ) for Adam. */
  readonly target: Parameterised;
  /** n: antithetic pairs per generation. */
  readonly pairs: number;
  /** σ */
  readonly sigma: number;
  readonly lr: number;
  /** Weight-decay coefficient. */
  readonly l2: number;
  readonly seed: number;
}

export class EvolutionStrategy {
  readonly pairs: number;
  readonly sigma: number;
  readonly l2: number;
  readonly dim: number;
  readonly adam: Adam;
  private readonly target: Parameterised;
  private rng: Rng;
  /** ε of the current generation [n x dim], null between `tell` and the next `ask`. */
  private noise: Float64Array | null = null;
  private readonly gradient: Float64Array;

  constructor(args: EvolutionStrategyArgs) {
    if (!Number.isInteger(args.pairs) || args.pairs < 1) {
      throw new MtfError("INVALID_ARGUMENT", `ES pairs must be a positive integer, got ${args.pairs}`);
    }
    if (!(args.sigma > 0) || !(args.l2 >= 0)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `ES needs σ > 0 and l2 >= 0, got σ ${args.sigma}, l2 ${args.l2}`,
      );
    }
    this.target = args.target;
    this.pairs = args.pairs;
    this.sigma = args.sigma;
    this.l2 = args.l2;
    this.dim = args.target.params.length;
    this.adam = new Adam(args.target, { lr: args.lr });
    this.rng = new Rng(args.seed);
    this.gradient = new Float64Array(this.dim);
  }

  /** Candidates per generation (2n). */
  get populationSize(): number {
    return 2 * this.pairs;
  }

  /** Draws the directions of a new generation. */
  ask(): void {
    const noise = new Float64Array(this.pairs * this.dim);
    this.rng.fillNormal(noise);
    this.noise = noise;
  }

  /** Writes candidate j (θ + σε_{j/2} for even j, θ − σε_{(j−1)/2} for odd j) into `out` [dim]. */
  candidate(j: number, out: NumArray): void {
    const noise = this.requireNoise();
    if (!Number.isInteger(j) || j < 0 || j >= this.populationSize) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `ES candidate index must lie in [0, ${this.populationSize}), got ${j}`,
      );
    }
    const sign = j % 2 === 0 ? 1 : -1;
    const row = (j >> 1) * this.dim; // ε_{⌊j/2⌋}
    const theta = this.target.params;
    for (let p = 0; p < this.dim; p++) out[p] = theta[p] + sign * this.sigma * noise[row + p];
  }

  /** Updates θ from the fitnesses [2n] of this generation's candidates; returns namespaced metrics. */
  tell(fitness: ArrayLike<number>): Metrics {
    const noise = this.requireNoise();
    if (fitness.length !== this.populationSize) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `ES tell needs ${this.populationSize} fitnesses, got ${fitness.length}`,
      );
    }
    const shaped = centeredRanks(fitness);
    const g = antitheticGradient(noise, shaped, this.pairs, this.dim, this.sigma, this.gradient);
    const { params, grads } = this.target;
    let gradNorm = 0;
    let paramNorm = 0;
    for (let p = 0; p < this.dim; p++) {
      grads[p] = this.l2 * params[p] - g[p]; // Adam descends: −(ĝ − l2·θ)
      gradNorm += g[p] * g[p];
    }
    const before = Float64Array.from(params);
    this.adam.update();
    let updateNorm = 0;
    for (let p = 0; p < this.dim; p++) {
      updateNorm += (params[p] - before[p]) ** 2;
      paramNorm += params[p] * params[p];
    }
    this.noise = null;
    return {
      "es/grad_norm": Math.sqrt(gradNorm),
      "es/update_norm": Math.sqrt(updateNorm),
      "es/param_norm": Math.sqrt(paramNorm),
    };
  }

  rngState(): RngState {
    return this.rng.getState();
  }

  /** Continues from a saved `rngState` (Adam is restored separately, in place). */
  restoreRng(state: RngState): void {
    this.rng = Rng.fromState(state);
    this.noise = null;
  }

  private requireNoise(): Float64Array {
    if (this.noise === null)
      throw new MtfError("INVALID_ARGUMENT", "ES: call ask() before candidate() and tell()");
    return this.noise;
  }
}
