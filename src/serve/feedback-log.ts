/**
 * The feedback log writer: append-only, day-rotated segments (layout in feedback-segments.ts)
 * with group commit. `append` resolves only once its records are written AND fsync'd, so an
 * acknowledged event survives kill -9 and power loss. Records that arrive while a batch is being
 * fsync'd form the next batch: one fsync covers many requests under load.
 *
 * Decision records are not awaited (`appendLater`): they are written with the next batch, or
 * within `LAZY_FLUSH_MS` when no event comes.
 *
 * One writer per folder (a lock file with the writer's pid; a lock left by a dead process is
 * taken over). At open, segments a crash left open are recovered (torn tails cut) and closed.
 */

import { type FileHandle, mkdir, open, readFile, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import path from "node:path";
import { MtfError } from "../core/errors.js";
import { encodeRecord, type FeedbackRecord } from "./feedback-records.js";
import {
  closeSegmentFile,
  localDay,
  OPEN_SUFFIX,
  type Recovery,
  recoverOpenSegments,
} from "./feedback-segments.js";

const LAZY_FLUSH_MS = 100;
const LOCK_FILE = "writer.lock";

export interface FeedbackLogOptions {
  readonly dir: string;
  /** Time zone of the day folders, minutes east of UTC. */
  readonly utcOffsetMinutes: number;
  /** A segment is closed once it grows past this size. */
  readonly maxSegmentBytes: number;
  /** Called after each durable batch with its record count and the seconds write + fsync took. */
  readonly onCommit?: (records: number, seconds: number) => void;
  readonly now?: () => number;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface OpenSegment {
  readonly handle: FileHandle;
  readonly path: string;
  readonly day: string;
  bytes: number;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } catch {
    // not every platform can fsync a directory
  } finally {
    await handle.close();
  }
}

async function takeLock(dir: string): Promise<string> {
  const file = path.join(dir, LOCK_FILE);
  const mine = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const handle = await open(file, "wx");
      await handle.writeFile(mine);
      await handle.close();
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder: { pid?: unknown; host?: unknown } = {};
    try {
      holder = JSON.parse(await readFile(file, "utf8")) as typeof holder;
    } catch {
      // an unreadable lock is a stale one
    }
    const pid = typeof holder.pid === "number" ? holder.pid : -1;
    if (holder.host === hostname() && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new MtfError(
        "FEEDBACK_LOG_UNAVAILABLE",
        `the feedback log ${dir} is written by process ${pid}; one writer per folder`,
        {
          details: { dir, pid },
        },
      );
    }
    if (holder.host !== undefined && holder.host !== hostname()) {
      throw new MtfError(
        "FEEDBACK_LOG_UNAVAILABLE",
        `the feedback log ${dir} is locked by host ${String(holder.host)}; give each server its own folder (or remove ${file} if that host is gone)`,
        { details: { dir, host: holder.host } },
      );
    }
    await unlink(file).catch(() => {});
  }
  throw new MtfError("FEEDBACK_LOG_UNAVAILABLE", `cannot lock the feedback log ${dir}`);
}

export class FeedbackLog {
  readonly dir: string;
  readonly recovery: Recovery;
  private readonly options: FeedbackLogOptions;
  private readonly now: () => number;
  private readonly lockFile: string;
  private segment: OpenSegment | null = null;
  private sequence = 0;
  private lines: string[] = [];
  private waiters: Waiter[] = [];
  private flushing: Promise<void> | null = null;
  private lazyTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** The last write failure, cleared by the next durable batch. */
  private failure: MtfError | null = null;

  private constructor(options: FeedbackLogOptions, lockFile: string, recovery: Recovery) {
    this.options = options;
    this.dir = options.dir;
    this.now = options.now ?? Date.now;
    this.lockFile = lockFile;
    this.recovery = recovery;
  }

  /** Locks the folder, recovers segments a crash left open, and returns the writer. */
  static async open(options: FeedbackLogOptions): Promise<FeedbackLog> {
    await mkdir(options.dir, { recursive: true });
    const lockFile = await takeLock(options.dir);
    const recovery = await recoverOpenSegments(options.dir);
    return new FeedbackLog(options, lockFile, recovery);
  }

  /** Null while writes succeed; else the error of the last failed batch. */
  get lastError(): MtfError | null {
    return this.failure;
  }

