/**
 * The log store: one DuckDB file per run (`runs/<name>/store.duckdb` by convention) holding
 * `events` (columns from `EVENT_COLUMNS`), `users`, `videos` and `meta`, plus a day-partitioned
 * Parquet export/import of the same tables (DESIGN.md, Storage and scale).
 *
 * Writes go through a `StoreBatch`: rows are staged in temporary tables (never persisted), then
 * one transaction moves them into the store. A process killed before that transaction commits
 * leaves the store as it was; a bad row refuses the whole batch. Ingestion is idempotent on
 * `event_id` (the primary key): a re-sent event is stored once.
 *
 * DuckDB allows one writer process per file; a second `open` of a held file fails with
 * STORE_LOCKED.
 */
import fs from "node:fs";
import path from "node:path";
import {
  BIGINT,
  DOUBLE,
  type DuckDBAppender,
  type DuckDBConnection,
  DuckDBDataChunk,
  DuckDBInstance,
  type DuckDBType,
  type DuckDBValue,
  type DuckDBVector,
  dateValue,
  INTEGER,
  LIST,
  listValue,
  TINYINT,
  VARCHAR,
} from "@duckdb/node-api";
import { timeZoneOffsetMinutes } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import {
  type ColumnSpec,
  type ColumnType,
  EVENT_COLUMNS,
  EXPLORATION_GROUPS,
  type PlayEvent,
} from "../core/events.js";
import { isAbsentOrEmpty, replaceDir, tempSibling } from "./atomic-dir.js";
import { type CellValue, COLUMN_RULES, eventRowInto, vectorColumns } from "./event-record.js";

/** Version of the store's table layout, kept in `meta.schema_version`. */
export const STORE_SCHEMA_VERSION = 1;

/** Default time zone of a "day" (KuaiRand's, UTC+8; DESIGN.md, Days), as the config's `timeZone`. */
export const DEFAULT_UTC_OFFSET = "+08:00";

export const STORE_FILE = "store.duckdb";

export interface AppendResult {
  readonly inserted: number;
  /** Rows whose event_id was already stored or repeated within the batch. */
  readonly duplicates: number;
}

/** A user's numeric profile features, in the order of the store's profile feature names. */
export interface UserProfile {
  readonly userId: string;
  readonly profile: readonly number[];
}

/** What is known about an item; absent or null fields keep what the store already has. */
export interface VideoRecord {
  readonly itemId: string;
  readonly durationMs?: number | null;
  readonly category?: string | null;
  readonly authorId?: string | null;
  readonly videoType?: string | null;
  readonly uploadType?: string | null;
  /** YYYY-MM-DD */
  readonly uploadDate?: string | null;
  readonly visibleStatus?: string | null;
  readonly width?: number | null;
  readonly height?: number | null;
  readonly musicId?: string | null;
  readonly musicType?: string | null;
  /** Comma-separated tags. */
  readonly tags?: string | null;
}

export interface StoreCounts {
  readonly events: number;
  readonly users: number;
  readonly videos: number;
}

export interface ExportOptions {
  /** Time zone of the day partitions as an offset from UTC ("±HH:MM"), "+08:00" by default. */
  readonly utcOffset?: string;
  /** Replace an existing export in `dir`; without it an existing export is an error. */
  readonly overwrite?: boolean;
}

export interface ExportResult {
  readonly events: number;
  /** Day partitions written, sorted (YYYY-MM-DD). */
  readonly days: readonly string[];
  readonly users: number;
  readonly videos: number;
}

export interface ImportResult extends AppendResult {
  readonly users: number;
  readonly videos: number;
}

/** The manifest an export writes beside its Parquet files. */
export interface ParquetManifest {
  readonly format: "mtf-log-store";
  readonly schemaVersion: number;
  readonly utcOffset: string;
  readonly userProfileFeatures: readonly string[];
}

export type SqlParams = readonly DuckDBValue[] | Readonly<Record<string, DuckDBValue>>;

const STAGED_EVENTS = "staged_events";
const STAGED_USERS = "staged_users";
const STAGED_VIDEOS = "staged_videos";
const PROFILE_FEATURES_KEY = "user_profile_features";
const VIDEO_COLUMNS = [
  "item_id",
  "duration_ms",
  "category",
  "author_id",
  "video_type",
  "upload_type",
  "upload_date",
  "visible_status",
  "width",
  "height",
  "music_id",
  "music_type",
  "tags",
] as const;

const SQL_TEXTS = new Map<string, string>();

function readSql(name: string, vars: Readonly<Record<string, string>> = {}): string {
  let text = SQL_TEXTS.get(name);
  if (text === undefined) {
    text = fs.readFileSync(new URL(`./sql/${name}`, import.meta.url), "utf8");
    SQL_TEXTS.set(name, text);
  }
  return text.replace(/\$\{(\w+)\}/g, (_, key: string) => {
    const value = vars[key];
    if (value === undefined) throw new MtfError("INTERNAL", `sql/${name} needs \${${key}}`);
    return value;
  });
}

