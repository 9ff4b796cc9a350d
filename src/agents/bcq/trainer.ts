/**
 * The BCQ trainer (paper Algorithm 1): owns the networks, optimisers, the training RNG and a
 * `BatchSource`, and runs one update step per `update()`:
 *
 *   4   sample a mini-batch of M transitions (s, a, r, s') from the source
 *   5   update G_θ by Eq. 3
 *   6-7 sample n actions â'_i ~ G_θ(s') and perturb them with P_ω' → the target y of Eq. 7
 *   8   update P_ω by Eq. 5
 *   9   update Q_φ1, Q_φ2 by Eq. 6
 *   10-12 every L steps: ω' ← η_t·ω + (1 − η_t)·ω', φ'_j ← η_t·φ_j + (1 − η_t)·φ'_j
 *
 * `updateOrder: "original"` runs 9 before 8, as the original BCQ code. The target of lines 6-7
 * only reads the (already updated) decoder and the target networks, so computing it before
 * line 8 is Algorithm 1's order and equals computing it after.
 *
 * Random draws per step, always in this order from the trainer's own RNG: ε for the VAE
 * [M, Z], the target latents [M·n, Z], the actor latents [M, Z]. The batch source draws from
 * its own RNG. A checkpoint holds both RNG states, so a resumed run is bit-identical.
 */
