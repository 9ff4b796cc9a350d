/**
 * The CQL+SAC policy as served: the actor's deterministic action a = tanh(μ_ψ(s)), the mean of
 * the pre-squash Gaussian pushed through tanh (SAC's evaluation action; Haarnoja et al., 2018,
 * and rlkit's `MakeDeterministic`). Serving is deterministic, so a decision replays without a
 * seed and the OPE runs it once per state. `sample` draws from the stochastic training policy
 * a = tanh(μ + σ·ε) instead (for value checks), with ε from the injected `Rng` only.
 *
 * It acts on RAW states and applies its own normaliser (the training dataset's).
 */
import { MtfError } from "../../core/errors.js";
import type { Policy } from "../../core/interfaces.js";
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";
import type { Mlp } from "../../nn/mlp.js";
import { tanhGaussianMode, tanhGaussianSample } from "../../nn/tanh-gaussian.js";
import { allocate } from "../../nn/tensor.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";
import type { CqlSacDims } from "./config.js";
import { sampleNormal } from "./math.js";

export interface CqlSacPolicyArgs {
  readonly id: string;
  /** The actor π_ψ: s -> [μ | rawLogσ] (owned by the policy from now on). */
  readonly actor: Mlp;
  readonly normaliser: StateNormaliser;
  readonly dims: CqlSacDims;
  /** States processed per chunk; default 256. */
  readonly chunkRows?: number;
}

export class CqlSacPolicy implements Policy {
  readonly id: string;
  readonly stateDim: number;
  /** Serving is deterministic: tanh(μ). */
  readonly stochastic = false;
  readonly dims: CqlSacDims;
  readonly normaliser: StateNormaliser;
  readonly actor: Mlp;
  private readonly chunkRows: number;
  private readonly states: NumArray;
  private readonly eps: NumArray;
  private readonly actions: NumArray;
  private readonly logProb: NumArray;

  constructor(args: CqlSacPolicyArgs) {
    const { dims, actor } = args;
    const { stateDim: S, actionDim: A } = dims;
    checkNormaliser(args.normaliser, S, `CQL+SAC policy ${args.id} normaliser`);
    if (actor.inDim !== S || actor.outDim !== 2 * A) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `CQL+SAC policy ${args.id}: the actor maps ${actor.inDim} -> ${actor.outDim}, expected ${S} -> ${2 * A} (μ and log σ)`,
      );
    }
    this.id = args.id;
    this.stateDim = S;
    this.dims = dims;
    this.normaliser = args.normaliser;
    this.actor = actor;
    this.chunkRows = args.chunkRows ?? 256;
    const dtype = actor.dtype;
    this.states = allocate(dtype, this.chunkRows * S);
    this.eps = allocate(dtype, this.chunkRows * A);
    this.actions = allocate(dtype, this.chunkRows * A);
    this.logProb = allocate(dtype, this.chunkRows);
  }

  /** a = tanh(μ_ψ(s)) for `rows` raw states [rows, S] into out [rows, A]; draws nothing. */
  act(states: Float32Array, rows: number, out: Float32Array, _rng?: Rng): void {
    this.run(states, rows, out, null, null);
  }

  /**
   * a ~ π_ψ(·|s) = tanh(μ + σ·ε), ε drawn from `rng` ([rows, A] in row order), into out; when
   * `logProb` [rows] is given, log π of each action there.
   */
  sample(states: Float32Array, rows: number, out: NumArray, rng: Rng, logProb: NumArray | null = null): void {
    this.run(states, rows, out, rng, logProb);
  }

  /** The stochastic training policy as a `Policy` (stochastic: true) sharing this actor. */
  stochasticPolicy(): Policy {
    return {
      id: `${this.id}/stochastic`,
      stateDim: this.stateDim,
      stochastic: true,
      act: (states, rows, out, rng) => this.sample(states, rows, out, rng),
    };
  }

  private run(
    states: Float32Array,
    rows: number,
    out: NumArray,
    rng: Rng | null,
    logProb: NumArray | null,
  ): void {
    const { stateDim: S, actionDim: A } = this.dims;
    if (!Number.isInteger(rows) || rows < 0) {
      throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
    }
    if (states.length < rows * S || out.length < rows * A || (logProb !== null && logProb.length < rows)) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `CQL+SAC policy: ${rows} rows need states of ${rows * S} (got ${states.length}) and out of ${rows * A} (got ${out.length})`,
      );
    }
    for (let start = 0; start < rows; start += this.chunkRows) {
      const chunk = Math.min(this.chunkRows, rows - start);
      normaliseStates(
        this.normaliser,
        states.subarray(start * S, (start + chunk) * S),
        chunk,
        S,
        this.states,
      );
      const head = this.actor.forward(this.states, chunk); // [chunk, S] -> [chunk, 2A]
      if (rng === null) {
        tanhGaussianMode(head, chunk, A, this.actions);
      } else {
        sampleNormal(rng, this.eps, chunk * A);
        tanhGaussianSample(head, chunk, A, 1, this.eps, this.actions, this.logProb);
        if (logProb !== null) for (let r = 0; r < chunk; r++) logProb[start + r] = this.logProb[r];
      }
      for (let i = 0; i < chunk * A; i++) out[start * A + i] = this.actions[i];
    }
  }
}
