/**
 * Importer for KuaiRand logs (Gao et al., "KuaiRand: An Unbiased Sequential Recommendation
 * Dataset with Randomly Exposed Videos", CIKM 2022, https://kuairand.com; CC BY-SA 4.0) and,
 * optionally, its user_features and video_features_basic files. docs/data.md documents the
 * mapping; in short:
 *
 * - one play per row; event_id `kr-<user>-<video>-<time_ms>` (plus `-<k>` for the k-th repeat
 *   of that key at the same user and instant), request_id = event_id, session_id NULL (sessions
 *   are cut at inactivity gaps later), ts_ms = time_ms;
 * - outcomes from the flag columns; skip = play_time_ms < 3 s; finish = play_time_ms >=
 *   duration_ms, NULL when duration_ms is 0 (unknown); exit NULL (derived from session ends);
 * - no scores, α or action (KuaiRand logs none): such data serves calibration, reward fitting
 *   and the pipeline's mechanics, not policy training or evaluation;
 * - `is_rand` goes to experiment_arm ("kuairand:random" / "kuairand:standard"), not to
 *   exploration_group: KuaiRand randomised the video, not the fusion weights α that
 *   exploration_group describes (and the training split selects on);
 * - `date`/`hourmin` are validated but advisory only (they do not always match time_ms); `tab`,
 *   `profile_stay_time` and `comment_stay_time` have no events column and are not stored.
 *
 * Everything (users, videos, log) is one store batch: a failed import stores nothing.
 */
import fs from "node:fs";
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { BadRowLog, type SkippedRows } from "./bad-rows.js";
import { parseDecimal, readLines, splitCsvLine } from "./csv.js";
import type { BadRowReason } from "./event-record.js";
import type { ImportProgress, ImportSummary } from "./import-events.js";
import type { LogStore, StoreBatch, UserProfile, VideoRecord } from "./log-store.js";

export const KUAIRAND_LOG_COLUMNS = [
  "user_id",
  "video_id",
  "date",
  "hourmin",
  "time_ms",
  "is_click",
  "is_like",
  "is_follow",
  "is_comment",
  "is_forward",
  "is_hate",
  "long_view",
  "play_time_ms",
  "duration_ms",
  "profile_stay_time",
  "comment_stay_time",
  "is_profile_enter",
  "is_rand",
  "tab",
] as const;
type LogColumn = (typeof KUAIRAND_LOG_COLUMNS)[number];

const LOG_FLAGS: ReadonlySet<string> = new Set([
  "is_click",
  "is_like",
  "is_follow",
  "is_comment",
  "is_forward",
  "is_hate",
  "long_view",
  "is_profile_enter",
  "is_rand",
]);

/** A play shorter than this is a skip (DESIGN.md, Domain). */
export const SKIP_BELOW_MS = 3000;

const ONEHOT_FEATURES = Array.from({ length: 18 }, (_, i) => `onehot_feat${i}`);

export const KUAIRAND_USER_COLUMNS = [
  "user_id",
  "user_active_degree",
  "is_lowactive_period",
  "is_live_streamer",
  "is_video_author",
  "follow_user_num",
  "follow_user_num_range",
  "fans_user_num",
  "fans_user_num_range",
  "friend_user_num",
  "friend_user_num_range",
  "register_days",
  "register_days_range",
  ...ONEHOT_FEATURES,
] as const;

/** Levels of `user_active_degree`, one-hot encoded in the profile. */
export const ACTIVE_DEGREES = [
  "full_active",
  "high_active",
  "middle_active",
  "low_active",
  "UNKNOWN",
] as const;
const USER_FLAGS = ["is_lowactive_period", "is_live_streamer", "is_video_author"] as const;
const USER_COUNTS = ["follow_user_num", "fans_user_num", "friend_user_num", "register_days"] as const;

/**
 * Names of the profile features stored for KuaiRand users, in `users.profile` order. The
 * `*_range` columns are bucketed copies of the counts and are not stored; `onehot_feat*` are
 * categorical codes kept as numbers (-1 = missing) for the state encoder to embed.
 */
export const KUAIRAND_PROFILE_FEATURES: readonly string[] = [
  ...ACTIVE_DEGREES.map((d) => `user_active_degree=${d}`),
  ...USER_FLAGS,
  ...USER_COUNTS,
  ...ONEHOT_FEATURES,
];

export const KUAIRAND_VIDEO_COLUMNS = [
  "video_id",
  "author_id",
  "video_type",
  "upload_dt",
  "upload_type",
  "visible_status",
  "video_duration",
  "server_width",
  "server_height",
  "music_id",
  "music_type",
  "tag",
] as const;

