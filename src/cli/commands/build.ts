/**
 * `mtf build --run <dir>`: log store → sessions → states → transitions → a dataset folder
 * (DESIGN.md "MDP"; paper Sec. 2, 3.1, 4.1). See src/data/dataset.ts for what it writes.
 *
 * Eq. 2 base weights, first found: the config's `reward.weights`, the run's
 * reward-weights.json (`mtf fit-reward`), the documented fallback constants (with a warning).
 */
import path from "node:path";
import { type Command, InvalidArgumentError, Option } from "commander";
import { z } from "zod";
import {
  coreConfigShape,
  fusionParams,
  loadConfigFile,
  parseConfig,
  timeZoneOffsetMinutes,
} from "../../core/config.js";
import { EXPLORATION_GROUPS, type ExplorationGroup } from "../../core/events.js";
import { REWARD_PRESETS, type RewardPreset } from "../../core/reward.js";
import { buildDataset, EXPLORATION_TRAFFIC, type RewardChoice } from "../../data/dataset.js";
import { readRewardWeightsFile } from "../../data/fit-reward.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { DEFAULT_INACTIVITY_MINUTES } from "../../data/sessions.js";
import { DEFAULT_TEST_FRACTION } from "../../data/split.js";
import { parseFraction, parsePositiveInt, parseSeed } from "../options.js";
import { type Progress, startProgress } from "../progress.js";

interface BuildCommandOptions {
  readonly run: string;
  readonly reward?: RewardPreset;
  readonly out?: string;
  readonly days?: number;
  readonly explorationOnly?: boolean;
  readonly includeTarget?: boolean;
  readonly group?: ExplorationGroup[];
  readonly testFraction: number;
  readonly inactivityMin: number;
  readonly config?: string;
  readonly seed?: number;
  readonly overwrite?: boolean;
}

const configSchema = z.looseObject(coreConfigShape);

