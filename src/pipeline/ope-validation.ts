/**
 * The Conservative Offline Policy Estimator against the truth (issue 6; docs/ope.md). The paper
 * never checks its estimator (Sec. 4.3.1); the simulator knows the answer:
 *
 *   1. simulate users served by the exploration layer around the behaviour policy (every user
 *      explores: random and action-noise groups), log the events, build a dataset (time split);
 *   2. keep the simulator's snapshot of each user's hidden state at every session start of the
 *      last days, and match the test split's initial states to them (by their encoded state);
 *   3. for each policy: the TRUE value, E over the test split's session starts of the
 *      discounted session return, by Monte-Carlo rollouts from those snapshots (common random
 *      numbers across policies); and V̂ on the test split at α = 0 (FQE), the paper's α, and a
 *      larger α;
 *   4. Spearman rank correlation of V̂ with the truth, mean relative error, and the pairwise
 *      ordering of a group of near-tied policies.
 *
 * Policies: behaviour; uniformly random α; the two best of four hand-made fixed α ("good",
 * chosen by their true value); BCQ trained on the train split, and BCQ with a large ρ; a
 * deliberately bad (click-bait) α; and three interpolations between behaviour and the best
 * fixed α, whose true values lie close together (the near-tied group).
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { bcqConfig } from "../agents/bcq/config.js";
import { BcqTrainer } from "../agents/bcq/trainer.js";
import { behaviourPolicy, FixedAlphaPolicy } from "../agents/behaviour.js";
import { ExplorationLayer, explorationConfigSection } from "../agents/exploration.js";
import { actionToAlpha, DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import { rewardWeights } from "../core/reward.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { encodeState, UserHistory } from "../core/state-encoder.js";
import { N_TASKS } from "../core/tasks.js";
import { buildDataset, type Dataset, loadDataset } from "../data/dataset.js";
import { LogStore, runStorePath } from "../data/log-store.js";
import { ReplayBuffer } from "../data/replay-buffer.js";
import { type OpeConfigInput, type OpeOptions, opeConfigSection } from "../ope/config.js";
import { precomputeDecisions } from "../ope/decisions.js";
import { estimatePolicyValue } from "../ope/evaluate.js";
import { opeDataFromTransitions } from "../ope/split-data.js";
import { type SimConfigInput, type SimPreset, simPreset } from "../sim/config.js";
import { SIM_STATE_DIM, Simulator } from "../sim/engine.js";
import { generatePopulation, PROFILE_FEATURES, userProfile } from "../sim/population.js";
import { sessionValues } from "../sim/rollout.js";
import type { SessionSnapshot } from "../sim/user-state.js";
import { createWorld, freshUserIds, type SimWorld } from "../sim/world.js";
import { meanRelativeError, pairwiseOrderAgreement, spearman } from "./ope-validation-stats.js";

export interface OpeValidationOptions {
  readonly seed: number;
  /** Where the store and the dataset are written. */
  readonly workDir: string;
  readonly simPreset: SimPreset;
  readonly sim?: SimConfigInput;
  readonly users: number;
  readonly days: number;
  /** Session starts of the last `captureDays` days are snapshotted (the test split must lie in them). */
  readonly captureDays: number;
  readonly testFraction: number;
  /** Estimator settings (the `ope` section); α comes from `alphas`. */
  readonly ope: OpeConfigInput;
  readonly gamma: number;
  /** α = 0 (FQE) is always fitted; these are the paper's and a larger one. */
  readonly paperAlpha: number;
  readonly largeAlpha: number;
  /** Monte-Carlo rollouts per session start and policy. */
  readonly rolloutRepeats: number;
  /** BCQ training steps (quick preset networks) and the large ρ. */
  readonly bcqSteps: number;
  readonly largeRho: number;
  readonly log?: (message: string) => void;
}

