/**
 * The daily retrain (paper Sec. 3.4, Fig. 4: "the model is retrained daily on the last three
 * days"): closed feedback segments of the last N days → a DuckDB log store → a dataset → BCQ
 * (Algorithm 1) → Conservative-OPE (Eq. 9, Algorithm 2) of the new policy AND of the model
 * serving now, on the same test split → a publish gate → the registry.
 *
 * Output folder (`outDir`):
 *   store.duckdb            the window's feedback events (a store of its own: the server never
 *                           holds a DuckDB file, and the retrain's data stays reproducible)
 *   dataset/                the built dataset (mtf build's layout)
 *   train/                  metrics.jsonl, checkpoint.ckpt, policy.ckpt (the candidate artefact)
 *   config.yaml             the resolved config, headed by its hash
 *   decision.json           window, data counts, both V̂ with intervals, the gate, what was published
 *
 * The gate's rules (`value`, `lower-bound`, `none`) and the config are in retrain-config.ts.
 * "current" is the registry's current version, or the serve config's fallback α when there is
 * none (what the server serves then). Both are evaluated with common random numbers (the same
 * decision stream, fit seed, initial states and CQL penalty), so the comparison is paired and
 * equal policies get equal V̂.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { saveBcqPolicy } from "../agents/bcq/artefact.js";
import { type BcqConfig, bcqConfigFromSection } from "../agents/bcq/config.js";
import { BcqPolicy } from "../agents/bcq/policy.js";
import { BcqTrainer } from "../agents/bcq/trainer.js";
import { FixedAlphaPolicy } from "../agents/behaviour.js";
import { runId as makeRunId, runTrainingLoop } from "../agents/common/training-loop.js";
import { configHash, fusionParams, resolvedConfigYaml, timeZoneOffsetMinutes } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import type { ExplorationGroup } from "../core/events.js";
import type { Policy } from "../core/interfaces.js";
import { jsonlSink, MetricsLogger } from "../core/metrics-logger.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";
import {
  buildDataset,
  type Dataset,
  EXPLORATION_TRAFFIC,
  loadDataset,
  type RewardChoice,
} from "../data/dataset.js";
import { readRewardWeightsFile } from "../data/fit-reward.js";
import { LogStore } from "../data/log-store.js";
import { ReplayBuffer } from "../data/replay-buffer.js";
import { softUpdate } from "../nn/adam.js";
import { runMetadata } from "../nn/run-metadata.js";
import { numTransitions, type OpeData } from "../ope/data.js";
import { precomputeDecisions } from "../ope/decisions.js";
import { estimatePolicyValue, type PolicyEstimate } from "../ope/evaluate.js";
import { opeDataFromTransitions } from "../ope/split-data.js";
import { type LoadResult, listSegments, loadFeedbackSegments } from "../serve/feedback-segments.js";
import { POLICY_LOADERS } from "../serve/policy-loaders.js";
import { ModelRegistry } from "../serve/registry.js";
import {
  decideGate,
  formatValue,
  type GateDecision,
  type RetrainConfig,
  type RetrainRootConfig,
  windowDays,
} from "./retrain-config.js";

/** How a retrain reports: stage lines and progress of the long stages (the CLI draws bars). */
export interface RetrainReporter {
  stage(index: number, total: number, name: string, detail: string): void;
  progress(
    label: string,
    total: number,
    unit: string,
  ): {
    update(done: number, figures?: Readonly<Record<string, string | number>>): void;
    stop(): void;
  };
}

export const SILENT_REPORTER: RetrainReporter = {
  stage: () => {},
  progress: () => ({ update: () => {}, stop: () => {} }),
};

export interface RetrainOptions {
  readonly config: RetrainRootConfig;
  /** Feedback log folder (the server's `serve.feedbackDir`). */
  readonly feedbackDir: string;
  readonly registryDir: string;
  readonly outDir: string;
  /** Last day of the window (YYYY-MM-DD); default the latest day with a closed segment. */
  readonly until?: string;
  /** A run folder whose reward-weights.json (mtf fit-reward) gives the Eq. 2 base weights. */
  readonly rewardRun?: string;
  readonly reporter?: RetrainReporter;
  readonly signal?: AbortSignal;
}

