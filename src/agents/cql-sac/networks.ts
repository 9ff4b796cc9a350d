/**
 * CQL+SAC's networks as one readonly record, their optimisers as another, and the learned
 * scalars: SAC's temperature log α (Haarnoja et al., 2018, "SAC Algorithms and Applications",
 * Sec. 5) and the Lagrange multiplier log α' of CQL's Lagrange variant (Kumar et al., 2020, Eq. 30).
 *
 *   actor    π_ψ: s (S) -> hidden (ReLU) -> [μ | rawLogσ] (2A, linear); a = tanh(μ + σ·ε)
 *   critic1, critic2  Q_j: [s, a] (S+A) -> hidden (ReLU) -> 1 (linear)
 *   critic1Target, critic2Target: Q'_j, initialised as copies
 *
 * SAC has no target actor: the target action a' is sampled from the current actor.
 */
import { Rng } from "../../core/rng.js";
import { Adam, type Parameterised } from "../../nn/adam.js";
import { kernels as defaultKernels } from "../../nn/backend.js";
import type { Kernels, NumArray } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import { allocate, type DType } from "../../nn/tensor.js";
import type { CqlSacConfig, CqlSacDims } from "./config.js";

export interface CqlSacNetworks {
  readonly actor: Mlp;
  readonly critic1: Mlp;
  readonly critic2: Mlp;
  readonly critic1Target: Mlp;
  readonly critic2Target: Mlp;
}

export interface CqlSacOptimisers {
  readonly actor: Adam;
  readonly critic1: Adam;
  readonly critic2: Adam;
  /** Adam on log α (SAC's alpha_optimizer, at the actor's learning rate as in the CQL code). */
  readonly temperature: Adam;
  /** Adam on log α' of CQL's Lagrange variant (alpha_prime_optimizer, at the critics' rate). */
  readonly cqlMultiplier: Adam;
}

export interface NetworkOptions {
  readonly kernels?: Kernels;
  readonly dtype?: DType;
}

/**
 * A positive scale learned in log space as a one-parameter `Parameterised`, so Adam trains it
 * like any network: SAC's temperature α (log α) and CQL's Lagrange multiplier α' (log α').
 */
export class LogScale implements Parameterised {
  /** [1]: the log of the scale */
  readonly params: NumArray;
  /** [1]: dL/dlog */
  readonly grads: NumArray;
  readonly kernels: Kernels;

  constructor(initial: number, options: NetworkOptions = {}) {
    this.kernels = options.kernels ?? defaultKernels();
    this.params = allocate(options.dtype ?? "float32", 1);
    this.grads = allocate(options.dtype ?? "float32", 1);
    this.params[0] = Math.log(initial);
  }

  get log(): number {
    return this.params[0];
  }

  set log(value: number) {
    this.params[0] = value;
  }

  /** exp(log). */
  get value(): number {
    return Math.exp(this.params[0]);
  }
}

/** Layer widths of each network for the given config and dimensions. */
export function cqlSacNetworkSizes(config: CqlSacConfig, dims: CqlSacDims) {
  const { stateDim: S, actionDim: A } = dims;
  return {
    actor: [S, ...config.actorHidden, 2 * A],
    critic: [S + A, ...config.criticHidden, 1],
  } as const;
}

/**
 * Builds the networks with PyTorch's default initialisation drawn from `rng` in a fixed order
 * (actor, critic1, critic2), targets copied from their sources. Buffers hold M rows and grow to
 * the M·(1 + 3N) rows of the CQL term on the first step.
 */
export function createCqlSacNetworks(
  config: CqlSacConfig,
  dims: CqlSacDims,
  rng: Rng,
  options: NetworkOptions = {},
): CqlSacNetworks {
  const sizes = cqlSacNetworkSizes(config, dims);
  const common = {
    hiddenActivation: "relu" as const,
    outputActivation: "identity" as const,
    maxBatch: config.batchSize,
    ...(options.kernels ? { kernels: options.kernels } : {}),
    ...(options.dtype ? { dtype: options.dtype } : {}),
  };
  const actor = new Mlp({ ...common, sizes: sizes.actor }, rng);
  const critic1 = new Mlp({ ...common, sizes: sizes.critic }, rng);
  const critic2 = new Mlp({ ...common, sizes: sizes.critic }, rng);
  const copy = (source: Mlp): Mlp => {
    const target = new Mlp({ ...common, sizes: source.config.sizes }, new Rng(0));
    target.copyParamsFrom(source);
    return target;
  };
  return Object.freeze({
    actor,
    critic1,
    critic2,
    critic1Target: copy(critic1),
    critic2Target: copy(critic2),
  });
}

/** Adam for each trained network, for log α and for log α'. */
export function createCqlSacOptimisers(
  config: CqlSacConfig,
  networks: CqlSacNetworks,
  temperature: LogScale,
  cqlMultiplier: LogScale,
): CqlSacOptimisers {
  return Object.freeze({
    actor: new Adam(networks.actor, { lr: config.lrActor }),
    critic1: new Adam(networks.critic1, { lr: config.lrCritic }),
    critic2: new Adam(networks.critic2, { lr: config.lrCritic }),
    temperature: new Adam(temperature, { lr: config.lrActor }),
    cqlMultiplier: new Adam(cqlMultiplier, { lr: config.lrCritic }),
  });
}