  /** Resolves once every record is durable (written and fsync'd). */
  append(records: readonly FeedbackRecord[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new MtfError("FEEDBACK_LOG_UNAVAILABLE", "the feedback log is closed"));
    return new Promise<void>((resolve, reject) => {
      for (const record of records) this.lines.push(encodeRecord(record));
      this.waiters.push({ resolve, reject });
      this.kick();
    });
  }

  /** Queues a record for the next batch without waiting for it. */
  appendLater(record: FeedbackRecord): void {
    if (this.closed) return;
    this.lines.push(encodeRecord(record));
    if (this.lazyTimer === null && this.flushing === null) {
      this.lazyTimer = setTimeout(() => {
        this.lazyTimer = null;
        this.kick();
      }, LAZY_FLUSH_MS);
      this.lazyTimer.unref();
    }
  }

  /**
   * Closes the open segment once the local day it belongs to is over, so the day is ready to load
   * (`mtf retrain`) without waiting for the next write. Returns whether it closed one.
   */
  async closeIfDayChanged(): Promise<boolean> {
    while (this.flushing !== null) await this.flushing;
    const segment = this.segment;
    if (this.closed || segment === null) return false;
    if (segment.day === localDay(this.now(), this.options.utcOffsetMinutes)) return false;
    await this.closeSegment();
    return true;
  }

  /** Writes what is queued, closes the open segment and releases the folder. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.lazyTimer !== null) clearTimeout(this.lazyTimer);
    this.kick();
    while (this.flushing !== null) await this.flushing;
    await this.closeSegment();
    await unlink(this.lockFile).catch(() => {});
  }

  private kick(): void {
    if (this.flushing === null && this.lines.length > 0) {
      this.flushing = this.flushLoop().finally(() => {
        this.flushing = null;
        // Records queued while the last batch failed still need a batch of their own.
        if (this.lines.length > 0) this.kick();
      });
    }
  }

  private async flushLoop(): Promise<void> {
    while (this.lines.length > 0) {
      const lines = this.lines;
      const waiters = this.waiters;
      this.lines = [];
      this.waiters = [];
      const started = performance.now();
      try {
        await this.writeBatch(lines);
        this.failure = null;
        this.options.onCommit?.(lines.length, (performance.now() - started) / 1000);
        for (const waiter of waiters) waiter.resolve();
      } catch (error) {
        this.failure = new MtfError(
          "FEEDBACK_LOG_UNAVAILABLE",
          `writing the feedback log failed: ${String(error)}`,
          {
            cause: error,
          },
        );
        for (const waiter of waiters) waiter.reject(this.failure);
        return;
      }
    }
  }

  private async writeBatch(lines: readonly string[]): Promise<void> {
    const bytes = Buffer.from(lines.join(""), "utf8");
    const segment = await this.segmentFor(bytes.length);
    try {
      await segment.handle.write(bytes, 0, bytes.length);
      await segment.handle.datasync();
      segment.bytes += bytes.length;
    } catch (error) {
      // Cut the partial batch so the segment stays a sequence of whole, acknowledged lines.
      await segment.handle.truncate(segment.bytes).catch(() => {});
      throw error;
    }
  }

  /** The segment the next batch goes to, rotating on a new day or a full segment. */
  private async segmentFor(batchBytes: number): Promise<OpenSegment> {
    const now = this.now();
    const day = localDay(now, this.options.utcOffsetMinutes);
    const current = this.segment;
    if (
      current !== null &&
      current.day === day &&
      current.bytes + batchBytes <= this.options.maxSegmentBytes
    ) {
      return current;
    }
    if (current !== null && current.day === day && current.bytes === 0) return current;
    await this.closeSegment();
    const dayDir = path.join(this.dir, day);
    await mkdir(dayDir, { recursive: true });
    await syncDir(this.dir);
    this.sequence += 1;
    const stamp = new Date(now).toISOString().replace(/[-:.]/g, "");
    const file = path.join(dayDir, `seg-${stamp}-${process.pid}-${this.sequence}${OPEN_SUFFIX}`);
    const handle = await open(file, "ax");
    // The new file's directory entry must be durable too, or its fsync'd data is unreachable.
    await syncDir(dayDir);
    this.segment = { handle, path: file, day, bytes: 0 };
    return this.segment;
  }

  private async closeSegment(): Promise<void> {
    const segment = this.segment;
    if (segment === null) return;
    this.segment = null;
    await segment.handle.sync();
    await segment.handle.close();
    await closeSegmentFile(segment.path);
  }
}