export interface EstimateRecord {
  readonly value: number;
  readonly low: number;
  readonly high: number;
  readonly alpha: number;
  readonly initialStates: number;
}

export interface RetrainDecision {
  readonly format: "mtf-retrain";
  readonly formatVersion: 1;
  readonly runId: string;
  readonly createdAt: string;
  readonly out: string;
  readonly seed: number;
  readonly configHash: string;
  readonly backend: string;
  readonly window: {
    readonly days: number;
    readonly fromDay: string;
    readonly toDay: string;
    readonly segments: number;
    readonly events: number;
    readonly inserted: number;
    readonly duplicates: number;
  };
  readonly dataset: {
    readonly dir: string;
    readonly trainTransitions: number;
    readonly testTransitions: number;
    readonly testSessions: number;
    readonly stateDim: number;
    readonly groups: readonly ExplorationGroup[];
    readonly reward: string;
  };
  readonly training: {
    readonly policy: string;
    readonly steps: number;
    readonly seconds: number;
    readonly warmStartFrom: string | null;
  };
  /** The model compared against: a registry version or "fallback". */
  readonly current: EstimateRecord & { readonly version: string };
  readonly candidate: EstimateRecord;
  readonly gate: GateDecision;
  /** The version published, or null when the gate refused. */
  readonly published: { readonly version: string; readonly role: "current" | "canary" } | null;
  readonly seconds: Readonly<Record<string, number>>;
}

export const RETRAIN_FILES = {
  store: "store.duckdb",
  dataset: "dataset",
  train: "train",
  config: "config.yaml",
  decision: "decision.json",
} as const;

const STAGES = 7;

function rewardChoice(config: RetrainRootConfig, rewardRun: string | undefined): RewardChoice {
  const preset = config.reward.preset;
  if (config.reward.weights !== undefined)
    return { preset, fitted: config.reward.weights, source: "config reward.weights" };
  const fitted = rewardRun === undefined ? null : readRewardWeightsFile(rewardRun);
  if (fitted !== null) return { preset, fitted: fitted.file.weights, source: fitted.path };
  return { preset, source: "fallback constants (core/reward.ts)" };
}

/** The model serving now: the registry's current version, else the fallback α. */
interface CurrentModel {
  /** A registry version, or "fallback". */
  readonly version: string;
  readonly policy: Policy;
}

async function currentModel(
  registry: ModelRegistry,
  config: RetrainRootConfig,
  stateDim: number,
): Promise<CurrentModel> {
  const { bounds } = fusionParams(config.fusion);
  const pointer = await registry.pointer();
  if (pointer.current === null) {
    const alpha = TASKS.map((task) => config.serve.fallbackAlpha[task]);
    return { version: "fallback", policy: new FixedAlphaPolicy("fallback", stateDim, alpha, bounds) };
  }
  const { policy } = await registry.loadVersion(pointer.current, POLICY_LOADERS, { bounds });
  if (policy.stateDim !== stateDim) {
    throw new MtfError(
      "MODEL_INCOMPATIBLE",
      `the current version ${pointer.current} takes states of ${policy.stateDim} features but the feedback dataset's have ${stateDim} ` +
        "(another profile size?); it cannot be evaluated on this data",
      { details: { version: pointer.current, expected: stateDim, found: policy.stateDim } },
    );
  }
  return { version: pointer.current, policy };
}

/** Copies the serving networks of `from` into the trainer (critic2 starts as critic1; targets as copies). */
function warmStart(trainer: BcqTrainer, from: BcqPolicy, version: string): void {
  const nets = trainer.networks;
  const src = from.networks;
  const pairs = [
    [nets.decoder, src.decoder, "decoder"],
    [nets.actor, src.actor, "actor"],
    [nets.actorTarget, src.actor, "actor"],
    [nets.critic1, src.critic1, "critic"],
    [nets.critic1Target, src.critic1, "critic"],
    [nets.critic2, src.critic1, "critic"],
    [nets.critic2Target, src.critic1, "critic"],
  ] as const;
  for (const [target, source, what] of pairs) {
    if (target.params.length !== source.params.length) {
      throw new MtfError(
        "MODEL_INCOMPATIBLE",
        `warm start: the ${what} of ${version} has ${source.params.length} parameters, the configured one ${target.params.length}; use the same bcq sizes or train without warm start`,
      );
    }
    softUpdate(target, source, 1);
  }
}

