/**
 * The per-play stream of a dataset build (DESIGN.md "Storage and scale"): SQL that selects the
 * plays as a narrow projection sorted by (user, time); the reader that turns DuckDB's column
 * vectors, chunk by chunk, into `PlayRow`s without materialising rows as objects; and the
 * session bounds of sql/session-bounds.sql applied to that sorted stream in TypeScript
 * (`SessionCutter`: one sort in DuckDB instead of a window pass's sort plus the final one).
 *
 * A play is "selected" when it carries a logged action (the normalised action, or α mapped
 * through the α bounds) and its exploration group is one of the chosen groups. Only users with
 * a selected play stream, with all their plays, since history features need every play.
 */
import type { DuckDBDataChunk, DuckDBVector } from "@duckdb/node-api";
import { DuckDBTypeId } from "@duckdb/node-api";
import type { AlphaBounds } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { ExplorationGroup } from "../core/events.js";
import { ACTION_DIM } from "../core/interfaces.js";
import { SKIP_THRESHOLD_MS } from "../core/reward.js";
import { TASKS } from "../core/tasks.js";
import type { LogStore } from "./log-store.js";
import { createPlayRow, type PlayRow } from "./transitions.js";

function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** The store keeps each per-task vector all-or-nothing, so one task tells whether a play has an action. */
function hasActionSql(p: string): string {
  return `COALESCE(${p}.action_click, ${p}.alpha_click) IS NOT NULL`;
}

/** A play with a logged action from a selected group (the day filter is per session, in JS). */
function selectedSql(p: string, groups: readonly ExplorationGroup[]): string {
  return `(${hasActionSql(p)} AND ${p}.exploration_group IN (${groups.map(literal).join(", ")}))`;
}

function actionSql(p: string, task: string, i: number, bounds: AlphaBounds): string {
  const low = bounds.low[i];
  const width = bounds.high[i] - low;
  return `COALESCE(${p}.action_${task}, 2 * (${p}.alpha_${task} - (${low})) / ${width} - 1, 0)`;
}

/** Task outcomes packed two bits each (known, value) into `outcome_bits`; exit travels in `flags`. */
const PACKED_TASKS: readonly number[] = TASKS.flatMap((t, i) =>
  t === "play_time" || t === "exit" ? [] : [i],
);
const EXIT = TASKS.indexOf("exit");
const PLAY_TIME = TASKS.indexOf("play_time");

function outcomeBitsSql(p: string): string {
  const terms = PACKED_TASKS.map((t, k) => {
    const task = TASKS[t];
    // DESIGN.md: skip = play < 3 s when the log does not say, so skip is always known.
    const value =
      task === "skip"
        ? `COALESCE(${p}.outcome_skip, CASE WHEN ${p}.play_time_ms < ${SKIP_THRESHOLD_MS} THEN 1 ELSE 0 END)`
        : `${p}.outcome_${task}`;
    return `CASE WHEN ${value} IS NULL THEN 0 ELSE ${2 ** (2 * k)} + ${2 ** (2 * k + 1)} * ${value} END`;
  });
  return terms.join(" + ");
}

/** The users of the partition ($first_user, $last_user]; a NULL first user = from the start. */
function inRangeSql(p: string): string {
  return `(($first_user IS NULL OR ${p}.user_id > $first_user) AND ${p}.user_id <= $last_user)`;
}

function selectedUsersSql(groups: readonly ExplorationGroup[], where = "TRUE"): string {
  return `SELECT DISTINCT s.user_id FROM events AS s WHERE ${selectedSql("s", groups)} AND ${where}`;
}

