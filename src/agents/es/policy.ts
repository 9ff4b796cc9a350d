/**
 * The ES policy: π_θ(s) = tanh(MLP_θ(clip(z(s), ±c))) with z the state normaliser it carries, so
 * it acts on RAW states like every policy (DESIGN.md "MDP"). Deterministic.
 *
 * `createEsNetwork` builds the network so that the initial policy IS the start action (the
 * behaviour policy's): output weights zero and output bias atanh(a₀), hidden layers at their usual
 * initialisation. ES then improves on the production baseline instead of a random policy.
 */
import { MtfError } from "../../core/errors.js";
import { ACTION_DIM, type Policy } from "../../core/interfaces.js";
import type { Rng } from "../../core/rng.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import { checkNormaliser, type StateNormaliser } from "../common/normaliser.js";

/** Start actions are pulled this far inside (−1, 1), so atanh stays finite. */
const START_LIMIT = 0.999;

export interface EsNetworkArgs {
  readonly stateDim: number;
  readonly hidden: readonly number[];
  /** a₀ [12], the initial policy's action for every state. */
  readonly startAction: ArrayLike<number>;
  readonly kernels?: Kernels;
  readonly maxBatch?: number;
}

/** [stateDim, ...hidden, 12], tanh hidden and output units, playing `startAction` everywhere. */
export function createEsNetwork(args: EsNetworkArgs, rng: Rng): Mlp {
  if (args.startAction.length !== ACTION_DIM) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `ES start action has ${args.startAction.length} values, expected ${ACTION_DIM}`,
    );
  }
  const network = new Mlp(
    {
      sizes: [args.stateDim, ...args.hidden, ACTION_DIM],
      hiddenActivation: "tanh",
      outputActivation: "tanh",
      maxBatch: args.maxBatch ?? 256,
      ...(args.kernels ? { kernels: args.kernels } : {}),
    },
    rng,
  );
  const output = network.layers[network.layers.length - 1];
  output.weight.fill(0);
  for (let i = 0; i < ACTION_DIM; i++) {
    output.bias[i] = Math.atanh(Math.max(-START_LIMIT, Math.min(START_LIMIT, args.startAction[i])));
  }
  return network;
}

export interface EsPolicyArgs {
  readonly id: string;
  /** [stateDim, …, 12] with tanh output; used, not copied. */
  readonly network: Mlp;
  readonly normaliser: StateNormaliser;
  /** c: normalised states are clipped to [−c, c]. */
  readonly observationClip: number;
}

export class EsPolicy implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly stochastic = false;
  readonly network: Mlp;
  readonly normaliser: StateNormaliser;
  readonly observationClip: number;
  private inputs = new Float32Array(0);

  constructor(args: EsPolicyArgs) {
    const { network } = args;
    if (network.outDim !== ACTION_DIM || network.config.outputActivation !== "tanh") {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `ES policy ${args.id}: the network must end in ${ACTION_DIM} tanh units, got ${network.outDim} ${network.config.outputActivation}`,
      );
    }
    checkNormaliser(args.normaliser, network.inDim, `ES policy ${args.id} normaliser`);
    if (!(args.observationClip > 0)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `ES observationClip must be positive, got ${args.observationClip}`,
      );
    }
    this.id = args.id;
    this.stateDim = network.inDim;
    this.network = network;
    this.normaliser = args.normaliser;
    this.observationClip = args.observationClip;
  }

  act(states: Float32Array, rows: number, out: Float32Array, _rng: Rng): void {
    const dim = this.stateDim;
    if (states.length < rows * dim || out.length < rows * ACTION_DIM) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `ES policy ${this.id}: ${rows} rows need ${rows * dim} state and ${rows * ACTION_DIM} action values, got ${states.length} and ${out.length}`,
      );
    }
    if (this.inputs.length < rows * dim) this.inputs = new Float32Array(rows * dim);
    const { mean, std } = this.normaliser;
    const c = this.observationClip;
    for (let r = 0; r < rows; r++) {
      const base = r * dim; // [rows x stateDim]
      for (let i = 0; i < dim; i++) {
        const z = (states[base + i] - mean[i]) / std[i];
        this.inputs[base + i] = Math.max(-c, Math.min(c, z)); // NaN stays NaN
      }
    }
    const actions = this.network.forward(this.inputs, rows); // [rows x 12]
    for (let j = 0; j < rows * ACTION_DIM; j++) out[j] = actions[j];
  }
}
