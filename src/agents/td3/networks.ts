/**
 * TD3's networks (Fujimoto et al. 2018, Sec. 6.1 architecture) as one readonly record:
 *
 *   actor          π_φ:  s (S) -> hidden (ReLU) -> A (tanh: the normalised action box)
 *   critic1, critic2  Q_θj: [s, a] (S+A) -> hidden (ReLU) -> 1 (linear)
 *   actorTarget, critic1Target, critic2Target: copies at the start (Alg. 1 line 2)
 *
 * The critics are `DropoutMlp`s: with dropout 0 (TD3) they are plain MLPs; UWAC+TD3 sets the
 * rate (Wu et al. 2021: 0.1 after every hidden layer) and samples them by MC dropout. Their
 * parameters are ordinary Mlps (`.mlp`), which is what the optimisers and checkpoints hold.
 */
import { Rng } from "../../core/rng.js";
import { Adam } from "../../nn/adam.js";
import { DropoutMlp } from "../../nn/dropout.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import type { DType } from "../../nn/tensor.js";
import type { Td3Config, Td3Dims } from "./config.js";

export interface Td3Networks {
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critic1: DropoutMlp;
  readonly critic2: DropoutMlp;
  readonly critic1Target: DropoutMlp;
  readonly critic2Target: DropoutMlp;
}

export interface Td3Optimisers {
  readonly actor: Adam;
  readonly critic1: Adam;
  readonly critic2: Adam;
}

export interface Td3NetworkOptions {
  readonly kernels?: Kernels;
  readonly dtype?: DType;
  /** Dropout rate of the critics (0 for TD3). */
  readonly criticDropout?: number;
}

export function td3NetworkSizes(config: Td3Config, dims: Td3Dims) {
  const { stateDim: S, actionDim: A } = dims;
  return {
    actor: [S, ...config.actorHidden, A],
    critic: [S + A, ...config.criticHidden, 1],
  } as const;
}

/**
 * Builds the networks with PyTorch's default initialisation drawn from `rng` in a fixed order
 * (actor, critic1, critic2), targets copied from their sources.
 */
export function createTd3Networks(
  config: Td3Config,
  dims: Td3Dims,
  rng: Rng,
  options: Td3NetworkOptions = {},
): Td3Networks {
  const sizes = td3NetworkSizes(config, dims);
  const common = {
    hiddenActivation: "relu" as const,
    maxBatch: config.batchSize,
    ...(options.kernels ? { kernels: options.kernels } : {}),
    ...(options.dtype ? { dtype: options.dtype } : {}),
  };
  const dropout = options.criticDropout ?? 0;
  const actor = new Mlp({ ...common, sizes: sizes.actor, outputActivation: "tanh" }, rng);
  const critic = () =>
    new DropoutMlp({ ...common, sizes: sizes.critic, outputActivation: "identity", dropout }, rng);
  const critic1 = critic();
  const critic2 = critic();
  // Targets are overwritten with their sources' parameters, so their init stream is a throwaway.
  const actorTarget = new Mlp({ ...common, sizes: sizes.actor, outputActivation: "tanh" }, new Rng(0));
  actorTarget.copyParamsFrom(actor);
  const copyCritic = (source: DropoutMlp): DropoutMlp => {
    const target = new DropoutMlp(
      { ...common, sizes: sizes.critic, outputActivation: "identity", dropout },
      new Rng(0),
    );
    target.mlp.copyParamsFrom(source.mlp);
    return target;
  };
  return Object.freeze({
    actor,
    actorTarget,
    critic1,
    critic2,
    critic1Target: copyCritic(critic1),
    critic2Target: copyCritic(critic2),
  });
}

export function createTd3Optimisers(config: Td3Config, networks: Td3Networks): Td3Optimisers {
  return Object.freeze({
    actor: new Adam(networks.actor, { lr: config.lrActor }),
    critic1: new Adam(networks.critic1.mlp, { lr: config.lrCritic }),
    critic2: new Adam(networks.critic2.mlp, { lr: config.lrCritic }),
  });
}

/** The networks by checkpoint name, as plain Mlps (the critics' parameters). */
export function td3CheckpointNetworks(networks: Td3Networks): Record<string, Mlp> {
  return {
    actor: networks.actor,
    actorTarget: networks.actorTarget,
    critic1: networks.critic1.mlp,
    critic2: networks.critic2.mlp,
    critic1Target: networks.critic1Target.mlp,
    critic2Target: networks.critic2Target.mlp,
  };
}