function parsePreset(value: string): RewardPreset {
  if (!(REWARD_PRESETS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${REWARD_PRESETS.join(", ")}, got "${value}"`);
  }
  return value as RewardPreset;
}

function collectGroup(value: string, previous: ExplorationGroup[] = []): ExplorationGroup[] {
  if (!(EXPLORATION_GROUPS as readonly string[]).includes(value)) {
    throw new InvalidArgumentError(`expected one of ${EXPLORATION_GROUPS.join(", ")}, got "${value}"`);
  }
  return [...previous, value as ExplorationGroup];
}

function parseMinutes(value: string): number {
  const n = Number(value);
  if (!(Number.isFinite(n) && n > 0))
    throw new InvalidArgumentError(`expected a positive number of minutes, got "${value}"`);
  return n;
}

function selectedGroups(options: BuildCommandOptions): readonly ExplorationGroup[] {
  const base = options.group ?? EXPLORATION_TRAFFIC;
  return options.includeTarget === true ? [...new Set<ExplorationGroup>([...base, "target"])] : base;
}

/** The Eq. 2 weights: the config's, else the run's fitted file, else the fallback constants. */
function rewardChoice(
  preset: RewardPreset,
  config: z.output<typeof configSchema>,
  configFile: string | undefined,
  run: string,
): { readonly choice: RewardChoice; readonly warning: string | null } {
  if (config.reward.weights !== undefined) {
    return {
      choice: { preset, fitted: config.reward.weights, source: `config ${configFile}` },
      warning: null,
    };
  }
  const fitted = readRewardWeightsFile(run);
  if (fitted !== null) {
    const kind = fitted.file.usedFallback ? "fallback constants (the fit fell back)" : "fitted";
    return {
      choice: { preset, fitted: fitted.file.weights, source: `${kind}: ${fitted.path}` },
      warning: null,
    };
  }
  return {
    choice: { preset, source: "fallback constants (core/reward.ts)" },
    warning: `no ${path.join(run, "reward-weights.json")}: using the fallback reward weights; run mtf fit-reward --run ${run} to fit them`,
  };
}

/** A progress display started at the first update, when the total is known; `stop` is idempotent. */
function lazyProgress(
  label: string,
  unit: string,
): { update: (done: number, total: number) => void; stop: () => void } {
  let progress: Progress | null = null;
  return {
    update: (done, total) => {
      progress ??= startProgress({ label, total, unit });
      progress.update(done);
    },
    stop: () => {
      progress?.stop();
      progress = null;
    },
  };
}

export function register(program: Command): void {
  program
    .command("build")
    .description(
      "build a dataset (states, transitions with Eq. 2 rewards, time split, normaliser) from a run's log",
    )
    .requiredOption("--run <dir>", "run folder; the store is <dir>/store.duckdb")
    .option(
      "--reward <preset>",
      `Eq. 2 preset: ${REWARD_PRESETS.join(" | ")} (default: the config's, else default)`,
      parsePreset,
    )
    .option("--out <dir>", "output folder (default: <run>/dataset-<preset>)")
    .option("--days <n>", "keep sessions that started within the last N days of the log", parsePositiveInt)
    .addOption(
      new Option(
        "--exploration-only",
        "transitions from exploration traffic only (random, action-noise): the default",
      ).conflicts("includeTarget"),
    )
    .addOption(new Option("--include-target", "add target-policy traffic to the transitions"))
    .option(
      "--group <name>",
      "exploration group to keep, repeatable (e.g. --group random for the -RE variant)",
      collectGroup,
    )
    .option(
      "--test-fraction <f>",
      "share of sessions, latest by start, in the test split",
      parseFraction,
      DEFAULT_TEST_FRACTION,
    )
    .option(
      "--inactivity-min <m>",
      "gap that ends a session without a logged session id",
      parseMinutes,
      DEFAULT_INACTIVITY_MINUTES,
    )
    .option("--overwrite", "replace an existing output folder")
    .option("--config <yaml>", "config file (timeZone, reward, fusion.alphaBounds)")
    .option("--seed <n>", "recorded with the dataset; the build draws no random numbers", parseSeed)
    .action(async (options: BuildCommandOptions) => {
      const config =
        options.config === undefined
          ? parseConfig({}, configSchema, "defaults")
          : loadConfigFile(options.config, configSchema);
      const resolved = options.seed === undefined ? config : { ...config, seed: options.seed };
      const preset = options.reward ?? config.reward.preset;
      const groups = selectedGroups(options);
      const { choice, warning } = rewardChoice(preset, config, options.config, options.run);
      const outDir = options.out ?? path.join(options.run, `dataset-${preset}`);
      if (warning !== null) process.stderr.write(`mtf build: warning: ${warning}\n`);
      const store = await LogStore.open(runStorePath(options.run), { readOnly: true });
      const progress = lazyProgress("build", "plays");
      const started = Date.now();
      try {
        const meta = await buildDataset(store, {
          outDir,
          reward: choice,
          groups,
          lastDays: options.days,
          testFraction: options.testFraction,
          inactivityMinutes: options.inactivityMin,
          utcOffsetMinutes: timeZoneOffsetMinutes(config.timeZone),
          alphaBounds: fusionParams(config.fusion).bounds,
          overwrite: options.overwrite ?? false,
          resolvedConfig: resolved,
          seed: resolved.seed,
          onProgress: progress.update,
        });
        progress.stop();
        const seconds = (Date.now() - started) / 1000;
        const c = meta.counts;
        const s = meta.split;
        const lines = [
          `dataset ${path.resolve(outDir)}: ${c.transitions} transitions (${s.trainTransitions} train / ${s.testTransitions} test) ` +
            `from ${c.sessions} sessions (${s.trainSessions} / ${s.testSessions}), ${c.states} states x ${meta.stateDim}`,
          `  episode ends: ${c.terminated} terminated, ${c.truncated} truncated (cut by the end of the log)`,
          `  reward: preset ${meta.reward.preset}, base weights from ${meta.reward.source}`,
          `  filters: groups ${meta.filters.groups.join(", ")}; ${meta.filters.lastDays === null ? "all days" : `last ${meta.filters.lastDays} days`}; ` +
            `sessions cut after ${meta.filters.inactivityMinutes} min without a play`,
          `  state encoder v${meta.stateEncoderVersion}, ${meta.profileDim} profile features` +
            (c.usersWithoutProfile > 0 ? ` (${c.usersWithoutProfile} users without a profile: zeros)` : ""),
          `  config hash ${meta.configHash}; ${c.plays} plays streamed in ${seconds.toFixed(1)} s (${Math.round(c.plays / Math.max(seconds, 1e-3))} plays/s)`,
        ];
        if (c.rewardsWithUnknownFeatures > 0) {
          lines.push(
            `  ${c.rewardsWithUnknownFeatures} rewards had an unknown feature (counted as 0 in Eq. 2)`,
          );
        }
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        progress.stop();
        store.close();
      }
    });
}
