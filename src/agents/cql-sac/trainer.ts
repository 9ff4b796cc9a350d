/**
 * The CQL+SAC trainer: SAC (Haarnoja et al., 2018) with the CQL(H) regulariser (Kumar et al.,
 * 2020), offline on a `BatchSource`, one update step per `update()` in the order of the
 * authors' `CQLTrainer.train_from_torch` (every loss on the networks as they were at the start
 * of the step, then all optimiser steps):
 *
 *   1 sample M transitions; the actor's heads [μ | log σ] at s and s'
 *   2 ã ~ π(s); temperature: log α ← Adam(−log α·(log π(ã|s) + H̄)); α = exp(log α)
 *   3 actor loss mean(α·log π(ã|s) − min_j Q_j(s, ã))                 -> actor gradients
 *   4 y = r + γ(1 − d)·min_j Q'_j(s', a'), a' ~ π(s')  (− α·log π with `entropyBackup`)
 *   5 per critic: mse(Q_j(s, a), y) + α_cql·(logsumexp over N uniform, N π(s') and N π(s)
 *     actions, importance-corrected − Q_j(s, a))                        -> critic gradients
 *   5' with `cqlTargetGap` (the Lagrange variant): the CQL weight is α'·α_cql, and
 *      log α' ← Adam(−α'·(α_cql·gap − τ)), with the gap the critics' losses saw
 *   6 Adam steps (actor, Q_1, Q_2); Q'_j ← τ·Q_j + (1 − τ)·Q'_j every `targetUpdateEvery` steps
 *
 * Random draws per step, always in this order from the trainer's own RNG: ε for ã [M, A], ε for
 * a' [M, A], the uniform actions [M·N, A], ε for the π(s') actions [M·N, A], ε for the π(s)
 * actions [M·N, A]. The batch source draws from its own RNG. A checkpoint holds both RNG states
 * and the learned scalars (log α, log α'), so a resumed run is bit-identical.
 */
