/**
 * Does BatchRL-MTF learn something the platform can use? (issue 5, "proof that it learns"):
 *
 *   1. simulate users served by Mixed Multi-Exploration around the behaviour policy (paper
 *      Sec. 3.3: every user explored, half random exploration, half action noise, Eq. 8), log
 *      the events and build a dataset from that exploration traffic;
 *   2. train BCQ (Algorithm 1) on the train split through the replay buffer, export the
 *      serving artefact and load the policy back from it, as serving would;
 *   3. the truth: Monte-Carlo rollouts of the BCQ policy and of the behaviour policy from the
 *      same session starts (the simulator's snapshots of users' hidden state at session starts
 *      of the last days), with common random numbers; compare the mean discounted session
 *      return Σ_t γ^t r_t (Eq. 2 rewards, γ of the paper) and its paired difference.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { loadBcqPolicy, saveBcqPolicy } from "../agents/bcq/artefact.js";
import { type BcqConfigInput, bcqConfig } from "../agents/bcq/config.js";
import { BcqTrainer } from "../agents/bcq/trainer.js";
import { behaviourPolicy } from "../agents/behaviour.js";
import { ExplorationLayer, explorationConfigSection } from "../agents/exploration.js";
import { configHash } from "../core/config.js";
import type { Policy } from "../core/interfaces.js";
import { rewardWeights } from "../core/reward.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { UserHistory } from "../core/state-encoder.js";
import { buildDataset, type Dataset, loadDataset } from "../data/dataset.js";
import { LogStore, runStorePath } from "../data/log-store.js";
import { ReplayBuffer } from "../data/replay-buffer.js";
import { type SimConfigInput, type SimPreset, simPreset } from "../sim/config.js";
import { type SessionStart, SIM_STATE_DIM, Simulator } from "../sim/engine.js";
import { generatePopulation, PROFILE_FEATURES, userProfile } from "../sim/population.js";
import type { SessionSnapshot } from "../sim/user-state.js";
import { createWorld, freshUserIds, type SimWorld } from "../sim/world.js";

export interface BcqLearnsOptions {
  readonly seed: number;
  /** Where the log store, the dataset and the policy artefact go. */
  readonly workDir: string;
  readonly simPreset: SimPreset;
  readonly sim?: SimConfigInput;
  /** Logged users (all explored) and days. */
  readonly users: number;
  readonly days: number;
  /** Session starts of the last `captureDays` days are rollout starts. */
  readonly captureDays: number;
  /** At most this many session starts are rolled out (a seeded sample). */
  readonly rolloutStarts: number;
  /** Rollouts per start and policy. */
  readonly rolloutRepeats: number;
  readonly gamma: number;
  /** The BCQ config (preset, steps, …); γ is `gamma`. */
  readonly bcq: BcqConfigInput;
  readonly log?: (message: string) => void;
}

/** The CI size: a small world, a few hundred users, the quick preset. */
export const SMALL_BCQ_LEARNS: Omit<BcqLearnsOptions, "workDir"> = {
  seed: 2,
  simPreset: "small",
  sim: { users: 400, videos: 2000 },
  users: 300,
  days: 4,
  captureDays: 1,
  rolloutStarts: 300,
  rolloutRepeats: 2,
  gamma: 0.95,
  bcq: { preset: "quick", steps: 1500 },
};

/** `npm run validate`: more users and days, longer training, more rollouts. */
export const FULL_BCQ_LEARNS: Omit<BcqLearnsOptions, "workDir"> = {
  seed: 2,
  simPreset: "small",
  users: 2000,
  days: 7,
  captureDays: 2,
  rolloutStarts: 2000,
  rolloutRepeats: 4,
  gamma: 0.95,
  bcq: { preset: "quick", steps: 6000, batchSize: 256 },
};

export interface PolicyTruth {
  readonly id: string;
  /** Mean discounted session return over the starts (each the mean of its repeats). */
  readonly value: number;
  readonly stdError: number;
}

