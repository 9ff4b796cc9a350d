/**
 * The training loop every offline agent shares (plumbing, kept apart from algorithm code):
 * update steps, metric aggregation every `logEvery` steps, a checkpoint every
 * `checkpointEvery` steps (and at the end), progress reports, and a clean stop on request.
 *
 * A `Trainer` owns its step counter; the loop runs it from wherever it stands (0, or the step of
 * a restored checkpoint) up to `totalSteps`, so resume is "restore, then run the same loop".
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { MtfError } from "../../core/errors.js";
import type { Metrics, MetricsLogger } from "../../core/metrics-logger.js";

/** An agent being trained (BCQ, and later TD3, UWAC-TD3, CQL-SAC). */
export interface Trainer {
  /** e.g. "bcq"; used in run ids and checkpoint kinds. */
  readonly algorithm: string;
  /** Update steps taken so far. */
  readonly step: number;
  /** One update step (Algorithm 1's loop body for BCQ); returns namespaced metrics. */
  update(): Metrics;
  /** Everything needed to resume exactly: networks, targets, optimisers, step, RNG, data position. */
  saveCheckpoint(path: string): Promise<void>;
}

export interface TrainingProgress {
  readonly step: number;
  readonly totalSteps: number;
  /** The step this invocation started from (> 0 when resumed). */
  readonly startStep: number;
  readonly elapsedS: number;
  /** Steps per second since this invocation started. */
  readonly stepsPerSecond: number;
  /** Seconds left at the current rate (NaN before the first step). */
  readonly etaS: number;
  /** The last flushed metrics (averages), null before the first flush. */
  readonly metrics: Metrics | null;
}

export interface TrainingLoopOptions {
  /** Train until `trainer.step` reaches this (Ep). */
  readonly totalSteps: number;
  /** Metrics are averaged and flushed to the logger every this many steps (K), and at the end. */
  readonly logEvery: number;
  /** A checkpoint is written every this many steps, and at the end; 0 = only at the end. */
  readonly checkpointEvery: number;
  /** Where checkpoints go (one file, replaced atomically); null = no checkpoints. */
  readonly checkpointPath: string | null;
  readonly logger: MetricsLogger;
  /** Called about `progressHz` times a second and after each flush. */
  readonly onProgress?: (progress: TrainingProgress) => void;
  readonly progressHz?: number;
  /** Called after each checkpoint write. */
  readonly onCheckpoint?: (step: number, path: string) => void;
  /** Stops the loop after the current step; a checkpoint is written first so the run can resume. */
  readonly signal?: AbortSignal;
  /** Monotonic clock in seconds (injectable for tests). */
  readonly now?: () => number;
}

export interface TrainingLoopResult {
  /** The trainer's step when the loop returned. */
  readonly step: number;
  readonly startStep: number;
  readonly seconds: number;
  /** True when the signal stopped it before `totalSteps`. */
  readonly stopped: boolean;
}

function checkCount(name: string, value: number, allowZero: boolean): void {
  if (!Number.isInteger(value) || value < (allowZero ? 0 : 1)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${name} must be a ${allowZero ? "non-negative" : "positive"} integer, got ${value}`,
    );
  }
}

const defaultNow = (): number => performance.now() / 1000;

/** Runs `trainer` to `totalSteps` with logging, checkpoints and progress (see the options). */
export async function runTrainingLoop(
  trainer: Trainer,
  options: TrainingLoopOptions,
): Promise<TrainingLoopResult> {
  checkCount("totalSteps", options.totalSteps, true);
  checkCount("logEvery", options.logEvery, false);
  checkCount("checkpointEvery", options.checkpointEvery, true);
  const now = options.now ?? defaultNow;
  const startStep = trainer.step;
  const started = now();
  const progressInterval = 1 / (options.progressHz ?? 4);
  let lastReport = Number.NEGATIVE_INFINITY;
  let lastYield = started;
  let lastMetrics: Metrics | null = null;
  let lastCheckpoint = -1;

  const report = (force: boolean): void => {
    const t = now();
    if (!options.onProgress || (!force && t - lastReport < progressInterval)) return;
    lastReport = t;
    const elapsedS = t - started;
    const done = trainer.step - startStep;
    const stepsPerSecond = done > 0 && elapsedS > 0 ? done / elapsedS : Number.NaN;
    options.onProgress({
      step: trainer.step,
      totalSteps: options.totalSteps,
      startStep,
      elapsedS,
      stepsPerSecond,
      etaS: (options.totalSteps - trainer.step) / stepsPerSecond,
      metrics: lastMetrics,
    });
  };
  const flush = (): void => {
    if (options.logger.pending === 0) return;
    const elapsed = now() - started;
    const record = options.logger.flush(trainer.step, {
      "time/steps_per_s": (trainer.step - startStep) / Math.max(elapsed, 1e-9),
    });
    if (record) lastMetrics = record.metrics;
  };
  const checkpoint = async (): Promise<void> => {
    if (options.checkpointPath === null || lastCheckpoint === trainer.step) return;
    await trainer.saveCheckpoint(options.checkpointPath);
    lastCheckpoint = trainer.step;
    options.onCheckpoint?.(trainer.step, options.checkpointPath);
  };

  report(true);
  let stopped = false;
  while (trainer.step < options.totalSteps) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    options.logger.add(trainer.update());
    const step = trainer.step;
    if (step % options.logEvery === 0) {
      flush();
      report(true);
    }
    if (options.checkpointEvery > 0 && step % options.checkpointEvery === 0) await checkpoint();
    report(false);
    // Let signals, timers and progress rendering run about 20 times a second; wall-clock based
    // and outside the math, so it never changes what is computed.
    const t = now();
    if (t - lastYield > 0.05) {
      lastYield = t;
      await yieldToEventLoop();
    }
  }
  flush();
  await checkpoint();
  report(true);
  return { step: trainer.step, startStep, seconds: now() - started, stopped };
}

/** Run ids as in CleanRL: `dataset__algo__seed__time`, time as a compact UTC stamp. */
export function runId(dataset: string, algorithm: string, seed: number, time: Date = new Date()): string {
  const stamp = time
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, "-");
  return `${safe(dataset)}__${safe(algorithm)}__${seed}__${stamp}`;
}
