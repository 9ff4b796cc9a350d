/**
 * The state encoder (paper Sec. 2, "State space S"): the one versioned implementation that
 * turns a user's previous plays into the MDP state, used by the simulator, the dataset build and
 * serving alike (there is no SQL twin).
 *
 *   s = user profile features ++ history features over the user's previous plays
 *
 * The history part summarises the user's last 500 plays (the paper's "watched last 500 videos")
 * and the context of the request. It is computed by streaming: `recordPlay` adds one play in
 * O(1) (ring buffer + running sums for the 500 / 50 / 10 windows) and `encodeState` writes the
 * state of a request from the history as it stands, so the current play never leaks into its own
 * state: encode first, then record.
 *
 * History features, in order (`HISTORY_FEATURES`; all 0 for a new user, see below):
 *   has_history                    1 once the user has a recorded play, else 0
 *   log_plays                      log(1 + number of recorded plays)
 *   log_sessions                   log(1 + number of recorded sessions)
 *   log_mean_play_time_s           log(1 + mean play time in seconds over all recorded plays)
 *   log_hours_since_prev_play      log(1 + hours since the previous play)
 *   log_hours_since_prev_session   log(1 + hours since the start of the previous session)
 *   log_position_in_session        log(1 + position of the request in its session, 0 = first)
 *   hour_sin, hour_cos             local hour of day h (configured UTC offset) as sin/cos(2πh/24)
 *   w{500,50,10}_{channel}         per window: the mean of each channel over the last W plays
 *                                  (fewer while the user has fewer); channels are the 12 task
 *                                  outcomes in task order plus play integrity; `play_time` is
 *                                  log(1 + mean play seconds), the others are rates in [0, 1].
 * A channel value that is unknown for a play (finish or integrity with unknown duration, exit
 * not yet resolved) is left out of that window's mean; a window with no known value gives 0.
 *
 * New user: the all-zero history. Every history feature is then 0, `has_history` included, so
 * "no previous play" is told apart from "a play just now" by that flag; the hour features still
 * follow the request time. The "previous session" is the last session before the request's own
 * one (for a request at position 0 that is the last recorded session).
 *
 * A history is one Float64Array (layout below), so it can be reset, copied and serialised
 * cheaply; serving keeps it per user (e.g. in Redis) through `historyToJSON` / `historyFromJSON`.
 * Exit outcomes are resolved late in serving: record a play with exit unknown (NaN) and call
 * `resolveLastExit` when the next request shows whether the session went on (0) or ended (1).
 *
 * Bump `STATE_ENCODER_VERSION` on ANY change of features, order, scaling or defaults: datasets
 * and model artefacts record it and refuse to mix versions.
 */
import { MtfError } from "./errors.js";
import type { PlayEvent } from "./events.js";
import { N_TASKS, TASKS, taskIndex } from "./tasks.js";

export const STATE_ENCODER_VERSION = 1;

/** History windows, in plays, longest first (the longest is the ring buffer's capacity). */
export const HISTORY_WINDOWS: readonly number[] = Object.freeze([500, 50, 10]);
const CAPACITY = 500;
const N_WINDOWS = 3;

/** Per-play channels kept in the ring buffer: the 12 tasks (task order), then play integrity. */
export const HISTORY_CHANNELS: readonly string[] = Object.freeze([...TASKS, "integrity"]);
const N_CHANNELS = N_TASKS + 1;
const PLAY_TIME = taskIndex("play_time");
const EXIT = taskIndex("exit");
const INTEGRITY = N_TASKS;

/** Default local time zone of the hour features: UTC+8 (KuaiRand's), DESIGN.md "Days". */
export const DEFAULT_UTC_OFFSET_MINUTES = 480;

const CONTEXT_FEATURES = [
  "has_history",
  "log_plays",
  "log_sessions",
  "log_mean_play_time_s",
  "log_hours_since_prev_play",
  "log_hours_since_prev_session",
  "log_position_in_session",
  "hour_sin",
  "hour_cos",
] as const;

/** Names of the history features, in the order `encodeState` writes them after the profile. */
export const HISTORY_FEATURES: readonly string[] = Object.freeze([
  ...CONTEXT_FEATURES,
  ...HISTORY_WINDOWS.flatMap((w) => HISTORY_CHANNELS.map((c) => `w${w}_${c}`)),
]);
export const HISTORY_DIM = HISTORY_FEATURES.length;