function estimateRecord(estimate: PolicyEstimate): EstimateRecord {
  return {
    value: estimate.value,
    low: estimate.interval.low,
    high: estimate.interval.high,
    alpha: estimate.alpha,
    initialStates: estimate.initialStates,
  };
}

function checkEnough(dataset: Dataset, testSessions: number, config: RetrainConfig, dir: string): void {
  if (dataset.train.length < config.minTrainTransitions) {
    throw new MtfError(
      "EMPTY_DATASET",
      `too little data: ${dataset.train.length} train transitions in ${dir}, retrain.minTrainTransitions is ${config.minTrainTransitions} ` +
        "(more days with --days, more explored traffic, or --include-target)",
      { details: { trainTransitions: dataset.train.length, minimum: config.minTrainTransitions } },
    );
  }
  if (testSessions < config.minTestSessions) {
    throw new MtfError(
      "EMPTY_DATASET",
      `too little data to evaluate: ${testSessions} test sessions in ${dir}, retrain.minTestSessions is ${config.minTestSessions}`,
      { details: { testSessions, minimum: config.minTestSessions } },
    );
  }
}

/** What every stage needs. */
interface StageContext {
  readonly config: RetrainRootConfig;
  readonly seed: number;
  readonly hash: string;
  readonly out: string;
  readonly reporter: RetrainReporter;
}

interface LoadedWindow {
  readonly fromDay: string;
  readonly toDay: string;
  readonly loaded: LoadResult;
}

