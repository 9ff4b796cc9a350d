/**
 * The run's results (`results.json`, the report's `ReportInput`) assembled from the stages'
 * own outputs and nothing else: every number in it is read from a stage's JSON (or BCQ's
 * metrics.jsonl), so the report shows exactly what the run produced.
 */

import fs from "node:fs";
import path from "node:path";
import { OFFLINE_ALGORITHMS } from "../../agents/offline-algorithms.js";
import { runtimeInfo } from "../../nn/run-metadata.js";
import type {
  MethodResult,
  RelativeChange,
  ReportInput,
  StageTiming,
  SweepPoint,
} from "../../report/types.js";
import type { AbTestResult } from "../../sim/abtest.js";
import type { Comparison } from "../../sim/stats.js";
import { evaluatePath, readAbTest, type TruthSummary } from "./abtest.js";
import { type BuildSummary, buildSummaryPath } from "./build.js";
import { type CollectSummary, collectionDir } from "./collect.js";
import { MAIN_METHOD } from "./config.js";
import type { StageContext } from "./context.js";
import { type OpeSummary, opePath } from "./ope.js";
import { runMethods } from "./policies.js";
import { readJson } from "./run-folder.js";

/** The stages in order, with the names their markers and timings use. */
export const STAGES = ["collect", "build", "train", "online", "ope", "abtest", "report"] as const;
export type StageName = (typeof STAGES)[number];

const Z95 = 1.959963984540054;

function relative(c: Comparison | null | undefined): RelativeChange | null {
  if (c === null || c === undefined) return null;
  return { relativeChange: c.relativeChange, low: c.low, high: c.high, pValue: c.pValue };
}

function methodRows(context: StageContext, ab: AbTestResult, truth: TruthSummary): MethodResult[] {
  return runMethods(context)
    .filter((m) => m.sweep === null)
    .map((m): MethodResult => {
      const file = opePath(context, m.name);
      const ope = fs.existsSync(file) ? readJson<OpeSummary>(file) : null;
      const arm = ab.arms.find((a) => a.name === m.name);
      const comparison = ab.comparisons.find((c) => c.arm === m.name);
      const value = truth.values.find((v) => v.method === m.name);
      return {
        method: m.name,
        reward: m.reward,
        ope: ope === null ? null : { value: ope.value, low: ope.low, high: ope.high },
        abTest:
          comparison === undefined
            ? null
            : { adTime: relative(comparison.adTime), upiRate: relative(comparison.upiRate) },
        trueValue:
          value === undefined
            ? null
            : {
                value: value.meanSessionReturn,
                low: value.meanSessionReturn - Z95 * value.standardError,
                high: value.meanSessionReturn + Z95 * value.standardError,
              },
        online:
          arm === undefined
            ? null
            : {
                adTime: arm.metrics.adTimeS,
                upiRate: arm.metrics.upiRate,
                playsPerUserDay: arm.metrics.playsPerUserDay,
                returnRate: arm.metrics.returnRate,
              },
      };
    });
}

