/**
 * `mtf tune bo|es --budget-user-days <n> --out <dir> [--users-per-candidate <k>] [--config <yaml>] [--seed <n>] [--resume]`
 *
 * Online tuning of the two non-RL baselines of Table 1 (paper Sec. 4.4.1) in the simulator: BO
 * (batch GP-UCB over one global α) and ES (a state → α network by natural evolution strategies).
 * Their budget in user-days should equal the logged user-days the offline methods train on
 * (DESIGN.md "Baselines"). A progress bar shows user-days spent and the best objective; one
 * metrics record per round (BO) or generation (ES) goes to metrics.jsonl; a checkpoint every
 * `checkpointEvery` rounds; Ctrl-C stops after the current round with a checkpoint, and
 * `--resume` continues exactly (the budget may be raised on resume).
 *
 * Output folder:
 *   config.yaml      the resolved config (headed by its hash)
 *   run.json         run id (sim__algo__seed__time), seed, config hash, backend, versions, budget,
 *                    status, resume events
 *   metrics.jsonl    one record per round: objective/*, gp/* or es/*, budget/*, time/round_s
 *   checkpoint.ckpt  the run state (BO: observations, GP fit, RNG; ES: θ, Adam, moments, RNG)
 *   policy.ckpt      the tuned policy (`bo-policy`: a fixed α; `es-policy`: network + normaliser)
 *
 * The world comes from a factory (`TuneWorldFactory`); the default builds the simulator from the
 * config's `sim` and `fusion` sections and the root seed. Tests inject their own.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { saveBoPolicy } from "../../agents/bo/artefact.js";
import { boConfigSection } from "../../agents/bo/config.js";
import { BoTuner, type BoTunerArgs } from "../../agents/bo/tuner.js";
import { type OnlineTuner, runOnlineLoop } from "../../agents/common/online-loop.js";
import { runId as makeRunId } from "../../agents/common/training-loop.js";
import { saveEsPolicy } from "../../agents/es/artefact.js";
import { esConfigSection } from "../../agents/es/config.js";
import { EsTuner, type EsTunerArgs } from "../../agents/es/tuner.js";
import type { AlphaBounds } from "../../core/action.js";
import {
  configHash,
  coreConfigShape,
  fusionParams,
  parseConfig,
  readConfigMapping,
  resolvedConfigYaml,
} from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import type { Environment } from "../../core/interfaces.js";
import { consoleSink, formatMetric, jsonlSink, MetricsLogger } from "../../core/metrics-logger.js";
import { runMetadata } from "../../nn/run-metadata.js";
import { resolveSimConfig, simConfigSection } from "../../sim/config.js";
import { SIM_STATE_DIM } from "../../sim/engine.js";
import { SimEnvironment } from "../../sim/environment.js";
import { createWorld } from "../../sim/world.js";
import { parsePositiveInt, parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

/** The root config `mtf tune` reads: core sections, `bo`, `es` and `sim` (other sections pass through). */
const tuneFileSchema = z.looseObject({
  ...coreConfigShape,
  bo: boConfigSection,
  es: esConfigSection,
  sim: simConfigSection,
});
export type TuneFileConfig = z.output<typeof tuneFileSchema>;

/** Validates a root config for `mtf tune` (defaults filled in; errors name the field). */
export function parseTuneConfig(input: unknown, source = "tune config"): TuneFileConfig {
  return parseConfig(input, tuneFileSchema, source);
}

/** What the tuners run in. */
export interface TuneWorld {
  readonly environment: Environment;
  /** Dimension of the states its policies receive. */
  readonly stateDim: number;
  /** First part of run ids, e.g. "sim". */
  readonly name: string;
  /** Hash identifying the world (config and seed), recorded in run.json. */
  readonly worldHash: string | null;
}

export type TuneWorldFactory = (config: TuneFileConfig) => TuneWorld;