/** A SQL string literal. */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

const NUMERIC_RULE_SQL = (column: ColumnSpec): string[] => {
  const rule = COLUMN_RULES.get(column.name);
  if (rule === undefined) return [];
  const checks: string[] = [];
  if (rule.min !== undefined) checks.push(`${column.name} >= ${rule.min}`);
  if (rule.max !== undefined) checks.push(`${column.name} <= ${rule.max}`);
  return checks;
};

/** `CREATE TABLE events` from EVENT_COLUMNS, with the value rules as CHECK constraints. */
export function eventsTableDdl(): string {
  const columns = EVENT_COLUMNS.map((c) => {
    const checks = NUMERIC_RULE_SQL(c);
    if (c.name === "exploration_group")
      checks.push(`${c.name} IN (${EXPLORATION_GROUPS.map(literal).join(", ")})`);
    const check = checks.length === 0 ? "" : ` CHECK (${checks.join(" AND ")})`;
    return `  ${c.name} ${c.type}${c.nullable ? "" : " NOT NULL"}${check}`;
  });
  const vectors = (["score", "alpha", "action"] as const).map((prefix) => {
    const present = vectorColumns(prefix)
      .map((c) => `CASE WHEN ${c} IS NULL THEN 0 ELSE 1 END`)
      .join(" + ");
    return `  CHECK ((${present}) IN (0, ${vectorColumns(prefix).length}))`;
  });
  return [
    "CREATE TABLE IF NOT EXISTS events (",
    [...columns, "  PRIMARY KEY (event_id)", ...vectors].join(",\n"),
    ")",
  ].join("\n");
}

/**
 * Staging types: BIGINT columns travel as DOUBLE (exact for the safe integers the rules admit),
 * so the writer fills typed arrays instead of creating a BigInt per cell.
 */
const STAGING_TYPE: Readonly<Record<ColumnType, ColumnType>> = {
  VARCHAR: "VARCHAR",
  BIGINT: "DOUBLE",
  INTEGER: "INTEGER",
  DOUBLE: "DOUBLE",
  TINYINT: "TINYINT",
};

const DUCKDB_TYPE: Readonly<Record<ColumnType, DuckDBType>> = {
  VARCHAR,
  BIGINT,
  INTEGER,
  DOUBLE,
  TINYINT,
};

const STAGING_DUCKDB_TYPES: readonly DuckDBType[] = EVENT_COLUMNS.map(
  (c) => DUCKDB_TYPE[STAGING_TYPE[c.type]],
);

/** Rows per appended data chunk: DuckDB's vector size. */
const CHUNK_ROWS = 2048;

/** Converts DuckDB's JS values for plain callers: BIGINT → number when it fits exactly. */
function plainValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    const n = Number(value);
    return Number.isSafeInteger(n) ? n : value;
  }
  if (Array.isArray(value)) return value.map(plainValue);
  return value;
}

function plainRow(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(row)) out[key] = plainValue(row[key]);
  return out;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Maps a DuckDB constraint failure to BAD_ROW; anything else passes through. */
function asStoreError(error: unknown, what: string): unknown {
  if (error instanceof MtfError) return error;
  const message = errorMessage(error);
  if (/constraint/i.test(message)) {
    return new MtfError("BAD_ROW", `${what}: a row breaks the events schema: ${message}`, { cause: error });
  }
  return error;
}

/** The local calendar day (YYYY-MM-DD) of an epoch-ms timestamp at a UTC offset. */
export function localDay(timestampMs: number, utcOffset: string = DEFAULT_UTC_OFFSET): string {
  return new Date(timestampMs + timeZoneOffsetMinutes(utcOffset) * 60_000).toISOString().slice(0, 10);
}

/** The store file of a run folder (`runs/<name>/store.duckdb`). */
export function runStorePath(runDir: string): string {
  return path.join(runDir, STORE_FILE);
}

/**
 * Checks `rows` events from `start` and writes them into one staging data chunk, row by row
 * through one reused value array (no per-row allocation).
 */
function eventChunk(events: readonly PlayEvent[], start: number, rows: number): DuckDBDataChunk {
  const chunk = DuckDBDataChunk.create(STAGING_DUCKDB_TYPES, rows);
  const columns = EVENT_COLUMNS.length;
  const vectors: DuckDBVector<string | number>[] = new Array(columns);
  for (let c = 0; c < columns; c++) vectors[c] = chunk.getColumnVector(c) as DuckDBVector<string | number>;
  const values: CellValue[] = new Array(columns);
  for (let r = 0; r < rows; r++) {
    const event = events[start + r];
    const problem = eventRowInto(event, values);
    if (problem !== null) {
      throw new MtfError("BAD_ROW", `event ${start + r} (${event.eventId}): ${problem.message}`, {
        details: { index: start + r, eventId: event.eventId, column: problem.column, reason: problem.reason },
      });
    }
    for (let c = 0; c < columns; c++) vectors[c].setItem(r, values[c]);
  }
  for (let c = 0; c < columns; c++) vectors[c].flush();
  return chunk;
}

