/** `mtf import-events <file> --run <dir>`: loads a platform's events file (CSV, JSONL, Parquet) into a run's store. */
import type { Command } from "commander";
import { importEvents } from "../../data/import-events.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import {
  configTimeZone,
  type ImportCommandOptions,
  progressReporter,
  skippedLines,
  storeLine,
} from "../import-report.js";
import { parseSeed } from "../options.js";

export function register(program: Command): void {
  program
    .command("import-events")
    .description("import an events file (CSV, JSONL or Parquet with the events columns; see docs/data.md)")
    .argument("<file>", "events file: .csv, .jsonl/.ndjson or .parquet")
    .requiredOption("--run <dir>", "run folder; the store is <dir>/store.duckdb")
    .option("--skip-bad-rows", "skip invalid rows (counted per reason) instead of failing")
    .option("--config <yaml>", "config file (its timeZone sets the days reported)")
    .option("--seed <n>", "accepted for a uniform CLI; importing draws no random numbers", parseSeed)
    .action(async (file: string, options: ImportCommandOptions) => {
      const timeZone = configTimeZone(options.config);
      const store = await LogStore.open(runStorePath(options.run));
      const progress = progressReporter("import-events");
      try {
        const summary = await importEvents(store, file, {
          skipBadRows: options.skipBadRows ?? false,
          onProgress: progress.onProgress,
        });
        progress.stop();
        const lines = [
          `imported ${file}: ${summary.rowsRead} rows read, ${summary.inserted} inserted, ` +
            `${summary.duplicates} duplicates, ${summary.skipped.count} skipped`,
          ...skippedLines(summary.skipped),
          await storeLine(store, timeZone),
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } finally {
        progress.stop();
        store.close();
      }
    });
}
