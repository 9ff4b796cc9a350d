/**
 * `mtf export-parquet --run <dir> --out <dir>`: writes a run's log store as day-partitioned
 * Parquet (`events/day=YYYY-MM-DD/*.parquet`, users, videos, manifest; docs/data.md "Parquet
 * layout"), atomically. `mtf import-events <dir>` loads such a folder back.
 */
import path from "node:path";
import type { Command } from "commander";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { configTimeZone } from "../import-report.js";

interface ExportCommandOptions {
  readonly run: string;
  readonly out: string;
  readonly overwrite?: boolean;
  readonly config?: string;
}

export function register(program: Command): void {
  program
    .command("export-parquet")
    .description(
      "export a run's log store as day-partitioned Parquet (events/day=YYYY-MM-DD/*.parquet) for other SQL engines",
    )
    .requiredOption("--run <dir>", "run folder; the store is <dir>/store.duckdb")
    .requiredOption("--out <dir>", "output folder: missing or empty, or an earlier export with --overwrite")
    .option("--overwrite", "replace an earlier export in --out")
    .option("--config <yaml>", "config file: its timeZone decides each event's day (default +08:00)")
    .action(async (options: ExportCommandOptions) => {
      const utcOffset = configTimeZone(options.config);
      const store = await LogStore.open(runStorePath(options.run), { readOnly: true });
      try {
        const result = await store.exportParquet(options.out, {
          utcOffset,
          overwrite: options.overwrite ?? false,
        });
        const days =
          result.days.length === 0
            ? "no day partitions"
            : `${result.days.length} day partitions ${result.days[0]} … ${result.days[result.days.length - 1]} (UTC${utcOffset})`;
        process.stdout.write(
          `exported ${store.path} to ${path.resolve(options.out)}: ${result.events} events in ${days}, ` +
            `${result.users} users, ${result.videos} videos\n`,
        );
      } finally {
        store.close();
      }
    });
}