import { MtfError } from "../../core/errors.js";
import type { BatchSource } from "../../core/interfaces.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { softUpdate } from "../../nn/adam.js";
import type { Checkpoint } from "../../nn/checkpoint.js";
import type { Kernels, NumArray } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import { tanhGaussianSample } from "../../nn/tanh-gaussian.js";
import { allocate, type DType } from "../../nn/tensor.js";
import {
  checkpointBatchSourceState,
  checkpointNormaliser,
  readAgentCheckpoint,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";
import type { Trainer } from "../common/training-loop.js";
import { type CqlSacConfig, type CqlSacDims, cqlSacConfig, cqlSacDims, targetEntropy } from "./config.js";
import {
  cqlMultiplier,
  cqlMultiplierLoss,
  sampleNormal,
  sampleUniformActions,
  temperatureLoss,
} from "./math.js";
import {
  type CqlSacNetworks,
  type CqlSacOptimisers,
  createCqlSacNetworks,
  createCqlSacOptimisers,
  LogScale,
} from "./networks.js";
import { CqlSacPolicy } from "./policy.js";
import {
  actorHeads,
  actorLossAndGrads,
  type CqlSacWorkspace,
  computeCriticTarget,
  createWorkspace,
  criticLossAndGrads,
  prepareCqlInputs,
  sampleActorActions,
} from "./update.js";

/** Checkpoint kind of a CQL+SAC training state. */
export const CQL_SAC_CHECKPOINT_KIND = "cql-sac";

export interface CqlSacTrainerArgs {
  readonly config: CqlSacConfig;
  readonly source: BatchSource;
  /** The training split's state normaliser; it ships with every policy. */
  readonly normaliser: StateNormaliser;
  /** Root seed: network init and the training draws derive from it. */
  readonly seed: number;
  readonly kernels?: Kernels;
  /** float64 needs kernels with float64 support (the reference kernels); for gradient checks. */
  readonly dtype?: DType;
  /** Recorded in every checkpoint (dataset id, state-encoder version…). */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

export interface CqlSacCheckpointConfig {
  readonly cqlSac: CqlSacConfig;
  readonly dims: CqlSacDims;
  readonly seed: number;
  readonly dtype: DType;
}

/** Config fields that may differ on resume (they change the run's plumbing, not its math). */
const RESUMABLE_CHANGES: readonly (keyof CqlSacConfig)[] = ["steps", "logEvery", "checkpointEvery"];

/** Checkpoint metadata key of the learned scalars (not carried into a resumed trainer's metadata). */
const SCALARS_KEY = "scalars";

export class CqlSacTrainer implements Trainer {
  readonly algorithm = "cql-sac";
  readonly config: CqlSacConfig;
  readonly dims: CqlSacDims;
  readonly seed: number;
  readonly networks: CqlSacNetworks;
  /** SAC's temperature: log α. */
  readonly temperature: LogScale;
  /** CQL's Lagrange multiplier: log α' (trained only with `cqlTargetGap`). */
  readonly cqlMultiplier: LogScale;
  readonly optimisers: CqlSacOptimisers;
  readonly normaliser: StateNormaliser;
  readonly source: BatchSource;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly dtype: DType;
  private readonly kernels: Kernels | undefined;
  private readonly rng: Rng;
  private readonly ws: CqlSacWorkspace;
  private readonly targetEntropy: number;
  private steps = 0;

  constructor(args: CqlSacTrainerArgs) {
    const { config, source } = args;
    if (source.batchSize !== config.batchSize) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `the batch source draws ${source.batchSize} transitions per batch but cql-sac.batchSize (M) is ${config.batchSize}; build the source with the config's batch size`,
      );
    }
    this.config = config;
    this.dims = cqlSacDims(source.stateDim, source.actionDim);
    checkNormaliser(args.normaliser, this.dims.stateDim, "the training normaliser");
    this.seed = args.seed;
    this.source = source;
    this.normaliser = { mean: Array.from(args.normaliser.mean), std: Array.from(args.normaliser.std) };
    this.metadata = args.metadata ?? {};
    this.dtype = args.dtype ?? "float32";
    this.kernels = args.kernels;
    const netOptions = { ...(args.kernels ? { kernels: args.kernels } : {}), dtype: this.dtype };
    this.networks = createCqlSacNetworks(
      config,
      this.dims,
      new Rng(deriveSeed(args.seed, "cql-sac/init")),
      netOptions,
    );
    this.temperature = new LogScale(config.initialAlpha, netOptions);
    this.cqlMultiplier = new LogScale(1, netOptions);
    this.optimisers = createCqlSacOptimisers(config, this.networks, this.temperature, this.cqlMultiplier);
    this.rng = new Rng(deriveSeed(args.seed, "cql-sac/train"));
    this.ws = createWorkspace(this.networks, this.dims, config.batchSize, config.cqlSamples);
    this.targetEntropy = targetEntropy(config, this.dims);
  }

  get step(): number {
    return this.steps;
  }

  /** α of SAC's entropy term now. */
  get alpha(): number {
    return this.temperature.value;
  }

  /** The CQL term's weight now: cqlWeight, times α' in the Lagrange variant. */
  get cqlWeight(): number {
    const { cqlWeight, cqlTargetGap } = this.config;
    return cqlTargetGap === undefined ? cqlWeight : cqlWeight * cqlMultiplier(this.cqlMultiplier.log);
  }

  /** One update step (see the header); returns its metrics. */
  update(): Metrics {
    const { config, dims, networks: nets, optimisers: opt, ws, rng } = this;
    const { stateDim: S, actionDim: A } = dims;
    const M = config.batchSize;
    const MN = M * config.cqlSamples;
    const batch = this.source.next(); // 1
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
    sampleNormal(rng, ws.actorEps, M * A);
    sampleNormal(rng, ws.nextEps, M * A);
    sampleUniformActions(rng, ws.uniformActions, MN * A);
    sampleNormal(rng, ws.nextPolicyEps, MN * A);
    sampleNormal(rng, ws.policyEps, MN * A);

    actorHeads(nets, ws, dims);
    sampleActorActions(ws, dims); // 2
    const temperature = temperatureLoss(ws.actorLogProb, M, this.temperature.log, this.targetEntropy);
    if (config.autoEntropy) {
      this.temperature.grads[0] = temperature.grad;
      opt.temperature.update();
    }
    const alpha = this.temperature.value;
    const actor = actorLossAndGrads(nets, ws, dims, alpha); // 3
    const backupAlpha = config.entropyBackup ? alpha : 0;
    const target = computeCriticTarget(nets, ws, dims, { gamma: config.gamma, backupAlpha }); // 4
    prepareCqlInputs(ws, dims); // 5
    const cqlWeight = this.cqlWeight;
    const critic = criticLossAndGrads(nets, ws, { weight: cqlWeight, temperature: config.cqlTemperature });
    let lagrange: Metrics = {};
    if (config.cqlTargetGap !== undefined) {
      // 5': the multiplier's step uses the gap the critics' losses saw (before their own step).
      const multiplier = cqlMultiplierLoss(
        config.cqlWeight * critic["cql/gap"],
        this.cqlMultiplier.log,
        config.cqlTargetGap,
      );
      this.cqlMultiplier.grads[0] = multiplier.grad;
      opt.cqlMultiplier.update();
      lagrange = { "cql/weight": cqlWeight, "loss/cql_multiplier": multiplier.loss };
    }

    opt.actor.update(); // 6
    opt.critic1.update();
    opt.critic2.update();
    this.steps += 1;
    if (this.steps % config.targetUpdateEvery === 0) {
      softUpdate(nets.critic1Target, nets.critic1, config.tau);
      softUpdate(nets.critic2Target, nets.critic2, config.tau);
    }
    const metrics: Metrics = {
      ...actor,
      ...target,
      ...critic,
      ...lagrange,
      alpha,
      "loss/alpha": temperature.loss,
    };
    if (
      !Number.isFinite(metrics["loss/critic"]) ||
      !Number.isFinite(metrics["loss/actor"]) ||
      !Number.isFinite(alpha)
    ) {
      throw new MtfError(
        "TRAINING_DIVERGED",
        `CQL+SAC diverged at step ${this.steps}: loss/actor ${metrics["loss/actor"]}, loss/critic ${metrics["loss/critic"]}, alpha ${alpha}; check the data (rewards, states) or lower the learning rates`,
        { details: { step: this.steps, ...metrics } },
      );
    }
    return metrics;
  }

  /**
   * The agent's own estimate of the stochastic policy's value, E_{a~π(·|s)} Q_1(s, a), for raw
   * `states` [rows, S]: the mean of Q_1 over `samples` actions drawn per state from `rng`, into
   * `out` [rows]. (What Fig. 5 plots; Q_1 is the critic `q/mean` logs.)
   */
  estimatePolicyValue(states: Float32Array, rows: number, samples: number, rng: Rng, out: NumArray): void {
    const { stateDim: S, actionDim: A } = this.dims;
    const { actor, critic1 } = this.networks;
    const normalised = allocate(this.dtype, rows * S);
    normaliseStates(this.normaliser, states, rows, S, normalised);
    const head = Float64Array.from(actor.forward(normalised, rows).subarray(0, rows * 2 * A));
    const eps = new Float64Array(rows * samples * A);
    sampleNormal(rng, eps, eps.length);
    const actions = new Float64Array(rows * samples * A);
    tanhGaussianSample(head, rows, A, samples, eps, actions, new Float64Array(rows * samples));
    const input = allocate(this.dtype, rows * samples * (S + A));
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < samples; k++) {
        const row = r * samples + k;
        for (let c = 0; c < S; c++) input[row * (S + A) + c] = normalised[r * S + c];
        for (let c = 0; c < A; c++) input[row * (S + A) + S + c] = actions[row * A + c];
      }
    }
    const q = critic1.forward(input, rows * samples);
    for (let r = 0; r < rows; r++) {
      let sum = 0;
      for (let k = 0; k < samples; k++) sum += q[r * samples + k];
      out[r] = sum / samples;
    }
  }

  checkpointConfig(): CqlSacCheckpointConfig {
    return { cqlSac: this.config, dims: this.dims, seed: this.seed, dtype: this.dtype };
  }

  /** Writes the whole training state to `path`, atomically. */
  async saveCheckpoint(path: string): Promise<void> {
    await saveAgentCheckpoint(path, {
      kind: CQL_SAC_CHECKPOINT_KIND,
      config: this.checkpointConfig(),
      networks: { ...this.networks },
      optimisers: { ...this.optimisers },
      normaliser: this.normaliser,
      step: this.steps,
      rngState: this.rng.getState(),
      batchSourceState: this.source.saveState(),
      // Each is one number; JSON round-trips it exactly.
      metadata: {
        ...this.metadata,
        [SCALARS_KEY]: { logAlpha: this.temperature.log, logCqlMultiplier: this.cqlMultiplier.log },
      },
    });
  }

  /** Restores a checkpoint written by a trainer with the same config (except RESUMABLE_CHANGES). */
  restore(checkpoint: Checkpoint): void {
    const stored = parseCheckpointConfig(checkpoint);
    const keys = new Set([...Object.keys(stored.cqlSac), ...Object.keys(this.config)]) as Set<
      keyof CqlSacConfig
    >;
    const mismatched: string[] = [...keys].filter(
      (key) =>
        !RESUMABLE_CHANGES.includes(key) &&
        JSON.stringify(stored.cqlSac[key]) !== JSON.stringify(this.config[key]),
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
    const scalars = checkpoint.metadata[SCALARS_KEY] as
      | { logAlpha?: unknown; logCqlMultiplier?: unknown }
      | undefined;
    const finite = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x);
    const sourceState = checkpointBatchSourceState(checkpoint);
    if (
      sourceState === null ||
      checkpoint.rngState === null ||
      scalars === undefined ||
      !finite(scalars.logAlpha) ||
      !finite(scalars.logCqlMultiplier)
    ) {
      throw new MtfError(
        "CHECKPOINT_CORRUPT",
        "a CQL+SAC training checkpoint must hold the RNG and batch source states and log α",
      );
    }
    restoreAgentState(checkpoint, { ...this.networks }, { ...this.optimisers });
    this.temperature.log = scalars.logAlpha;
    this.cqlMultiplier.log = scalars.logCqlMultiplier;
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
    args: Omit<CqlSacTrainerArgs, "config" | "normaliser" | "seed" | "dtype"> & {
      readonly config?: CqlSacConfig;
    },
  ): Promise<CqlSacTrainer> {
    const checkpoint = await readAgentCheckpoint(path, CQL_SAC_CHECKPOINT_KIND);
    const stored = parseCheckpointConfig(checkpoint);
    const normaliser = checkpointNormaliser(checkpoint, stored.dims.stateDim);
    if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
    const { batchSource: _position, [SCALARS_KEY]: _scalars, ...metadata } = checkpoint.metadata;
    const trainer = new CqlSacTrainer({
      ...args,
      config: args.config ?? stored.cqlSac,
      normaliser,
      seed: stored.seed,
      dtype: stored.dtype,
      metadata: args.metadata ?? metadata,
    });
    trainer.restore(checkpoint);
    return trainer;
  }

  /** A snapshot of the current policy (deterministic tanh(μ) at serving), independent of further training. */
  policy(id = `cql-sac@${this.steps}`): CqlSacPolicy {
    const actor = new Mlp(
      { ...this.networks.actor.config, ...(this.kernels ? { kernels: this.kernels } : {}), maxBatch: 1 },
      new Rng(0),
    );
    actor.copyParamsFrom(this.networks.actor);
    return new CqlSacPolicy({ id, actor, normaliser: this.normaliser, dims: this.dims });
  }
}

function parseCheckpointConfig(checkpoint: Checkpoint): CqlSacCheckpointConfig {
  const raw = checkpoint.config as Partial<CqlSacCheckpointConfig> | null;
  const dims = raw?.dims;
  if (
    raw === null ||
    typeof raw !== "object" ||
    dims === undefined ||
    typeof raw.seed !== "number" ||
    !(raw.dtype === "float32" || raw.dtype === "float64") ||
    ![dims.stateDim, dims.actionDim].every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new MtfError("CHECKPOINT_CORRUPT", "CQL+SAC checkpoint config lacks cqlSac, dims, seed or dtype");
  }
  let cqlSac: CqlSacConfig;
  try {
    cqlSac = cqlSacConfig(raw.cqlSac as Record<string, unknown>);
  } catch (error) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `CQL+SAC checkpoint config is invalid: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return {
    cqlSac,
    dims: { stateDim: dims.stateDim, actionDim: dims.actionDim },
    seed: raw.seed,
    dtype: raw.dtype,
  };
}
