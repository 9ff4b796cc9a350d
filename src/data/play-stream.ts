/**
 * The per-play stream of a dataset build (DESIGN.md "Storage and scale"): SQL that selects the
 * plays, runs the session bounds (sql/session-bounds.sql) over a narrow projection and sorts by
 * (user, time); and the reader that turns DuckDB's column vectors, chunk by chunk, into
 * `PlayRow`s without materialising rows as objects.
 *
 * A play is "selected" when it carries a logged action (the normalised action, or α mapped
 * through the α bounds) and its exploration group is one of the chosen groups. Only users with
 * a selected play stream, with all their plays, since history features need every play.
 */
import type { DuckDBDataChunk } from "@duckdb/node-api";
import { DuckDBTypeId } from "@duckdb/node-api";
import type { AlphaBounds } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { ExplorationGroup } from "../core/events.js";
import { ACTION_DIM } from "../core/interfaces.js";
import { SKIP_THRESHOLD_MS } from "../core/reward.js";
import { TASKS } from "../core/tasks.js";
import type { LogStore } from "./log-store.js";
import { sessionBoundsSql } from "./sessions.js";
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

/**
 * The narrow per-play projection the session bounds run over: keys, the packed outcomes, the
 * selection flag and the action as FLOATs, so DuckDB sorts ~100 bytes a play, not the wide row.
 * Only users with a selected play are kept, with all their plays.
 */
function playSourceSql(groups: readonly ExplorationGroup[], bounds: AlphaBounds): string {
  const e = "e";
  return `(SELECT ${e}.user_id, ${e}.event_id, ${e}.ts_ms, ${e}.session_id, ${e}.outcome_exit,
      CAST(${e}.play_time_ms AS DOUBLE) AS play_ms,
      CAST(COALESCE(${e}.duration_ms, 0) AS DOUBLE) AS duration_ms,
      CAST(${outcomeBitsSql(e)} AS INTEGER) AS outcome_bits,
      CASE WHEN ${selectedSql(e, groups)} THEN 1 ELSE 0 END AS selected,
      ${TASKS.map((task, i) => `CAST(${actionSql(e, task, i, bounds)} AS FLOAT) AS a_${i}`).join(", ")}
    FROM events AS ${e}
    WHERE ${inRangeSql(e)} AND ${e}.user_id IN (${selectedUsersSql(groups, inRangeSql("s"))}))`;
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
 * in (user, time) order, never NULL, in the column order `readRow` expects:
 * flags (bit 0 user start, 1 session start, 2 last play, 3 exit, 4 exit logged, 5 selected;
 * sums of powers of two, as standard SQL has no shift operators), outcome_bits, ts, play and
 * duration (ms), 12 action FLOATs, the profile FLOATs.
 */
function playStreamSql(groups: readonly ExplorationGroup[], bounds: AlphaBounds, profileDim: number): string {
  const columns = [
    `CAST(p.starts_user + 2 * p.starts_session + 4 * p.is_last_in_session + 8 * p.exit_outcome
      + 16 * (CASE WHEN p.outcome_exit IS NULL THEN 0 ELSE 1 END) + 32 * p.selected AS INTEGER) AS flags`,
    "p.outcome_bits",
    "CAST(p.ts_ms AS DOUBLE) AS ts",
    "p.play_ms",
    "p.duration_ms",
    ...TASKS.map((_, i) => `p.a_${i}`),
    // DuckDB lists are 1-based (Trino too); Spark: element_at(u.profile, k).
    ...Array.from(
      { length: profileDim },
      (_, k) => `CAST(COALESCE(u.profile[${k + 1}], 0) AS FLOAT) AS profile_${k}`,
    ),
  ];
  return `SELECT ${columns.join(",\n    ")}
    FROM (${sessionBoundsSql(playSourceSql(groups, bounds))}) AS p LEFT JOIN users AS u ON u.user_id = p.user_id
    ORDER BY p.user_id, p.ts_ms, p.event_id`;
}

const COL = {
  flags: 0,
  outcomeBits: 1,
  ts: 2,
  play: 3,
  duration: 4,
  actions: 5,
  profile: 5 + ACTION_DIM,
} as const;

/** DuckDB type of each streamed column, checked before reading. */
function streamTypes(profileDim: number): DuckDBTypeId[] {
  return [
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.INTEGER,
    DuckDBTypeId.DOUBLE,
    DuckDBTypeId.DOUBLE,
    DuckDBTypeId.DOUBLE,
    ...new Array<DuckDBTypeId>(ACTION_DIM + profileDim).fill(DuckDBTypeId.FLOAT),
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
 * Streams the selected users' plays in (user, ts, event_id) order into `onRow` (one reused
 * `PlayRow`), calling `onChunk` with the rows done after each DuckDB chunk. Returns the rows read.
 * The stream runs as user-range partitions of about a million plays: each is one DuckDB query
 * whose result is held while the next one runs, so sorting and encoding overlap.
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
  const size = options.partitionPlays ?? DEFAULT_PARTITION_PLAYS;
  if (!(Number.isInteger(size) && size > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `partitionPlays must be a positive integer, got ${size}`);
  }
  const bounds = await partitionBounds(store, groups, size);
  const partition = async (k: number): Promise<DuckDBDataChunk[]> => {
    const result = await store.connection.run(sql, {
      inactivity_ms: options.inactivityMs,
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
  const block = new ColumnBlock(types.length);
  const row = createPlayRow(profileDim);
  let done = 0;
  let next = bounds.length > 0 ? partition(0) : null;
  try {
    for (let k = 0; next !== null; k++) {
      const chunks = await next;
      next = k + 1 < bounds.length ? partition(k + 1) : null;
      for (const chunk of chunks) {
        const rows = block.load(chunk);
        for (let r = 0; r < rows; r++) {
          readRow(block, r, row, profileDim);
          onRow(row);
        }
        done += rows;
        onChunk?.(done);
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
 * One chunk's columns copied into one Float64Array ([columns x 2048], column-major), so the row
 * loop reads a typed array instead of calling into vectors per cell.
 */
class ColumnBlock {
  readonly values: Float64Array;
  readonly stride = 2048;
  private readonly columns: number;

  constructor(columns: number) {
    this.columns = columns;
    this.values = new Float64Array(columns * this.stride);
  }

  /** Copies the chunk in; returns its row count. */
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

function copyColumn(vector: NumericVector, rows: number, out: Float64Array, offset: number): void {
  for (let r = 0; r < rows; r++) out[offset + r] = vector.getItem(r) ?? Number.NaN;
}

/** Fills `row` from row `r` of the block (column layout: `playStreamSql`). */
function readRow(block: ColumnBlock, r: number, row: PlayRow, profileDim: number): void {
  const v = block.values;
  const s = block.stride; // [columns x stride], column-major
  const flags = v[COL.flags * s + r];
  row.startsUser = (flags & 1) !== 0;
  row.startsSession = (flags & 2) !== 0;
  row.lastInSession = (flags & 4) !== 0;
  row.exitLogged = (flags & 16) !== 0;
  row.selected = (flags & 32) !== 0;
  row.timestampMs = v[COL.ts * s + r];
  row.playTimeMs = v[COL.play * s + r];
  row.durationMs = v[COL.duration * s + r];
  const bits = v[COL.outcomeBits * s + r];
  for (let k = 0; k < PACKED_TASKS.length; k++) {
    row.outcomes[PACKED_TASKS[k]] = ((bits >>> (2 * k)) & 1) === 1 ? (bits >>> (2 * k + 1)) & 1 : Number.NaN;
  }
  row.outcomes[EXIT] = (flags >>> 3) & 1;
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
