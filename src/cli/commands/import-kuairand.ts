/** `mtf import-kuairand <log.csv> --run <dir>`: loads a KuaiRand log (and feature files) into a run's store. */
import type { Command } from "commander";
import { type FeatureFileSummary, importKuaiRand } from "../../data/import-kuairand.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import {
  configTimeZone,
  type ImportCommandOptions,
  progressReporter,
  skippedLines,
  storeLine,
} from "../import-report.js";
import { parseSeed } from "../options.js";

interface KuaiRandCommandOptions extends ImportCommandOptions {
  readonly users?: string;
  readonly videos?: string;
}

function featureLines(kind: string, summary: FeatureFileSummary | null): string[] {
  if (summary === null) return [];
  return [
    `${kind} ${summary.file}: ${summary.rowsRead} rows read, ${summary.stored} ${kind} stored, ${summary.skipped.count} skipped`,
    ...skippedLines(summary.skipped),
  ];
}

export function register(program: Command): void {
  program
    .command("import-kuairand")
    .description(
      "import a KuaiRand log (Gao et al., CIKM 2022, https://kuairand.com, CC BY-SA 4.0); see docs/data.md",
    )
    .argument("<log.csv>", "KuaiRand interaction log (log_*.csv)")
    .requiredOption("--run <dir>", "run folder; the store is <dir>/store.duckdb")
    .option("--users <csv>", "KuaiRand user_features CSV")
    .option("--videos <csv>", "KuaiRand video_features_basic CSV")
    .option("--skip-bad-rows", "skip invalid rows (counted per reason) instead of failing")
    .option("--config <yaml>", "config file (its timeZone sets the days reported)")
    .option("--seed <n>", "accepted for a uniform CLI; importing draws no random numbers", parseSeed)
    .action(async (logFile: string, options: KuaiRandCommandOptions) => {
      const timeZone = configTimeZone(options.config);
      const store = await LogStore.open(runStorePath(options.run));
      const progress = progressReporter("import-kuairand");
      try {
        const summary = await importKuaiRand(store, logFile, {
          usersFile: options.users,
          videosFile: options.videos,
          skipBadRows: options.skipBadRows ?? false,
          onProgress: progress.onProgress,
        });
        progress.stop();
        const { log } = summary;
        const lines = [
          ...featureLines("users", summary.users),
          ...featureLines("videos", summary.videos),
          `log ${log.file}: ${log.rowsRead} rows read, ${log.inserted} inserted, ` +
            `${log.duplicates} duplicates, ${log.skipped.count} skipped`,
          ...skippedLines(log.skipped),
          await storeLine(store, timeZone),
          "KuaiRand logs carry no MTL scores or fusion weights: use them for calibration, reward fitting and mechanics.",
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        progress.stop();
        store.close();
      }
    });
}