/** Fig. 8: each sweep point's true value, with BatchRL-MTF's own setting as a point of each swept parameter. */
function sweepPoints(context: StageContext, truth: TruthSummary): SweepPoint[] {
  const offline = context.config.pipeline.offline;
  const point = (method: string, parameter: string, value: number): SweepPoint | null => {
    const t = truth.values.find((v) => v.method === method);
    if (t === undefined) return null;
    const se = Z95 * t.standardError;
    return {
      parameter,
      value,
      metric: t.meanSessionReturn,
      low: t.meanSessionReturn - se,
      high: t.meanSessionReturn + se,
    };
  };
  const points: SweepPoint[] = [];
  const main = offline.find((m) => m.name === MAIN_METHOD);
  const parameters = [...new Set(offline.flatMap((m) => (m.sweep === undefined ? [] : [m.sweep.parameter])))];
  if (main !== undefined) {
    const config = OFFLINE_ALGORITHMS[main.algorithm].resolve(
      context.config,
      main.overrides,
    ) as unknown as Record<string, unknown>;
    const own: Record<string, unknown> = { rho: config.rho, critic_lr: config.lrCritic };
    for (const parameter of parameters) {
      if (typeof own[parameter] !== "number") continue;
      const p = point(MAIN_METHOD, parameter, own[parameter] as number);
      if (p !== null) points.push(p);
    }
  }
  for (const m of offline) {
    if (m.sweep === undefined) continue;
    const p = point(m.name, m.sweep.parameter, m.sweep.value);
    if (p !== null) points.push(p);
  }
  return points.sort((a, b) => a.parameter.localeCompare(b.parameter) || a.value - b.value);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** Plain-language notes: caveats of the run and where it differs from the paper. */
function notes(
  context: StageContext,
  build: BuildSummary,
  rows: readonly MethodResult[],
  control: string,
): string[] {
  const out: string[] = [];
  if (context.kind === "pipeline") {
    out.push(
      "Quick scale (mtf pipeline): a small simulated world, BCQ's quick preset and a short A/B test; `mtf experiment table1` runs the paper's protocol.",
    );
  }
  if (build.rewardFit.usedFallback) {
    out.push("The reward fit used fallback constants for every weight (too few complete user-days).");
  }
  if (rows.some((r) => r.reward !== "default" && r.ope !== null)) {
    out.push("V̂ of the -R variants is under their own reward and is not comparable with the other rows.");
  }
  const main = rows.find((r) => r.method === MAIN_METHOD);
  const change = main?.abTest?.adTime ?? null;
  if (change !== null) {
    const beats = change.low > 0;
    out.push(
      beats
        ? `As in the paper, ${MAIN_METHOD} beat ${control} on ADTime (${pct(change.relativeChange)}, 95% [${pct(change.low)}, ${pct(change.high)}]).`
        : `Unlike the paper, ${MAIN_METHOD} ${change.high < 0 ? "fell below" : "did not beat"} ${control} on ADTime significantly (${pct(change.relativeChange)}, 95% [${pct(change.low)}, ${pct(change.high)}], p ${change.pValue.toFixed(3)}).`,
    );
  }
  // The paper's ablations all fall below BatchRL-MTF online (Table 1).
  for (const r of rows) {
    if (!r.method.startsWith(`${MAIN_METHOD}-`) || change === null) continue;
    const theirs = r.abTest?.adTime ?? null;
    if (theirs !== null && theirs.relativeChange > change.relativeChange) {
      out.push(
        `Unlike the paper, ${r.method} had a higher ADTime change vs ${control} than ${MAIN_METHOD} (${pct(theirs.relativeChange)} vs ${pct(change.relativeChange)}).`,
      );
    }
  }
  const withTruth = rows.filter((r) => r.trueValue !== null);
  if (main?.trueValue != null && withTruth.length > 1) {
    const best = withTruth.reduce((a, b) => ((b.trueValue?.value ?? 0) > (a.trueValue?.value ?? 0) ? b : a));
    if (best.method !== MAIN_METHOD) {
      out.push(
        `By Monte-Carlo true value, ${best.method} (${best.trueValue?.value.toFixed(4)}) is above ${MAIN_METHOD} (${main.trueValue.value.toFixed(4)}); the paper ranks ${MAIN_METHOD} first.`,
      );
    }
  }
  return out;
}

/** Assembles `results.json` from the stage outputs; `stages` are the finished stages' timings. */
export function assembleResults(context: StageContext, stages: readonly StageTiming[]): ReportInput {
  const collect = readJson<CollectSummary>(path.join(collectionDir(context, "mixed"), "collect.json"));
  const build = readJson<BuildSummary>(buildSummaryPath(context));
  const ab = readAbTest(context);
  const truth = readJson<TruthSummary>(evaluatePath(context, "truth"));
  const weights = readJson<{ distributions: ReportInput["weightDistributions"] }>(
    evaluatePath(context, "weights"),
  );
  const rows = methodRows(context, ab, truth);
  const info = runtimeInfo();
  const main = build.datasets[0];
  const control = ab.arms[0].name;
  const dataSizes: Record<string, number> = {
    users: collect.users,
    days: collect.days,
    userDays: collect.userDays,
    events: collect.events,
    sessions: collect.sessions,
    trainTransitions: main.trainTransitions,
    testTransitions: main.testTransitions,
    trainSessions: main.trainSessions,
    testSessions: main.testSessions,
  };
  const randomFile = path.join(collectionDir(context, "random"), "collect.json");
  if (fs.existsSync(randomFile))
    dataSizes.randomCollectionEvents = readJson<CollectSummary>(randomFile).events;
  return {
    title:
      context.kind === "table1"
        ? "BatchRL-MTF in simulation: Table 1 and Figures 5-8"
        : "mtf pipeline: BatchRL-MTF learned and tested in the simulated platform",
    kind: context.kind,
    createdAt: new Date().toISOString(),
    seed: context.config.seed,
    simConfigHash: context.world.configHash,
    configHash: context.configHash,
    runtime: {
      mtf: info.mtfVersion,
      node: info.node,
      platform: info.platform,
      backend: `${info.backend}, ${info.threads} thread${info.threads === 1 ? "" : "s"}`,
    },
    dataSizes,
    control,
    abTestSetup: `${ab.design}; ${ab.days} days; ${ab.method} method; users fresh (never logged)`,
    methods: rows,
    qCurves: readJson(evaluatePath(context, "qCurves")),
    weightDistributions: weights.distributions,
    sweeps: sweepPoints(context, truth),
    segments: readJson(evaluatePath(context, "segments")),
    stages,
    notes: notes(context, build, rows, control),
  };
}