/** The simulator (`SimEnvironment`) built from the config's `sim` and `fusion` sections and the root seed. */
export function simulatorWorld(config: TuneFileConfig): TuneWorld {
  const world = createWorld(resolveSimConfig(config.sim), config.seed, { timeZone: config.timeZone });
  const environment = new SimEnvironment(world, fusionParams(config.fusion));
  return { environment, stateDim: SIM_STATE_DIM, name: "sim", worldHash: world.configHash };
}

interface TuneOptions {
  readonly budgetUserDays: number;
  readonly out: string;
  readonly usersPerCandidate?: number;
  readonly config?: string;
  readonly seed?: number;
  readonly resume?: boolean;
}

interface TuneContext {
  readonly fileConfig: TuneFileConfig;
  readonly world: TuneWorld;
  readonly bounds: AlphaBounds;
  readonly budgetUserDays: number;
  readonly seed: number;
}

interface ExportProvenance {
  readonly runId: string;
  readonly configHash: string;
}

/** One online algorithm as the command sees it. */
interface TuneAlgorithm {
  readonly name: "bo" | "es";
  readonly description: string;
  /** Metrics shown next to the progress bar and in console lines. */
  readonly progressKeys: readonly string[];
  create(context: TuneContext): OnlineTuner;
  resume(checkpointPath: string, context: TuneContext): Promise<OnlineTuner>;
  exportPolicy(tuner: OnlineTuner, artefactPath: string, provenance: ExportProvenance): Promise<void>;
}

function boArgs({ fileConfig, world, bounds, budgetUserDays, seed }: TuneContext): BoTunerArgs {
  return {
    config: fileConfig.bo,
    environment: world.environment,
    stateDim: world.stateDim,
    budgetUserDays,
    seed,
    bounds,
  };
}

function esArgs({ fileConfig, world, bounds, budgetUserDays, seed }: TuneContext): EsTunerArgs {
  return {
    config: fileConfig.es,
    environment: world.environment,
    stateDim: world.stateDim,
    budgetUserDays,
    seed,
    bounds,
  };
}

const ALGORITHMS: Readonly<Record<"bo" | "es", TuneAlgorithm>> = {
  bo: {
    name: "bo",
    description: "Bayesian optimisation of one global α: GP (Matérn 5/2) + batch GP-UCB (Sec. 4.4.1)",
    progressKeys: ["objective/best_observed", "objective/recommended_mean"],
    create: (context) => new BoTuner(boArgs(context)),
    resume: (checkpointPath, context) => BoTuner.resume(checkpointPath, boArgs(context)),
    async exportPolicy(tuner, artefactPath, provenance) {
      await saveBoPolicy(artefactPath, (tuner as BoTuner).policyContent(), provenance);
    },
  },
  es: {
    name: "es",
    description: "evolution strategies: a state → α network by natural gradient (Sec. 4.4.1)",
    progressKeys: ["objective/best_observed", "fitness/mean"],
    create: (context) => new EsTuner(esArgs(context)),
    resume: (checkpointPath, context) => EsTuner.resume(checkpointPath, esArgs(context)),
    async exportPolicy(tuner, artefactPath, provenance) {
      const es = tuner as EsTuner;
      await saveEsPolicy(artefactPath, es.policy(`es@${provenance.runId}`), {
        objective: es.config.objective,
        generations: es.round,
        userDaysUsed: es.userDaysUsed,
        ...provenance,
      });
    },
  },
};

/** File names inside --out. */
export const TUNE_OUTPUTS = {
  config: "config.yaml",
  run: "run.json",
  metrics: "metrics.jsonl",
  checkpoint: "checkpoint.ckpt",
  policy: "policy.ckpt",
} as const;

