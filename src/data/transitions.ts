/**
 * Sessions → states → transitions (paper Sec. 2 and 3.2.3; DESIGN.md "MDP"). A
 * `TransitionBuilder` streams per-play rows in (user, time) order, runs the state encoder and
 * emits transitions (s, a, r, s', terminated, truncated) into a sink:
 *
 * - States: each state is written once, in stream order. The state of play t is encoded from
 *   the user's plays before t (never t itself), then t is recorded into the history. A state row
 *   is written when play t forms a transition or is the s' of the previous one.
 * - Sessions: the rows carry session-bounds.sql's flags (user start, session start, last play);
 *   the builder counts positions in the session and remembers the session's start time.
 * - Transitions: one per eligible play (a logged action from a selected exploration group, in a
 *   session that started at or after `fromMs`), with
 *   a = the logged normalised action, r = Eq. 2 over the play's feedback, s = its state and
 *   s' = the state of the next play of the same session (eligible or not). After a session's
 *   last play, s' is an end state: the history with that play recorded, at its end time
 *   (ts + play time) and position = session length. Transitions refer to states by index; no
 *   second copy of next states exists.
 * - Episode ends, only on the transition of a session's last play:
 *   `terminated` (no bootstrap) when the session ended: its exit was logged as 1, or the exit is
 *   derived and the data window went on for longer than the inactivity threshold after it;
 *   `truncated` (bootstrap allowed) when the end of the data window cut the session: the exit
 *   was logged as 0, or the exit is derived and the last play lies within the inactivity
 *   threshold of the window's end (the user might have played on after the log stops).
 */
import { MtfError } from "../core/errors.js";
import { ACTION_DIM } from "../core/interfaces.js";
import { N_REWARD_FEATURES, type PlayFeedback, reward, rewardFeatures } from "../core/reward.js";
import { encodeState, type PlayOutcome, recordPlay, stateDim, UserHistory } from "../core/state-encoder.js";
import { N_TASKS, taskIndex } from "../core/tasks.js";

/** Transitions in memory: a state matrix and per-transition arrays indexing into it. */
export interface TransitionTable {
  readonly stateDim: number;
  /** [nStates x stateDim], raw encoded states, each once. */
  readonly states: Float32Array;
  /** [nTransitions x 12], normalised actions. */
  readonly actions: Float32Array;
  /** [nTransitions], Eq. 2. */
  readonly rewards: Float32Array;
  /** [nTransitions] row of s in `states`. */
  readonly stateIndex: Int32Array;
  /** [nTransitions] row of s' in `states`. */
  readonly nextIndex: Int32Array;
  /** [nTransitions] 1 = session ended here (no bootstrap). */
  readonly terminated: Uint8Array;
  /** [nTransitions] 1 = the data window cut the session here (bootstrap allowed). */
  readonly truncated: Uint8Array;
  /** [nTransitions] 1 = first transition of its session (an initial state s0 for OPE). */
  readonly first: Uint8Array;
}

/**
 * One per-play row as the build reads it (reused between rows). It is the `PlayOutcome` the
 * encoder records: `outcomes` holds the 12 task outcomes (NaN = unknown; exit already derived)
 * and the builder fills `positionInSession` from its own count.
 */
export interface PlayRow extends PlayOutcome {
  startsUser: boolean;
  startsSession: boolean;
  lastInSession: boolean;
  timestampMs: number;
  positionInSession: number;
  playTimeMs: number;
  /** 0 = unknown. */
  durationMs: number;
  readonly outcomes: Float64Array;
  /** Whether the log carried the exit outcome (else it was derived from the session end). */
  exitLogged: boolean;
  /** Has a logged action from a selected exploration group (the session-level day filter is the builder's). */
  selected: boolean;
  /** [12] normalised action (meaningful when selected). */
  readonly action: Float64Array;
  /** [profileDim] */
  readonly profile: Float64Array;
}

export function createPlayRow(profileDim: number): PlayRow {
  return {
    startsUser: false,
    startsSession: false,
    lastInSession: false,
    timestampMs: 0,
    positionInSession: 0,
    playTimeMs: 0,
    durationMs: 0,
    outcomes: new Float64Array(N_TASKS),
    exitLogged: false,
    selected: false,
    action: new Float64Array(ACTION_DIM),
    profile: new Float64Array(profileDim),
  };
}

/** Where a builder writes; calls come in file order. */
export interface TransitionSink {
  /** Appends a state row (the array is reused after the call). */
  writeState(state: Float32Array): void;
  /** Appends a transition's fields except s', which `writeNextIndex` gives later, in order. */
  writeTransition(
    stateIndex: number,
    action: Float64Array,
    reward: number,
    terminated: boolean,
    truncated: boolean,
    first: boolean,
  ): void;
  writeNextIndex(nextIndex: number): void;
  /** A session with transitions ended. */
  endSession(startMs: number, firstTransition: number, transitions: number): void;
}

export interface TransitionBuilderOptions {
  readonly profileDim: number;
  /** Eq. 2 weights in `REWARD_FEATURES` order. */
  readonly rewardWeights: ArrayLike<number>;
  /** Last event time of the data window, ms. */
  readonly windowEndMs: number;
  /** Inactivity threshold that ends a session, ms (also the truncation margin). */
  readonly inactivityMs: number;
  /** Sessions that start before this time form no transitions (the day filter), ms. */
  readonly fromMs: number;
  readonly utcOffsetMinutes: number;
}