import { MtfError } from "../../core/errors.js";
import type { BatchSource } from "../../core/interfaces.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { softUpdate } from "../../nn/adam.js";
import type { Checkpoint } from "../../nn/checkpoint.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import type { DType } from "../../nn/tensor.js";
import {
  checkpointBatchSourceState,
  checkpointNormaliser,
  readAgentCheckpoint,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";
import type { Trainer } from "../common/training-loop.js";
import { type BcqConfig, type BcqDims, bcqConfig, bcqDims, policySamples } from "./config.js";
import { sampleLatents, sampleNormal } from "./math.js";
import { type BcqNetworks, type BcqOptimisers, createBcqNetworks, createBcqOptimisers } from "./networks.js";
import { BcqPolicy } from "./policy.js";
import {
  actorLossAndGrads,
  type BcqWorkspace,
  computeCriticTarget,
  createWorkspace,
  criticLossAndGrads,
  vaeLossAndGrads,
} from "./update.js";

/** Checkpoint kind of a BCQ training state. */
export const BCQ_CHECKPOINT_KIND = "bcq";

export interface BcqTrainerArgs {
  readonly config: BcqConfig;
  readonly source: BatchSource;
  /** The training split's state normaliser (the dataset's); it ships with every policy. */
  readonly normaliser: StateNormaliser;
  /** Root seed: network init and the training draws derive from it. */
  readonly seed: number;
  readonly kernels?: Kernels;
  /** float64 needs kernels with float64 support (the reference kernels); for gradient checks. */
  readonly dtype?: DType;
  /** Recorded in every checkpoint (dataset id, state-encoder version…). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** The config a BCQ checkpoint stores. */
export interface BcqCheckpointConfig {
  readonly bcq: BcqConfig;
  readonly dims: BcqDims;
  readonly seed: number;
  readonly dtype: DType;
}

/** Config fields that may differ on resume (they change the run's plumbing, not its math). */
const RESUMABLE_CHANGES: readonly (keyof BcqConfig)[] = ["steps", "logEvery", "checkpointEvery"];

export class BcqTrainer implements Trainer {
  readonly algorithm = "bcq";
  readonly config: BcqConfig;
  readonly dims: BcqDims;
  readonly seed: number;
  readonly networks: BcqNetworks;
  readonly optimisers: BcqOptimisers;
  readonly normaliser: StateNormaliser;
  readonly source: BatchSource;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly dtype: DType;
  private readonly kernels: Kernels | undefined;
  private readonly rng: Rng;
  private readonly ws: BcqWorkspace;
  private steps = 0;

  constructor(args: BcqTrainerArgs) {
    const { config, source } = args;
    if (source.batchSize !== config.batchSize) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `the batch source draws ${source.batchSize} transitions per batch but bcq.batchSize (M) is ${config.batchSize}; build the source with the config's batch size`,
      );
    }
    this.config = config;
    this.dims = bcqDims(config, source.stateDim, source.actionDim);
    checkNormaliser(args.normaliser, this.dims.stateDim, "the training normaliser");
    this.seed = args.seed;
    this.source = source;
    this.normaliser = { mean: Array.from(args.normaliser.mean), std: Array.from(args.normaliser.std) };
    this.metadata = args.metadata ?? {};
    this.dtype = args.dtype ?? "float32";
    this.kernels = args.kernels;
    const netOptions = { ...(args.kernels ? { kernels: args.kernels } : {}), dtype: this.dtype };
    this.networks = createBcqNetworks(
      config,
      this.dims,
      new Rng(deriveSeed(args.seed, "bcq/init")),
      netOptions,
    );
    this.optimisers = createBcqOptimisers(config, this.networks);
    this.rng = new Rng(deriveSeed(args.seed, "bcq/train"));
    this.ws = createWorkspace(this.networks, this.dims, config.batchSize, config.nActionSamples);
  }

  /** Update steps taken so far. */
  get step(): number {
    return this.steps;
  }

  /** One step of Algorithm 1 (lines 4-12); returns its metrics. */
  update(): Metrics {
    const { config, dims, networks: nets, optimisers: opt, ws, rng } = this;
    const { stateDim: S, actionDim: A, latentDim: Z } = dims;
    const M = config.batchSize;
    const batch = this.source.next(); // line 4
    if (batch.size !== M || batch.stateDim !== S) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `the batch source returned ${batch.size} rows of ${batch.stateDim} features; expected ${M} of ${S}`,
      );
    }
    normaliseStates(this.normaliser, batch.states, M, S, ws.states);
    normaliseStates(this.normaliser, batch.nextStates, M, S, ws.nextStates);
    for (let i = 0; i < M * A; i++) ws.actions[i] = batch.actions[i];
    for (let i = 0; i < M; i++) {
      ws.rewards[i] = batch.rewards[i];
      ws.terminated[i] = batch.terminated[i];
    }

    sampleNormal(rng, ws.latents.eps, M * Z); // line 5: Eq. 3
    const vae = vaeLossAndGrads(nets, ws, dims, config.klWeight);
    opt.encoder.update();
    opt.decoder.update();

    sampleLatents(rng, ws.targetLatents, M * config.nActionSamples * Z, config.latentClip); // lines 6-7
    const target = computeCriticTarget(ws, dims, {
      gamma: config.gamma,
      lambda: config.lambda,
      rho: config.rho,
    });

    let actor: Metrics;
    let critic: Metrics;
    if (config.updateOrder === "paper") {
      actor = this.updateActor(); // line 8
      critic = this.updateCritics(); // line 9
    } else {
      critic = this.updateCritics();
      actor = this.updateActor();
    }

    this.steps += 1;
    if (this.steps % config.targetUpdateEvery === 0) {
      // lines 10-12
      softUpdate(nets.actorTarget, nets.actor, config.eta);
      softUpdate(nets.critic1Target, nets.critic1, config.eta);
      softUpdate(nets.critic2Target, nets.critic2, config.eta);
    }
    const metrics = { ...vae, ...target, ...actor, ...critic };
    if (
      !Number.isFinite(metrics["loss/critic"]) ||
      !Number.isFinite(metrics["loss/vae"]) ||
      !Number.isFinite(metrics["loss/actor"])
    ) {
      throw new MtfError(
        "TRAINING_DIVERGED",
        `BCQ diverged at step ${this.steps}: loss/vae ${metrics["loss/vae"]}, loss/actor ${metrics["loss/actor"]}, loss/critic ${metrics["loss/critic"]}; check the data (rewards, states) or lower the learning rates`,
        { details: { step: this.steps, ...metrics } },
      );
    }
    return metrics;
  }

  private updateActor(): Metrics {
    const { config, dims, ws } = this;
    sampleLatents(this.rng, ws.actorLatents, config.batchSize * dims.latentDim, config.latentClip);
    const metrics = actorLossAndGrads(this.networks, ws, dims, config.rho);
    this.optimisers.actor.update();
    return metrics;
  }

  private updateCritics(): Metrics {
    const metrics = criticLossAndGrads(this.networks, this.ws, this.dims);
    this.optimisers.critic1.update();
    this.optimisers.critic2.update();
    return metrics;
  }

  /** The config a checkpoint records. */
  checkpointConfig(): BcqCheckpointConfig {
    return { bcq: this.config, dims: this.dims, seed: this.seed, dtype: this.dtype };
  }

  /** Writes the whole training state (see the header) to `path`, atomically. */
  async saveCheckpoint(path: string): Promise<void> {
    await saveAgentCheckpoint(path, {
      kind: BCQ_CHECKPOINT_KIND,
      config: this.checkpointConfig(),
      networks: { ...this.networks },
      optimisers: { ...this.optimisers },
      normaliser: this.normaliser,
      step: this.steps,
      rngState: this.rng.getState(),
      batchSourceState: this.source.saveState(),
      metadata: this.metadata,
    });
  }

  /** Restores a checkpoint written by a trainer with the same config (except RESUMABLE_CHANGES). */
  restore(checkpoint: Checkpoint): void {
    const stored = parseCheckpointConfig(checkpoint);
    const keys = new Set([...Object.keys(stored.bcq), ...Object.keys(this.config)]) as Set<keyof BcqConfig>;
    const mismatched: string[] = [...keys].filter(
      (key) =>
        !RESUMABLE_CHANGES.includes(key) &&
        JSON.stringify(stored.bcq[key]) !== JSON.stringify(this.config[key]),
    );
    if (JSON.stringify(stored.dims) !== JSON.stringify(this.dims)) mismatched.push("state/action dimensions");
    if (stored.seed !== this.seed) mismatched.push("seed");
    if (stored.dtype !== this.dtype) mismatched.push("dtype");
    if (mismatched.length > 0) {
      throw new MtfError(
        "INVALID_CONFIG",
        `cannot resume: the checkpoint was trained with a different ${mismatched.join(", ")}; resume with the checkpoint's config and seed`,
        { details: { mismatched, storedSeed: stored.seed, seed: this.seed } },
      );
    }
    restoreAgentState(checkpoint, { ...this.networks }, { ...this.optimisers });
    const sourceState = checkpointBatchSourceState(checkpoint);
    if (sourceState === null || checkpoint.rngState === null) {
      throw new MtfError(
        "CHECKPOINT_CORRUPT",
        "a BCQ training checkpoint must hold the RNG and batch source states",
      );
    }
    this.source.restoreState(sourceState);
    this.rng.setState(checkpoint.rngState);
    this.steps = checkpoint.step;
  }

  /**
   * Rebuilds a trainer from a checkpoint: config, seed and normaliser from the file (`config`
   * may change only steps, logEvery, checkpointEvery), then the exact training state.
   */
  static async fromCheckpoint(
    path: string,
    args: Omit<BcqTrainerArgs, "config" | "normaliser" | "seed" | "dtype"> & { readonly config?: BcqConfig },
  ): Promise<BcqTrainer> {
    const checkpoint = await readAgentCheckpoint(path, BCQ_CHECKPOINT_KIND);
    const stored = parseCheckpointConfig(checkpoint);
    const normaliser = checkpointNormaliser(checkpoint, stored.dims.stateDim);
    if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
    const config = args.config ?? stored.bcq;
    const trainer = new BcqTrainer({
      ...args,
      config,
      normaliser,
      seed: stored.seed,
      dtype: stored.dtype,
      metadata: args.metadata ?? withoutBatchSource(checkpoint.metadata),
    });
    trainer.restore(checkpoint);
    return trainer;
  }

  /**
   * A snapshot of the current policy (Eq. 4): copies of the decoder, P_ω and Q1 with the
   * training normaliser, independent of further training.
   */
  policy(id = `bcq@${this.steps}`): BcqPolicy {
    const clone = (net: Mlp): Mlp => {
      const copy = new Mlp(
        { ...net.config, ...(this.kernels ? { kernels: this.kernels } : {}), maxBatch: 1 },
        new Rng(0),
      );
      copy.copyParamsFrom(net);
      return copy;
    };
    return new BcqPolicy({
      id,
      networks: {
        decoder: clone(this.networks.decoder),
        actor: clone(this.networks.actor),
        critic1: clone(this.networks.critic1),
      },
      normaliser: this.normaliser,
      dims: this.dims,
      rho: this.config.rho,
      samples: policySamples(this.config),
      latentClip: this.config.latentClip,
    });
  }
}

/** A checkpoint's metadata minus the batch source position (the trainer records a fresh one). */
function withoutBatchSource(metadata: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { batchSource: _position, ...rest } = metadata;
  return rest;
}

function parseCheckpointConfig(checkpoint: Checkpoint): BcqCheckpointConfig {
  const raw = checkpoint.config as Partial<BcqCheckpointConfig> | null;
  const dims = raw?.dims;
  if (
    raw === null ||
    typeof raw !== "object" ||
    dims === undefined ||
    typeof raw.seed !== "number" ||
    !(raw.dtype === "float32" || raw.dtype === "float64") ||
    ![dims.stateDim, dims.actionDim, dims.latentDim].every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new MtfError("CHECKPOINT_CORRUPT", "BCQ checkpoint config lacks bcq, dims, seed or dtype");
  }
  let bcq: BcqConfig;
  try {
    bcq = bcqConfig(raw.bcq as Record<string, unknown>);
  } catch (error) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `BCQ checkpoint config is invalid: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return { bcq, dims, seed: raw.seed, dtype: raw.dtype };
}
