/**
 * The feedback log on disk: day folders of append-only segments that only the server writes.
 *
 *   <dir>/writer.lock                          pid of the server writing here
 *   <dir>/<YYYY-MM-DD>/seg-<time>-<pid>-<n>.jsonl.open   the segment being written
 *   <dir>/<YYYY-MM-DD>/seg-<time>-<pid>-<n>.jsonl        closed segments (never written again)
 *
 * The day is the local calendar day (configured time zone) when the segment was opened; names
 * sort in opening order. `build` / `retrain` load closed segments into the log store
 * (`loadFeedbackSegments`); the log store is idempotent on event ids, so loading twice is safe.
 */
import { createReadStream } from "node:fs";
import { open, readdir, readFile, rename, truncate } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import type { AppendResult } from "../data/log-store.js";
import { decodeRecord, type FeedbackRecord } from "./feedback-records.js";

export const OPEN_SUFFIX = ".jsonl.open";
export const CLOSED_SUFFIX = ".jsonl";
const DAY_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

export interface SegmentFile {
  readonly path: string;
  /** YYYY-MM-DD */
  readonly day: string;
  readonly open: boolean;
}

/** Local calendar day of `ms` at a UTC offset in minutes. */
export function localDay(ms: number, utcOffsetMinutes: number): string {
  return new Date(ms + utcOffsetMinutes * 60_000).toISOString().slice(0, 10);
}

/** Segments under `dir`, by day then opening order. */
export async function listSegments(dir: string): Promise<SegmentFile[]> {
  let days: string[];
  try {
    days = (await readdir(dir)).filter((name) => DAY_PATTERN.test(name)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const segments: SegmentFile[] = [];
  for (const day of days) {
    const names = (await readdir(path.join(dir, day))).sort();
    for (const name of names) {
      const isOpen = name.endsWith(OPEN_SUFFIX);
      if (!isOpen && !name.endsWith(CLOSED_SUFFIX)) continue;
      segments.push({ path: path.join(dir, day, name), day, open: isOpen });
    }
  }
  return segments;
}

async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Renames an open segment to its closed name and makes the rename durable. */
export async function closeSegmentFile(openPath: string): Promise<string> {
  const closed = openPath.slice(0, -OPEN_SUFFIX.length) + CLOSED_SUFFIX;
  await rename(openPath, closed);
  await fsyncPath(path.dirname(closed)).catch(() => {});
  return closed;
}

/** Byte length of the longest prefix of whole, valid lines. */
function validPrefixBytes(bytes: Buffer): number {
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    if (end === -1) return start;
    if (decodeRecord(bytes.toString("utf8", start, end)) === null) return start;
    start = end + 1;
  }
}

export interface Recovery {
  readonly segments: number;
  /** Bytes cut from torn tails: writes a crash interrupted, never acknowledged. */
  readonly truncatedBytes: number;
}

/**
 * Closes the open segments a crashed writer left behind. Acknowledged records were fsync'd as a
 * whole prefix of the file, so everything from the first torn or damaged line on was never
 * acknowledged: it is cut off, then the segment is closed.
 */
export async function recoverOpenSegments(dir: string): Promise<Recovery> {
  let segments = 0;
  let truncatedBytes = 0;
  for (const segment of await listSegments(dir)) {
    if (!segment.open) continue;
    const bytes = await readFile(segment.path);
    const keep = validPrefixBytes(bytes);
    if (keep < bytes.length) {
      await truncate(segment.path, keep);
      await fsyncPath(segment.path);
      truncatedBytes += bytes.length - keep;
    }
    await closeSegmentFile(segment.path);
    segments += 1;
  }
  return { segments, truncatedBytes };
}

/** The records of a closed segment, in order; a damaged line is FEEDBACK_LOG_CORRUPT. */
export async function* readSegment(file: string): AsyncGenerator<FeedbackRecord> {
  const lines = createInterface({
    input: createReadStream(file, { encoding: "utf8" }),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let number = 0;
  for await (const line of lines) {
    number += 1;
    const record = decodeRecord(line);
    if (record === null) {
      throw new MtfError(
        "FEEDBACK_LOG_CORRUPT",
        `${file}, line ${number}: damaged record (checksum or JSON)`,
        {
          details: { file, line: number },
        },
      );
    }
    yield record;
  }
}

export interface SegmentSelection {
  /** First day to include (YYYY-MM-DD), inclusive. */
  readonly fromDay?: string;
  /** Last day to include, inclusive. */
  readonly toDay?: string;
}

function selected(segment: SegmentFile, selection: SegmentSelection): boolean {
  if (selection.fromDay !== undefined && segment.day < selection.fromDay) return false;
  return selection.toDay === undefined || segment.day <= selection.toDay;
}

/** Ids of the events in the closed segments of the selected days. */
export async function storedEventIds(dir: string, selection: SegmentSelection = {}): Promise<string[]> {
  const ids: string[] = [];
  for (const segment of await listSegments(dir)) {
    if (segment.open || !selected(segment, selection)) continue;
    for await (const record of readSegment(segment.path)) {
      if (record.type === "event") ids.push(record.event.eventId);
    }
  }
  return ids;
}

/** Where loaded events go: the log store (`LogStore.appendEvents`) or anything shaped like it. */
export interface EventSink {
  appendEvents(events: readonly PlayEvent[]): Promise<AppendResult>;
}

export interface LoadResult {
  readonly segments: number;
  readonly events: number;
  readonly inserted: number;
  readonly duplicates: number;
}

/**
 * Loads the events of the closed segments of the selected days into `sink`, `batchSize` at a
 * time (default 10,000). Open segments are skipped: the server is still writing them.
 */
export async function loadFeedbackSegments(
  dir: string,
  sink: EventSink,
  selection: SegmentSelection & { readonly batchSize?: number } = {},
): Promise<LoadResult> {
  const batchSize = selection.batchSize ?? 10_000;
  let segments = 0;
  let events = 0;
  let inserted = 0;
  let duplicates = 0;
  let batch: PlayEvent[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const result = await sink.appendEvents(batch);
    inserted += result.inserted;
    duplicates += result.duplicates;
    batch = [];
  };
  for (const segment of await listSegments(dir)) {
    if (segment.open || !selected(segment, selection)) continue;
    segments += 1;
    for await (const record of readSegment(segment.path)) {
      if (record.type !== "event") continue;
      batch.push(record.event);
      events += 1;
      if (batch.length >= batchSize) await flush();
    }
  }
  await flush();
  return { segments, events, inserted, duplicates };
}
