/**
 * `mtf fit-reward --run <dir>`: regresses each user-day's future app time on that day's
 * behaviour rates and writes the Eq. 2 weights to <dir>/reward-weights.json, which `mtf build`
 * reads (paper Sec. 3.1; DESIGN.md "Long term"; the mapping is in src/data/fit-reward.ts).
 */
import type { Command } from "commander";
import { z } from "zod";
import { coreConfigShape, loadConfigFile, parseConfig, timeZoneOffsetMinutes } from "../../core/config.js";
import { REWARD_FEATURES } from "../../core/reward.js";
import {
  DEFAULT_HORIZON_DAYS,
  fitRewardWeights,
  MIN_USER_DAYS,
  type RewardFit,
  writeRewardWeightsFile,
} from "../../data/fit-reward.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { parsePositiveInt, parseSeed } from "../options.js";

interface FitRewardCommandOptions {
  readonly run: string;
  readonly horizonDays: number;
  readonly config?: string;
  readonly seed?: number;
}

const configSchema = z.looseObject(coreConfigShape);

function num(value: number): string {
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? value.toExponential(3) : value.toFixed(4);
}

/** The coefficient table, the fit's size and R², and the resulting weights. */
export function fitReport(fit: RewardFit): string[] {
  const lines: string[] = [];
  if (fit.coefficients.length > 0) {
    const header = ["term", "estimate", "std.err", "95% interval", ""];
    const rows = fit.coefficients.map((c) => [
      c.term,
      num(c.estimate),
      num(c.stdError),
      `[${num(c.low)}, ${num(c.high)}]`,
      c.significant ? "*" : "",
    ]);
    const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
    const format = (r: readonly string[]) =>
      r
        .map((cell, k) => cell.padEnd(widths[k]))
        .join("  ")
        .trimEnd();
    lines.push(`future app time over the next ${fit.horizonDays} days (minutes) ~ that day's rates, OLS:`);
    lines.push(format(header), ...rows.map(format), "(* = the 95% interval excludes 0)");
  }
  lines.push(
    `n ${fit.n} user-days (${fit.excluded} left out: horizon past the log's end; minimum ${MIN_USER_DAYS})` +
      (fit.r2 === null ? "" : `, R² ${num(fit.r2)}`),
    "Eq. 2 weights (default preset; play_time_min = 1, others in minutes of watching):",
    ...REWARD_FEATURES.map((f) => `  ${f.padEnd(14)} ${num(fit.weights[f]).padStart(10)}  ${fit.sources[f]}`),
    ...fit.warnings.map((w) => `warning: ${w}`),
  );
  return lines;
}

export function register(program: Command): void {
  program
    .command("fit-reward")
    .description("fit the Eq. 2 reward weights from the relation of daily behaviour to future app time")
    .requiredOption(
      "--run <dir>",
      "run folder; the store is <dir>/store.duckdb, the weights go to <dir>/reward-weights.json",
    )
    .option(
      "--horizon-days <n>",
      "days of future app time per user-day",
      parsePositiveInt,
      DEFAULT_HORIZON_DAYS,
    )
    .option("--config <yaml>", "config file (its timeZone sets the days)")
    .option("--seed <n>", "accepted for a uniform CLI; the fit draws no random numbers", parseSeed)
    .action(async (options: FitRewardCommandOptions) => {
      const config =
        options.config === undefined
          ? parseConfig({}, configSchema, "defaults")
          : loadConfigFile(options.config, configSchema);
      const store = await LogStore.open(runStorePath(options.run), { readOnly: true });
      let fit: RewardFit;
      try {
        fit = await fitRewardWeights(store, {
          horizonDays: options.horizonDays,
          utcOffsetMinutes: timeZoneOffsetMinutes(config.timeZone),
        });
      } finally {
        store.close();
      }
      const file = writeRewardWeightsFile(options.run, fit, runStorePath(options.run));
      process.stdout.write(`${[...fitReport(fit), `wrote ${file}`].join("\n")}\n`);
    });
}