/** Stage 1-2: the window's closed segments into `<out>/store.duckdb`, then the dataset. */
async function loadAndBuild(
  ctx: StageContext,
  options: RetrainOptions,
  groups: readonly ExplorationGroup[],
  reward: RewardChoice,
): Promise<LoadedWindow> {
  const { config, out, reporter } = ctx;
  const segments = (await listSegments(options.feedbackDir)).filter((s) => !s.open);
  if (segments.length === 0) {
    throw new MtfError(
      "EMPTY_DATASET",
      `no closed feedback segments in ${options.feedbackDir}: nothing to retrain on (the server closes a day's segment at the day change and at shutdown)`,
      { details: { feedbackDir: options.feedbackDir } },
    );
  }
  const until = options.until ?? segments[segments.length - 1].day;
  const { fromDay, toDay } = windowDays(until, config.retrain.days);
  const inWindow = segments.filter((s) => s.day >= fromDay && s.day <= toDay);
  if (inWindow.length === 0) {
    throw new MtfError(
      "EMPTY_DATASET",
      `no closed feedback segments from ${fromDay} to ${toDay} in ${options.feedbackDir} (closed days: ${[...new Set(segments.map((s) => s.day))].join(", ")})`,
      { details: { fromDay, toDay } },
    );
  }
  const storeFile = path.join(out, RETRAIN_FILES.store);
  if (existsSync(storeFile)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${out} already holds a retrain (${RETRAIN_FILES.store}); choose another output folder`,
    );
  }
  mkdirSync(out, { recursive: true });
  writeFileSync(path.join(out, RETRAIN_FILES.config), resolvedConfigYaml(config));
  reporter.stage(
    1,
    STAGES,
    "load",
    `${inWindow.length} closed segments, ${fromDay} .. ${toDay}, into ${storeFile}`,
  );
  const store = await LogStore.open(storeFile);
  try {
    const loaded = await loadFeedbackSegments(options.feedbackDir, store, { fromDay, toDay });
    if (loaded.events === 0) {
      throw new MtfError(
        "EMPTY_DATASET",
        `the feedback segments from ${fromDay} to ${toDay} hold no events`,
        {
          details: { fromDay, toDay },
        },
      );
    }
    reporter.stage(
      2,
      STAGES,
      "build",
      `${loaded.events} events (${loaded.duplicates} already stored); groups ${groups.join(", ")}; reward ${reward.preset}`,
    );
    // The bar starts at the first update: only then is the number of plays streamed known.
    let progress = null as ReturnType<RetrainReporter["progress"]> | null;
    try {
      await buildDataset(store, {
        outDir: path.join(out, RETRAIN_FILES.dataset),
        reward,
        groups,
        utcOffsetMinutes: timeZoneOffsetMinutes(config.timeZone),
        inactivityMinutes: config.serve.sessionInactivityMinutes,
        alphaBounds: fusionParams(config.fusion).bounds,
        overwrite: true,
        resolvedConfig: config,
        seed: ctx.seed,
        onProgress: (done, total) => {
          progress ??= reporter.progress("build", total, "plays");
          progress.update(done);
        },
      });
    } finally {
      progress?.stop();
    }
    return { fromDay, toDay, loaded };
  } finally {
    store.close();
  }
}

interface TrainedCandidate {
  readonly runId: string;
  readonly policy: BcqPolicy;
  readonly policyFile: string;
  readonly steps: number;
  readonly warmStartFrom: string | null;
}

/** Stage 4: BCQ (Algorithm 1) on the train split, optionally warm-started; writes `<out>/train/`. */
async function trainCandidate(
  ctx: StageContext,
  dataset: Dataset,
  current: CurrentModel,
  windowEnd: string,
  signal: AbortSignal | undefined,
): Promise<TrainedCandidate> {
  const { config, seed, hash, reporter } = ctx;
  const bcq: BcqConfig = bcqConfigFromSection(config.bcq, config.gamma);
  const runId = makeRunId(`feedback-${windowEnd}`, "bcq", seed);
  const trainDir = path.join(ctx.out, RETRAIN_FILES.train);
  mkdirSync(trainDir, { recursive: true });
  const source = new ReplayBuffer(dataset, dataset.train, {
    capacity: bcq.replayCapacity,
    batchSize: bcq.batchSize,
    steps: bcq.steps,
    rng: new Rng(deriveSeed(seed, "bcq/replay")),
  });
  const trainer = new BcqTrainer({
    config: bcq,
    source,
    normaliser: dataset.normaliser,
    seed,
    metadata: {
      runId,
      dataset: dataset.dir,
      stateEncoderVersion: dataset.meta.stateEncoderVersion,
      configHash: hash,
    },
  });
  let warmStartFrom: string | null = null;
  if (config.retrain.warmStart) {
    if (current.policy instanceof BcqPolicy) {
      warmStart(trainer, current.policy, current.version);
      warmStartFrom = current.version;
    } else {
      reporter.stage(4, STAGES, "train", `no warm start: ${current.version} is not a BCQ policy`);
    }
  }
  reporter.stage(
    4,
    STAGES,
    "train",
    `BCQ ${config.bcq.preset} preset, ${bcq.steps} steps, batch ${bcq.batchSize}, ${dataset.train.length} train transitions${warmStartFrom === null ? "" : `, warm start from ${warmStartFrom}`}`,
  );
  const progress = reporter.progress("train bcq", bcq.steps, "steps");
  const logger = new MetricsLogger([jsonlSink(path.join(trainDir, "metrics.jsonl"))]);
  try {
    const trained = await runTrainingLoop(trainer, {
      totalSteps: bcq.steps,
      logEvery: bcq.logEvery,
      checkpointEvery: bcq.checkpointEvery,
      checkpointPath: path.join(trainDir, "checkpoint.ckpt"),
      logger,
      signal,
      onProgress: (p) => {
        const figures: Record<string, number> = {};
        for (const key of ["loss/critic", "q/mean"])
          if (p.metrics?.[key] !== undefined) figures[key] = p.metrics[key];
        progress.update(p.step, figures);
      },
    });
    if (trained.stopped)
      throw new MtfError("INVALID_ARGUMENT", `retrain stopped during training at step ${trained.step}`);
  } finally {
    progress.stop();
    logger.close();
  }
  const policyFile = path.join(trainDir, "policy.ckpt");
  const policy = trainer.policy(`bcq@${runId}`);
  await saveBcqPolicy(policyFile, policy, {
    stateEncoderVersion: dataset.meta.stateEncoderVersion,
    trainedSteps: trainer.step,
    configHash: hash,
    dataset: dataset.dir,
    runId,
  });
  return { runId, policy, policyFile, steps: trainer.step, warmStartFrom };
}

/**
 * Stages 5-6: Conservative-OPE of a policy on the test split. Every call uses the same decision
 * stream, fit seed, initial states and α (common random numbers), so equal policies get equal V̂.
 */
async function evaluatePolicy(
  ctx: StageContext,
  opeData: OpeData,
  stage: number,
  name: string,
  policy: Policy,
): Promise<EstimateRecord> {
  const { config, seed, reporter } = ctx;
  const opeOptions = { ...config.ope, gamma: config.gamma };
  const decisions = precomputeDecisions(
    policy,
    opeData,
    opeOptions.decisionSamples,
    new Rng(deriveSeed(seed, "retrain/decisions")),
  );
  reporter.stage(
    stage,
    STAGES,
    `evaluate ${name}`,
    `Conservative-OPE of ${policy.id}: test split ${numTransitions(opeData)} transitions, ${opeData.initialStateIndex.length} sessions, K = ${opeOptions.iterations}, α = ${opeOptions.alpha}`,
  );
  const progress = reporter.progress(`evaluate ${name}`, opeOptions.iterations, "iterations");
  try {
    const [estimate] = await estimatePolicyValue(opeData, decisions, opeOptions, {
      alphas: [opeOptions.alpha],
      seeds: 1,
      seed: deriveSeed(seed, "retrain/ope"),
      onIteration: (_fit, iteration, metrics) => {
        if (iteration % 25 === 0) progress.update(iteration, { "loss/td": metrics["loss/td"] });
      },
    });
    return estimateRecord(estimate);
  } finally {
    progress.stop();
  }
}

/** Stage 7 after a passed gate: a new registry version, made current or a canary. */
async function publishCandidate(
  ctx: StageContext,
  registry: ModelRegistry,
  candidate: TrainedCandidate,
  figures: { readonly candidate: EstimateRecord; readonly current: EstimateRecord & { version: string } },
  window: string,
): Promise<NonNullable<RetrainDecision["published"]>> {
  const { config } = ctx;
  const manifest = await registry.publish(
    candidate.policyFile,
    POLICY_LOADERS,
    { bounds: fusionParams(config.fusion).bounds },
    {
      config,
      ope: {
        value: figures.candidate.value,
        low: figures.candidate.low,
        high: figures.candidate.high,
        details: {
          alpha: figures.candidate.alpha,
          comparedWith: figures.current.version,
          currentValue: figures.current.value,
          retrain: ctx.out,
          window,
        },
      },
      note: `retrain ${window}`,
    },
  );
  const share = config.retrain.canaryShare;
  if (share === null) await registry.setCurrent(manifest.version);
  else await registry.setCanary(manifest.version, share);
  return { version: manifest.version, role: share === null ? "current" : "canary" };
}

/** Runs one retrain (see the file header); returns the decision also written to decision.json. */
export async function retrain(options: RetrainOptions): Promise<RetrainDecision> {
  const { config } = options;
  const settings = config.retrain;
  const seed = config.seed;
  const hash = configHash(config);
  const ctx: StageContext = {
    config,
    seed,
    hash,
    out: path.resolve(options.outDir),
    reporter: options.reporter ?? SILENT_REPORTER,
  };
  const seconds: Record<string, number> = {};
  let clock = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    seconds[name] = (now - clock) / 1000;
    clock = now;
  };

  const groups: readonly ExplorationGroup[] = settings.includeTarget
    ? [...EXPLORATION_TRAFFIC, "target"]
    : EXPLORATION_TRAFFIC;
  const reward = rewardChoice(config, options.rewardRun);
  const { fromDay, toDay, loaded } = await loadAndBuild(ctx, options, groups, reward);
  lap("loadAndBuild");
  const dataset = loadDataset(path.join(ctx.out, RETRAIN_FILES.dataset));
  const opeData = opeDataFromTransitions(dataset, dataset.test);
  const testSessions = opeData.initialStateIndex.length;
  checkEnough(dataset, testSessions, settings, dataset.dir);

  const registry = new ModelRegistry(options.registryDir);
  const current = await currentModel(registry, config, dataset.stateDim);
  ctx.reporter.stage(
    3,
    STAGES,
    "current",
    `comparing against ${current.version === "fallback" ? "the fallback α (no version is current)" : `version ${current.version}`}`,
  );

  const candidate = await trainCandidate(ctx, dataset, current, toDay, options.signal);
  lap("train");
  const newEstimate = await evaluatePolicy(ctx, opeData, 5, "new", candidate.policy);
  lap("evaluateNew");
  const currentEstimate = await evaluatePolicy(ctx, opeData, 6, "current", current.policy);
  lap("evaluateCurrent");

  const gate = decideGate(settings.gate.rule, settings.gate.margin, newEstimate, currentEstimate);
  const published = gate.passed
    ? await publishCandidate(
        ctx,
        registry,
        candidate,
        { candidate: newEstimate, current: { version: current.version, ...currentEstimate } },
        `${fromDay}..${toDay}`,
      )
    : null;
  lap("publish");
  ctx.reporter.stage(
    7,
    STAGES,
    "gate",
    `${gate.passed ? "passed" : "refused"}: ${gate.reason}${published === null ? "" : `; published ${published.version} as ${published.role}`}`,
  );

  const decision: RetrainDecision = {
    format: "mtf-retrain",
    formatVersion: 1,
    runId: candidate.runId,
    createdAt: new Date().toISOString(),
    out: ctx.out,
    seed,
    configHash: hash,
    backend: runMetadata(seed, hash).backend,
    window: {
      days: settings.days,
      fromDay,
      toDay,
      segments: loaded.segments,
      events: loaded.events,
      inserted: loaded.inserted,
      duplicates: loaded.duplicates,
    },
    dataset: {
      dir: dataset.dir,
      trainTransitions: dataset.train.length,
      testTransitions: dataset.test.length,
      testSessions,
      stateDim: dataset.stateDim,
      groups,
      reward: `${reward.preset} (${reward.source})`,
    },
    training: {
      policy: candidate.policyFile,
      steps: candidate.steps,
      seconds: seconds.train,
      warmStartFrom: candidate.warmStartFrom,
    },
    current: { version: current.version, ...currentEstimate },
    candidate: newEstimate,
    gate,
    published,
    seconds,
  };
  writeFileSync(path.join(ctx.out, RETRAIN_FILES.decision), `${JSON.stringify(decision, null, 2)}\n`);
  return decision;
}

/** The printed summary of a decision. */
export function formatDecision(d: RetrainDecision): string {
  const interval = (e: EstimateRecord) =>
    `${formatValue(e.value)} [${formatValue(e.low)}, ${formatValue(e.high)}]`;
  return [
    `retrain ${d.runId}: feedback ${d.window.fromDay} .. ${d.window.toDay} (${d.window.segments} segments, ${d.window.events} events)`,
    `  dataset: ${d.dataset.trainTransitions} train / ${d.dataset.testTransitions} test transitions, ${d.dataset.testSessions} test sessions; reward ${d.dataset.reward}`,
    `  trained BCQ ${d.training.steps} steps in ${d.training.seconds.toFixed(1)} s${d.training.warmStartFrom === null ? "" : ` (warm start from ${d.training.warmStartFrom})`}`,
    `  V̂ (Conservative-OPE, α ${d.candidate.alpha}, ${d.candidate.initialStates} initial states, 95% interval over sessions):`,
    `    new      ${interval(d.candidate)}`,
    `    current  ${interval(d.current)}  (${d.current.version})`,
    `  gate ${d.gate.rule}: ${d.gate.passed ? "PASSED" : "REFUSED"} — ${d.gate.reason}`,
    d.published === null
      ? "  not published; the current model keeps serving"
      : `  published ${d.published.version} as ${d.published.role}`,
    `  decision ${path.join(d.out, RETRAIN_FILES.decision)}`,
  ].join("\n");
}