/**
 * Writes rows into the store's staging tables; `commit` moves them into the store in one
 * transaction, `abort` drops them. Get one from `LogStore.beginBatch`.
 */
export class StoreBatch {
  readonly #connection: DuckDBConnection;
  readonly #onClose: () => void;
  #appender: DuckDBAppender | null = null;
  #closed = false;
  #failed = false;
  #profileFeatures: readonly string[] | null = null;

  constructor(connection: DuckDBConnection, onClose: () => void) {
    this.#connection = connection;
    this.#onClose = onClose;
  }

  /** Creates the staging tables; called once by `LogStore.beginBatch`. */
  async init(): Promise<void> {
    const columns = EVENT_COLUMNS.map((c) => `${c.name} ${STAGING_TYPE[c.type]}`).join(", ");
    // DuckDB: CREATE OR REPLACE TEMP TABLE; standard: CREATE LOCAL TEMPORARY TABLE
    await this.#connection.run(`CREATE OR REPLACE TEMP TABLE ${STAGED_EVENTS} (${columns})`);
    await this.#connection.run(
      `CREATE OR REPLACE TEMP TABLE ${STAGED_USERS} (user_id VARCHAR, profile DOUBLE[])`,
    );
    await this.#connection.run(
      `CREATE OR REPLACE TEMP TABLE ${STAGED_VIDEOS} AS SELECT * FROM videos WHERE false`,
    );
    this.#appender = await this.#connection.createAppender(STAGED_EVENTS, null, "temp");
  }

  /**
   * Stages events, checking each: a bad one throws BAD_ROW (details: index within this call,
   * eventId, column, reason) and the batch can then only be aborted.
   */
  appendEvents(events: readonly PlayEvent[]): void {
    const appender = this.#open();
    try {
      for (let start = 0; start < events.length; start += CHUNK_ROWS) {
        appender.appendDataChunk(eventChunk(events, start, Math.min(CHUNK_ROWS, events.length - start)));
      }
    } catch (error) {
      this.#failed = true;
      throw error;
    }
  }

  /** Stages user profiles; `featureNames` must match the store's (set by the first upsert). */
  async upsertUsers(users: readonly UserProfile[], featureNames: readonly string[]): Promise<void> {
    this.#open();
    if (this.#profileFeatures !== null && !sameNames(this.#profileFeatures, featureNames)) {
      throw new MtfError("DATASET_MISMATCH", "one batch cannot mix user profiles with different features");
    }
    this.#profileFeatures = featureNames;
    const appender = await this.#connection.createAppender(STAGED_USERS, null, "temp");
    const listType = LIST(DOUBLE);
    try {
      for (const user of users) {
        if (user.profile.length !== featureNames.length || !user.profile.every(Number.isFinite)) {
          throw new MtfError(
            "BAD_ROW",
            `user ${user.userId}: profile must hold ${featureNames.length} finite numbers (${featureNames.join(", ")})`,
            { details: { userId: user.userId } },
          );
        }
        appender.appendVarchar(user.userId);
        appender.appendList(listValue(user.profile), listType);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
  }

  /** Stages video records; null fields keep what the store has. */
  async upsertVideos(videos: readonly VideoRecord[]): Promise<void> {
    this.#open();
    const appender = await this.#connection.createAppender(STAGED_VIDEOS, null, "temp");
    try {
      for (const v of videos) {
        appendVideo(appender, v);
        appender.endRow();
      }
    } finally {
      appender.closeSync();
    }
  }

  /** Runs SQL that fills the staging tables (e.g. from Parquet files). */
  async stageSql(sql: string): Promise<void> {
    this.#open();
    await this.#connection.run(sql);
  }

  /** Moves everything staged into the store in one transaction, then closes the batch. */
  async commit(): Promise<ImportResult> {
    const appender = this.#open();
    appender.flushSync();
    const conn = this.#connection;
    const [staged] = await readRows(
      conn,
      `SELECT (SELECT count(*) FROM ${STAGED_EVENTS}) AS events, (SELECT count(*) FROM ${STAGED_USERS}) AS users,
        (SELECT count(DISTINCT item_id) FROM ${STAGED_VIDEOS}) AS videos`,
    );
    const stagedEvents = Number(staged.events);
    const stagedUsers = Number(staged.users);
    let inserted = 0;
    await conn.run("BEGIN TRANSACTION");
    try {
      if (stagedUsers > 0 && this.#profileFeatures !== null) {
        await this.#recordProfileFeatures(this.#profileFeatures);
        await conn.run(readSql("upsert-staged-users.sql"));
      }
      if (Number(staged.videos) > 0) await conn.run(readSql("upsert-staged-videos.sql"));
      if (stagedEvents > 0) {
        const columns = EVENT_COLUMNS.map((c) => c.name);
        const values = EVENT_COLUMNS.map((c) =>
          STAGING_TYPE[c.type] === c.type ? c.name : `CAST(${c.name} AS ${c.type}) AS ${c.name}`,
        );
        const result = await conn.run(
          readSql("insert-staged-events.sql", { columns: columns.join(", "), values: values.join(", ") }),
        );
        inserted = result.rowsChanged;
        await conn.run(readSql("videos-from-staged.sql"));
      }
      await conn.run("COMMIT");
    } catch (error) {
      await conn.run("ROLLBACK");
      await this.abort();
      throw asStoreError(error, "commit");
    }
    await this.abort();
    return {
      inserted,
      duplicates: stagedEvents - inserted,
      users: stagedUsers,
      videos: Number(staged.videos),
    };
  }

  /** Drops what is staged; the store is unchanged. Safe to call twice. */
  async abort(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#appender?.closeSync();
    this.#appender = null;
    for (const table of [STAGED_EVENTS, STAGED_USERS, STAGED_VIDEOS]) {
      // DuckDB: the `temp` schema holds temporary tables; standard: DROP TABLE of the local temporary table
      await this.#connection.run(`DROP TABLE IF EXISTS temp.${table}`);
    }
    this.#onClose();
  }

  async #recordProfileFeatures(featureNames: readonly string[]): Promise<void> {
    const rows = await readRows(this.#connection, "SELECT value FROM meta WHERE key = $1", [
      PROFILE_FEATURES_KEY,
    ]);
    if (rows.length > 0) {
      const stored = JSON.parse(String(rows[0].value)) as string[];
      if (!sameNames(stored, featureNames)) {
        throw new MtfError(
          "DATASET_MISMATCH",
          `user profile features differ from the store's: store has [${stored.join(", ")}], got [${featureNames.join(", ")}]`,
        );
      }
      return;
    }
    await this.#connection.run("INSERT INTO meta (key, value) VALUES ($1, $2)", [
      PROFILE_FEATURES_KEY,
      JSON.stringify(featureNames),
    ]);
  }

  #open(): DuckDBAppender {
    if (this.#closed || this.#appender === null) {
      throw new MtfError("INVALID_ARGUMENT", "this batch is already committed or aborted");
    }
    if (this.#failed) throw new MtfError("INVALID_ARGUMENT", "a write to this batch failed: abort it");
    return this.#appender;
  }
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((name, i) => name === b[i]);
}

