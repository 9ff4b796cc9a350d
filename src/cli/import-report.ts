/** What the import commands share: opening the run's store, progress on stderr, the summary lines. */
import cliProgress from "cli-progress";
import { z } from "zod";
import { coreConfigShape, loadConfigFile } from "../core/config.js";
import type { SkippedRows } from "../data/bad-rows.js";
import { describeBadRow } from "../data/bad-rows.js";
import type { ImportProgress } from "../data/import-events.js";
import { DEFAULT_UTC_OFFSET, type LogStore, localDay } from "../data/log-store.js";

/** Options every import command takes. */
export interface ImportCommandOptions {
  readonly run: string;
  readonly skipBadRows?: boolean;
  readonly config?: string;
  /** Accepted for a uniform command surface; importing draws no random numbers. */
  readonly seed?: number;
}

/**
 * The time zone of the config's days. Only core's sections are read; the sections of other
 * modules are left to the commands that own them.
 */
export function configTimeZone(configFile: string | undefined): string {
  if (configFile === undefined) return DEFAULT_UTC_OFFSET;
  return loadConfigFile(configFile, z.looseObject(coreConfigShape)).timeZone;
}

/** A progress bar on stderr when it is a terminal; otherwise nothing. */
export function progressReporter(label: string): {
  readonly onProgress?: (progress: ImportProgress) => void;
  readonly stop: () => void;
} {
  if (process.stderr.isTTY !== true) return { stop: () => {} };
  const bar = new cliProgress.SingleBar(
    { format: `${label} |{bar}| {percentage}% | {rows} rows`, stream: process.stderr, hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  return {
    onProgress: ({ rows, done, total }) => {
      if (!started) {
        bar.start(total, 0, { rows: 0 });
        started = true;
      }
      bar.update(done, { rows });
    },
    stop: () => {
      if (started) bar.stop();
      started = false;
    },
  };
}

export function skippedLines(skipped: SkippedRows): string[] {
  if (skipped.count === 0) return [];
  const reasons = Object.entries(skipped.byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(", ");
  return [`  skipped by reason: ${reasons}`, ...skipped.examples.map((e) => `    e.g. ${describeBadRow(e)}`)];
}

/** "store runs/x/store.duckdb: 2690 events, 68 users, 2287 videos; days 2022-04-22 … 2022-05-08 (UTC+08:00)" */
export async function storeLine(store: LogStore, timeZone: string): Promise<string> {
  const counts = await store.counts();
  const [span] = await store.query<{ first: number | null; last: number | null }>(
    "SELECT min(ts_ms) AS first, max(ts_ms) AS last FROM events",
  );
  const days =
    span.first === null || span.last === null
      ? ""
      : `; days ${localDay(span.first, timeZone)} … ${localDay(span.last, timeZone)} (UTC${timeZone})`;
  return `store ${store.path}: ${counts.events} events, ${counts.users} users, ${counts.videos} videos${days}`;
}