/** What the CI version runs: a small world, few users, a small estimator (mechanics, not accuracy). */
export const SMALL_VALIDATION: Omit<OpeValidationOptions, "workDir"> = {
  seed: 1,
  simPreset: "small",
  sim: { users: 200, videos: 1000 },
  users: 120,
  days: 4,
  captureDays: 2,
  testFraction: 0.15,
  ope: {
    batchSize: 64,
    iterations: 300,
    hiddenSizes: [32],
    lr: 1e-3,
    decisionSamples: 1,
    targetUpdateInterval: 25,
  },
  gamma: 0.95,
  paperAlpha: 0.5e-3,
  largeAlpha: 0.005,
  rolloutRepeats: 1,
  bcqSteps: 100,
  largeRho: 1,
};

/**
 * `npm run validate`: the paper's estimator (Appendix A defaults; 2 decisions per state for the
 * stochastic policies) on a larger world.
 */
export const FULL_VALIDATION: Omit<OpeValidationOptions, "workDir"> = {
  seed: 1,
  simPreset: "small",
  users: 2000,
  days: 10,
  captureDays: 3,
  testFraction: 0.1,
  ope: { decisionSamples: 2 },
  gamma: 0.95,
  paperAlpha: 0.5e-3,
  largeAlpha: 0.005,
  rolloutRepeats: 4,
  bcqSteps: 3000,
  largeRho: 1,
};

export interface PolicyValidation {
  readonly id: string;
  /** Which role it plays: behaviour, random, good, bcq, bad, near-tied. */
  readonly role: string;
  readonly stochastic: boolean;
  /** Monte-Carlo mean discounted session return from the test split's session starts. */
  readonly trueValue: number;
  /** Its standard error over sessions. */
  readonly trueStdError: number;
  readonly fqe: number;
  readonly conservative: number;
  /** The session-bootstrap interval of the paper-α estimate. */
  readonly conservativeInterval: readonly [number, number];
  readonly largeAlpha: number;
}

export interface ValidationSummary {
  readonly spearman: number;
  readonly meanRelativeError: number;
  /** Share of pairs of the near-tied group ordered as the truth orders them. */
  readonly nearTiedOrder: number;
}

/** Two near-tied policies, neighbours by true value, and how sure the truth is of their order. */
export interface NearTiedPair {
  readonly higher: string;
  readonly lower: string;
  /** Mean over sessions of the paired difference of true returns (> 0). */
  readonly difference: number;
  /** Its standard error (rollouts share random numbers across policies). */
  readonly stdError: number;
}

export interface OpeValidationReport {
  /** The simulator's (config, seed) hash. */
  readonly simConfigHash: string;
  readonly policies: readonly PolicyValidation[];
  readonly testSessions: number;
  readonly testTransitions: number;
  /**
   * Largest |data return − simulator return| / max(1, |simulator return|) over the test
   * sessions as logged: the dataset's Eq. 2 rewards and the simulator's agree (≈ 0).
   */
  readonly loggedReturnError: number;
  /** (max − min) / min of the near-tied group's true values. */
  readonly nearTiedSpread: number;
  readonly nearTiedPairs: readonly NearTiedPair[];
  readonly fqe: ValidationSummary;
  readonly conservative: ValidationSummary;
  readonly largeAlpha: ValidationSummary;
  readonly paperAlpha: number;
  readonly largeAlphaValue: number;
}

/** Draws every fusion weight uniformly from the normalised box [-1, 1]^12, per request. */
class UniformRandomPolicy implements Policy {
  readonly id = "uniform-random-alpha";
  readonly stochastic = true;
  constructor(readonly stateDim: number) {}

  act(_states: Float32Array, rows: number, out: Float32Array, rng: Rng): void {
    for (let i = 0; i < rows * N_TASKS; i++) out[i] = 2 * rng.uniform() - 1;
  }
}