export interface KuaiRandOptions {
  /** KuaiRand user_features CSV. */
  readonly usersFile?: string;
  /** KuaiRand video_features_basic CSV. */
  readonly videosFile?: string;
  readonly skipBadRows?: boolean;
  /** Progress through the log file. */
  readonly onProgress?: (progress: ImportProgress) => void;
}

/** What a features file contributed. */
export interface FeatureFileSummary {
  readonly file: string;
  readonly rowsRead: number;
  /** Distinct users or videos stored. */
  readonly stored: number;
  readonly skipped: SkippedRows;
}

export interface KuaiRandSummary {
  readonly log: ImportSummary;
  readonly users: FeatureFileSummary | null;
  readonly videos: FeatureFileSummary | null;
}

const PROGRESS_EVERY = 10_000;
const STAGE_ROWS = 8192;

/** A data line of a named-column CSV: the fields by column name. */
interface CsvRecord<C extends string> {
  readonly line: number;
  readonly fields: Readonly<Record<C, string>>;
}

class RowRefused extends Error {
  constructor(
    readonly column: string,
    readonly reason: BadRowReason,
  ) {
    super(reason);
  }
}

/**
 * Streams a CSV whose header must name exactly `columns` (in any order). Header problems throw;
 * a line with the wrong field count goes to `badRows`.
 */
async function* readNamedCsv<C extends string>(
  file: string,
  columns: readonly C[],
  badRows: BadRowLog,
  onLine?: (line: number, bytesRead: number) => void,
): AsyncGenerator<CsvRecord<C>> {
  if (!fs.existsSync(file)) throw new MtfError("FILE_NOT_FOUND", `no such file: ${file}`);
  let header: string[] | null = null;
  for await (const { lineNo, text, bytesRead } of readLines(file)) {
    if (text.trim() === "") continue;
    const fields = splitCsvLine(text);
    if (header === null) {
      header = checkHeader(file, lineNo, fields, columns);
      continue;
    }
    onLine?.(lineNo, bytesRead);
    if (fields === null || fields.length !== header.length) {
      badRows.refuse({
        file,
        line: lineNo,
        column: null,
        reason: "column_count",
        message:
          fields === null ? "unbalanced quotes" : `expected ${header.length} fields, found ${fields.length}`,
      });
      continue;
    }
    const record = {} as Record<C, string>;
    header.forEach((name, i) => {
      record[name as C] = fields[i].trim();
    });
    yield { line: lineNo, fields: record };
  }
  if (header === null)
    throw new MtfError("BAD_ROW", `${file}: empty file (no header line)`, { details: { file } });
}

function checkHeader(
  file: string,
  line: number,
  fields: string[] | null,
  columns: readonly string[],
): string[] {
  const fail = (message: string, column: string | null): never => {
    throw new MtfError("BAD_ROW", `${file}:${line}: ${message}`, {
      details: { file, line, column, reason: "unknown_column" },
    });
  };
  if (fields === null) return fail("unbalanced quotes in the header", null);
  const names = fields.map((f) => f.trim());
  const known = new Set(columns);
  const seen = new Set<string>();
  for (const name of names) {
    if (!known.has(name)) fail(`unknown column "${name}" (expected ${columns.join(",")})`, name);
    if (seen.has(name)) fail(`column "${name}" appears twice`, name);
    seen.add(name);
  }
  for (const name of columns) if (!seen.has(name)) fail(`missing column "${name}"`, name);
  return names;
}

/** Parses a field that must be a non-negative integer (flags: 0 or 1). */
function nonNegativeInteger(fields: Readonly<Record<string, string>>, column: string, flag = false): number {
  const value = parseDecimal(fields[column]);
  if (Number.isNaN(value))
    throw new RowRefused(column, fields[column] === "" ? "missing_value" : "not_a_number");
  if (!Number.isSafeInteger(value)) throw new RowRefused(column, "not_an_integer");
  if (value < 0) throw new RowRefused(column, "negative");
  if (flag && value > 1) throw new RowRefused(column, "out_of_range");
  return value;
}

function refusalMessage(refused: RowRefused, fields: Readonly<Record<string, string>>): string {
  const value = `"${fields[refused.column] ?? ""}"`;
  switch (refused.reason) {
    case "missing_value":
      return `${refused.column} is required`;
    case "not_a_number":
      return `${refused.column} must be a number, got ${value}`;
    case "not_an_integer":
      return `${refused.column} must be an integer, got ${value}`;
    case "negative":
      return `${refused.column} cannot be negative, got ${value}`;
    case "out_of_range":
      return `${refused.column} out of range, got ${value}`;
    default:
      return `${refused.column}: bad value ${value}`;
  }
}

