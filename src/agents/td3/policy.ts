/**
 * The TD3 policy (Fujimoto et al. 2018): a deterministic actor a = π_φ(s) in the normalised
 * action box [-1, 1]^A, batched over states. It acts on RAW states and applies its own
 * normaliser (the training dataset's). No randomness: the `rng` of `act` is never used. UWAC+TD3
 * serves the same kind of policy.
 */
import { MtfError } from "../../core/errors.js";
import type { Policy } from "../../core/interfaces.js";
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";
import type { Mlp } from "../../nn/mlp.js";
import { allocate } from "../../nn/tensor.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";

export interface Td3PolicyArgs {
  readonly id: string;
  /** π_φ: S -> A with a tanh output (owned by the policy from now on). */
  readonly actor: Mlp;
  readonly normaliser: StateNormaliser;
}

export class Td3Policy implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly actionDim: number;
  readonly stochastic = false;
  readonly actor: Mlp;
  readonly normaliser: StateNormaliser;
  private states: NumArray;

  constructor(args: Td3PolicyArgs) {
    const { actor } = args;
    checkNormaliser(args.normaliser, actor.inDim, `TD3 policy ${args.id} normaliser`);
    if (actor.config.outputActivation !== "tanh") {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `TD3 policy ${args.id}: the actor must end in tanh (actions in [-1, 1]), got ${actor.config.outputActivation}`,
      );
    }
    this.id = args.id;
    this.actor = actor;
    this.stateDim = actor.inDim;
    this.actionDim = actor.outDim;
    this.normaliser = args.normaliser;
    this.states = allocate(actor.dtype, 0);
  }

  /** π(s) for `rows` raw states [rows, S] into `out` [rows, A]. */
  act(states: Float32Array, rows: number, out: Float32Array, _rng?: Rng): void {
    const S = this.stateDim;
    const A = this.actionDim;
    if (!Number.isInteger(rows) || rows < 0) {
      throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
    }
    if (states.length < rows * S || out.length < rows * A) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `TD3 policy: ${rows} rows need states of ${rows * S} (got ${states.length}) and out of ${rows * A} (got ${out.length})`,
      );
    }
    if (this.states.length < rows * S) this.states = allocate(this.actor.dtype, rows * S);
    normaliseStates(this.normaliser, states, rows, S, this.states);
    const actions = this.actor.forward(this.states, rows); // [rows, S] -> [rows, A]
    for (let i = 0; i < rows * A; i++) out[i] = actions[i];
  }
}