/** Size of the state vector for a profile of `profileDim` features. */
export function stateDim(profileDim: number): number {
  if (!Number.isInteger(profileDim) || profileDim < 0) {
    throw new MtfError("INVALID_ARGUMENT", `profileDim must be a non-negative integer, got ${profileDim}`);
  }
  return profileDim + HISTORY_DIM;
}

/** Feature names of the whole state: `profileNames` (the profile's own, in order) ++ history. */
export function stateFeatureNames(profileNames: readonly string[]): readonly string[] {
  return [...profileNames.map((n) => `profile_${n}`), ...HISTORY_FEATURES];
}

// --- history layout: [scalars | sums (W x C) | known counts (W x C) | ring (CAPACITY x C)] ---
const S_HEAD = 0; // next ring slot to write
const S_PLAYS = 1; // plays recorded
const S_SESSIONS = 2; // sessions recorded
const S_LAST_PLAY_MS = 3;
const S_SESSION_START_MS = 4; // start of the last recorded session
const S_PREV_SESSION_START_MS = 5; // start of the session before it
const S_TOTAL_PLAY_MS = 6;
const N_SCALARS = 7;
const SUMS = N_SCALARS;
const KNOWN = SUMS + N_WINDOWS * N_CHANNELS;
const RING = KNOWN + N_WINDOWS * N_CHANNELS;
const HISTORY_LENGTH = RING + CAPACITY * N_CHANNELS;

const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const TWO_PI = 2 * Math.PI;

/**
 * One user's play history. All state lives in `data` (an all-zero array is a new user), which
 * `recordPlay` / `resolveLastExit` update; read it through `encodeState`.
 */
export class UserHistory {
  readonly data = new Float64Array(HISTORY_LENGTH);

  /** Plays recorded so far. */
  get plays(): number {
    return this.data[S_PLAYS];
  }

  /** Forgets everything: the history of a new user. */
  reset(): void {
    this.data.fill(0);
  }
}

/**
 * What one play adds to the history. `outcomes` holds the 0/1 outcome of each task in task order
 * (the `play_time` slot is ignored: `playTimeMs` is used); NaN marks an unknown outcome.
 */
export interface PlayOutcome {
  readonly timestampMs: number;
  /** Position of the play in its session, 0 = first (a 0 starts a new session). */
  readonly positionInSession: number;
  readonly playTimeMs: number;
  /** Video duration; 0 or NaN = unknown (integrity is then unknown). */
  readonly durationMs: number;
  readonly outcomes: ArrayLike<number>;
}

/** Play integrity = play time / duration, capped at 1; NaN when the duration is unknown. */
export function playIntegrity(playTimeMs: number, durationMs: number): number {
  return durationMs > 0 ? Math.min(playTimeMs / durationMs, 1) : Number.NaN;
}

/** A `PlayOutcome` from a logged event (nulls become NaN = unknown). */
export function outcomeFromEvent(event: PlayEvent, positionInSession: number): PlayOutcome {
  const outcomes = new Float64Array(N_TASKS);
  for (let t = 0; t < N_TASKS; t++) {
    const task = TASKS[t];
    outcomes[t] = task === "play_time" ? Number.NaN : (event.outcomes[task] ?? Number.NaN);
  }
  return {
    timestampMs: event.timestampMs,
    positionInSession,
    playTimeMs: event.playTimeMs,
    durationMs: event.durationMs ?? Number.NaN,
    outcomes,
  };
}

/** Adds a channel value to the windows' running sums (sign +1) or removes it (sign -1). */
function accumulate(d: Float64Array, window: number, channel: number, value: number, sign: number): void {
  if (Number.isNaN(value)) return; // unknown, not counted
  const k = window * N_CHANNELS + channel;
  d[SUMS + k] += sign * value;
  d[KNOWN + k] += sign;
}

