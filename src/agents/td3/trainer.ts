/**
 * The TD3 trainer (Fujimoto, van Hoof & Meger 2018, Algorithm 1), run offline on a
 * `BatchSource` like BCQ. One `update()` is one iteration of the reference code's `train`:
 *
 *   1 sample M transitions (s, a, r, s', terminated)
 *   2 ã = clip(π'(s') + clip(σ·ε, −c, c), −1, 1)                      target policy smoothing
 *   3 y = r + γ·(1 − terminated)·min(Q'_1(s', ã), Q'_2(s', ã))          clipped double Q
 *   4 update Q_1, Q_2 on mse(Q_j(s, a), y)
 *   5 every d-th step: update π on −mean Q_1(s, π(s)), then
 *     φ' ← τφ + (1 − τ)φ', θ'_j ← τθ_j + (1 − τ)θ'_j                   delayed updates
 *
 * The same class runs UWAC+TD3 (Wu et al. 2021) when given an `UncertaintyWeighting`
 * (src/agents/uwac-td3/): critics with dropout; Q'_j(s', ã) in step 3 is the mean of K
 * MC-dropout passes of the target critics, and their variances Var'_1 + Var'_2 give per-sample
 * weights w that multiply the TD errors of step 4; step 4's Q_j(s, a) is one dropout pass; step
 * 5 maximises w_π·mean_k Q_1^(k)(s, π(s)) with w_π from the online critics' MC variance.
 *
 * Random draws per step, in this order from the trainer's own RNG: ε [M, A]; with uncertainty,
 * the dropout masks of target critic 1 and 2 (K passes each), of critic 1 and 2 (one pass each),
 * and on actor steps of critic 1 and 2 at (s, π(s)) (K passes each). The batch source draws from
 * its own RNG. A checkpoint holds both RNG states, so a resumed run is bit-identical.
 */