/**
 * The per-play stream of the users in ($first_user, $last_user] (a NULL first = from the start)
 * in (user, ts, event_id) order, in the column order `COL` names: `user_no` (the user's rank by
 * user_id within the partition, an integer sort key that keeps user_id order), flags (bit 3
 * logged exit value, 4 exit logged, 5 selected; sums of powers of two, as standard SQL has no
 * shift operators), outcome_bits, ts, play and duration (ms), 12 action FLOATs, the profile
 * FLOATs, then session_id. Only session_id can be NULL.
 *
 * Session bounds are not computed here: `streamPlays` derives them from consecutive rows of
 * this sorted stream with the rule of sql/session-bounds.sql (`SessionCutter`), which saves
 * DuckDB the window pass's second sort. Only users with a selected play are kept, with all
 * their plays.
 */
function playStreamSql(groups: readonly ExplorationGroup[], bounds: AlphaBounds, profileDim: number): string {
  const e = "e";
  const columns = [
    "k.user_no",
    `CAST(8 * COALESCE(${e}.outcome_exit, 0) + 16 * (CASE WHEN ${e}.outcome_exit IS NULL THEN 0 ELSE 1 END)
      + 32 * (CASE WHEN ${selectedSql(e, groups)} THEN 1 ELSE 0 END) AS INTEGER) AS flags`,
    `CAST(${outcomeBitsSql(e)} AS INTEGER) AS outcome_bits`,
    `CAST(${e}.ts_ms AS DOUBLE) AS ts`,
    `CAST(${e}.play_time_ms AS DOUBLE) AS play_ms`,
    `CAST(COALESCE(${e}.duration_ms, 0) AS DOUBLE) AS duration_ms`,
    ...TASKS.map((task, i) => `CAST(${actionSql(e, task, i, bounds)} AS FLOAT) AS a_${i}`),
    // DuckDB lists are 1-based (Trino too); Spark: element_at(u.profile, k).
    ...Array.from(
      { length: profileDim },
      (_, k) => `CAST(COALESCE(u.profile[${k + 1}], 0) AS FLOAT) AS profile_${k}`,
    ),
    `${e}.session_id`,
  ];
  // Standard SQL:2003 ROW_NUMBER over the partition's few thousand users, not over its plays.
  return `WITH keys AS (
      SELECT r.user_id, CAST(ROW_NUMBER() OVER (ORDER BY r.user_id) AS INTEGER) AS user_no
      FROM (${selectedUsersSql(groups, inRangeSql("s"))}) AS r
    )
    SELECT ${columns.join(",\n      ")}
    FROM events AS ${e}
      JOIN keys AS k ON k.user_id = ${e}.user_id
      LEFT JOIN users AS u ON u.user_id = ${e}.user_id
    WHERE ${inRangeSql(e)}
    ORDER BY k.user_no, ${e}.ts_ms, ${e}.event_id`;
}

const COL = {
  user: 0,
  flags: 1,
  outcomeBits: 2,
  ts: 3,
  play: 4,
  duration: 5,
  actions: 6,
  profile: 6 + ACTION_DIM,
} as const;

/** DuckDB type of each streamed column, checked before reading; session_id comes last. */
function streamTypes(profileDim: number): DuckDBTypeId[] {
  return [
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.DOUBLE,
    DuckDBTypeId.DOUBLE,
    DuckDBTypeId.DOUBLE,
    ...new Array<DuckDBTypeId>(ACTION_DIM + profileDim).fill(DuckDBTypeId.FLOAT),
    DuckDBTypeId.VARCHAR,
  ];
}

/** The log's extent and how many of its events carry an action. */
export interface LogWindow {
  readonly events: number;
  readonly withAction: number;
  readonly firstMs: number;
  readonly lastMs: number;
}

/** First and last event time, the number of events and of events with an action. */
export async function logWindow(store: LogStore): Promise<LogWindow> {
  const [row] = await store.query<{ events: number; with_action: number; first_ms: number; last_ms: number }>(
    // FILTER (WHERE …) is standard SQL:2003; Spark: count(CASE WHEN … THEN 1 END).
    `SELECT count(*) AS events, count(*) FILTER (WHERE ${hasActionSql("e")}) AS with_action,
       min(ts_ms) AS first_ms, max(ts_ms) AS last_ms FROM events AS e`,
  );
  return {
    events: Number(row.events),
    withAction: Number(row.with_action),
    firstMs: Number(row.first_ms),
    lastMs: Number(row.last_ms),
  };
}

