/**
 * Stage 6, online evaluation in the simulator and the figures' data:
 *   - the A/B test (sim/abtest.ts) on fresh users over several days, the control arm first (BO
 *     in Table 1), one arm per Table 1 method and one for the behaviour policy: ADTime and UPIRate
 *     relative change with 95% intervals and p-values;
 *   - each method's Monte-Carlo true value (sim/rollout.ts `policyValue`): a fresh population
 *     served by the policy, mean discounted session return under the default (fitted) reward;
 *     Fig. 8's sweep points get theirs here;
 *   - the per-segment view: fresh users of each activity degree cloned into control and
 *     BatchRL-MTF (paired), the segment's ADTime change, and the mean α BatchRL-MTF chose for the
 *     segment's test-split states;
 *   - Fig. 6-7: α of the logged behaviour data and of each RL method's decisions on test states;
 *   - Fig. 5: each RL method's Q estimate (mean ± std) over training, from its metrics.jsonl.
 */
import path from "node:path";
import { OFFLINE_ALGORITHMS } from "../../agents/offline-algorithms.js";
import { actionsToAlphas } from "../../core/action.js";
import type { Policy } from "../../core/interfaces.js";
import { readJsonlMetrics } from "../../core/metrics-logger.js";
import type { RewardWeights } from "../../core/reward.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { N_TASKS, TASKS, type TaskName } from "../../core/tasks.js";
import type { Dataset } from "../../data/dataset.js";
import type { QCurve, SegmentResult, WeightDistribution } from "../../report/types.js";
import { type AbArm, type AbTestResult, formatAbTest, runAbTest } from "../../sim/abtest.js";
import { ACTIVITY_DEGREES } from "../../sim/config.js";
import { SimEnvironment } from "../../sim/environment.js";
import { adTimeSamples } from "../../sim/metrics.js";
import { generatePopulation } from "../../sim/population.js";
import { type PolicyValue, policyValue } from "../../sim/rollout.js";
import { deltaComparison } from "../../sim/stats.js";
import { freshUserIds } from "../../sim/world.js";
import { fittedRewardWeights } from "./build.js";
import { datasetName, MAIN_METHOD } from "./config.js";
import { count, type StageContext, startTimer } from "./context.js";
import { loadMethodPolicy, type RunMethod, runMethods } from "./policies.js";
import { readJson, writeJsonAtomic, writeTextAtomic } from "./run-folder.js";
import { methodDir, runDataset, TRAIN_FILES } from "./train.js";

/** Tasks whose α distributions Fig. 6-7 show. */
export const FIGURE_TASKS: readonly TaskName[] = ["play_time", "finish", "exit", "like"];

/** The behaviour data's source name in Fig. 6-7. */
export const BEHAVIOUR_DATA = "behaviour data";

export const EVALUATE_FILES = {
  abTest: "abtest.json",
  abTestText: "abtest.txt",
  truth: "truth.json",
  segments: "segments.json",
  weights: "weights.json",
  qCurves: "qcurves.json",
  timings: "timings.json",
} as const;

export function evaluatePath(context: StageContext, file: keyof typeof EVALUATE_FILES): string {
  return context.folder.path("evaluate", EVALUATE_FILES[file]);
}

/** `truth.json`: each method's Monte-Carlo value. */
export interface TruthSummary {
  readonly users: number;
  readonly days: number;
  /** The Eq. 2 base weights of the default reward the returns are under (the run's fit). */
  readonly rewardWeights: RewardWeights;
  readonly values: readonly (PolicyValue & { readonly method: string })[];
}

export function readAbTest(context: StageContext): AbTestResult {
  return readJson<AbTestResult>(evaluatePath(context, "abTest"));
}

/** The A/B test's arms: the control first, then the Table 1 methods and behaviour in run order. */
function abArms(context: StageContext, policies: ReadonlyMap<string, Policy>): AbArm[] {
  const control = context.config.pipeline.abTest.control;
  const names = runMethods(context)
    .filter((m) => m.sweep === null)
    .map((m) => m.name);
  return [control, ...names.filter((n) => n !== control)].map((name) => ({
    name,
    policy: policies.get(name) as Policy,
  }));
}

function truth(context: StageContext, policies: ReadonlyMap<string, Policy>): TruthSummary {
  const { config, world, fusion } = context;
  const { users, days } = config.pipeline.truth;
  const fitted = fittedRewardWeights(context);
  const progress = context.progress("true values", policies.size, "policies");
  const values: TruthSummary["values"][number][] = [];
  try {
    for (const [method, policy] of policies) {
      const value = policyValue(world, policy, {
        users,
        days,
        seed: deriveSeed(config.seed, "truth"),
        preset: "default",
        fitted,
        gamma: config.gamma,
        fusion,
      });
      values.push({ method, ...value });
      progress.update(values.length, { [method]: value.meanSessionReturn });
    }
  } finally {
    progress.stop();
  }
  return { users, days, rewardWeights: fitted, values };
}