export interface BcqLearnsReport {
  readonly behaviour: PolicyTruth;
  readonly bcq: PolicyTruth;
  /** BCQ − behaviour, paired by session start (common random numbers). */
  readonly difference: { readonly mean: number; readonly stdError: number };
  readonly starts: number;
  readonly trainTransitions: number;
  readonly bcqSteps: number;
  readonly trainSeconds: number;
  /** Mean of the last 10% of steps' losses / Q (a sanity view of the run). */
  readonly finalMetrics: Readonly<Record<string, number>>;
}

interface Start {
  readonly snapshot: SessionSnapshot;
  readonly history: UserHistory;
}

/** Step 1: simulate Mixed Multi-Exploration, log, build the dataset; keep the last days' session starts. */
async function logExploration(
  world: SimWorld,
  options: BcqLearnsOptions,
): Promise<{ dataset: Dataset; starts: Start[] }> {
  const log = options.log ?? (() => {});
  const ids = freshUserIds(options.seed, 0, options.users);
  const behaviour = behaviourPolicy(SIM_STATE_DIM);
  // Mixed Multi-Exploration with every user explored: half random, half action noise (Sec. 3.3).
  const layer = new ExplorationLayer(
    explorationConfigSection.parse({ mode: "mixed", share: 1 }),
    behaviour,
    behaviour.action,
  );
  const users = ids.map((id) => {
    const a = layer.assign(id);
    return { id, assignment: { policy: a.policy, group: a.group, noiseScale: a.noiseScale, arm: null } };
  });
  const population = generatePopulation(world.config, world.seed, ids);
  mkdirSync(options.workDir, { recursive: true });
  const store = await LogStore.open(runStorePath(options.workDir));
  const batch = await store.beginBatch();
  await batch.upsertUsers(
    ids.map((id, u) => ({ userId: id, profile: Array.from(userProfile(population, u)) })),
    PROFILE_FEATURES,
  );
  const starts: Start[] = [];
  const firstCaptureDay = options.days - options.captureDays;
  const simulator = new Simulator(world, { onEvents: (events) => batch.appendEvents(events) });
  simulator.runDays(users, {
    days: options.days,
    seed: options.seed,
    onSessionStart: (snapshot, history) => {
      if (snapshot.day < firstCaptureDay) return;
      const copy = new UserHistory();
      copy.data.set(history.data);
      starts.push({ snapshot, history: copy });
    },
  });
  await batch.commit();
  const outDir = path.join(options.workDir, "dataset");
  await buildDataset(store, {
    outDir,
    reward: { preset: "default", source: "fallback constants (core/reward.ts)" },
    testFraction: 0.1,
    utcOffsetMinutes: world.utcOffsetMinutes,
    overwrite: true,
    seed: options.seed,
  });
  store.close();
  const dataset = loadDataset(outDir);
  log(
    `logged ${options.users} users x ${options.days} days: ${dataset.train.length} train transitions, ${starts.length} session starts captured`,
  );
  return { dataset, starts };
}

/** Step 2: Algorithm 1 on the train split, exported and loaded back as serving would. */
async function trainBcq(
  dataset: Dataset,
  options: BcqLearnsOptions,
): Promise<{ policy: Policy; seconds: number; finalMetrics: Record<string, number> }> {
  const config = bcqConfig({ ...options.bcq, gamma: options.gamma });
  const source = new ReplayBuffer(dataset, dataset.train, {
    capacity: config.replayCapacity,
    batchSize: config.batchSize,
    steps: config.steps,
    rng: new Rng(deriveSeed(options.seed, "bcq/replay")),
  });
  const trainer = new BcqTrainer({ config, source, normaliser: dataset.normaliser, seed: options.seed });
  const t0 = performance.now();
  const tail = Math.max(1, Math.floor(config.steps / 10));
  const sums: Record<string, number> = {};
  for (let step = 0; step < config.steps; step++) {
    const metrics = trainer.update();
    if (step >= config.steps - tail)
      for (const [k, v] of Object.entries(metrics)) sums[k] = (sums[k] ?? 0) + v / tail;
  }
  const seconds = (performance.now() - t0) / 1000;
  const artefact = path.join(options.workDir, "bcq-policy.ckpt");
  await saveBcqPolicy(artefact, trainer.policy("bcq"), {
    stateEncoderVersion: dataset.meta.stateEncoderVersion,
    trainedSteps: trainer.step,
    configHash: configHash(config),
    dataset: dataset.dir,
  });
  const { policy } = await loadBcqPolicy(artefact, {
    id: "bcq",
    expectedStateEncoderVersion: dataset.meta.stateEncoderVersion,
  });
  return { policy, seconds, finalMetrics: sums };
}