import { MtfError } from "../../core/errors.js";
import type { BatchSource } from "../../core/interfaces.js";
import type { Metrics } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { softUpdate } from "../../nn/adam.js";
import type { Checkpoint } from "../../nn/checkpoint.js";
import { type DropoutMlp, sampleMoments } from "../../nn/dropout.js";
import type { Kernels, NumArray } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import { allocate, type DType } from "../../nn/tensor.js";
import { concatColumns, meanStd } from "../common/batch.js";
import {
  checkpointBatchSourceState,
  checkpointNormaliser,
  readAgentCheckpoint,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";
import { bootstrapTarget, softClippedDoubleQ } from "../common/targets.js";
import type { Trainer } from "../common/training-loop.js";
import { type Td3Config, type Td3Dims, td3Config, td3Dims } from "./config.js";
import {
  actionStats,
  sampleNormal,
  smoothTargetActions,
  type WeightForm,
  weightedActorLoss,
  weightedCriticLoss,
} from "./math.js";
import {
  createTd3Networks,
  createTd3Optimisers,
  type Td3Networks,
  type Td3Optimisers,
  td3CheckpointNetworks,
} from "./networks.js";
import { Td3Policy } from "./policy.js";

/** UWAC's uncertainty down-weighting as the TD3 trainer sees it (implemented in agents/uwac-td3). */
export interface UncertaintyWeighting {
  /** Dropout rate after every hidden layer of the critics. */
  readonly dropout: number;
  /** K, MC-dropout passes per estimate. */
  readonly mcSamples: number;
  /** How the weight enters the critic loss. */
  readonly weightForm: WeightForm;
  /** Whether the actor loss is down-weighted too (the reference code's var_Pi). */
  readonly weightActor: boolean;
  /** out[i] = weight of a sample whose summed MC-dropout variance is variance[i], i < n. */
  weights(variance: NumArray, n: number, out: NumArray): void;
}

/** What distinguishes TD3 from UWAC+TD3 for the shared trainer. */
export interface Td3Variant<C extends Td3Config> {
  /** "td3" or "uwac-td3": run ids, metrics, checkpoint config key. */
  readonly algorithm: string;
  readonly checkpointKind: string;
  /** Parses the config stored in a checkpoint (throws on invalid). */
  parseConfig(raw: unknown): C;
  uncertainty(config: C): UncertaintyWeighting | null;
}

export const TD3_CHECKPOINT_KIND = "td3";

export const TD3_VARIANT: Td3Variant<Td3Config> = {
  algorithm: "td3",
  checkpointKind: TD3_CHECKPOINT_KIND,
  parseConfig: (raw) => td3Config(raw as Record<string, unknown>),
  uncertainty: () => null,
};

export interface Td3TrainerArgs<C extends Td3Config = Td3Config> {
  readonly config: C;
  readonly source: BatchSource;
  /** The training split's state normaliser; it ships with every policy. */
  readonly normaliser: StateNormaliser;
  /** Root seed: network init and the training draws derive from it. */
  readonly seed: number;
  readonly kernels?: Kernels;
  /** float64 needs kernels with float64 support (the reference kernels). */
  readonly dtype?: DType;
  /** Recorded in every checkpoint. */
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** What resuming takes: the data source, optionally a config changing only steps, logEvery, checkpointEvery. */
export type Td3ResumeArgs<C extends Td3Config> = Omit<
  Td3TrainerArgs<C>,
  "config" | "normaliser" | "seed" | "dtype"
> & {
  readonly config?: C;
};

/** The config a TD3 / UWAC+TD3 checkpoint stores. */
export interface Td3CheckpointConfig<C extends Td3Config = Td3Config> {
  readonly algorithm: string;
  readonly config: C;
  readonly dims: Td3Dims;
  readonly seed: number;
  readonly dtype: DType;
}

/** Config fields that may differ on resume (plumbing, not math). */
const RESUMABLE_CHANGES: readonly string[] = ["steps", "logEvery", "checkpointEvery"];

/** Buffers of one step for M rows and K MC-dropout passes, allocated once. */
export function createTd3Workspace(dtype: DType, dims: Td3Dims, M: number, K: number) {
  const { stateDim: S, actionDim: A } = dims;
  const f = (n: number) => allocate(dtype, n);
  return {
    states: f(M * S),
    nextStates: f(M * S),
    actions: f(M * A),
    rewards: f(M),
    terminated: f(M),
    eps: f(M * A),
    targetActions: f(M * A),
    smoothed: f(M * A),
    targetIn: f(M * (S + A)),
    criticIn: f(M * (S + A)),
    tq1: f(M),
    tq2: f(M),
    tvar1: f(M),
    tvar2: f(M),
    tvar: f(M),
    nextValue: f(M),
    y: f(M),
    weights: f(M),
    q1: f(M),
    q2: f(M),
    dQ1: f(M),
    dQ2: f(M),
    policyActions: f(M * A),
    policyIn: f(M * (S + A)),
    pq: f(M * K),
    dPq: f(M * K),
    pMean: f(M),
    pVar1: f(M),
    pVar2: f(M),
    pVar: f(M),
    pWeights: f(M),
    dAction: f(M * A),
  };
}

export type Td3Workspace = ReturnType<typeof createTd3Workspace>;

/**
 * Q values of `net` at `input` [rows, S+A] into `mean` [rows]: one unmasked pass when `samples`
 * is null (TD3), else the mean and unbiased variance of `samples` MC-dropout passes with masks
 * from `rng` (UWAC). Returns the raw outputs ([rows] or [rows·samples]) for a backward pass.
 */
export function criticEstimate(
  net: DropoutMlp,
  input: NumArray,
  rows: number,
  samples: number | null,
  rng: Rng,
  mean: NumArray,
  variance: NumArray,
): NumArray {
  if (samples === null) {
    const q = net.forward(input, rows, null);
    for (let i = 0; i < rows; i++) mean[i] = q[i];
    variance.fill(0, 0, rows);
    return q;
  }
  const q = net.forwardSamples(input, rows, samples, rng); // [rows*K, 1]
  sampleMoments(q, rows, samples, mean, variance);
  return q;
}

/**
 * The actor objective of step 5 on `ws.states` (normalised, [rows, S]):
 * loss = −mean_r w_r · mean_k Q_1^(k)(s_r, π(s_r)) with K = `samples` MC-dropout passes of
 * critic 1 (masks from `rng`; null = one unmasked pass, TD3), w from `weightsFor` (called after
 * critic 1's passes, with π(s) in `ws.policyActions` and [s, π(s)] in `ws.policyIn`; null = 1).
 * The weights are constants (the reference code detaches them). Gradients go into actor.grads
 * (overwritten); the critic is only differentiated w.r.t. its action input. Returns the loss.
 */
export function actorLossAndGrads(
  nets: Pick<Td3Networks, "actor" | "critic1">,
  ws: Td3Workspace,
  dims: Td3Dims,
  rows: number,
  samples: number | null,
  rng: Rng,
  weightsFor: () => NumArray | null,
): number {
  const { stateDim: S, actionDim: A } = dims;
  const M = rows;
  const K = samples ?? 1;
  const pi = nets.actor.forward(ws.states, M); // [M, S] -> [M, A]
  for (let i = 0; i < M * A; i++) ws.policyActions[i] = pi[i];
  concatColumns(ws.states, S, ws.policyActions, A, M, ws.policyIn); // -> [M, S+A]
  const q = criticEstimate(nets.critic1, ws.policyIn, M, samples, rng, ws.pMean, ws.pVar1); // [M*K]
  for (let i = 0; i < M * K; i++) ws.pq[i] = q[i];
  const weights = weightsFor();
  const loss = weightedActorLoss(ws.pq, weights, M, K, ws.dPq);
  const dIn = nets.critic1.backward(ws.dPq, M * K, { needInputGrad: true, paramGrads: "skip" }) as NumArray;
  // dL/da [M, A] = Σ_k dL/d[s, a] of copy k, action columns.
  ws.dAction.fill(0, 0, M * A);
  for (let r = 0; r < M; r++) {
    for (let k = 0; k < K; k++) {
      const from = (r * K + k) * (S + A) + S; // [M*K, S+A] -> action part
      for (let c = 0; c < A; c++) ws.dAction[r * A + c] += dIn[from + c];
    }
  }
  nets.actor.backward(ws.dAction, M);
  return loss;
}

export class Td3Trainer<C extends Td3Config = Td3Config> implements Trainer {
  readonly algorithm: string;
  readonly variant: Td3Variant<C>;
  readonly config: C;
  readonly dims: Td3Dims;
  readonly seed: number;
  readonly networks: Td3Networks;
  readonly optimisers: Td3Optimisers;
  readonly normaliser: StateNormaliser;
  readonly source: BatchSource;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly dtype: DType;
  readonly uncertainty: UncertaintyWeighting | null;
  private readonly kernels: Kernels | undefined;
  private readonly rng: Rng;
  private readonly ws: Td3Workspace;
  private steps = 0;

  constructor(args: Td3TrainerArgs<C>, variant: Td3Variant<C> = TD3_VARIANT as unknown as Td3Variant<C>) {
    const { config, source } = args;
    if (source.batchSize !== config.batchSize) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `the batch source draws ${source.batchSize} transitions per batch but ${variant.algorithm}.batchSize is ${config.batchSize}; build the source with the config's batch size`,
      );
    }
    this.variant = variant;
    this.algorithm = variant.algorithm;
    this.config = config;
    this.uncertainty = variant.uncertainty(config);
    this.dims = td3Dims(source.stateDim, source.actionDim);
    checkNormaliser(args.normaliser, this.dims.stateDim, "the training normaliser");
    this.seed = args.seed;
    this.source = source;
    this.normaliser = { mean: Array.from(args.normaliser.mean), std: Array.from(args.normaliser.std) };
    this.metadata = args.metadata ?? {};
    this.dtype = args.dtype ?? "float32";
    this.kernels = args.kernels;
    this.networks = createTd3Networks(
      config,
      this.dims,
      new Rng(deriveSeed(args.seed, `${variant.algorithm}/init`)),
      {
        ...(args.kernels ? { kernels: args.kernels } : {}),
        dtype: this.dtype,
        criticDropout: this.uncertainty?.dropout ?? 0,
      },
    );
    this.optimisers = createTd3Optimisers(config, this.networks);
    this.rng = new Rng(deriveSeed(args.seed, `${variant.algorithm}/train`));
    this.ws = createTd3Workspace(this.dtype, this.dims, config.batchSize, this.uncertainty?.mcSamples ?? 1);
  }

  /** Rebuilds a TD3 trainer from a checkpoint (see `resumeTd3Trainer`). */
  static fromCheckpoint(path: string, args: Td3ResumeArgs<Td3Config>): Promise<Td3Trainer<Td3Config>> {
    return resumeTd3Trainer(TD3_VARIANT, path, args, (a) => new Td3Trainer(a, TD3_VARIANT));
  }

  /** Update steps (critic updates) taken so far. */
  get step(): number {
    return this.steps;
  }

  /** One iteration (steps 1-5 of the header); returns its metrics. */
  update(): Metrics {
    const { config, dims, networks: nets, ws } = this;
    const { stateDim: S, actionDim: A } = dims;
    const M = config.batchSize;
    const batch = this.source.next();
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

    const target = this.computeTarget();
    const critic = this.updateCritics();
    this.steps += 1;
    let actor: Metrics = {};
    if (this.steps % config.policyFreq === 0) {
      actor = this.updateActor();
      softUpdate(nets.actorTarget, nets.actor, config.tau);
      softUpdate(nets.critic1Target.mlp, nets.critic1.mlp, config.tau);
      softUpdate(nets.critic2Target.mlp, nets.critic2.mlp, config.tau);
    }
    const metrics = { ...target, ...critic, ...actor };
    const actorLoss = metrics["loss/actor"];
    if (
      !Number.isFinite(metrics["loss/critic"]) ||
      (actorLoss !== undefined && !Number.isFinite(actorLoss))
    ) {
      throw new MtfError(
        "TRAINING_DIVERGED",
        `${this.algorithm} diverged at step ${this.steps}: loss/critic ${metrics["loss/critic"]}, loss/actor ${actorLoss}; check the data (rewards, states) or lower the learning rates`,
        { details: { step: this.steps, ...metrics } },
      );
    }
    return metrics;
  }

  /** `criticEstimate` over this step's M rows: K passes with masks from the trainer's RNG for UWAC. */
  private criticEstimate(net: DropoutMlp, input: NumArray, mean: NumArray, variance: NumArray): NumArray {
    const u = this.uncertainty;
    return criticEstimate(
      net,
      input,
      this.config.batchSize,
      u === null ? null : u.mcSamples,
      this.rng,
      mean,
      variance,
    );
  }

  /** Steps 2-3 (and UWAC's target variance and weights). */
  private computeTarget(): Metrics {
    const { config, dims, networks: nets, ws } = this;
    const { stateDim: S, actionDim: A } = dims;
    const M = config.batchSize;
    sampleNormal(this.rng, ws.eps, M * A);
    const piNext = nets.actorTarget.forward(ws.nextStates, M); // [M, S] -> [M, A]
    for (let i = 0; i < M * A; i++) ws.targetActions[i] = piNext[i];
    smoothTargetActions(ws.targetActions, ws.eps, config.policyNoise, config.noiseClip, M * A, ws.smoothed);
    concatColumns(ws.nextStates, S, ws.smoothed, A, M, ws.targetIn); // -> [M, S+A]
    this.criticEstimate(nets.critic1Target, ws.targetIn, ws.tq1, ws.tvar1);
    this.criticEstimate(nets.critic2Target, ws.targetIn, ws.tq2, ws.tvar2);
    softClippedDoubleQ(ws.tq1, ws.tq2, 1, M, ws.nextValue); // TD3's pure min
    bootstrapTarget(ws.rewards, ws.terminated, ws.nextValue, config.gamma, M, ws.y);
    const y = meanStd(ws.y, M);
    const metrics: Record<string, number> = { "target/mean": y.mean, "target/std": y.std };
    const u = this.uncertainty;
    if (u !== null) {
      for (let i = 0; i < M; i++) ws.tvar[i] = ws.tvar1[i] + ws.tvar2[i];
      u.weights(ws.tvar, M, ws.weights);
      const w = meanStd(ws.weights, M);
      let min = Number.POSITIVE_INFINITY;
      for (let i = 0; i < M; i++) min = Math.min(min, ws.weights[i]);
      metrics["uwac/weight_mean"] = w.mean;
      metrics["uwac/weight_min"] = min;
      metrics["uwac/target_var_mean"] = meanStd(ws.tvar, M).mean;
    }
    return metrics;
  }

  /** Step 4: both critics on the (weighted) TD error. */
  private updateCritics(): Metrics {
    const { config, dims, networks: nets, ws } = this;
    const M = config.batchSize;
    const u = this.uncertainty;
    const maskRng = u === null ? null : this.rng;
    const weights = u === null ? null : ws.weights;
    const form: WeightForm = u?.weightForm ?? "linear";
    concatColumns(ws.states, dims.stateDim, ws.actions, dims.actionDim, M, ws.criticIn);
    const losses: number[] = [];
    for (const [net, q, dQ, adam] of [
      [nets.critic1, ws.q1, ws.dQ1, this.optimisers.critic1],
      [nets.critic2, ws.q2, ws.dQ2, this.optimisers.critic2],
    ] as const) {
      const out = net.forward(ws.criticIn, M, maskRng); // [M, S+A] -> [M, 1]
      for (let i = 0; i < M; i++) q[i] = out[i];
      losses.push(weightedCriticLoss(q, ws.y, weights, form, M, dQ));
      net.backward(dQ, M);
      adam.update();
    }
    const q = meanStd(ws.q1, M);
    return {
      "loss/critic": losses[0] + losses[1],
      "loss/critic1": losses[0],
      "loss/critic2": losses[1],
      "q/mean": q.mean,
      "q/std": q.std,
    };
  }

  /** Step 5's actor update: −mean w·Q_1(s, π(s)) (w = 1 and one unmasked pass for TD3). */
  private updateActor(): Metrics {
    const { config, dims, networks: nets, ws } = this;
    const M = config.batchSize;
    const u = this.uncertainty;
    const metrics: Record<string, number> = {};
    const weightsFor = (): NumArray | null => {
      if (!u?.weightActor) return null;
      // Var of critic 2 at the same actions (no gradient); its pass touches no buffer of critic 1.
      this.criticEstimate(nets.critic2, ws.policyIn, ws.tq2, ws.pVar2);
      for (let i = 0; i < M; i++) ws.pVar[i] = ws.pVar1[i] + ws.pVar2[i];
      u.weights(ws.pVar, M, ws.pWeights);
      metrics["uwac/actor_weight_mean"] = meanStd(ws.pWeights, M).mean;
      return ws.pWeights;
    };
    const loss = actorLossAndGrads(nets, ws, dims, M, u === null ? null : u.mcSamples, this.rng, weightsFor);
    this.optimisers.actor.update();
    const stats = actionStats(ws.policyActions, M * dims.actionDim);
    const qp = meanStd(ws.pMean, M);
    return {
      ...metrics,
      "loss/actor": loss,
      "q/policy_mean": qp.mean,
      "q/policy_std": qp.std,
      "action/mean": stats.mean,
      "action/std": stats.std,
      "action/at_bound": stats.atBound,
    };
  }

  /** The config a checkpoint records. */
  checkpointConfig(): Td3CheckpointConfig<C> {
    return {
      algorithm: this.algorithm,
      config: this.config,
      dims: this.dims,
      seed: this.seed,
      dtype: this.dtype,
    };
  }

  /** Writes the whole training state to `path`, atomically. */
  async saveCheckpoint(path: string): Promise<void> {
    await saveAgentCheckpoint(path, {
      kind: this.variant.checkpointKind,
      config: this.checkpointConfig(),
      networks: td3CheckpointNetworks(this.networks),
      optimisers: { ...this.optimisers },
      normaliser: this.normaliser,
      step: this.steps,
      rngState: this.rng.getState(),
      batchSourceState: this.source.saveState(),
      metadata: this.metadata,
    });
  }

  /** Restores a checkpoint written by a trainer with the same config (except steps, logEvery, checkpointEvery). */
  restore(checkpoint: Checkpoint): void {
    const stored = parseCheckpointConfig(checkpoint, this.variant);
    const a = stored.config as unknown as Record<string, unknown>;
    const b = this.config as unknown as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    const mismatched: string[] = [...keys].filter(
      (key) => !RESUMABLE_CHANGES.includes(key) && JSON.stringify(a[key]) !== JSON.stringify(b[key]),
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
    restoreAgentState(checkpoint, td3CheckpointNetworks(this.networks), { ...this.optimisers });
    const sourceState = checkpointBatchSourceState(checkpoint);
    if (sourceState === null || checkpoint.rngState === null) {
      throw new MtfError(
        "CHECKPOINT_CORRUPT",
        `a ${this.algorithm} training checkpoint must hold the RNG and batch source states`,
      );
    }
    this.source.restoreState(sourceState);
    this.rng.setState(checkpoint.rngState);
    this.steps = checkpoint.step;
  }

  /** A snapshot of the current policy π_φ with the training normaliser, independent of further training. */
  policy(id = `${this.algorithm}@${this.steps}`): Td3Policy {
    const actor = new Mlp(
      { ...this.networks.actor.config, ...(this.kernels ? { kernels: this.kernels } : {}), maxBatch: 1 },
      new Rng(0),
    );
    actor.copyParamsFrom(this.networks.actor);
    return new Td3Policy({ id, actor, normaliser: this.normaliser });
  }

  /**
   * Q_1 and Q_2 of (raw state, action) pairs, unmasked ([rows] each): what the critics believe,
   * e.g. to measure extrapolation error at out-of-support actions.
   */
  qValues(states: Float32Array, actions: Float32Array, rows: number, q1: NumArray, q2: NumArray): void {
    const input = this.stateActionInput(states, actions, rows);
    const a = this.networks.critic1.forward(input, rows, null);
    for (let i = 0; i < rows; i++) q1[i] = a[i];
    const b = this.networks.critic2.forward(input, rows, null);
    for (let i = 0; i < rows; i++) q2[i] = b[i];
  }

  /** [normalised s, a] rows [rows, S+A] for raw states [rows, S] and actions [rows, A]. */
  protected stateActionInput(states: Float32Array, actions: Float32Array, rows: number): NumArray {
    const { stateDim: S, actionDim: A } = this.dims;
    const normalised = allocate(this.dtype, rows * S);
    normaliseStates(this.normaliser, states, rows, S, normalised);
    const input = allocate(this.dtype, rows * (S + A));
    concatColumns(normalised, S, actions, A, rows, input);
    return input;
  }
}

/** A checkpoint's metadata minus the batch source position. */
function withoutBatchSource(metadata: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { batchSource: _position, ...rest } = metadata;
  return rest;
}

function parseCheckpointConfig<C extends Td3Config>(
  checkpoint: Checkpoint,
  variant: Td3Variant<C>,
): Td3CheckpointConfig<C> {
  const raw = checkpoint.config as Partial<Td3CheckpointConfig<C>> | null;
  const dims = raw?.dims;
  if (
    raw === null ||
    typeof raw !== "object" ||
    raw.algorithm !== variant.algorithm ||
    dims === undefined ||
    typeof raw.seed !== "number" ||
    !(raw.dtype === "float32" || raw.dtype === "float64") ||
    ![dims.stateDim, dims.actionDim].every((d) => Number.isInteger(d) && d > 0)
  ) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${variant.algorithm} checkpoint config lacks the algorithm, config, dims, seed or dtype`,
    );
  }
  let config: C;
  try {
    config = variant.parseConfig(raw.config);
  } catch (error) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${variant.algorithm} checkpoint config is invalid: ${(error as Error).message}`,
      { cause: error },
    );
  }
  return { algorithm: variant.algorithm, config, dims, seed: raw.seed, dtype: raw.dtype };
}

/**
 * Rebuilds a trainer of `variant` from a checkpoint: config, seed and normaliser from the file
 * (`config` may change only steps, logEvery, checkpointEvery), then the exact training state.
 */
export async function resumeTd3Trainer<C extends Td3Config, T extends Td3Trainer<C>>(
  variant: Td3Variant<C>,
  path: string,
  args: Td3ResumeArgs<C>,
  create: (args: Td3TrainerArgs<C>) => T,
): Promise<T> {
  const checkpoint = await readAgentCheckpoint(path, variant.checkpointKind);
  const stored = parseCheckpointConfig(checkpoint, variant);
  const normaliser = checkpointNormaliser(checkpoint, stored.dims.stateDim);
  if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
  const trainer = create({
    ...args,
    config: args.config ?? stored.config,
    normaliser,
    seed: stored.seed,
    dtype: stored.dtype,
    metadata: args.metadata ?? withoutBatchSource(checkpoint.metadata),
  });
  trainer.restore(checkpoint);
  return trainer;
}