/** Records a play after its state was encoded. O(1): 3 windows x 13 channels. */
export function recordPlay(history: UserHistory, play: PlayOutcome): void {
  const d = history.data;
  const plays = d[S_PLAYS];
  if (play.outcomes.length < N_TASKS) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `a play needs ${N_TASKS} outcomes (task order), got ${play.outcomes.length}`,
    );
  }
  if (plays > 0 && play.timestampMs < d[S_LAST_PLAY_MS]) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `plays must be recorded in time order: ${play.timestampMs} is before the previous play at ${d[S_LAST_PLAY_MS]}`,
    );
  }
  const head = d[S_HEAD];
  // Leaving values: for window w of size W, the play W back drops out once the window is full.
  for (let w = 0; w < N_WINDOWS; w++) {
    const size = HISTORY_WINDOWS[w];
    if (plays < size) continue;
    const slot = RING + ((head - size + CAPACITY) % CAPACITY) * N_CHANNELS; // ring [CAPACITY x C]
    for (let c = 0; c < N_CHANNELS; c++) accumulate(d, w, c, d[slot + c], -1);
  }
  const slot = RING + head * N_CHANNELS;
  for (let c = 0; c < N_TASKS; c++) d[slot + c] = play.outcomes[c];
  d[slot + PLAY_TIME] = play.playTimeMs; // integer ms: exact running sums
  d[slot + INTEGRITY] = playIntegrity(play.playTimeMs, play.durationMs);
  for (let c = 0; c < N_CHANNELS; c++) {
    const value = d[slot + c];
    if (Number.isNaN(value)) continue; // unknown, not counted
    for (let w = 0; w < N_WINDOWS; w++) {
      d[SUMS + w * N_CHANNELS + c] += value;
      d[KNOWN + w * N_CHANNELS + c] += 1;
    }
  }
  d[S_HEAD] = (head + 1) % CAPACITY;
  if (play.positionInSession === 0 || plays === 0) {
    d[S_PREV_SESSION_START_MS] = d[S_SESSION_START_MS];
    d[S_SESSION_START_MS] = play.timestampMs;
    d[S_SESSIONS] += 1;
  }
  d[S_PLAYS] = plays + 1;
  d[S_LAST_PLAY_MS] = play.timestampMs;
  d[S_TOTAL_PLAY_MS] += play.playTimeMs;
}

/** Sets the exit outcome (0/1) of the last recorded play, e.g. once serving knows it. */
export function resolveLastExit(history: UserHistory, exit: number): void {
  const d = history.data;
  if (d[S_PLAYS] === 0) return;
  if (exit !== 0 && exit !== 1) {
    throw new MtfError("INVALID_ARGUMENT", `exit outcome must be 0 or 1, got ${exit}`);
  }
  const index = RING + ((d[S_HEAD] - 1 + CAPACITY) % CAPACITY) * N_CHANNELS + EXIT;
  // The last play is inside every window.
  for (let w = 0; w < N_WINDOWS; w++) accumulate(d, w, EXIT, d[index], -1);
  d[index] = exit;
  for (let w = 0; w < N_WINDOWS; w++) accumulate(d, w, EXIT, exit, 1);
}

/**
 * Writes the state of a request at `nowMs` (position `positionInSession` in its session) into
 * `out[offset .. offset + stateDim(profile.length))`: the profile, then the history features.
 * Reads only plays recorded before the call.
 */
export function encodeState(
  history: UserHistory,
  profile: ArrayLike<number>,
  nowMs: number,
  positionInSession: number,
  out: Float32Array,
  offset: number,
  utcOffsetMinutes: number = DEFAULT_UTC_OFFSET_MINUTES,
): void {
  const profileDim = profile.length;
  if (offset < 0 || offset + profileDim + HISTORY_DIM > out.length) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `encodeState needs ${profileDim + HISTORY_DIM} values from offset ${offset}, output holds ${out.length}`,
    );
  }
  let o = offset;
  for (let i = 0; i < profileDim; i++) out[o++] = profile[i];

  const d = history.data;
  const plays = d[S_PLAYS];
  const sessions = d[S_SESSIONS];
  out[o++] = plays > 0 ? 1 : 0;
  out[o++] = Math.log1p(plays);
  out[o++] = Math.log1p(sessions);
  out[o++] = plays > 0 ? Math.log1p(d[S_TOTAL_PLAY_MS] / plays / 1000) : 0;
  out[o++] = plays > 0 ? logHours(nowMs - d[S_LAST_PLAY_MS]) : 0;
  // The previous session: the last recorded one when this request opens a session, else the one before.
  const hasPrevious = positionInSession === 0 ? sessions >= 1 : sessions >= 2;
  const previousStart = positionInSession === 0 ? d[S_SESSION_START_MS] : d[S_PREV_SESSION_START_MS];
  out[o++] = hasPrevious ? logHours(nowMs - previousStart) : 0;
  out[o++] = Math.log1p(positionInSession);
  const localMs = nowMs + utcOffsetMinutes * 60_000;
  const angle = (TWO_PI * (((localMs % MS_PER_DAY) + MS_PER_DAY) % MS_PER_DAY)) / MS_PER_DAY;
  out[o++] = Math.sin(angle);
  out[o++] = Math.cos(angle);

  for (let w = 0; w < N_WINDOWS; w++) {
    const base = w * N_CHANNELS;
    for (let c = 0; c < N_CHANNELS; c++) {
      const known = d[KNOWN + base + c];
      const mean = known > 0 ? d[SUMS + base + c] / known : 0;
      out[o++] = c === PLAY_TIME ? Math.log1p(mean / 1000) : mean;
    }
  }
}