export interface TransitionCounts {
  readonly plays: number;
  readonly states: number;
  readonly transitions: number;
  readonly sessions: number;
  readonly terminated: number;
  readonly truncated: number;
  /** Eligible plays whose reward used an unknown feature (counted as 0 by Eq. 2). */
  readonly rewardsWithUnknownFeatures: number;
}

const EXIT = taskIndex("exit");
/** The Eq. 2 outcomes read from `PlayRow.outcomes`, with their task index. */
const FEEDBACK_OUTCOMES = ["like", "comment", "follow", "forward", "profile_enter", "hate", "skip"] as const;
const FEEDBACK_TASKS: readonly number[] = FEEDBACK_OUTCOMES.map((name) => taskIndex(name));

/** A `PlayFeedback` the builder refills for every play. */
type MutableFeedback = {
  playTimeMs: number;
  durationMs: number | null;
  outcomes: Record<string, number | null>;
};

export class TransitionBuilder {
  private readonly options: TransitionBuilderOptions;
  private readonly sink: TransitionSink;
  private readonly history = new UserHistory();
  private readonly state: Float32Array;
  private readonly features = new Float64Array(N_REWARD_FEATURES);
  private readonly feedback: MutableFeedback;
  private plays = 0;
  private states = 0;
  private transitions = 0;
  private sessions = 0;
  private terminated = 0;
  private truncated = 0;
  private unknownRewards = 0;
  /** The last transition still waits for its s'. */
  private pending = false;
  private sessionFirst = 0;
  private sessionTransitions = 0;
  private sessionStartMs = 0;
  private sessionSelected = false;
  private position = 0;

  constructor(options: TransitionBuilderOptions, sink: TransitionSink) {
    this.options = options;
    this.sink = sink;
    this.state = new Float32Array(stateDim(options.profileDim));
    // Every key present from the start, so the object keeps one shape.
    const outcomes: Record<string, number | null> = {};
    for (const name of FEEDBACK_OUTCOMES) outcomes[name] = null;
    this.feedback = { playTimeMs: 0, durationMs: null, outcomes };
  }

  push(row: PlayRow): void {
    if (row.profile.length !== this.options.profileDim) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `row profile has ${row.profile.length} features, expected ${this.options.profileDim}`,
      );
    }
    if (row.startsUser) {
      if (!row.startsSession) throw new MtfError("INTERNAL", "a user's first play must start a session");
      this.history.reset();
    }
    if (row.startsSession) {
      if (this.pending) throw new MtfError("INTERNAL", "a session ended without its last play flagged");
      this.sessionFirst = this.transitions;
      this.sessionTransitions = 0;
      this.sessionStartMs = row.timestampMs;
      this.sessionSelected = row.timestampMs >= this.options.fromMs;
      this.position = 0;
    } else {
      this.position += 1;
    }
    row.positionInSession = this.position;
    const sink = this.sink;
    const eligible = row.selected && this.sessionSelected;
    if (eligible || this.pending) {
      const index = this.writeState(row, row.timestampMs, row.positionInSession);
      if (this.pending) {
        sink.writeNextIndex(index);
        this.pending = false;
      }
      if (eligible) this.emit(row, index);
    }
    recordPlay(this.history, row);
    this.plays += 1;
    if (row.lastInSession) {
      if (this.pending) {
        // s' of the session's last transition: the history with the last play, at its end.
        sink.writeNextIndex(
          this.writeState(row, row.timestampMs + row.playTimeMs, row.positionInSession + 1),
        );
        this.pending = false;
      }
      if (this.sessionTransitions > 0) {
        sink.endSession(this.sessionStartMs, this.sessionFirst, this.sessionTransitions);
        this.sessions += 1;
      }
    }
  }

  /** Checks the stream ended on a session's last play. */
  finish(): TransitionCounts {
    if (this.pending) throw new MtfError("INTERNAL", "the play stream ended inside a session");
    return {
      plays: this.plays,
      states: this.states,
      transitions: this.transitions,
      sessions: this.sessions,
      terminated: this.terminated,
      truncated: this.truncated,
      rewardsWithUnknownFeatures: this.unknownRewards,
    };
  }

  private writeState(row: PlayRow, nowMs: number, position: number): number {
    encodeState(this.history, row.profile, nowMs, position, this.state, 0, this.options.utcOffsetMinutes);
    this.sink.writeState(this.state);
    return this.states++;
  }

  private emit(row: PlayRow, stateIndex: number): void {
    const feedback = this.feedback;
    feedback.playTimeMs = row.playTimeMs;
    feedback.durationMs = row.durationMs > 0 ? row.durationMs : null;
    for (let k = 0; k < FEEDBACK_OUTCOMES.length; k++) {
      const v = row.outcomes[FEEDBACK_TASKS[k]];
      feedback.outcomes[FEEDBACK_OUTCOMES[k]] = Number.isNaN(v) ? null : v;
    }
    if (rewardFeatures(feedback as PlayFeedback, this.features) !== 0) this.unknownRewards += 1;
    const r = reward(this.features, this.options.rewardWeights); // Eq. 2
    let terminated = false;
    let truncated = false;
    if (row.lastInSession) {
      truncated = row.exitLogged
        ? row.outcomes[EXIT] === 0
        : row.timestampMs >= this.options.windowEndMs - this.options.inactivityMs;
      terminated = !truncated;
      if (terminated) this.terminated += 1;
      else this.truncated += 1;
    }
    this.sink.writeTransition(
      stateIndex,
      row.action,
      r,
      terminated,
      truncated,
      this.sessionTransitions === 0,
    );
    this.sessionTransitions += 1;
    this.transitions += 1;
    this.pending = true;
  }
}