function appendVideo(appender: DuckDBAppender, v: VideoRecord): void {
  const text = (value: string | null | undefined): void => {
    if (value === null || value === undefined) appender.appendNull();
    else appender.appendVarchar(value);
  };
  const integer = (value: number | null | undefined, column: string, big: boolean): void => {
    if (value === null || value === undefined) {
      appender.appendNull();
      return;
    }
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new MtfError(
        "BAD_ROW",
        `video ${v.itemId}: ${column} must be a non-negative integer, got ${value}`,
        {
          details: { itemId: v.itemId, column },
        },
      );
    }
    if (big) appender.appendBigInt(BigInt(value));
    else appender.appendInteger(value);
  };
  text(v.itemId);
  integer(v.durationMs, "duration_ms", true);
  text(v.category);
  text(v.authorId);
  text(v.videoType);
  text(v.uploadType);
  if (v.uploadDate === null || v.uploadDate === undefined) appender.appendNull();
  else appender.appendDate(dateValue(dayNumber(v.uploadDate, v.itemId)));
  text(v.visibleStatus);
  integer(v.width, "width", false);
  integer(v.height, "height", false);
  text(v.musicId);
  text(v.musicType);
  text(v.tags);
}

/** Days since 1970-01-01 of a YYYY-MM-DD date. */
function dayNumber(date: string, itemId: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) : Number.NaN;
  if (!Number.isFinite(ms)) {
    throw new MtfError("BAD_ROW", `video ${itemId}: upload_date must be YYYY-MM-DD, got "${date}"`, {
      details: { itemId, column: "upload_date" },
    });
  }
  return ms / 86_400_000;
}

async function readRows(
  conn: DuckDBConnection,
  sql: string,
  params?: SqlParams,
): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(
    sql,
    params as DuckDBValue[] | Record<string, DuckDBValue> | undefined,
  );
  return reader.getRowObjectsJS().map(plainRow);
}

function listParquetFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".parquet"))
    .map((name) => path.join(dir, name))
    .sort();
}

const INTEGER_TYPES = new Set([
  "TINYINT",
  "SMALLINT",
  "INTEGER",
  "BIGINT",
  "UTINYINT",
  "USMALLINT",
  "UINTEGER",
  "UBIGINT",
]);
const NUMERIC_TYPES = new Set([...INTEGER_TYPES, "FLOAT", "DOUBLE", "HUGEINT"]);

