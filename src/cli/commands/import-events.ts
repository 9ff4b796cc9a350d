/**
 * `mtf import-events <file> --run <dir>`: loads a platform's events file (CSV, JSONL, Parquet)
 * into a run's store; given a folder, loads a Parquet export (`mtf export-parquet`) instead.
 */
import fs from "node:fs";
import type { Command } from "commander";
import { MtfError } from "../../core/errors.js";
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
    .description(
      "import an events file (CSV, JSONL or Parquet with the events columns), or a Parquet export folder (see docs/data.md)",
    )
    .argument(
      "<file>",
      "events file (.csv, .jsonl/.ndjson, .parquet), or a folder written by mtf export-parquet (events/day=…/*.parquet, users, videos)",
    )
    .requiredOption("--run <dir>", "run folder; the store is <dir>/store.duckdb")
    .option(
      "--skip-bad-rows",
      "skip invalid rows (counted per reason) instead of failing; files only, a folder is imported whole",
    )
    .option("--config <yaml>", "config file (its timeZone sets the days reported)")
    .option("--seed <n>", "accepted for a uniform CLI; importing draws no random numbers", parseSeed)
    .action(async (file: string, options: ImportCommandOptions) => {
      const timeZone = configTimeZone(options.config);
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) {
        await importExport(file, options, timeZone);
        return;
      }
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

/** Loads a Parquet export folder in one transaction (a refused file stores nothing). */
async function importExport(dir: string, options: ImportCommandOptions, timeZone: string): Promise<void> {
  if (options.skipBadRows === true) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `--skip-bad-rows applies to single files; the Parquet export ${dir} is imported whole (import its events/day=…/*.parquet files one by one to skip rows)`,
    );
  }
  const store = await LogStore.open(runStorePath(options.run));
  try {
    const result = await store.importParquet(dir);
    const lines = [
      `imported Parquet export ${dir}: ${result.inserted + result.duplicates} events read, ${result.inserted} inserted, ` +
        `${result.duplicates} duplicates; ${result.users} users, ${result.videos} videos`,
      await storeLine(store, timeZone),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    store.close();
  }
}