/** Hand-made fixed α, task order (click … exit); the best two by true value are the "good" ones. */
const CANDIDATE_ALPHAS: Readonly<Record<string, readonly number[]>> = {
  "fixed-watch-time": [0.3, 1.2, 1, 1.5, -0.8, 0.2, 0.1, 0.1, 0.1, 0.05, -1, -1.2],
  "fixed-satisfaction": [0.2, 1, 1.5, 1, -1.2, 0.6, 0.3, 0.3, 0.3, 0.1, -1.5, -1],
  "fixed-interaction": [0.4, 0.6, 0.5, 0.8, -0.4, 1.2, 0.8, 0.8, 0.8, 0.4, -0.8, -0.6],
  "fixed-anti-exit": [0.5, 0.8, 0.5, 1, -0.6, 0.4, 0.2, 0.2, 0.2, 0.1, -0.8, -2],
};

/** Click-bait: all weight on clicks, no penalty on skips, hates or exits. */
const BAD_ALPHA = [2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];

/** Where between behaviour (0) and the best fixed α (1) the near-tied policies sit. */
const NEAR_TIED_STEPS = [0.15, 0.3, 0.45];

interface LoggedRun {
  readonly dataset: Dataset;
  /** Session starts matched to the test split's initial states, in the order of D's initial states. */
  readonly starts: readonly { readonly snapshot: SessionSnapshot; readonly history: UserHistory }[];
  /** See `OpeValidationReport.loggedReturnError`. */
  readonly loggedReturnError: number;
}

/** Σ_t γ^t r_t of each session of the split (sessions start at `first` transitions), in order. */
function splitReturns(dataset: Dataset, split: Int32Array, gamma: number): number[] {
  const returns: number[] = [];
  let discount = 1;
  for (const t of split) {
    if (dataset.first[t] === 1) {
      returns.push(0);
      discount = 1;
    }
    returns[returns.length - 1] += discount * dataset.rewards[t];
    discount *= gamma;
  }
  return returns;
}

function stateKey(state: Float32Array): string {
  return Buffer.from(state.buffer, state.byteOffset, state.byteLength).toString("base64");
}

/** Step 1-2: simulate, log, build the dataset, snapshot the test split's session starts. */
async function logExploration(world: SimWorld, options: OpeValidationOptions): Promise<LoggedRun> {
  const log = options.log ?? (() => {});
  const ids = freshUserIds(options.seed, 0, options.users);
  const behaviour = behaviourPolicy(SIM_STATE_DIM);
  const baseline = behaviour.action;
  const layer = new ExplorationLayer(explorationConfigSection.parse({ share: 1 }), behaviour, baseline);
  const users = ids.map((id) => {
    const a = layer.assign(id);
    return { id, assignment: { policy: a.policy, group: a.group, noiseScale: a.noiseScale, arm: null } };
  });
  const population = generatePopulation(world.config, world.seed, ids);
  const profiles = new Map(ids.map((id, u) => [id, userProfile(population, u)]));

  mkdirSync(options.workDir, { recursive: true });
  const store = await LogStore.open(runStorePath(options.workDir));
  const batch = await store.beginBatch();
  await batch.upsertUsers(
    ids.map((id) => ({ userId: id, profile: Array.from(profiles.get(id) ?? []) })),
    PROFILE_FEATURES,
  );
  const captured = new Map<string, { snapshot: SessionSnapshot; history: UserHistory }>();
  const firstCaptureDay = options.days - options.captureDays;
  const state = new Float32Array(SIM_STATE_DIM);
  const simulatedReturns = new Map<string, number>();
  const simulator = new Simulator(world, {
    reward: { weights: rewardWeights("default"), gamma: options.gamma },
    onEvents: (events) => batch.appendEvents(events),
    onSessionEnd: (summary) => {
      if (summary.day >= firstCaptureDay) simulatedReturns.set(summary.sessionId, summary.discountedReturn);
    },
  });
  simulator.runDays(users, {
    days: options.days,
    seed: options.seed,
    onSessionStart: (snapshot, history) => {
      if (snapshot.day < firstCaptureDay) return;
      const profile = profiles.get(snapshot.userId);
      if (profile === undefined) return;
      encodeState(history, profile, snapshot.startMs, 0, state, 0, world.utcOffsetMinutes);
      const copy = new UserHistory();
      copy.data.set(history.data);
      captured.set(stateKey(state), { snapshot, history: copy });
    },
    onProgress: (done, total) => log(`simulated ${done}/${total} users`),
  });
  await batch.commit();
  const outDir = path.join(options.workDir, "dataset");
  await buildDataset(store, {
    outDir,
    reward: { preset: "default", source: "fallback constants (core/reward.ts)" },
    testFraction: options.testFraction,
    utcOffsetMinutes: world.utcOffsetMinutes,
    overwrite: true,
    seed: options.seed,
  });
  store.close();
  const dataset = loadDataset(outDir);
  const data = opeDataFromTransitions(dataset, dataset.test);
  const starts = Array.from(data.initialStateIndex, (row, i) => {
    const found = captured.get(
      stateKey(data.states.subarray(row * data.stateDim, (row + 1) * data.stateDim)),
    );
    if (found === undefined) {
      throw new MtfError(
        "DATASET_MISMATCH",
        `test session ${i} starts in a state no simulator snapshot of the last ${options.captureDays} days produced; raise captureDays or check that the dataset encodes states as the simulator does`,
      );
    }
    return found;
  });
  const dataReturns = splitReturns(dataset, dataset.test, options.gamma);
  const loggedReturnError = Math.max(
    ...starts.map(({ snapshot }, i) => {
      const simulated = simulatedReturns.get(snapshot.sessionId) ?? Number.NaN;
      return Math.abs(dataReturns[i] - simulated) / Math.max(1, Math.abs(simulated));
    }),
  );
  log(`dataset: ${starts.length} test sessions, ${dataset.test.length} test transitions`);
  return { dataset, starts, loggedReturnError };
}