/** Runs `parse` on a record; a refusal goes to `badRows` and yields null. */
function parseOrRefuse<C extends string, T>(
  file: string,
  record: CsvRecord<C>,
  badRows: BadRowLog,
  parse: (fields: Readonly<Record<C, string>>) => T,
): T | null {
  try {
    return parse(record.fields);
  } catch (error) {
    if (!(error instanceof RowRefused)) throw error;
    badRows.refuse({
      file,
      line: record.line,
      column: error.column,
      reason: error.reason,
      message: refusalMessage(error, record.fields),
    });
    return null;
  }
}

/** The numeric fields of one KuaiRand log row. */
export type KuaiRandRow = Readonly<Record<LogColumn, number>>;

function parseLogRow(fields: Readonly<Record<LogColumn, string>>): KuaiRandRow {
  const row = {} as Record<LogColumn, number>;
  for (const column of KUAIRAND_LOG_COLUMNS)
    row[column] = nonNegativeInteger(fields, column, LOG_FLAGS.has(column));
  return row;
}

/** Maps one KuaiRand log row to a play event; `repeat` > 0 for the repeat of an earlier row's key. */
export function kuaiRandEvent(row: KuaiRandRow, repeat: number): PlayEvent {
  const base = `kr-${row.user_id}-${row.video_id}-${row.time_ms}`;
  const eventId = repeat === 0 ? base : `${base}-${repeat}`;
  const play = row.play_time_ms;
  const duration = row.duration_ms;
  return {
    eventId,
    userId: String(row.user_id),
    itemId: String(row.video_id),
    requestId: eventId,
    sessionId: null,
    timestampMs: row.time_ms,
    candidateSetId: null,
    candidateCount: null,
    position: null,
    scores: null,
    alpha: null,
    action: null,
    policyVersion: null,
    explorationGroup: null,
    noiseScale: null,
    propensity: null,
    decisionSeed: null,
    experimentArm: row.is_rand === 1 ? "kuairand:random" : "kuairand:standard",
    durationMs: duration,
    playTimeMs: play,
    outcomes: {
      click: row.is_click,
      long_view: row.long_view,
      finish: duration === 0 ? null : play >= duration ? 1 : 0,
      skip: play < SKIP_BELOW_MS ? 1 : 0,
      like: row.is_like,
      comment: row.is_comment,
      follow: row.is_follow,
      forward: row.is_forward,
      profile_enter: row.is_profile_enter,
      hate: row.is_hate,
      exit: null,
    },
  };
}

function parseUser(fields: Readonly<Record<(typeof KUAIRAND_USER_COLUMNS)[number], string>>): UserProfile {
  const userId = nonNegativeInteger(fields, "user_id");
  const degree = fields.user_active_degree;
  if (!(ACTIVE_DEGREES as readonly string[]).includes(degree)) {
    throw new RowRefused("user_active_degree", degree === "" ? "missing_value" : "out_of_range");
  }
  const profile = [
    ...ACTIVE_DEGREES.map((d) => (d === degree ? 1 : 0)),
    ...USER_FLAGS.map((c) => nonNegativeInteger(fields, c, true)),
    ...USER_COUNTS.map((c) => nonNegativeInteger(fields, c)),
    ...ONEHOT_FEATURES.map((c) =>
      fields[c as keyof typeof fields] === "" ? -1 : nonNegativeInteger(fields, c),
    ),
  ];
  return { userId: String(userId), profile };
}

function optionalNumber(fields: Readonly<Record<string, string>>, column: string): number | null {
  if (fields[column] === "") return null;
  const value = parseDecimal(fields[column]);
  if (Number.isNaN(value)) throw new RowRefused(column, "not_a_number");
  if (value < 0) throw new RowRefused(column, "negative");
  return Math.round(value);
}

function parseVideo(fields: Readonly<Record<(typeof KUAIRAND_VIDEO_COLUMNS)[number], string>>): VideoRecord {
  const itemId = nonNegativeInteger(fields, "video_id");
  const text = (value: string): string | null => (value === "" ? null : value);
  const uploadDate = text(fields.upload_dt);
  if (uploadDate !== null && !/^\d{4}-\d{2}-\d{2}$/.test(uploadDate))
    throw new RowRefused("upload_dt", "wrong_type");
  const tags = text(fields.tag);
  return {
    itemId: String(itemId),
    durationMs: optionalNumber(fields, "video_duration"),
    category: tags === null ? null : (tags.split(",")[0]?.trim() ?? null),
    authorId: text(fields.author_id),
    videoType: text(fields.video_type),
    uploadType: text(fields.upload_type),
    uploadDate,
    visibleStatus: text(fields.visible_status),
    width: optionalNumber(fields, "server_width"),
    height: optionalNumber(fields, "server_height"),
    musicId: text(fields.music_id),
    musicType: text(fields.music_type),
    tags,
  };
}