/** The file config with the command-line overrides applied, validated; the resolved config and its hash. */
function resolveConfig(algorithm: TuneAlgorithm, options: TuneOptions) {
  const raw = options.config === undefined ? {} : readConfigMapping(options.config);
  const section = { ...((raw[algorithm.name] as Record<string, unknown> | undefined) ?? {}) };
  if (options.usersPerCandidate !== undefined) section.usersPerCandidate = options.usersPerCandidate;
  const withOverrides = {
    ...raw,
    [algorithm.name]: section,
    ...(options.seed === undefined ? {} : { seed: options.seed }),
  };
  const fileConfig = parseTuneConfig(withOverrides, options.config ?? "command-line defaults");
  // The resolved config as written: the other algorithm's section is irrelevant to this run.
  const other = algorithm.name === "bo" ? "es" : "bo";
  const resolved = Object.fromEntries(Object.entries(fileConfig).filter(([key]) => key !== other));
  return { fileConfig, resolved, hash: configHash(resolved) };
}

interface RunRecord {
  readonly runId: string;
  readonly configHash: string;
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

async function tune(
  algorithm: TuneAlgorithm,
  options: TuneOptions,
  createWorld: TuneWorldFactory,
): Promise<void> {
  const out = options.out;
  const files = Object.fromEntries(
    Object.entries(TUNE_OUTPUTS).map(([key, name]) => [key, path.join(out, name)]),
  ) as Record<keyof typeof TUNE_OUTPUTS, string>;
  const resume = options.resume === true;
  if (resume && !existsSync(files.checkpoint)) {
    throw new MtfError(
      "FILE_NOT_FOUND",
      `--resume: no checkpoint at ${files.checkpoint}; tune without --resume first`,
    );
  }
  if (!resume && existsSync(files.checkpoint)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${out} already holds a tuning run (${TUNE_OUTPUTS.checkpoint}); pass --resume to continue it or choose another --out`,
    );
  }
  const { fileConfig, resolved, hash } = resolveConfig(algorithm, options);
  const previous = resume ? readRunRecord(files.run) : null;
  if (resume && previous !== null && previous.configHash !== hash) {
    throw new MtfError(
      "INVALID_CONFIG",
      `--resume: the config resolves to hash ${hash} but the run in ${out} used ${previous.configHash}; resume with the same --config, --users-per-candidate and --seed`,
    );
  }
  const seed = fileConfig.seed;
  const world = createWorld(fileConfig);
  const context: TuneContext = {
    fileConfig,
    world,
    bounds: fusionParams(fileConfig.fusion).bounds,
    budgetUserDays: options.budgetUserDays,
    seed,
  };
  const tuner = resume ? await algorithm.resume(files.checkpoint, context) : algorithm.create(context);
  mkdirSync(out, { recursive: true });
  const runId = previous?.runId ?? makeRunId(world.name, algorithm.name, seed);
  const startRound = tuner.round;

  writeFileSync(files.config, resolvedConfigYaml(resolved));
  const started = new Date();
  const events = [
    ...(previous?.events ?? []),
    { event: resume ? "resumed" : "started", round: startRound, at: started.toISOString() },
  ];
  const record = (status: "running" | "completed" | "stopped" | "failed", seconds: number) => ({
    runId,
    algorithm: algorithm.name,
    environment: world.environment.name,
    worldHash: world.worldHash,
    out: path.resolve(out),
    budgetUserDays: tuner.budgetUserDays,
    userDaysUsed: tuner.userDaysUsed,
    rounds: tuner.round,
    totalRounds: tuner.totalRounds,
    ...runMetadata(seed, hash, started),
    status,
    seconds: (previous?.seconds ?? 0) + seconds,
    events,
  });
  writeJson(files.run, record("running", 0));

  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(
    `mtf tune ${algorithm.name}: run ${runId}${resume ? ` resumed at round ${startRound}` : ""}; budget ${tuner.budgetUserDays} user-days ` +
      `in ${tuner.totalRounds} rounds, seed ${seed}, config ${hash}, world ${world.worldHash ?? world.name}`,
  );
  const interactive = process.stderr.isTTY === true;
  const logger = new MetricsLogger([
    jsonlSink(files.metrics, resume ? { resumeStep: startRound } : {}),
    ...(interactive
      ? []
      : [
          consoleSink((line) => log(`  ${line}`), {
            keys: [...algorithm.progressKeys, "budget/user_days_used"],
          }),
        ]),
  ]);
  const progress = startProgress({
    label: `tune ${algorithm.name}`,
    total: tuner.budgetUserDays,
    unit: "user-days",
    intervalMs: 30_000,
  });
  progress.update(tuner.userDaysUsed);
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = () => {
    interrupts += 1;
    if (interrupts > 1) process.exit(130);
    log("\nmtf tune: stopping after this round and writing a checkpoint (Ctrl-C again to quit at once)");
    abort.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  const t0 = performance.now();
  let result: Awaited<ReturnType<typeof runOnlineLoop>>;
  try {
    result = await runOnlineLoop(tuner, {
      logger,
      checkpointPath: files.checkpoint,
      checkpointEvery: fileConfig[algorithm.name].checkpointEvery,
      signal: abort.signal,
      onRound: (t, metrics) => {
        const figures: Record<string, string> = { round: `${t.round}/${t.totalRounds}` };
        for (const key of algorithm.progressKeys)
          if (metrics[key] !== undefined) figures[key] = formatMetric(metrics[key]);
        progress.update(t.userDaysUsed, figures);
      },
    });
  } catch (error) {
    progress.stop();
    logger.close();
    writeJson(files.run, record("failed", (performance.now() - t0) / 1000));
    throw error;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  progress.stop();
  logger.close();
  const seconds = (performance.now() - t0) / 1000;
  if (result.stopped) {
    writeJson(files.run, record("stopped", seconds));
    log(`mtf tune: stopped at round ${result.rounds}; continue with the same command and --resume`);
    return;
  }
  await algorithm.exportPolicy(tuner, files.policy, { runId, configHash: hash });
  writeJson(files.run, record("completed", seconds));
  process.stdout.write(
    `tuned ${algorithm.name} in ${result.rounds} rounds, ${tuner.userDaysUsed} of ${tuner.budgetUserDays} user-days (${seconds.toFixed(1)} s)\n` +
      `  run ${runId}\n  policy ${path.resolve(files.policy)}\n  checkpoint ${path.resolve(files.checkpoint)}\n` +
      `  metrics ${path.resolve(files.metrics)}\n`,
  );
}

export interface TuneCommandOptions {
  /** Where the tuners run; default the simulator (`simulatorWorld`). */
  readonly createWorld?: TuneWorldFactory;
}

export function register(program: Command, options: TuneCommandOptions = {}): void {
  const createWorld = options.createWorld ?? simulatorWorld;
  const command = program
    .command("tune")
    .description(
      "tune an online baseline (BO, ES) in the simulator within a user-day budget (see mtf tune <algo> --help)",
    );
  for (const algorithm of Object.values(ALGORITHMS)) {
    command
      .command(algorithm.name)
      .description(algorithm.description)
      .requiredOption(
        "--budget-user-days <n>",
        "online budget in user-days (one user served for one simulated day); match the offline methods' logged user-days",
        parsePositiveInt,
      )
      .requiredOption("--out <dir>", "output folder: config, run info, metrics, checkpoint, policy")
      .option(
        "--users-per-candidate <k>",
        "users in each candidate's group; overrides the config",
        parsePositiveInt,
      )
      .option("--config <yaml>", `config file (root sections, \`sim\` and a \`${algorithm.name}\` section)`)
      .option("--seed <n>", "root seed (world and tuner); overrides the config", parseSeed)
      .option(
        "--resume",
        "continue the run in --out from its last checkpoint (same config and seed; the budget may grow)",
      )
      .action(async (commandOptions: TuneOptions) => {
        await tune(algorithm, commandOptions, createWorld);
      });
  }
}