/** "random: 120, target: 40": events with an action per exploration group, for error messages. */
export async function actionsByGroup(store: LogStore): Promise<string> {
  const rows = await store.query<{ grp: string; n: number }>(
    `SELECT COALESCE(exploration_group, '(none logged)') AS grp, count(*) AS n FROM events AS e
     WHERE ${hasActionSql("e")} GROUP BY 1 ORDER BY 1`,
  );
  return rows.map((r) => `${r.grp}: ${r.n}`).join(", ");
}

/** Plays the build will stream, and how many of their users lack a profile (they get zeros). */
export async function streamedPlayCounts(
  store: LogStore,
  groups: readonly ExplorationGroup[],
): Promise<{ readonly plays: number; readonly usersWithoutProfile: number }> {
  const [row] = await store.query<{ plays: number; without_profile: number }>(
    `SELECT count(*) AS plays, count(DISTINCT CASE WHEN u.user_id IS NULL THEN e.user_id END) AS without_profile
     FROM events AS e LEFT JOIN users AS u ON u.user_id = e.user_id
     WHERE e.user_id IN (${selectedUsersSql(groups)})`,
  );
  return { plays: Number(row.plays), usersWithoutProfile: Number(row.without_profile) };
}

export interface PlayStreamOptions {
  readonly groups: readonly ExplorationGroup[];
  readonly alphaBounds: AlphaBounds;
  readonly profileDim: number;
  readonly inactivityMs: number;
  /** About how many plays each partition holds (default 1,000,000). */
  readonly partitionPlays?: number;
}

/** Default plays per partition of the stream: DuckDB sorts the next partition while JS encodes this one. */
export const DEFAULT_PARTITION_PLAYS = 1_000_000;

/**
 * The last user_id of each partition: the selected users in user_id order, cut into runs of
 * about `size` plays (a user is never split), so the partitions in order are the whole stream.
 */
async function partitionBounds(
  store: LogStore,
  groups: readonly ExplorationGroup[],
  size: number,
): Promise<string[]> {
  const rows = await store.query<{ last_user: string }>(
    `WITH per_user AS (
       SELECT e.user_id, count(*) AS n FROM events AS e WHERE e.user_id IN (${selectedUsersSql(groups)}) GROUP BY e.user_id
     ),
     running AS (
       SELECT user_id, sum(n) OVER (ORDER BY user_id ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS plays
       FROM per_user
     )
     SELECT max(user_id) AS last_user FROM running GROUP BY CAST(floor((plays - 1) / ${size}) AS BIGINT) ORDER BY 1`,
  );
  return rows.map((r) => r.last_user);
}

/**
 * Session bounds from consecutive rows of one user-ordered stream, with the rule of
 * sql/session-bounds.sql: a play starts a session when it is the user's first, or when it
 * carries a session_id that differs from the previous play's, or when a logged session_id
 * starts or stops, or, neither play carrying one, when the gap since the previous play exceeds
 * the inactivity threshold. A play is the last of its session when the next play starts one
 * (or is another user's, or there is none). dataset-golden.test.ts and play-stream.test.ts hold
 * it to the SQL.
 */
export class SessionCutter {
  private readonly inactivityMs: number;
  private hasPrevious = false;
  private previousUser = 0;
  private previousTs = 0;
  private previousSession: string | null = null;

  constructor(inactivityMs: number) {
    this.inactivityMs = inactivityMs;
  }

  /** Forgets the previous play (a new partition: its first play starts a user). */
  reset(): void {
    this.hasPrevious = false;
  }

