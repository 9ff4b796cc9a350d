/**
 * `mtf train <algo> --data <dataset> --out <dir> [--config <yaml>] [--preset <p>] [--steps <n>] [--seed <n>] [--resume]`
 *
 * Offline training of one agent on a dataset's train split (paper Algorithm 1 for `bcq`):
 * a replay buffer over the split, the agent's trainer, the shared training loop with a progress
 * bar (steps/s, ETA, losses), metrics every K steps to metrics.jsonl, a checkpoint every K'
 * steps, and at the end the serving artefact. Ctrl-C stops after the current step and writes a
 * checkpoint; `--resume` continues bit-identically from the last checkpoint in --out.
 *
 * Output folder:
 *   config.yaml      the resolved config (headed by its hash)
 *   run.json         run id (dataset__algo__seed__time), seed, config hash, numeric backend,
 *                    versions, dataset, status and timing, resume events
 *   metrics.jsonl    one averaged record per K steps: loss/*, q/*, action/*, time/steps_per_s
 *   checkpoint.ckpt  the latest training state (networks, targets, optimisers, step, RNGs, data position)
 *   policy.ckpt      the serving artefact (what the policy needs, with normaliser and encoder version)
 *
 * The algorithms (bcq, td3, uwac-td3, cql-sac) come from agents/offline-algorithms.ts, which the
 * pipeline shares: config section, trainer construction, resume and export.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { runId as makeRunId, runTrainingLoop } from "../../agents/common/training-loop.js";
import { OFFLINE_ALGORITHMS, type OfflineAlgorithm } from "../../agents/offline-algorithms.js";
import {
  configHash,
  coreConfigShape,
  parseConfig,
  readConfigMapping,
  resolvedConfigYaml,
} from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import {
  consoleSink,
  formatMetric,
  jsonlSink,
  MetricsLogger,
  type MetricsSink,
} from "../../core/metrics-logger.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { loadDataset } from "../../data/dataset.js";
import { ReplayBuffer } from "../../data/replay-buffer.js";
import { runMetadata } from "../../nn/run-metadata.js";
import { parsePositiveInt, parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

interface TrainOptions {
  readonly data: string;
  readonly out: string;
  readonly config?: string;
  readonly preset?: string;
  readonly steps?: number;
  readonly seed?: number;
  readonly resume?: boolean;
}

/** File names inside --out. */
export const TRAIN_OUTPUTS = {
  config: "config.yaml",
  run: "run.json",
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.ckpt",
  policy: "policy.ckpt",
} as const;

/** The file config with the command-line overrides applied, validated and resolved. */
function resolveConfig(algorithm: OfflineAlgorithm, options: TrainOptions) {
  const raw = options.config === undefined ? {} : readConfigMapping(options.config);
  const section = { ...((raw[algorithm.name] as Record<string, unknown> | undefined) ?? {}) };
  if (options.preset !== undefined) section.preset = options.preset;
  if (options.steps !== undefined) section.steps = options.steps;
  const withOverrides = {
    ...raw,
    [algorithm.name]: section,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  const fileConfig = parseConfig(
    withOverrides,
    z.looseObject({ ...coreConfigShape, [algorithm.name]: algorithm.section }),
    options.config ?? "command-line defaults",
  ) as Record<string, unknown>;
  const config = algorithm.fromSection(fileConfig[algorithm.name], fileConfig.gamma as number);
  const seed = fileConfig.seed as number;
  // The resolved config as written: root sections plus the algorithm's section fully resolved.
  const resolved = { ...fileConfig, [algorithm.name]: config };
  return { config, seed, resolved, hash: configHash(resolved) };
}

interface RunRecord {
  readonly runId: string;
  readonly algorithm: string;
  readonly dataset: string;
  readonly out: string;
  readonly steps: number;
  readonly status: "running" | "completed" | "stopped" | "failed";
  readonly stepsDone: number;
  readonly seconds: number;
  readonly events: readonly Record<string, unknown>[];
  readonly [key: string]: unknown;
}

function readRunRecord(file: string): RunRecord | null {
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, "utf8")) as RunRecord;
  } catch {
    return null;
  }
}