/** A seeded sample of the main dataset's test transitions (Fig. 6-7 and the segments' α). */
function testSample(context: StageContext, dataset: Dataset): Int32Array {
  const rows = Int32Array.from(dataset.test);
  new Rng(deriveSeed(context.config.seed, "figure-states")).shuffle(rows);
  return rows.slice(0, Math.min(rows.length, context.config.pipeline.weightStates));
}

function gatherStates(dataset: Dataset, transitions: Int32Array): Float32Array {
  const dim = dataset.stateDim;
  const states = new Float32Array(transitions.length * dim);
  for (const [i, t] of transitions.entries()) {
    const row = dataset.stateIndex[t];
    states.set(dataset.states.subarray(row * dim, (row + 1) * dim), i * dim);
  }
  return states;
}

/** α [rows x 12] a policy chooses for `states`. */
function decide(context: StageContext, policy: Policy, states: Float32Array, rows: number): Float64Array {
  const actions = new Float32Array(rows * N_TASKS);
  policy.act(states, rows, actions, new Rng(deriveSeed(context.config.seed, `decisions/${policy.id}`)));
  const alphas = new Float64Array(rows * N_TASKS);
  actionsToAlphas(actions, rows, context.bounds, alphas);
  return alphas;
}

function distributions(source: string, alphas: Float64Array, rows: number): WeightDistribution[] {
  return FIGURE_TASKS.map((task) => {
    const k = TASKS.indexOf(task);
    return { source, task, values: Array.from({ length: rows }, (_, r) => alphas[r * N_TASKS + k]) };
  });
}

/** Index of each activity degree's one-hot feature in the state vector. */
function activityFeatures(dataset: Dataset): number[] {
  return ACTIVITY_DEGREES.map((d) => {
    const i = dataset.meta.featureNames.findIndex((f) => f.endsWith(`user_active_degree=${d}`));
    if (i < 0) throw new Error(`unreachable: the state encoder has a user_active_degree=${d} feature`);
    return i;
  });
}

async function segments(
  context: StageContext,
  control: Policy,
  main: Policy,
  dataset: Dataset,
  states: Float32Array,
  mainAlphas: Float64Array,
): Promise<SegmentResult[]> {
  const { config, world, fusion } = context;
  const { users, days } = config.pipeline.segments;
  const seed = deriveSeed(config.seed, "segments");
  const ids = freshUserIds(seed, 0, users);
  const activity = generatePopulation(world.config, world.seed, ids).activity;
  const progress = context.progress("segments", 2, "arms");
  const environment = new SimEnvironment(world, fusion);
  const run = async (policy: Policy) => {
    const [group] = await environment.run([{ policy, users, userIds: ids }], { days, seed });
    progress.update(policy === control ? 1 : 2);
    return new Map(group.users.map((u) => [u.userId, u]));
  };
  try {
    const byControl = await run(control);
    const byMain = await run(main);
    const features = activityFeatures(dataset);
    const rows = mainAlphas.length / N_TASKS;
    return ACTIVITY_DEGREES.map((degree, d): SegmentResult => {
      const members = ids.filter((_, u) => activity[u] === d);
      const t = members.map((id) => byMain.get(id)).filter((o) => o !== undefined);
      const c = members.map((id) => byControl.get(id)).filter((o) => o !== undefined);
      const sum = new Float64Array(N_TASKS);
      let n = 0;
      for (let r = 0; r < rows; r++) {
        if (states[r * dataset.stateDim + features[d]] <= 0.5) continue;
        for (let k = 0; k < N_TASKS; k++) sum[k] += mainAlphas[r * N_TASKS + k];
        n += 1;
      }
      const meanAlpha = Object.fromEntries(TASKS.map((task, k) => [task, n > 0 ? sum[k] / n : Number.NaN]));
      const tSamples = adTimeSamples(t, days);
      const cSamples = adTimeSamples(c, days);
      const positive = (s: { numerator: Float64Array }) => s.numerator.some((v) => v > 0);
      const change =
        members.length > 1 && positive(tSamples) && positive(cSamples)
          ? deltaComparison(tSamples, cSamples, true)
          : null;
      return {
        segment: `activity: ${degree.replace("_active", "")}`,
        users: members.length,
        meanAlpha,
        adTimeChange:
          change === null
            ? null
            : {
                relativeChange: change.relativeChange,
                low: change.low,
                high: change.high,
                pValue: change.pValue,
              },
      };
    });
  } finally {
    progress.stop();
  }
}