  /** Bit 0: the play starts its user; bit 1: it starts a session. Plays come in stream order. */
  next(user: number, ts: number, session: string | null): number {
    let starts: number;
    if (!this.hasPrevious || user !== this.previousUser) starts = 3;
    else if (session !== null && this.previousSession !== null)
      starts = session !== this.previousSession ? 2 : 0;
    else if (session !== null || this.previousSession !== null) starts = 2;
    else starts = ts - this.previousTs > this.inactivityMs ? 2 : 0;
    this.hasPrevious = true;
    this.previousUser = user;
    this.previousTs = ts;
    this.previousSession = session;
    return starts;
  }
}

/**
 * Streams the selected users' plays in (user, ts, event_id) order into `onRow` (one reused
 * `PlayRow`), calling `onChunk` with the rows done after each DuckDB chunk. Returns the rows read.
 * The stream runs as user-range partitions of about a million plays: each is one DuckDB query
 * whose result is held while the next one runs, so sorting and encoding overlap. A row is
 * handed on once the next row (or the partition's end) says whether it ends its session.
 */
export async function streamPlays(
  store: LogStore,
  options: PlayStreamOptions,
  onRow: (row: PlayRow) => void,
  onChunk?: (done: number) => void,
): Promise<number> {
  const { groups, alphaBounds, profileDim } = options;
  const sql = playStreamSql(groups, alphaBounds, profileDim);
  const types = streamTypes(profileDim);
  const sessionColumn = types.length - 1;
  const size = options.partitionPlays ?? DEFAULT_PARTITION_PLAYS;
  if (!(Number.isInteger(size) && size > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `partitionPlays must be a positive integer, got ${size}`);
  }
  const bounds = await partitionBounds(store, groups, size);
  const partition = async (k: number): Promise<DuckDBDataChunk[]> => {
    const result = await store.connection.run(sql, {
      first_user: k === 0 ? null : bounds[k - 1],
      last_user: bounds[k],
    });
    types.forEach((type, c) => {
      if (result.columnTypeId(c) !== type) {
        throw new MtfError(
          "INTERNAL",
          `per-play column ${c} (${result.columnName(c)}) is not ${DuckDBTypeId[type]}`,
        );
      }
    });
    return result.fetchAllChunks();
  };
  const block = new ColumnBlock(sessionColumn);
  const starts = new Uint8Array(block.stride);
  const cutter = new SessionCutter(options.inactivityMs);
  const row = createPlayRow(profileDim);
  let done = 0;
  let next = bounds.length > 0 ? partition(0) : null;
  try {
    for (let k = 0; next !== null; k++) {
      const chunks = await next;
      next = k + 1 < bounds.length ? partition(k + 1) : null;
      cutter.reset();
      let pending = false; // `row` holds the previous chunk's last play, waiting for its end flag
      for (const chunk of chunks) {
        const rows = block.load(chunk);
        if (rows === 0) continue;
        const sessions = chunk.getColumnVector(sessionColumn) as DuckDBVector<string>;
        const v = block.values;
        for (let r = 0; r < rows; r++) {
          starts[r] = cutter.next(
            v[COL.user * block.stride + r],
            v[COL.ts * block.stride + r],
            sessions.getItem(r),
          );
        }
        if (pending) {
          endRow(row, (starts[0] & 2) !== 0);
          onRow(row);
        }
        for (let r = 0; r < rows - 1; r++) {
          readRow(block, r, starts[r], row, profileDim);
          endRow(row, (starts[r + 1] & 2) !== 0);
          onRow(row);
        }
        readRow(block, rows - 1, starts[rows - 1], row, profileDim);
        pending = true;
        done += rows;
        onChunk?.(done);
      }
      if (pending) {
        endRow(row, true); // a partition ends with a user's last play
        onRow(row);
      }
    }
  } catch (error) {
    await next?.catch(() => undefined); // leave the connection idle before the caller uses it again
    throw error;
  }
  return done;
}

/** The numeric vectors the stream holds (INTEGER, DOUBLE, FLOAT): items read as numbers. */
interface NumericVector {
  getItem(index: number): number | null;
}

/**
 * One chunk's numeric columns copied into one Float64Array ([columns x 2048], column-major), so
 * the row loop reads a typed array instead of calling into vectors per cell.
 */