function writeJson(file: string, value: unknown): void {
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "?";
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
      ? `${m}m${String(s % 60).padStart(2, "0")}s`
      : `${s}s`;
}

/** The progress figures shown next to the bar. */
const PROGRESS_KEYS = ["loss/vae", "loss/actor", "loss/critic", "q/mean"] as const;
/** The metrics of the periodic lines printed when stderr is not a terminal. */
const CONSOLE_KEYS = [...PROGRESS_KEYS, "q/std", "action/perturbation", "time/steps_per_s"];

/** A sink passing at most one record every `seconds` on to `sink` (the JSONL file gets them all). */
function throttled(sink: MetricsSink, seconds: number): MetricsSink {
  let last = Number.NEGATIVE_INFINITY;
  return {
    write(record) {
      const now = performance.now() / 1000;
      if (now - last < seconds) return;
      last = now;
      sink.write(record);
    },
  };
}

async function train(algorithm: OfflineAlgorithm, options: TrainOptions): Promise<void> {
  const out = options.out;
  const files = Object.fromEntries(
    Object.entries(TRAIN_OUTPUTS).map(([key, name]) => [key, path.join(out, name)]),
  ) as Record<keyof typeof TRAIN_OUTPUTS, string>;
  const resume = options.resume === true;
  if (resume && !existsSync(files.checkpoint)) {
    throw new MtfError(
      "FILE_NOT_FOUND",
      `--resume: no checkpoint at ${files.checkpoint}; train without --resume first`,
    );
  }
  if (!resume && existsSync(files.checkpoint)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${out} already holds a training run (${TRAIN_OUTPUTS.checkpoint}); pass --resume to continue it or choose another --out`,
    );
  }
  const { config, seed, resolved, hash } = resolveConfig(algorithm, options);
  const dataset = loadDataset(options.data);
  if (dataset.train.length === 0) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `dataset ${options.data} has an empty train split; nothing to train on`,
    );
  }
  mkdirSync(out, { recursive: true });

  const previous = resume ? readRunRecord(files.run) : null;
  if (resume && previous !== null && previous.configHash !== hash) {
    throw new MtfError(
      "INVALID_CONFIG",
      `--resume: the config resolves to hash ${hash} but the run in ${out} used ${String(previous.configHash)}; resume with the same --config, --preset, --steps and --seed`,
    );
  }
  const datasetName = path.basename(path.resolve(options.data));
  const runId = previous?.runId ?? makeRunId(datasetName, algorithm.name, seed);
  const source = new ReplayBuffer(dataset, dataset.train, {
    capacity: config.replayCapacity,
    batchSize: config.batchSize,
    steps: config.steps,
    rng: new Rng(deriveSeed(seed, `${algorithm.name}/replay`)),
  });
  const metadata = {
    runId,
    dataset: path.resolve(options.data),
    stateEncoderVersion: dataset.meta.stateEncoderVersion,
    configHash: hash,
  };
  const context = { config, seed, dataset, source, metadata };
  const trainer = resume ? await algorithm.resume(files.checkpoint, context) : algorithm.create(context);
  const startStep = trainer.step;

  writeFileSync(files.config, resolvedConfigYaml(resolved));
  const started = new Date();
  const events = [
    ...(previous?.events ?? []),
    { event: resume ? "resumed" : "started", step: startStep, at: started.toISOString() },
  ];
  const record = (status: RunRecord["status"], stepsDone: number, seconds: number): RunRecord => ({
    runId,
    algorithm: algorithm.name,
    dataset: path.resolve(options.data),
    datasetTrainTransitions: dataset.train.length,
    stateEncoderVersion: dataset.meta.stateEncoderVersion,
    out: path.resolve(out),
    steps: config.steps,
    ...runMetadata(seed, hash, started),
    status,
    stepsDone,
    seconds: (previous?.seconds ?? 0) + seconds,
    events,
  });
  writeJson(files.run, record("running", startStep, 0));

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `mtf train ${algorithm.name}: run ${runId}${resume ? ` resumed at step ${startStep}` : ""}; ${dataset.train.length} train transitions, ` +
      `${config.steps} steps, batch ${config.batchSize}, seed ${seed}, config ${hash}, backend ${runMetadata(seed, hash).backend}`,
  );
  const interactive = process.stderr.isTTY === true;
  const logger = new MetricsLogger([
    jsonlSink(files.metrics, resume ? { resumeStep: startStep } : {}),
    // Without a live bar, the averaged metrics double as the periodic progress lines.
    ...(interactive
      ? []
      : [
          throttled(
            consoleSink((line) => log(`  ${line}`), { keys: CONSOLE_KEYS }),
            10,
          ),
        ]),
  ]);
  const progress = startProgress({
    label: `train ${algorithm.name}`,
    total: config.steps,
    unit: "steps",
    intervalMs: 30_000,
  });
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log(`\nmtf train: stopping after this step and writing a checkpoint (Ctrl-C again to quit at once)`);
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const t0 = performance.now();
  let result: Awaited<ReturnType<typeof runTrainingLoop>>;
  try {
    result = await runTrainingLoop(trainer, {
      totalSteps: config.steps,
      logEvery: config.logEvery,
      checkpointEvery: config.checkpointEvery,
      checkpointPath: files.checkpoint,
      logger,
      signal: abort.signal,
      onProgress: (p) => {
        const figures: Record<string, string> = {
          "steps/s": formatMetric(p.stepsPerSecond, 3),
          ETA: formatDuration(p.etaS),
        };
        for (const key of PROGRESS_KEYS)
          if (p.metrics?.[key] !== undefined) figures[key] = formatMetric(p.metrics[key]);
        progress.update(p.step, figures);
      },
    });
  } catch (error) {
    progress.stop();
    logger.close();
    writeJson(files.run, record("failed", trainer.step, (performance.now() - t0) / 1000));
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  progress.stop();
  logger.close();
  const seconds = (performance.now() - t0) / 1000;
  if (result.stopped) {
    writeJson(files.run, record("stopped", result.step, seconds));
    log(`mtf train: stopped at step ${result.step}; continue with the same command and --resume`);
    return;
  }
  await algorithm.exportPolicy(trainer, files.policy, { runId, configHash: hash, dataset });
  writeJson(files.run, record("completed", result.step, seconds));
  const done = result.step - result.startStep;
  process.stdout.write(
    `trained ${algorithm.name} for ${result.step} steps (${done} in ${seconds.toFixed(1)} s, ${(done / Math.max(seconds, 1e-9)).toFixed(1)} steps/s)\n` +
      `  run ${runId}\n  policy ${path.resolve(files.policy)}\n  checkpoint ${path.resolve(files.checkpoint)}\n` +
      `  metrics ${path.resolve(files.metrics)}\n`,
  );
}

function parsePreset(presets: readonly string[]) {
  return (value: string): string => {
    if (!presets.includes(value))
      throw new InvalidArgumentError(`expected one of ${presets.join(", ")}, got "${value}"`);
    return value;
  };
}

export function register(program: Command): void {
  const command = program
    .command("train")
    .description("train an offline agent on a dataset's train split (see mtf train <algo> --help)");
  for (const algorithm of Object.values(OFFLINE_ALGORITHMS)) {
    command
      .command(algorithm.name)
      .description(algorithm.description)
      .requiredOption("--data <dir>", "dataset folder (from mtf build)")
      .requiredOption("--out <dir>", "output folder: config, run info, metrics, checkpoint, policy")
      .option("--config <yaml>", `config file (root sections and a \`${algorithm.name}\` section)`)
      .option(
        "--preset <name>",
        `config preset: ${algorithm.presets.join(" | ")}`,
        parsePreset(algorithm.presets),
      )
      .option("--steps <n>", "training steps (Ep); overrides the config", parsePositiveInt)
      .option("--seed <n>", "root seed; overrides the config", parseSeed)
      .option("--resume", "continue the run in --out from its last checkpoint (same config and seed)")
      .action(async (options: TrainOptions) => {
        await train(algorithm, options);
      });
  }
}