function qCurves(context: StageContext, methods: readonly RunMethod[]): QCurve[] {
  return methods
    .filter((m) => m.kind === "offline" && m.sweep === null)
    .map((m) => {
      const entry = context.config.pipeline.offline.find((o) => o.name === m.name);
      const keys = OFFLINE_ALGORITHMS[entry?.algorithm ?? "bcq"].qKeys;
      const records = readJsonlMetrics(path.join(methodDir(context, m.name), TRAIN_FILES.metrics));
      return {
        method: m.name,
        points: records.map((r) => ({ step: r.step, mean: r.metrics[keys.mean], std: r.metrics[keys.std] })),
      };
    });
}

/** Runs stage 6; returns its one-line summary. */
export async function runAbTestStage(context: StageContext): Promise<string> {
  const { config, world, fusion } = context;
  const methods = runMethods(context);
  const policies = new Map<string, Policy>();
  for (const m of methods) policies.set(m.name, await loadMethodPolicy(context, m));

  const arms = abArms(context, policies);
  const { users, days, method } = config.pipeline.abTest;
  const progress = context.progress("A/B test", 1, "runs");
  const timings: Record<string, { seconds: number; cpuSeconds: number; userDays: number }> = {};
  let timer = startTimer();
  let ab: AbTestResult;
  try {
    ab = runAbTest(world, arms, { users, days, seed: deriveSeed(config.seed, "abtest"), method, fusion });
    progress.update(1);
  } finally {
    progress.stop();
  }
  writeJsonAtomic(evaluatePath(context, "abTest"), ab);
  writeTextAtomic(evaluatePath(context, "abTestText"), `${formatAbTest(ab)}\n`);
  timings.abTest = { ...timer(), userDays: users * days };

  timer = startTimer();
  writeJsonAtomic(evaluatePath(context, "truth"), truth(context, policies));
  timings.truth = {
    ...timer(),
    userDays: policies.size * config.pipeline.truth.users * config.pipeline.truth.days,
  };

  const dataset = runDataset(context, datasetName("mixed", "default"));
  const sample = testSample(context, dataset);
  const states = gatherStates(dataset, sample);
  const rows = sample.length;
  const logged = new Float64Array(rows * N_TASKS);
  const loggedActions = new Float32Array(rows * N_TASKS);
  for (const [i, t] of sample.entries())
    loggedActions.set(dataset.actions.subarray(t * N_TASKS, (t + 1) * N_TASKS), i * N_TASKS);
  actionsToAlphas(loggedActions, rows, context.bounds, logged);
  const weights: WeightDistribution[] = distributions(BEHAVIOUR_DATA, logged, rows);
  let mainAlphas: Float64Array = new Float64Array(0);
  for (const m of methods.filter((x) => x.kind === "offline" && x.sweep === null)) {
    const alphas = decide(context, policies.get(m.name) as Policy, states, rows);
    if (m.name === MAIN_METHOD) mainAlphas = alphas;
    weights.push(...distributions(m.name, alphas, rows));
  }
  writeJsonAtomic(evaluatePath(context, "weights"), {
    states: rows,
    tasks: FIGURE_TASKS,
    distributions: weights,
  });

  const control = policies.get(config.pipeline.abTest.control) as Policy;
  timer = startTimer();
  const segs = await segments(
    context,
    control,
    policies.get(MAIN_METHOD) as Policy,
    dataset,
    states,
    mainAlphas,
  );
  writeJsonAtomic(evaluatePath(context, "segments"), segs);
  timings.segments = {
    ...timer(),
    userDays: 2 * config.pipeline.segments.users * config.pipeline.segments.days,
  };
  // Not part of results.json (timings vary): the rates docs/pipeline.md extrapolates from.
  writeJsonAtomic(evaluatePath(context, "timings"), timings);
  writeJsonAtomic(evaluatePath(context, "qCurves"), qCurves(context, methods));

  const main = ab.comparisons.find((c) => c.arm === MAIN_METHOD);
  const change = main?.adTime;
  return (
    `A/B ${count(users)} users x ${days} days, control ${ab.arms[0].name}` +
    (change == null
      ? ""
      : `: ${MAIN_METHOD} ADTime ${(100 * change.relativeChange).toFixed(2)}% [${(100 * change.low).toFixed(2)}, ${(100 * change.high).toFixed(2)}], p ${change.pValue.toFixed(3)}`) +
    `; true values of ${policies.size} policies; ${rows} test states for Fig. 6-7; ${segs.length} segments`
  );
}