interface Truth {
  readonly value: number;
  readonly stdError: number;
  /** [sessions] mean return over the rollouts of each session start. */
  readonly perSession: Float64Array;
}

function meanAndStdError(values: ArrayLike<number>): { readonly mean: number; readonly stdError: number } {
  const n = values.length;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += values[i] / n;
  let variance = 0;
  for (let i = 0; i < n; i++) variance += (values[i] - mean) ** 2 / (n - 1);
  return { mean, stdError: Math.sqrt(variance / n) };
}

/** Session starts rolled out at once (a rollout holds a ~52 KB history per start and repeat). */
const ROLLOUT_CHUNK = 512;

/**
 * Step 3, the truth (sim/rollout.ts `sessionValues`): the Monte-Carlo mean of Σ_t γ^t r_t over
 * `rolloutRepeats` rollouts of `policy` from each snapshotted session start, then over
 * sessions (standard error over sessions). Rollout r of a user draws the same random numbers
 * whatever the policy (common random numbers), so differences between policies are sharper
 * than their standard errors suggest.
 */
function monteCarloTruth(
  world: SimWorld,
  starts: LoggedRun["starts"],
  policy: Policy,
  options: OpeValidationOptions,
): Truth {
  const perSession = new Float64Array(starts.length);
  for (let from = 0; from < starts.length; from += ROLLOUT_CHUNK) {
    const values = sessionValues(world, starts.slice(from, from + ROLLOUT_CHUNK), policy, {
      seed: deriveSeed(options.seed, "truth"),
      repeats: options.rolloutRepeats,
      preset: "default",
      gamma: options.gamma,
    });
    values.forEach((v, i) => {
      perSession[from + i] = v.value;
    });
  }
  const { mean, stdError } = meanAndStdError(perSession);
  return { value: mean, stdError, perSession };
}

/** BCQ (Algorithm 1) with the quick preset's networks, trained on the train split. */
function trainBcq(dataset: Dataset, id: string, rho: number, options: OpeValidationOptions): Policy {
  const steps = options.bcqSteps;
  const config = bcqConfig({ preset: "quick", steps, rho, gamma: options.gamma });
  const source = new ReplayBuffer(dataset, dataset.train, {
    capacity: "all",
    batchSize: config.batchSize,
    steps,
    rng: new Rng(deriveSeed(options.seed, `${id}/data`)),
  });
  const trainer = new BcqTrainer({
    config,
    source,
    normaliser: dataset.normaliser,
    seed: deriveSeed(options.seed, id),
  });
  for (let step = 0; step < steps; step++) trainer.update();
  return trainer.policy(id);
}