function logHours(ms: number): number {
  return Math.log1p(Math.max(ms, 0) / MS_PER_HOUR);
}

// --- serialisation -----------------------------------------------------------------------

/** JSON form of a history: the scalars and the recorded plays (oldest first, null = unknown). */
export interface HistoryJson {
  readonly encoderVersion: number;
  readonly plays: number;
  readonly sessions: number;
  readonly lastPlayMs: number;
  readonly sessionStartMs: number;
  readonly previousSessionStartMs: number;
  readonly totalPlayMs: number;
  /** [min(plays, 500) x 13] channel values, oldest play first, row-major. */
  readonly recent: readonly (number | null)[];
}

export function historyToJSON(history: UserHistory): HistoryJson {
  const d = history.data;
  const plays = d[S_PLAYS];
  const kept = Math.min(plays, CAPACITY);
  const recent: (number | null)[] = new Array(kept * N_CHANNELS);
  const first = (d[S_HEAD] - kept + CAPACITY) % CAPACITY;
  for (let i = 0; i < kept; i++) {
    const slot = RING + ((first + i) % CAPACITY) * N_CHANNELS;
    for (let c = 0; c < N_CHANNELS; c++) {
      const v = d[slot + c];
      recent[i * N_CHANNELS + c] = Number.isNaN(v) ? null : v;
    }
  }
  return {
    encoderVersion: STATE_ENCODER_VERSION,
    plays,
    sessions: d[S_SESSIONS],
    lastPlayMs: d[S_LAST_PLAY_MS],
    sessionStartMs: d[S_SESSION_START_MS],
    previousSessionStartMs: d[S_PREV_SESSION_START_MS],
    totalPlayMs: d[S_TOTAL_PLAY_MS],
    recent,
  };
}

/** Rebuilds a history from `historyToJSON`'s output; running sums are recomputed exactly. */
export function historyFromJSON(json: HistoryJson): UserHistory {
  if (json.encoderVersion !== STATE_ENCODER_VERSION) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `history was written by state encoder v${json.encoderVersion}, this is v${STATE_ENCODER_VERSION}`,
      { details: { expected: STATE_ENCODER_VERSION, actual: json.encoderVersion } },
    );
  }
  const kept = Math.min(json.plays, CAPACITY);
  if (!Number.isInteger(json.plays) || json.plays < 0 || json.recent.length !== kept * N_CHANNELS) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `history JSON with ${json.plays} plays needs ${kept * N_CHANNELS} recent values, got ${json.recent.length}`,
    );
  }
  const history = new UserHistory();
  const d = history.data;
  for (let i = 0; i < kept; i++) {
    const slot = RING + i * N_CHANNELS;
    for (let c = 0; c < N_CHANNELS; c++) d[slot + c] = json.recent[i * N_CHANNELS + c] ?? Number.NaN;
  }
  // Window w holds the last min(plays, W) plays, i.e. ring slots [kept - min(kept, W), kept).
  for (let w = 0; w < N_WINDOWS; w++) {
    for (let i = kept - Math.min(kept, HISTORY_WINDOWS[w]); i < kept; i++) {
      for (let c = 0; c < N_CHANNELS; c++) accumulate(d, w, c, d[RING + i * N_CHANNELS + c], 1);
    }
  }
  d[S_HEAD] = kept % CAPACITY;
  d[S_PLAYS] = json.plays;
  d[S_SESSIONS] = json.sessions;
  d[S_LAST_PLAY_MS] = json.lastPlayMs;
  d[S_SESSION_START_MS] = json.sessionStartMs;
  d[S_PREV_SESSION_START_MS] = json.previousSessionStartMs;
  d[S_TOTAL_PLAY_MS] = json.totalPlayMs;
  return history;
}
