/**
 * Stage 3, offline training: each offline method of the table (BatchRL-MTF = BCQ per paper
 * Algorithm 1, its ablations, the offline baselines, Fig. 8's sweep points) is trained on its
 * dataset's train split through the replay buffer with the shared training loop, metrics every
 * K steps to `train/<method>/metrics.jsonl`, a checkpoint every K' steps, and the serving
 * artefact `policy.ckpt`. A method with `train.json` is done; one with only a checkpoint (the run
 * was stopped) resumes from it bit-identically.
 */
import fs from "node:fs";
import path from "node:path";
import { runTrainingLoop } from "../../agents/common/training-loop.js";
import { OFFLINE_ALGORITHMS } from "../../agents/offline-algorithms.js";
import { configHash } from "../../core/config.js";
import { formatMetric, jsonlSink, MetricsLogger } from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { type Dataset, loadDataset } from "../../data/dataset.js";
import { ReplayBuffer } from "../../data/replay-buffer.js";
import { datasetDir } from "./build.js";
import { datasetName, type OfflineMethod } from "./config.js";
import { type StageContext, slug, startTimer } from "./context.js";
import { readJson, writeJsonAtomic } from "./run-folder.js";

export const TRAIN_FILES = {
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.ckpt",
  policy: "policy.ckpt",
  summary: "train.json",
} as const;

/** What `train/<method>/train.json` holds. */
export interface TrainSummary {
  readonly method: string;
  readonly algorithm: string;
  readonly dataset: string;
  readonly reward: string;
  readonly steps: number;
  readonly trainTransitions: number;
  readonly configHash: string;
  /** Mean of the last logged record's metrics (sanity view). */
  readonly finalMetrics: Readonly<Record<string, number>>;
  /** Wall and CPU seconds of this invocation's training (not in results.json: timings vary). */
  readonly seconds: number;
  readonly cpuSeconds: number;
}

export function methodDir(context: StageContext, method: string): string {
  return context.folder.path("train", slug(method));
}

export function trainSummary(context: StageContext, method: string): TrainSummary {
  return readJson<TrainSummary>(path.join(methodDir(context, method), TRAIN_FILES.summary));
}

const datasets = new Map<string, Dataset>();

/** Loads a dataset of the run (cached per process: several methods share one). */
export function runDataset(context: StageContext, name: string): Dataset {
  const dir = datasetDir(context, name);
  const cached = datasets.get(dir);
  if (cached !== undefined) return cached;
  const dataset = loadDataset(dir);
  datasets.set(dir, dataset);
  return dataset;
}

/** Forgets cached datasets (a stage that rebuilt them, tests). */
export function clearDatasetCache(): void {
  datasets.clear();
}

async function trainOne(context: StageContext, method: OfflineMethod): Promise<TrainSummary> {
  const dir = methodDir(context, method.name);
  const files = Object.fromEntries(
    Object.entries(TRAIN_FILES).map(([key, name]) => [key, path.join(dir, name)]),
  ) as Record<keyof typeof TRAIN_FILES, string>;
  const algorithm = OFFLINE_ALGORITHMS[method.algorithm];
  const config = algorithm.resolve(context.config, method.overrides);
  const hash = configHash({ method, config });
  const name = datasetName(method.data, method.reward);
  const dataset = runDataset(context, name);
  const seed = context.config.seed;
  fs.mkdirSync(dir, { recursive: true });
  const source = new ReplayBuffer(dataset, dataset.train, {
    capacity: config.replayCapacity,
    batchSize: config.batchSize,
    steps: config.steps,
    rng: new Rng(deriveSeed(seed, `${algorithm.name}/replay`)),
  });
  const runId = `${slug(method.name)}__${seed}`;
  const metadata = { runId, dataset: name, configHash: hash };
  const trainerContext = { config, seed, dataset, source, metadata };
  const resume = fs.existsSync(files.checkpoint);
  const trainer = resume
    ? await algorithm.resume(files.checkpoint, trainerContext)
    : algorithm.create(trainerContext);
  const logger = new MetricsLogger([jsonlSink(files.metrics, resume ? { resumeStep: trainer.step } : {})]);
  const progress = context.progress(`train ${method.name}`, config.steps, "steps");
  const timer = startTimer();
  let last: Readonly<Record<string, number>> = {};
  try {
    await runTrainingLoop(trainer, {
      totalSteps: config.steps,
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      checkpointPath: files.checkpoint,
      logger,
      onProgress: (p) => {
        if (p.metrics !== null) last = p.metrics;
        const figures: Record<string, string> = {};
        for (const key of [algorithm.qKeys.mean, "loss/critic"])
          if (p.metrics?.[key] !== undefined) figures[key] = formatMetric(p.metrics[key]);
        progress.update(p.step, figures);
      },
    });
  } finally {
    progress.stop();
    logger.close();
  }
  await algorithm.exportPolicy(trainer, files.policy, { runId, configHash: hash, dataset });
  const summary: TrainSummary = {
    method: method.name,
    algorithm: algorithm.name,
    dataset: name,
    reward: method.reward,
    steps: trainer.step,
    trainTransitions: dataset.train.length,
    configHash: hash,
    finalMetrics: Object.fromEntries(Object.entries(last).filter(([k]) => !k.startsWith("time/"))),
    ...timer(),
  };
  writeJsonAtomic(files.summary, summary);
  return summary;
}

/** Runs stage 3; returns its one-line summary. */
export async function runTrain(context: StageContext): Promise<string> {
  const parts: string[] = [];
  for (const method of context.config.pipeline.offline) {
    const done = fs.existsSync(path.join(methodDir(context, method.name), TRAIN_FILES.summary));
    const summary = done ? trainSummary(context, method.name) : await trainOne(context, method);
    const q = summary.finalMetrics["q/mean"];
    parts.push(
      `${method.name} ${summary.steps} steps on ${summary.trainTransitions} transitions${q === undefined ? "" : `, Q ${formatMetric(q)}`}${done ? " (done earlier)" : ""}`,
    );
  }
  return parts.join("; ");
}