async function stageFeatures<C extends string, T>(
  file: string,
  columns: readonly C[],
  skipBadRows: boolean,
  parse: (fields: Readonly<Record<C, string>>) => T,
  idOf: (record: T) => string,
  stage: (records: readonly T[]) => Promise<void>,
): Promise<FeatureFileSummary> {
  const badRows = new BadRowLog(skipBadRows);
  const records: T[] = [];
  const ids = new Set<string>();
  let rowsRead = 0;
  const onLine = (): void => {
    rowsRead++;
  };
  for await (const record of readNamedCsv(file, columns, badRows, onLine)) {
    const parsed = parseOrRefuse(file, record, badRows, parse);
    if (parsed === null) continue;
    records.push(parsed);
    ids.add(idOf(parsed));
  }
  await stage(records);
  return { file, rowsRead, stored: ids.size, skipped: badRows.summary() };
}

async function stageLog(
  batch: StoreBatch,
  file: string,
  options: KuaiRandOptions,
): Promise<{ rowsRead: number; skipped: SkippedRows }> {
  const badRows = new BadRowLog(options.skipBadRows ?? false);
  const total = fs.existsSync(file) ? fs.statSync(file).size : 0;
  const pending: PlayEvent[] = [];
  let rowsRead = 0;
  // Repeats of an event key are counted within one (user, instant): the log is sorted by user
  // and time, so a repeated key sits there.
  let instant = "";
  const repeats = new Map<string, number>();
  const onLine = (_line: number, bytesRead: number): void => {
    rowsRead++;
    if (options.onProgress !== undefined && rowsRead % PROGRESS_EVERY === 0) {
      options.onProgress({ rows: rowsRead, done: bytesRead, total });
    }
  };
  for await (const record of readNamedCsv(file, KUAIRAND_LOG_COLUMNS, badRows, onLine)) {
    const row = parseOrRefuse(file, record, badRows, parseLogRow);
    if (row === null) continue;
    const rowInstant = `${row.user_id}-${row.time_ms}`;
    if (rowInstant !== instant) {
      instant = rowInstant;
      repeats.clear();
    }
    const repeat = repeats.get(String(row.video_id)) ?? 0;
    repeats.set(String(row.video_id), repeat + 1);
    pending.push(kuaiRandEvent(row, repeat));
    if (pending.length >= STAGE_ROWS) {
      batch.appendEvents(pending);
      pending.length = 0;
    }
  }
  batch.appendEvents(pending);
  options.onProgress?.({ rows: rowsRead, done: total, total });
  return { rowsRead, skipped: badRows.summary() };
}

/** Imports a KuaiRand log (and optional user/video feature files) in one store batch. */
export async function importKuaiRand(
  store: LogStore,
  logFile: string,
  options: KuaiRandOptions = {},
): Promise<KuaiRandSummary> {
  for (const file of [logFile, options.usersFile, options.videosFile]) {
    if (file !== undefined && !fs.existsSync(file))
      throw new MtfError("FILE_NOT_FOUND", `no such file: ${file}`);
  }
  const skipBadRows = options.skipBadRows ?? false;
  const batch = await store.beginBatch();
  try {
    const users =
      options.usersFile === undefined
        ? null
        : await stageFeatures(
            options.usersFile,
            KUAIRAND_USER_COLUMNS,
            skipBadRows,
            parseUser,
            (u) => u.userId,
            (records) => batch.upsertUsers(records, KUAIRAND_PROFILE_FEATURES),
          );
    const videos =
      options.videosFile === undefined
        ? null
        : await stageFeatures(
            options.videosFile,
            KUAIRAND_VIDEO_COLUMNS,
            skipBadRows,
            parseVideo,
            (v) => v.itemId,
            (records) => batch.upsertVideos(records),
          );
    const log = await stageLog(batch, logFile, options);
    const { inserted, duplicates } = await batch.commit();
    return {
      log: { file: logFile, rowsRead: log.rowsRead, inserted, duplicates, skipped: log.skipped },
      users,
      videos,
    };
  } catch (error) {
    await batch.abort();
    throw error;
  }
}
