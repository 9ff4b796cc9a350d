/**
 * `mtf retrain --days 3 [--run <dir> | --feedback <dir>]`: the daily retrain of src/pipeline/
 * retrain.ts — feedback of the last N days → dataset → BCQ → Conservative-OPE of the new and the
 * current model → publish to the registry only if the gate passes. Prints the figures and the
 * decision; writes them to <out>/decision.json.
 */
import path from "node:path";
import { type Command, InvalidArgumentError } from "commander";
import { z } from "zod";
import { BCQ_PRESETS } from "../../agents/bcq/config.js";
import { loadConfigFile } from "../../core/config.js";
import { formatDecision, type RetrainReporter, retrain } from "../../pipeline/retrain.js";
import { GATE_RULES, type GateRule, retrainConfig } from "../../pipeline/retrain-config.js";
import { parseFraction, parsePositiveInt, parseSeed } from "../options.js";
import { startProgress } from "../progress.js";

interface RetrainCommandOptions {
  readonly days?: number;
  readonly run?: string;
  readonly feedback?: string;
  readonly registry?: string;
  readonly out?: string;
  readonly until?: string;
  readonly config?: string;
  readonly seed?: number;
  readonly preset?: string;
  readonly steps?: number;
  readonly iterations?: number;
  readonly gate?: GateRule;
  readonly margin?: number;
  readonly warmStart?: boolean;
  readonly includeTarget?: boolean;
  readonly canary?: number;
}

function choice<T extends string>(values: readonly T[]) {
  return (value: string): T => {
    if (!(values as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${values.join(", ")}, got "${value}"`);
    return value as T;
  };
}

function parseMargin(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n >= 0))
    throw new InvalidArgumentError(`expected a margin >= 0, got "${value}"`);
  return n;
}

function parseDay(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value))
    throw new InvalidArgumentError(`expected a day YYYY-MM-DD, got "${value}"`);
  return value;
}

function section(raw: Record<string, unknown>, name: string): Record<string, unknown> {
  return { ...((raw[name] as Record<string, unknown> | undefined) ?? {}) };
}

/** The config file (raw) with the command-line overrides written into its sections. */
export function resolveRetrainConfig(options: RetrainCommandOptions) {
  const raw: Record<string, unknown> =
    options.config === undefined ? {} : { ...loadConfigFile(options.config, z.looseObject({})) };
  const retrainSection = section(raw, "retrain");
  const gate = section(retrainSection, "gate");
  if (options.gate !== undefined) gate.rule = options.gate;
  if (options.margin !== undefined) gate.margin = options.margin;
  if (options.days !== undefined) retrainSection.days = options.days;
  if (options.warmStart === true) retrainSection.warmStart = true;
  if (options.includeTarget === true) retrainSection.includeTarget = true;
  if (options.canary !== undefined) retrainSection.canaryShare = options.canary;
  const bcq = section(raw, "bcq");
  if (options.preset !== undefined) bcq.preset = options.preset;
  if (options.steps !== undefined) bcq.steps = options.steps;
  const ope = section(raw, "ope");
  if (options.iterations !== undefined) ope.iterations = options.iterations;
  const serve = section(raw, "serve");
  if (options.run !== undefined) {
    serve.registryDir = path.join(options.run, "registry");
    serve.feedbackDir = path.join(options.run, "feedback");
  }
  if (options.registry !== undefined) serve.registryDir = options.registry;
  if (options.feedback !== undefined) serve.feedbackDir = options.feedback;
  return retrainConfig(
    {
      ...raw,
      ...(options.seed === undefined ? {} : { seed: options.seed }),
      retrain: { ...retrainSection, gate },
      bcq,
      ope,
      serve,
    },
    options.config ?? "command-line defaults",
  );
}

function stamp(now: Date): string {
  return now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

const cliReporter: RetrainReporter = {
  stage: (index, total, name, detail) =>
    process.stderr.write(`mtf retrain [${index}/${total}] ${name}: ${detail}\n`),
  progress: (label, total, unit) => startProgress({ label, total: Math.max(total, 1), unit }),
};

export function register(program: Command): void {
  program
    .command("retrain")
    .description(
      "daily retrain: the last N days of served feedback → dataset → BCQ → Conservative-OPE of the new and the current model → publish if the gate passes",
    )
    .option(
      "--days <n>",
      "days of feedback to train on, the last closed day included (default 3)",
      parsePositiveInt,
    )
    .option(
      "--run <dir>",
      "run folder of mtf serve --run: feedback in <dir>/feedback, registry in <dir>/registry, reward weights from <dir>/reward-weights.json",
    )
    .option("--feedback <dir>", "feedback log folder (overrides --run)")
    .option("--registry <dir>", "model registry folder (overrides --run)")
    .option("--out <dir>", "output folder (default: <feedback>/../retrain/<UTC time>)")
    .option(
      "--until <day>",
      "last day of the window, YYYY-MM-DD (default: the latest day with a closed segment)",
      parseDay,
    )
    .option("--preset <name>", `BCQ preset: ${BCQ_PRESETS.join(" | ")} (default quick)`, choice(BCQ_PRESETS))
    .option("--steps <n>", "BCQ training steps (overrides the preset)", parsePositiveInt)
    .option(
      "--iterations <K>",
      "Conservative-OPE iterations K per policy (default the config's, 5000)",
      parsePositiveInt,
    )
    .option(
      "--gate <rule>",
      "value: V̂_new ≥ V̂_current − margin; lower-bound: the new interval's low ≥ V̂_current − margin; none: always publish (default value)",
      choice(GATE_RULES),
    )
    .option("--margin <m>", "slack of the gate in V̂ units (default 0)", parseMargin)
    .option("--warm-start", "start BCQ from the current version's networks")
    .option("--include-target", "train on target-policy traffic too, not only exploration traffic")
    .option(
      "--canary <share>",
      "publish as a canary for this share of users instead of making it current",
      parseFraction,
    )
    .option("--config <yaml>", "config file (root sections, serve, bcq, ope, retrain)")
    .option("--seed <n>", "root seed (default the config's)", parseSeed)
    .action(async (options: RetrainCommandOptions) => {
      const config = resolveRetrainConfig(options);
      const feedbackDir = config.serve.feedbackDir;
      const out =
        options.out ?? path.join(path.dirname(path.resolve(feedbackDir)), "retrain", stamp(new Date()));
      const abort = new AbortController();
      const onSignal = () => {
        process.stderr.write("\nmtf retrain: stopping after this training step\n");
        abort.abort();
      };
      process.once("SIGINT", onSignal);
      try {
        const decision = await retrain({
          config,
          feedbackDir,
          registryDir: config.serve.registryDir,
          outDir: out,
          until: options.until,
          rewardRun: options.run,
          reporter: cliReporter,
          signal: abort.signal,
        });
        process.stdout.write(`${formatDecision(decision)}\n`);
      } finally {
        process.off("SIGINT", onSignal);
      }
    });
}