/** Whether a Parquet column of type `actual` can fill a column of type `expected`. */
function compatible(expected: string, actual: string): boolean {
  if (expected === actual) return true;
  if (expected === "DOUBLE") return NUMERIC_TYPES.has(actual) || actual.startsWith("DECIMAL");
  return INTEGER_TYPES.has(expected) && INTEGER_TYPES.has(actual);
}

export class LogStore {
  readonly #instance: DuckDBInstance;
  readonly #connection: DuckDBConnection;
  readonly #path: string;
  readonly #readOnly: boolean;
  #batchOpen = false;

  private constructor(
    instance: DuckDBInstance,
    connection: DuckDBConnection,
    file: string,
    readOnly: boolean,
  ) {
    this.#instance = instance;
    this.#connection = connection;
    this.#path = file;
    this.#readOnly = readOnly;
  }

  /** Opens (creating if needed, unless read-only) the store at `file`. */
  static async open(file: string, options: { readonly readOnly?: boolean } = {}): Promise<LogStore> {
    const readOnly = options.readOnly ?? false;
    if (readOnly && !fs.existsSync(file)) {
      throw new MtfError("FILE_NOT_FOUND", `no log store at ${file}`);
    }
    if (!readOnly) fs.mkdirSync(path.dirname(file), { recursive: true });
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(file, readOnly ? { access_mode: "READ_ONLY" } : {});
    } catch (error) {
      const message = errorMessage(error);
      if (/lock/i.test(message)) {
        throw new MtfError(
          "STORE_LOCKED",
          `log store ${file} is held by another process (DuckDB allows one writer)`,
          {
            cause: error,
          },
        );
      }
      throw new MtfError("STORE_UNREADABLE", `cannot open log store ${file}: ${message}`, { cause: error });
    }
    const connection = await instance.connect();
    const store = new LogStore(instance, connection, file, readOnly);
    try {
      if (!readOnly) await store.#createTables();
      await store.#checkSchema();
    } catch (error) {
      store.close();
      throw error;
    }
    return store;
  }

  get path(): string {
    return this.#path;
  }

  /**
   * The DuckDB connection, for streaming readers (`connection.stream(sql)` then
   * `result.yieldRowObjectJs()`). Do not write through it: writes belong to `StoreBatch`.
   */
  get connection(): DuckDBConnection {
    return this.#connection;
  }

  /**
   * A further connection to the same database, e.g. to stream a read while a batch is staged on
   * the main one. The caller closes it (`closeSync()`) before `close()`.
   */
  async connect(): Promise<DuckDBConnection> {
    return this.#instance.connect();
  }

  /** Runs a query and returns all rows as objects; BIGINTs become numbers when exact. */
  async query<T = Record<string, unknown>>(sql: string, params?: SqlParams): Promise<T[]> {
    return (await readRows(this.#connection, sql, params)) as T[];
  }

  /** Streams a query's rows in chunks (DuckDB vectors, ≈2048 rows), values as in `query`. */
  async *stream<T = Record<string, unknown>>(sql: string, params?: SqlParams): AsyncGenerator<T[]> {
    const result = await this.#connection.stream(
      sql,
      params as DuckDBValue[] | Record<string, DuckDBValue> | undefined,
    );
    for await (const rows of result.yieldRowObjectJs()) {
      yield rows.map(plainRow) as T[];
    }
  }

  /** Starts a staged write; one batch at a time. */
  async beginBatch(): Promise<StoreBatch> {
    if (this.#readOnly) throw new MtfError("INVALID_ARGUMENT", `log store ${this.#path} is open read-only`);
    if (this.#batchOpen) throw new MtfError("INVALID_ARGUMENT", "another batch is open on this log store");
    this.#batchOpen = true;
    const batch = new StoreBatch(this.#connection, () => {
      this.#batchOpen = false;
    });
    try {
      await batch.init();
    } catch (error) {
      await batch.abort();
      throw error;
    }
    return batch;
  }

  /** Appends events in one transaction; a bad event refuses the whole call. */
  async appendEvents(events: readonly PlayEvent[]): Promise<AppendResult> {
    const { inserted, duplicates } = await this.#inBatch((batch) => {
      batch.appendEvents(events);
      return Promise.resolve();
    });
    return { inserted, duplicates };
  }

  /** Inserts or replaces user profiles (features named in order by `featureNames`). */
  async upsertUsers(users: readonly UserProfile[], featureNames: readonly string[]): Promise<number> {
    return (await this.#inBatch((batch) => batch.upsertUsers(users, featureNames))).users;
  }

  /** Inserts or merges video records (null fields keep stored values). */
  async upsertVideos(videos: readonly VideoRecord[]): Promise<number> {
    return (await this.#inBatch((batch) => batch.upsertVideos(videos))).videos;
  }

  /** Names of the user profile features, in `users.profile` order (empty before any user). */
  async userProfileFeatures(): Promise<readonly string[]> {
    const rows = await this.query<{ value: string }>("SELECT value FROM meta WHERE key = $1", [
      PROFILE_FEATURES_KEY,
    ]);
    return rows.length === 0 ? [] : (JSON.parse(rows[0].value) as string[]);
  }

  async counts(): Promise<StoreCounts> {
    const [row] = await this.query<StoreCounts>(
      "SELECT (SELECT count(*) FROM events) AS events, (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM videos) AS videos",
    );
    return row;
  }

  /**
   * Writes `dir/events/day=YYYY-MM-DD/*.parquet` (day = local day of ts_ms at `utcOffset`),
   * `dir/users.parquet`, `dir/videos.parquet` and `dir/manifest.json`. Atomic: everything is
   * written into a temporary sibling folder that is then renamed to `dir`, so `dir` holds a
   * whole export or what it held before. `dir` must be missing or empty; `overwrite` replaces
   * an earlier export there (a folder with an mtf manifest.json), never another folder.
   */
  async exportParquet(dir: string, options: ExportOptions = {}): Promise<ExportResult> {
    const utcOffset = options.utcOffset ?? DEFAULT_UTC_OFFSET;
    const offsetMs = timeZoneOffsetMinutes(utcOffset) * 60_000;
    const target = path.resolve(dir);
    if (!isAbsentOrEmpty(target)) {
      if (!fs.existsSync(path.join(target, "manifest.json"))) {
        throw new MtfError(
          "INVALID_ARGUMENT",
          `${dir} is not empty and holds no Parquet export (no manifest.json): choose another folder`,
        );
      }
      if (options.overwrite !== true) {
        throw new MtfError(
          "INVALID_ARGUMENT",
          `${dir} already holds an export; pass overwrite to replace it`,
        );
      }
    }
    fs.mkdirSync(path.dirname(target), { recursive: true });
    const tmp = tempSibling(target);
    fs.mkdirSync(tmp);
    try {
      const eventsDir = path.join(tmp, "events");
      const counts = await this.counts();
      if (counts.events > 0) {
        await this.#connection.run(
          readSql("export-events.sql", { offsetMs: String(offsetMs), target: literal(eventsDir) }),
        );
      } else {
        fs.mkdirSync(eventsDir);
      }
      // DuckDB: COPY (query) TO 'file' (FORMAT PARQUET); Spark: df.write.parquet(…)
      await this.#connection.run(
        `COPY (SELECT user_id, profile FROM users ORDER BY user_id) TO ${literal(path.join(tmp, "users.parquet"))} (FORMAT PARQUET)`,
      );
      await this.#connection.run(
        `COPY (SELECT ${VIDEO_COLUMNS.join(", ")} FROM videos ORDER BY item_id) TO ${literal(path.join(tmp, "videos.parquet"))} (FORMAT PARQUET)`,
      );
      const manifest: ParquetManifest = {
        format: "mtf-log-store",
        schemaVersion: STORE_SCHEMA_VERSION,
        utcOffset,
        userProfileFeatures: await this.userProfileFeatures(),
      };
      fs.writeFileSync(path.join(tmp, "manifest.json"), `${JSON.stringify(manifest, null, 2)}\n`);
      const days = fs
        .readdirSync(eventsDir)
        .filter((name) => name.startsWith("day="))
        .map((name) => name.slice(4))
        .sort();
      replaceDir(tmp, target);
      return { events: counts.events, days, users: counts.users, videos: counts.videos };
    } catch (error) {
      fs.rmSync(tmp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * Loads an export (or any Parquet files with the events columns under `dir/events`), idempotent
   * on event_id, in one transaction: a refused file stores nothing. Checked first: each file's
   * column names and types, the manifest (format, schema version) when present, and that every
   * event under a `day=YYYY-MM-DD` folder falls on that local day (at the manifest's UTC offset,
   * else "+08:00").
   */
  async importParquet(dir: string): Promise<ImportResult> {
    if (!fs.existsSync(dir)) throw new MtfError("FILE_NOT_FOUND", `no Parquet export at ${dir}`);
    if (!fs.statSync(dir).isDirectory()) {
      throw new MtfError("INVALID_ARGUMENT", `${dir} is not a folder: a Parquet export is a folder`);
    }
    const eventFiles = listParquetFiles(path.join(dir, "events"));
    const usersFile = path.join(dir, "users.parquet");
    const videosFile = path.join(dir, "videos.parquet");
    const hasUsers = fs.existsSync(usersFile);
    const hasVideos = fs.existsSync(videosFile);
    if (eventFiles.length === 0 && !hasUsers && !hasVideos) {
      throw new MtfError(
        "FILE_NOT_FOUND",
        `${dir} holds no events/day=…/*.parquet, users.parquet or videos.parquet: not a Parquet export`,
      );
    }
    const manifest = fs.existsSync(path.join(dir, "manifest.json")) ? readManifest(dir) : null;
    for (const file of eventFiles) {
      await this.#checkParquetColumns(
        file,
        EVENT_COLUMNS.map((c) => [c.name, c.type] as const),
        ["day"],
      );
    }
    await this.#checkDayPartitions(eventFiles, manifest?.utcOffset ?? DEFAULT_UTC_OFFSET);
    let profileFeatures: readonly string[] = [];
    if (hasUsers) {
      await this.#checkParquetColumns(usersFile, [
        ["user_id", "VARCHAR"],
        ["profile", "DOUBLE[]"],
      ]);
      if (manifest === null) {
        throw new MtfError(
          "FILE_NOT_FOUND",
          `${path.join(dir, "manifest.json")} is missing: users.parquet needs it to name the profile features`,
        );
      }
      profileFeatures = manifest.userProfileFeatures;
    }
    if (hasVideos) {
      await this.#checkParquetColumns(videosFile, await this.#videoColumnTypes());
    }
    return this.#inBatch(async (batch) => {
      if (eventFiles.length > 0) {
        const values = EVENT_COLUMNS.map((c) => `CAST(${c.name} AS ${STAGING_TYPE[c.type]})`).join(", ");
        // DuckDB: read_parquet(list); Spark: spark.read.parquet(…) / Trino: a table over the folder
        await batch.stageSql(
          `INSERT INTO ${STAGED_EVENTS} SELECT ${values} FROM read_parquet(${fileList(eventFiles)}, hive_partitioning = false)`,
        );
      }
      if (hasUsers) {
        const rows = await this.query<{ user_id: string; profile: number[] }>(
          `SELECT user_id, profile FROM read_parquet(${literal(usersFile)})`,
        );
        await batch.upsertUsers(
          rows.map((r) => ({ userId: r.user_id, profile: r.profile })),
          profileFeatures,
        );
      }
      if (hasVideos) {
        await batch.stageSql(
          `INSERT INTO ${STAGED_VIDEOS} (${VIDEO_COLUMNS.join(", ")}) SELECT ${VIDEO_COLUMNS.join(", ")} FROM read_parquet(${literal(videosFile)})`,
        );
      }
    });
  }

  /** Closes the connection and the database; the store cannot be used afterwards. */
  close(): void {
    this.#connection.closeSync();
    this.#instance.closeSync();
  }

  async #inBatch(fill: (batch: StoreBatch) => Promise<void>): Promise<ImportResult> {
    const batch = await this.beginBatch();
    try {
      await fill(batch);
    } catch (error) {
      await batch.abort();
      throw asStoreError(error, "stage");
    }
    return batch.commit();
  }

  async #createTables(): Promise<void> {
    await this.#connection.run(readSql("schema.sql"));
    await this.#connection.run(eventsTableDdl());
    const rows = await this.query("SELECT value FROM meta WHERE key = 'schema_version'");
    if (rows.length === 0) {
      await this.#connection.run("INSERT INTO meta (key, value) VALUES ('schema_version', $1)", [
        String(STORE_SCHEMA_VERSION),
      ]);
    }
  }

  /** Refuses a store written by another schema version or with other event columns. */
  async #checkSchema(): Promise<void> {
    const version = await this.query<{ value: string }>(
      "SELECT value FROM meta WHERE key = 'schema_version'",
    );
    if (version.length === 0 || Number(version[0].value) !== STORE_SCHEMA_VERSION) {
      throw new MtfError(
        "STORE_SCHEMA_MISMATCH",
        `log store ${this.#path} has schema version ${version[0]?.value ?? "none"}; this mtf reads version ${STORE_SCHEMA_VERSION}`,
      );
    }
    const columns = await this.query<{ column_name: string; data_type: string; is_nullable: string }>(
      `SELECT column_name, data_type, is_nullable FROM information_schema.columns
       WHERE table_name = 'events' ORDER BY ordinal_position`,
    );
    EVENT_COLUMNS.forEach((expected, i) => {
      const actual = columns[i];
      if (
        actual === undefined ||
        actual.column_name !== expected.name ||
        actual.data_type !== expected.type
      ) {
        throw new MtfError(
          "STORE_SCHEMA_MISMATCH",
          `log store ${this.#path}: events column ${i + 1} should be ${expected.name} ${expected.type}, found ${
            actual === undefined ? "nothing" : `${actual.column_name} ${actual.data_type}`
          }`,
        );
      }
    });
    if (columns.length !== EVENT_COLUMNS.length) {
      throw new MtfError(
        "STORE_SCHEMA_MISMATCH",
        `log store ${this.#path}: events has an extra column ${columns[EVENT_COLUMNS.length].column_name}`,
      );
    }
  }

  /** Refuses an event file under `day=YYYY-MM-DD/` holding an event of another local day. */
  async #checkDayPartitions(files: readonly string[], utcOffset: string): Promise<void> {
    const partitioned = files.filter((file) => dayOfPath(file) !== null);
    if (partitioned.length === 0) return;
    const offsetMs = timeZoneOffsetMinutes(utcOffset) * 60_000;
    // DuckDB: read_parquet(…, filename = true) adds the source file; epoch_ms(bigint) → TIMESTAMP.
    const [wrong] = await this.query<{ filename: string; event_id: string; ts_ms: number }>(
      `SELECT filename, event_id, ts_ms FROM read_parquet(${fileList(partitioned)}, hive_partitioning = false, filename = true)
       WHERE strftime(epoch_ms(CAST(ts_ms AS BIGINT) + ${offsetMs}), '%Y-%m-%d')
         <> regexp_extract(filename, 'day=([0-9]{4}-[0-9]{2}-[0-9]{2})', 1)
       LIMIT 1`,
    );
    if (wrong !== undefined) {
      const day = localDay(wrong.ts_ms, utcOffset);
      throw new MtfError(
        "BAD_ROW",
        `${wrong.filename}: event ${wrong.event_id} (ts_ms ${wrong.ts_ms}) falls on ${day} at UTC${utcOffset}, not in its folder day=${dayOfPath(wrong.filename)}`,
        { details: { file: wrong.filename, eventId: wrong.event_id, column: "ts_ms" } },
      );
    }
  }

  async #videoColumnTypes(): Promise<(readonly [string, string])[]> {
    const rows = await this.query<{ column_name: string; data_type: string }>(
      "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'videos' ORDER BY ordinal_position",
    );
    return rows.map((r) => [r.column_name, r.data_type] as const);
  }

  /** Checks a Parquet file has exactly the expected columns (plus `allowedExtra`), with compatible types. */
  async #checkParquetColumns(
    file: string,
    expected: readonly (readonly [string, string])[],
    allowedExtra: readonly string[] = [],
  ): Promise<void> {
    let described: { column_name: string; column_type: string }[];
    try {
      // DuckDB: DESCRIBE SELECT … FROM read_parquet(…); Spark: spark.read.parquet(file).schema
      described = await this.query(
        `DESCRIBE SELECT * FROM read_parquet(${literal(file)}, hive_partitioning = false)`,
      );
    } catch (error) {
      throw new MtfError("BAD_ROW", `${file}: not a readable Parquet file: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const actual = new Map(described.map((d) => [d.column_name, d.column_type]));
    for (const [name, type] of expected) {
      const found = actual.get(name);
      if (found === undefined) {
        throw new MtfError("BAD_ROW", `${file}: missing column ${name} (${type})`, {
          details: { file, column: name },
        });
      }
      if (!compatible(type, found)) {
        throw new MtfError("BAD_ROW", `${file}: column ${name} has type ${found}, expected ${type}`, {
          details: { file, column: name },
        });
      }
    }
    const known = new Set([...expected.map(([name]) => name), ...allowedExtra]);
    for (const name of actual.keys()) {
      if (!known.has(name)) {
        throw new MtfError("BAD_ROW", `${file}: unknown column ${name}`, { details: { file, column: name } });
      }
    }
  }
}

/** The day of a `…/day=YYYY-MM-DD/…` path, or null. */
function dayOfPath(file: string): string | null {
  return /(?:^|[/\\])day=(\d{4}-\d{2}-\d{2})[/\\]/.exec(file)?.[1] ?? null;
}

/** A SQL list literal of file paths. */
function fileList(files: readonly string[]): string {
  return `[${files.map(literal).join(", ")}]`;
}

/** Reads and checks `dir/manifest.json` (format, schema version, UTC offset). */
function readManifest(dir: string): ParquetManifest {
  const file = path.join(dir, "manifest.json");
  let manifest: Partial<ParquetManifest>;
  try {
    manifest = JSON.parse(fs.readFileSync(file, "utf8")) as Partial<ParquetManifest>;
  } catch (error) {
    throw new MtfError("BAD_ROW", `${file} is not valid JSON: ${errorMessage(error)}`, { cause: error });
  }
  if (
    manifest.format !== "mtf-log-store" ||
    !Array.isArray(manifest.userProfileFeatures) ||
    typeof manifest.utcOffset !== "string"
  ) {
    throw new MtfError(
      "BAD_ROW",
      `${file}: not an mtf log-store manifest (format, utcOffset, userProfileFeatures)`,
    );
  }
  if (manifest.schemaVersion !== STORE_SCHEMA_VERSION) {
    throw new MtfError(
      "STORE_SCHEMA_MISMATCH",
      `${file}: export of store schema version ${String(manifest.schemaVersion)}; this mtf reads version ${STORE_SCHEMA_VERSION}`,
    );
  }
  timeZoneOffsetMinutes(manifest.utcOffset); // refuses a malformed offset
  return manifest as ParquetManifest;
}