class ColumnBlock {
  readonly values: Float64Array;
  readonly stride = 2048;
  private readonly columns: number;

  constructor(columns: number) {
    this.columns = columns;
    this.values = new Float64Array(columns * this.stride);
  }

  /** Copies the chunk's first `columns` columns in; returns its row count. */
  load(chunk: DuckDBDataChunk): number {
    const rows = chunk.rowCount;
    if (rows > this.stride)
      throw new MtfError("INTERNAL", `a DuckDB chunk of ${rows} rows exceeds ${this.stride}`);
    for (let c = 0; c < this.columns; c++) {
      copyColumn(chunk.getColumnVector(c) as unknown as NumericVector, rows, this.values, c * this.stride);
    }
    return rows;
  }
}

type NumericItems = Int32Array | Float32Array | Float64Array;

/**
 * Copies a numeric column. The SQL makes these columns non-NULL, so the vector's data is the
 * values: one typed-array copy when the vector exposes it (as @duckdb/node-api's INTEGER, FLOAT
 * and DOUBLE vectors do, in a field its types mark private), item by item otherwise.
 */
function copyColumn(vector: NumericVector, rows: number, out: Float64Array, offset: number): void {
  const items = (vector as { items?: unknown }).items;
  if (
    (items instanceof Int32Array || items instanceof Float32Array || items instanceof Float64Array) &&
    items.length >= rows
  ) {
    out.set((items as NumericItems).subarray(0, rows), offset);
    return;
  }
  for (let r = 0; r < rows; r++) out[offset + r] = vector.getItem(r) ?? Number.NaN;
}

/**
 * Fills `row` from row `r` of the block (column layout: `playStreamSql`) and its session-start
 * bits (`SessionCutter.next`); `endRow` completes it once the next row is known.
 */
function readRow(block: ColumnBlock, r: number, starts: number, row: PlayRow, profileDim: number): void {
  const v = block.values;
  const s = block.stride; // [columns x stride], column-major
  const flags = v[COL.flags * s + r];
  row.startsUser = (starts & 1) !== 0;
  row.startsSession = (starts & 2) !== 0;
  row.exitLogged = (flags & 16) !== 0;
  row.selected = (flags & 32) !== 0;
  row.timestampMs = v[COL.ts * s + r];
  row.playTimeMs = v[COL.play * s + r];
  row.durationMs = v[COL.duration * s + r];
  const bits = v[COL.outcomeBits * s + r];
  for (let k = 0; k < PACKED_TASKS.length; k++) {
    row.outcomes[PACKED_TASKS[k]] = ((bits >>> (2 * k)) & 1) === 1 ? (bits >>> (2 * k + 1)) & 1 : Number.NaN;
  }
  row.outcomes[EXIT] = (flags >>> 3) & 1; // the logged value; endRow derives it when not logged
  row.outcomes[PLAY_TIME] = row.playTimeMs;
  if (row.selected) {
    for (let i = 0; i < ACTION_DIM; i++) {
      const a = v[(COL.actions + i) * s + r];
      if (!(a >= -1 - 1e-6 && a <= 1 + 1e-6)) {
        throw new MtfError(
          "ALPHA_OUT_OF_BOUNDS",
          `a play at ${row.timestampMs} has action ${a} for task "${TASKS[i]}" outside [-1, 1]: its α lies outside the configured α bounds`,
          { details: { task: TASKS[i], action: a, timestampMs: row.timestampMs } },
        );
      }
      row.action[i] = Math.max(-1, Math.min(1, a));
    }
  }
  for (let k = 0; k < profileDim; k++) row.profile[k] = v[(COL.profile + k) * s + r];
}

/** Sets whether the play ends its session, and the exit outcome derived from it when not logged. */
function endRow(row: PlayRow, last: boolean): void {
  row.lastInSession = last;
  if (!row.exitLogged) row.outcomes[EXIT] = last ? 1 : 0;
}
