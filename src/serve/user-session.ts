/**
 * A user's serving state and how requests and plays move it, mirroring the dataset build so the
 * same event history gives the same state online and offline (data/sql/session-bounds.sql,
 * data/transitions.ts):
 *
 * - Sessions: a play (or request) continues the session of the previous play when both carry the
 *   same session id, or neither carries one and the gap is at most the inactivity threshold;
 *   otherwise it starts a new one. Its position is the count of plays of the session before it.
 * - Exit: an event's logged exit outcome is used as is; when absent, the build derives it from
 *   the session end (1 on a session's last play). Online that is known only when the next play
 *   or request arrives, so the play is recorded with exit unknown and resolved then; a request's
 *   state resolves it on a copy, as the next play will.
 * - Skip: an absent skip outcome is derived as play time < 3 s, as the build does.
 * - The state of a request is encoded from the plays recorded before it, at the request's time.
 */
import type { PlayEvent } from "../core/events.js";
import { SKIP_THRESHOLD_MS } from "../core/reward.js";
import {
  encodeState,
  outcomeFromEvent,
  recordPlay,
  resolveLastExit,
  UserHistory,
} from "../core/state-encoder.js";
import { taskIndex } from "../core/tasks.js";

const SKIP = taskIndex("skip");

export interface UserServingState {
  readonly history: UserHistory;
  /** Time of the last recorded play, epoch ms (0 before any). */
  readonly lastPlayMs: number;
  /** Session id of the last recorded play (null when it carried none). */
  readonly lastSessionId: string | null;
  /** Plays recorded in the last play's session. */
  readonly sessionPlays: number;
  /** The last play's exit outcome is unknown until the next play or request shows it. */
  readonly exitPending: boolean;
}

export interface SessionRules {
  /** Gap that ends a session when no session ids are logged, ms. */
  readonly inactivityMs: number;
  /** Local time zone of the hour features, minutes east of UTC. */
  readonly utcOffsetMinutes: number;
}

export function newUserState(): UserServingState {
  return {
    history: new UserHistory(),
    lastPlayMs: 0,
    lastSessionId: null,
    sessionPlays: 0,
    exitPending: false,
  };
}

/** Whether something at `timestampMs` with `sessionId` continues the last play's session. */
export function continuesSession(
  state: UserServingState,
  timestampMs: number,
  sessionId: string | null,
  rules: SessionRules,
): boolean {
  if (state.history.plays === 0) return false;
  if (sessionId !== null || state.lastSessionId !== null) return sessionId === state.lastSessionId;
  return timestampMs - state.lastPlayMs <= rules.inactivityMs;
}

/**
 * Writes the state of a request at `timestampMs` into `out[0 .. stateDim)`; `state` null is a
 * new user. Leaves `state` unchanged.
 */
export function encodeRequestState(
  state: UserServingState | null,
  profile: ArrayLike<number>,
  timestampMs: number,
  sessionId: string | null,
  rules: SessionRules,
  out: Float32Array,
): number {
  const user = state ?? newUserState();
  const continues = continuesSession(user, timestampMs, sessionId, rules);
  const position = continues ? user.sessionPlays : 0;
  let history = user.history;
  if (user.exitPending) {
    history = new UserHistory();
    history.data.set(user.history.data);
    resolveLastExit(history, continues ? 0 : 1);
  }
  encodeState(history, profile, timestampMs, position, out, 0, rules.utcOffsetMinutes);
  return position;
}

export type PlayResult = "recorded" | "out_of_order";

/**
 * Records a played event into the user's state (mutating `state.history`) and returns the new
 * state. Events must come in time order per user: an event older than the last recorded play
 * is `out_of_order` and leaves the state as it was (it is still logged; the next dataset build
 * orders it correctly).
 */
export function applyPlay(
  state: UserServingState | null,
  event: PlayEvent,
  rules: SessionRules,
): { readonly state: UserServingState; readonly result: PlayResult } {
  const user = state ?? newUserState();
  if (user.history.plays > 0 && event.timestampMs < user.lastPlayMs)
    return { state: user, result: "out_of_order" };
  const continues = continuesSession(user, event.timestampMs, event.sessionId, rules);
  if (user.exitPending) resolveLastExit(user.history, continues ? 0 : 1);
  const position = continues ? user.sessionPlays : 0;
  const play = outcomeFromEvent(event, position);
  const outcomes = Float64Array.from(play.outcomes);
  if (event.outcomes.skip === null) outcomes[SKIP] = event.playTimeMs < SKIP_THRESHOLD_MS ? 1 : 0;
  recordPlay(user.history, { ...play, outcomes });
  return {
    state: {
      history: user.history,
      lastPlayMs: event.timestampMs,
      lastSessionId: event.sessionId,
      sessionPlays: position + 1,
      exitPending: event.outcomes.exit === null,
    },
    result: "recorded",
  };
}

/** Plays of one user in the order the dataset build streams them: (time, event id). */
export function comparePlays(a: PlayEvent, b: PlayEvent): number {
  if (a.timestampMs !== b.timestampMs) return a.timestampMs - b.timestampMs;
  return a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0;
}
