/**
 * Stage 2, fit reward + build: the Eq. 2 reward weights are fitted once on the main (mixed)
 * collection, from how daily behaviour relates to future app time (data/fit-reward.ts); then
 * every dataset the methods need is built — sessions → states → transitions of the exploration
 * traffic, the 90/10 time split and the normaliser — one per (collection, reward preset).
 */
import path from "node:path";
import type { RewardPreset, RewardWeights } from "../../core/reward.js";
import { buildDataset } from "../../data/dataset.js";
import {
  fitRewardWeights,
  type RewardFit,
  readRewardWeightsFile,
  writeRewardWeightsFile,
} from "../../data/fit-reward.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { collectionDir } from "./collect.js";
import { datasetsNeeded } from "./config.js";
import { count, type StageContext, type StageProgress } from "./context.js";
import { writeJsonAtomic } from "./run-folder.js";

export interface BuiltDataset {
  readonly name: string;
  readonly collection: string;
  readonly reward: string;
  readonly dir: string;
  readonly trainTransitions: number;
  readonly testTransitions: number;
  readonly trainSessions: number;
  readonly testSessions: number;
}

/** What `datasets/build.json` holds. */
export interface BuildSummary {
  readonly rewardFit: {
    readonly n: number;
    readonly r2: number | null;
    readonly usedFallback: boolean;
    readonly weights: RewardWeights;
    readonly warnings: readonly string[];
  };
  readonly datasets: readonly BuiltDataset[];
}

export function datasetDir(context: StageContext, name: string): string {
  return context.folder.path("datasets", name);
}

export function buildSummaryPath(context: StageContext): string {
  return context.folder.path("datasets", "build.json");
}

/** The fitted Eq. 2 base weights of the run (written by stage 2). */
export function fittedRewardWeights(context: StageContext): RewardWeights {
  const file = readRewardWeightsFile(collectionDir(context, "mixed"));
  if (file === null) throw new Error("unreachable: stage 2 writes the reward weights");
  return file.file.weights;
}

/** Runs stage 2; returns its one-line summary. */
export async function runBuild(context: StageContext): Promise<string> {
  const { config, world } = context;
  const mixedDir = collectionDir(context, "mixed");
  const mixedStore = await LogStore.open(runStorePath(mixedDir), { readOnly: true });
  let fit: RewardFit;
  try {
    fit = await fitRewardWeights(mixedStore, {
      horizonDays: config.pipeline.fitRewardHorizonDays,
      utcOffsetMinutes: world.utcOffsetMinutes,
    });
  } finally {
    mixedStore.close();
  }
  const weightsFile = writeRewardWeightsFile(mixedDir, fit, runStorePath(mixedDir));
  const datasets: BuiltDataset[] = [];
  for (const d of datasetsNeeded(config)) {
    const store = await LogStore.open(runStorePath(collectionDir(context, d.data)), { readOnly: true });
    let progress: StageProgress | null = null;
    try {
      const outDir = datasetDir(context, d.name);
      const meta = await buildDataset(store, {
        outDir,
        reward: {
          preset: d.reward as RewardPreset,
          fitted: fit.weights,
          source: `${fit.usedFallback ? "fallback constants" : "fitted"}: ${path.relative(context.folder.dir, weightsFile)}`,
        },
        testFraction: config.pipeline.testFraction,
        utcOffsetMinutes: world.utcOffsetMinutes,
        alphaBounds: context.bounds,
        overwrite: true,
        seed: config.seed,
        onProgress: (done, total) => {
          progress ??= context.progress(`build ${d.name}`, total, "plays");
          progress.update(done);
        },
      });
      datasets.push({
        name: d.name,
        collection: d.data,
        reward: d.reward,
        dir: path.relative(context.folder.dir, outDir),
        trainTransitions: meta.split.trainTransitions,
        testTransitions: meta.split.testTransitions,
        trainSessions: meta.split.trainSessions,
        testSessions: meta.split.testSessions,
      });
    } finally {
      (progress as StageProgress | null)?.stop();
      store.close();
    }
  }
  const summary: BuildSummary = {
    rewardFit: {
      n: fit.n,
      r2: fit.r2,
      usedFallback: fit.usedFallback,
      weights: fit.weights,
      warnings: fit.warnings,
    },
    datasets,
  };
  writeJsonAtomic(buildSummaryPath(context), summary);
  const main = datasets[0];
  return (
    `reward fitted on ${count(fit.n)} user-days (R² ${fit.r2 === null ? "—" : fit.r2.toFixed(3)}${fit.usedFallback ? ", fallback constants" : ""}); ` +
    `${datasets.length} dataset(s), ${main.name}: ${count(main.trainTransitions)} train / ${count(main.testTransitions)} test transitions`
  );
}