function fixedPolicy(id: string, alpha: readonly number[]): FixedAlphaPolicy {
  return new FixedAlphaPolicy(id, SIM_STATE_DIM, alpha, DEFAULT_ALPHA_BOUNDS);
}

/** (1 − t)·a + t·b in the normalised action space, as a fixed-α policy. */
function interpolated(id: string, a: Float32Array, b: Float32Array, t: number): FixedAlphaPolicy {
  const action = Float64Array.from(a, (x, i) => (1 - t) * x + t * b[i]);
  const alpha = new Float64Array(N_TASKS);
  actionToAlpha(action, DEFAULT_ALPHA_BOUNDS, alpha);
  return fixedPolicy(id, Array.from(alpha));
}

function summarise(
  policies: readonly PolicyValidation[],
  pick: (p: PolicyValidation) => number,
): ValidationSummary {
  const truths = policies.map((p) => p.trueValue);
  const estimates = policies.map(pick);
  const near = policies.filter((p) => p.role === "near-tied");
  return {
    spearman: spearman(estimates, truths),
    meanRelativeError: meanRelativeError(estimates, truths),
    nearTiedOrder: pairwiseOrderAgreement(
      near.map(pick),
      near.map((p) => p.trueValue),
    ),
  };
}

/** Runs the whole validation (see the file header). */
export async function runOpeValidation(options: OpeValidationOptions): Promise<OpeValidationReport> {
  const log = options.log ?? (() => {});
  const world = createWorld(simPreset(options.simPreset, options.sim), options.seed);
  const { dataset, starts, loggedReturnError } = await logExploration(world, options);
  const data = opeDataFromTransitions(dataset, dataset.test);
  const opeOptions: OpeOptions = { ...opeConfigSection.parse(options.ope), gamma: options.gamma };
  const truths = new Map<Policy, Truth>();
  const truthOf = (policy: Policy): Truth => {
    let truth = truths.get(policy);
    if (truth === undefined) {
      truth = monteCarloTruth(world, starts, policy, options);
      truths.set(policy, truth);
      log(`truth ${policy.id}: ${truth.value.toFixed(4)} ± ${truth.stdError.toFixed(4)}`);
    }
    return truth;
  };

  const behaviour = behaviourPolicy(SIM_STATE_DIM);
  const candidates = Object.entries(CANDIDATE_ALPHAS).map(([id, alpha]) => fixedPolicy(id, alpha));
  const [best, second] = [...candidates].sort((a, b) => truthOf(b).value - truthOf(a).value);
  const roles: [Policy, string][] = [
    [behaviour, "behaviour"],
    [new UniformRandomPolicy(SIM_STATE_DIM), "random"],
    [best, "good"],
    [second, "good"],
    [trainBcq(dataset, "bcq", 0.15, options), "bcq"],
    [trainBcq(dataset, `bcq-rho-${options.largeRho}`, options.largeRho, options), "bcq large ρ"],
    [fixedPolicy("fixed-click-bait", BAD_ALPHA), "bad"],
    ...NEAR_TIED_STEPS.map((t): [Policy, string] => [
      interpolated(`behaviour-to-${best.id}-${t}`, behaviour.action, best.action, t),
      "near-tied",
    ]),
  ];

  const alphas = [0, options.paperAlpha, options.largeAlpha];
  const policies: PolicyValidation[] = [];
  const nearTied: { readonly id: string; readonly truth: Truth }[] = [];
  for (const [policy, role] of roles) {
    const truth = truthOf(policy);
    if (role === "near-tied") nearTied.push({ id: policy.id, truth });
    const decisions = precomputeDecisions(
      policy,
      data,
      opeOptions.decisionSamples,
      new Rng(deriveSeed(options.seed, policy.id)),
    );
    const [fqe, conservative, large] = await estimatePolicyValue(data, decisions, opeOptions, {
      alphas,
      seeds: 1,
      seed: options.seed,
    });
    log(
      `V̂ ${policy.id}: FQE ${fqe.value.toFixed(4)}, α ${options.paperAlpha} ${conservative.value.toFixed(4)}, α ${options.largeAlpha} ${large.value.toFixed(4)}; truth ${truth.value.toFixed(4)}`,
    );
    policies.push({
      id: policy.id,
      role,
      stochastic: policy.stochastic,
      trueValue: truth.value,
      trueStdError: truth.stdError,
      fqe: fqe.value,
      conservative: conservative.value,
      conservativeInterval: [conservative.interval.low, conservative.interval.high],
      largeAlpha: large.value,
    });
  }
  const nearTruths = nearTied.map((p) => p.truth.value);
  nearTied.sort((a, b) => b.truth.value - a.truth.value);
  const nearTiedPairs = nearTied.slice(1).map((lower, i) => {
    const higher = nearTied[i];
    const paired = meanAndStdError(higher.truth.perSession.map((v, s) => v - lower.truth.perSession[s]));
    return { higher: higher.id, lower: lower.id, difference: paired.mean, stdError: paired.stdError };
  });
  return {
    simConfigHash: world.configHash,
    policies,
    testSessions: starts.length,
    testTransitions: dataset.test.length,
    loggedReturnError,
    nearTiedSpread: (Math.max(...nearTruths) - Math.min(...nearTruths)) / Math.abs(Math.min(...nearTruths)),
    nearTiedPairs,
    fqe: summarise(policies, (p) => p.fqe),
    conservative: summarise(policies, (p) => p.conservative),
    largeAlpha: summarise(policies, (p) => p.largeAlpha),
    paperAlpha: options.paperAlpha,
    largeAlphaValue: options.largeAlpha,
  };
}