const ROLLOUT_CHUNK = 1024;

/**
 * Step 3: per start, the mean over `rolloutRepeats` rollouts of the discounted session return.
 * Rollout r of a start draws the same random numbers whatever the policy.
 */
function rolloutReturns(
  world: SimWorld,
  starts: readonly Start[],
  policy: Policy,
  options: BcqLearnsOptions,
): Float64Array {
  const simulator = new Simulator(world, {
    reward: { weights: rewardWeights("default"), gamma: options.gamma },
  });
  const assignment = { policy, group: null, noiseScale: null, arm: null };
  const perStart = new Float64Array(starts.length);
  for (let repeat = 0; repeat < options.rolloutRepeats; repeat++) {
    for (let from = 0; from < starts.length; from += ROLLOUT_CHUNK) {
      const chunk: SessionStart[] = starts
        .slice(from, from + ROLLOUT_CHUNK)
        .map(({ snapshot, history }) => ({ snapshot, history, assignment, repeat }));
      const summaries = simulator.runSessions(chunk, deriveSeed(options.seed, "truth"));
      for (const [i, summary] of summaries.entries())
        perStart[from + i] += summary.discountedReturn / options.rolloutRepeats;
    }
  }
  return perStart;
}

function meanAndError(values: Float64Array): { mean: number; stdError: number } {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, n - 1);
  return { mean, stdError: Math.sqrt(variance / n) };
}

/** Runs the whole check (see the file header). */
export async function runBcqLearns(options: BcqLearnsOptions): Promise<BcqLearnsReport> {
  const log = options.log ?? (() => {});
  const world = createWorld(simPreset(options.simPreset, options.sim), options.seed);
  const { dataset, starts: captured } = await logExploration(world, options);
  const sample = [...captured];
  new Rng(deriveSeed(options.seed, "rollout-starts")).shuffle(sample);
  const starts = sample.slice(0, options.rolloutStarts);

  const { policy: bcq, seconds, finalMetrics } = await trainBcq(dataset, options);
  log(`trained BCQ for ${bcqConfig(options.bcq).steps} steps in ${seconds.toFixed(1)} s`);
  const behaviour = behaviourPolicy(SIM_STATE_DIM);
  const behaviourReturns = rolloutReturns(world, starts, behaviour, options);
  const bcqReturns = rolloutReturns(world, starts, bcq, options);
  const diff = bcqReturns.map((v, i) => v - behaviourReturns[i]);
  const b = meanAndError(behaviourReturns);
  const q = meanAndError(bcqReturns);
  const d = meanAndError(diff);
  log(
    `true discounted session return over ${starts.length} starts: behaviour ${b.mean.toFixed(4)} ± ${b.stdError.toFixed(4)}, BCQ ${q.mean.toFixed(4)} ± ${q.stdError.toFixed(4)}, difference ${d.mean.toFixed(4)} ± ${d.stdError.toFixed(4)}`,
  );
  return {
    behaviour: { id: behaviour.id, value: b.mean, stdError: b.stdError },
    bcq: { id: bcq.id, value: q.mean, stdError: q.stdError },
    difference: d,
    starts: starts.length,
    trainTransitions: dataset.train.length,
    bcqSteps: bcqConfig(options.bcq).steps,
    trainSeconds: seconds,
    finalMetrics,
  };
}
