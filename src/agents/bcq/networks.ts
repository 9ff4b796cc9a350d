/**
 * BCQ's networks (paper Sec. 3.2.1-3.2.2, architecture of the original BCQ code) as one readonly
 * record, and their optimisers as another.
 *
 *   encoder  E_θ1: [s, a] (S+A) -> hidden (ReLU) -> [mean | rawLogStd] (2Z, linear)
 *            (torch's two heads `mean` and `log_std` on the last hidden layer, side by side)
 *   decoder  D_θ2: [s, z] (S+Z) -> hidden (ReLU) -> A (tanh: the normalised action box)
 *   actor    P_ω:  [s, a] (S+A) -> hidden (ReLU) -> A (tanh); the perturbation is ρ·tanh(·)
 *   critic1, critic2  Q_φj: [s, a] (S+A) -> hidden (ReLU) -> 1 (linear)
 *   actorTarget, critic1Target, critic2Target: P_ω', Q_φ'j, initialised as copies (Alg. 1 line 2)
 *
 * One Adam per network: Adam is elementwise, so two optimisers with one learning rate over the
 * encoder and the decoder (or over the twin critics) take exactly the steps torch's single
 * optimiser over their union takes.
 */
import { Rng } from "../../core/rng.js";
import { Adam } from "../../nn/adam.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import type { DType } from "../../nn/tensor.js";
import type { BcqConfig, BcqDims } from "./config.js";

export interface BcqNetworks {
  readonly encoder: Mlp;
  readonly decoder: Mlp;
  readonly actor: Mlp;
  readonly actorTarget: Mlp;
  readonly critic1: Mlp;
  readonly critic2: Mlp;
  readonly critic1Target: Mlp;
  readonly critic2Target: Mlp;
}

export interface BcqOptimisers {
  readonly encoder: Adam;
  readonly decoder: Adam;
  readonly actor: Adam;
  readonly critic1: Adam;
  readonly critic2: Adam;
}

/** What Eq. 4 needs at decision time (the serving artefact holds exactly these). */
export type BcqPolicyNetworks = Pick<BcqNetworks, "decoder" | "actor" | "critic1">;

export interface NetworkOptions {
  readonly kernels?: Kernels;
  readonly dtype?: DType;
}

/** Layer widths of each network for the given config and dimensions. */
export function bcqNetworkSizes(config: BcqConfig, dims: BcqDims) {
  const { stateDim: S, actionDim: A, latentDim: Z } = dims;
  return {
    encoder: [S + A, ...config.vaeHidden, 2 * Z],
    decoder: [S + Z, ...config.vaeHidden, A],
    actor: [S + A, ...config.actorHidden, A],
    critic: [S + A, ...config.criticHidden, 1],
  } as const;
}

/**
 * Builds the networks with PyTorch's default initialisation drawn from `rng` in a fixed order
 * (encoder, decoder, actor, critic1, critic2), targets copied from their sources. Their own
 * buffers hold M rows: the M·n rows of Eq. 7's target run through `RepeatedStateForward`'s
 * buffers (update.ts), and larger batches grow them.
 */
export function createBcqNetworks(
  config: BcqConfig,
  dims: BcqDims,
  rng: Rng,
  options: NetworkOptions = {},
): BcqNetworks {
  const sizes = bcqNetworkSizes(config, dims);
  const common = {
    hiddenActivation: "relu" as const,
    ...(options.kernels ? { kernels: options.kernels } : {}),
    ...(options.dtype ? { dtype: options.dtype } : {}),
  };
  const M = config.batchSize;
  const maxBatch = M;
  const encoder = new Mlp(
    { ...common, sizes: sizes.encoder, outputActivation: "identity", maxBatch: M },
    rng,
  );
  const decoder = new Mlp({ ...common, sizes: sizes.decoder, outputActivation: "tanh", maxBatch }, rng);
  const actor = new Mlp({ ...common, sizes: sizes.actor, outputActivation: "tanh", maxBatch: M }, rng);
  const critic1 = new Mlp({ ...common, sizes: sizes.critic, outputActivation: "identity", maxBatch: M }, rng);
  const critic2 = new Mlp({ ...common, sizes: sizes.critic, outputActivation: "identity", maxBatch: M }, rng);
  // Targets are overwritten with their sources' parameters, so their init stream is a throwaway.
  const copy = (source: Mlp): Mlp => {
    const target = new Mlp({ ...common, ...source.config, maxBatch }, new Rng(0));
    target.copyParamsFrom(source);
    return target;
  };
  return Object.freeze({
    encoder,
    decoder,
    actor,
    actorTarget: copy(actor),
    critic1,
    critic2,
    critic1Target: copy(critic1),
    critic2Target: copy(critic2),
  });
}

/** Adam for each trained network with the learning rates of Sec. 4.2. */
export function createBcqOptimisers(config: BcqConfig, networks: BcqNetworks): BcqOptimisers {
  return Object.freeze({
    encoder: new Adam(networks.encoder, { lr: config.lrVae }),
    decoder: new Adam(networks.decoder, { lr: config.lrVae }),
    actor: new Adam(networks.actor, { lr: config.lrActor }),
    critic1: new Adam(networks.critic1, { lr: config.lrCritic }),
    critic2: new Adam(networks.critic2, { lr: config.lrCritic }),
  });
}