function fmt(value: number): string {
  return value.toFixed(3);
}

/** The report as a markdown table plus the summary lines (docs/ope.md). */
export function validationTable(report: OpeValidationReport): string {
  const header = [
    `| policy | role | true V (± s.e.) | FQE (α = 0) | α = ${report.paperAlpha} [95% sessions] | α = ${report.largeAlphaValue} |`,
    "|---|---|---|---|---|---|",
  ];
  const rows = [...report.policies]
    .sort((a, b) => b.trueValue - a.trueValue)
    .map(
      (p) =>
        `| ${p.id} | ${p.role} | ${fmt(p.trueValue)} ± ${fmt(p.trueStdError)} | ${fmt(p.fqe)} | ${fmt(p.conservative)} [${fmt(p.conservativeInterval[0])}, ${fmt(p.conservativeInterval[1])}] | ${fmt(p.largeAlpha)} |`,
    );
  const summary = (name: string, s: ValidationSummary) =>
    `| ${name} | ${s.spearman.toFixed(3)} | ${(100 * s.meanRelativeError).toFixed(1)}% | ${(100 * s.nearTiedOrder).toFixed(0)}% |`;
  return [
    ...header,
    ...rows,
    "",
    `Simulator ${report.simConfigHash}; ${report.testSessions} test sessions, ${report.testTransitions} test transitions; logged returns: data vs simulator within ${report.loggedReturnError.toExponential(1)}; near-tied group: true values within ${(100 * report.nearTiedSpread).toFixed(1)}% of each other (${report.nearTiedPairs.map((p) => `${p.higher} − ${p.lower} = ${fmt(p.difference)} ± ${fmt(p.stdError)}`).join("; ")}).`,
    "",
    "| estimator | Spearman ρ | mean relative error | near-tied pairs ordered right |",
    "|---|---|---|---|",
    summary("FQE (α = 0)", report.fqe),
    summary(`Conservative-OPE (α = ${report.paperAlpha})`, report.conservative),
    summary(`Conservative-OPE (α = ${report.largeAlphaValue})`, report.largeAlpha),
  ].join("\n");
}
