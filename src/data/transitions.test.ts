import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FALLBACK_REWARD_WEIGHTS, rewardWeights } from "../core/reward.js";
import { HISTORY_FEATURES, stateDim } from "../core/state-encoder.js";
import { N_TASKS, taskIndex } from "../core/tasks.js";
import { createPlayRow, type PlayRow, TransitionBuilder, type TransitionSink } from "./transitions.js";

/** Collects everything a builder writes. */
class MemorySink implements TransitionSink {
  readonly states: Float32Array[] = [];
  readonly stateIndex: number[] = [];
  readonly nextIndex: number[] = [];
  readonly actions: number[][] = [];
  readonly rewards: number[] = [];
  readonly terminated: number[] = [];
  readonly truncated: number[] = [];
  readonly first: number[] = [];
  readonly sessions: [number, number, number][] = [];

  writeState(state: Float32Array): void {
    this.states.push(state.slice());
  }

  writeTransition(
    s: number,
    a: Float64Array,
    r: number,
    terminated: boolean,
    truncated: boolean,
    first: boolean,
  ): void {
    this.stateIndex.push(s);
    this.actions.push(Array.from(a));
    this.rewards.push(r);
    this.terminated.push(terminated ? 1 : 0);
    this.truncated.push(truncated ? 1 : 0);
    this.first.push(first ? 1 : 0);
  }

  writeNextIndex(next: number): void {
    this.nextIndex.push(next);
  }

  endSession(startMs: number, firstTransition: number, transitions: number): void {
    this.sessions.push([startMs, firstTransition, transitions]);
  }
}

const MIN = 60_000;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);
const LIKE = taskIndex("like");
const SKIP = taskIndex("skip");
const EXIT = taskIndex("exit");
const PROFILE = [7];
const feature = (state: Float32Array, name: string) => state[PROFILE.length + HISTORY_FEATURES.indexOf(name)];

interface Play {
  readonly ts: number;
  readonly starts?: "user" | "session";
  readonly last?: boolean;
  readonly selected?: boolean;
  readonly playS?: number;
  readonly like?: number;
  readonly skip?: number;
  /** Logged exit; absent = derived (1 on the last play). */
  readonly exitLogged?: number;
  readonly action?: number;
}

function rows(plays: readonly Play[]): PlayRow[] {
  return plays.map((p) => {
    const row = createPlayRow(PROFILE.length);
    row.profile.set(PROFILE);
    row.startsUser = p.starts === "user";
    row.startsSession = p.starts !== undefined;
    row.lastInSession = p.last === true;
    row.timestampMs = p.ts;
    row.playTimeMs = (p.playS ?? 30) * 1000;
    row.durationMs = 60_000;
    row.outcomes.fill(0);
    row.outcomes[LIKE] = p.like ?? 0;
    row.outcomes[SKIP] = p.skip ?? (row.playTimeMs < 3000 ? 1 : 0); // as the SQL derives it
    row.exitLogged = p.exitLogged !== undefined;
    row.outcomes[EXIT] = p.exitLogged ?? (p.last === true ? 1 : 0);
    row.selected = p.selected ?? true;
    row.action.fill(p.action ?? 0.5);
    return row;
  });
}

function build(plays: readonly Play[], options: { windowEndMs: number; fromMs?: number }) {
  const sink = new MemorySink();
  const builder = new TransitionBuilder(
    {
      profileDim: PROFILE.length,
      rewardWeights: rewardWeights("default"),
      windowEndMs: options.windowEndMs,
      inactivityMs: 30 * MIN,
      fromMs: options.fromMs ?? 0,
      utcOffsetMinutes: 480,
    },
    sink,
  );
  for (const row of rows(plays)) builder.push(row);
  return { sink, counts: builder.finish() };
}

describe("TransitionBuilder", () => {
  // Session A (3 plays) ends long before the window's end: terminated. Session B starts with a
  // play without action and ends 10 min before the window's end: truncated.
  const plays: Play[] = [
    { ts: T0, starts: "user", like: 1 }, // p0
    { ts: T0 + MIN, playS: 2 }, // p1: a skip
    { ts: T0 + 2 * MIN, last: true }, // p2
    { ts: T0 + 120 * MIN, starts: "session", selected: false }, // q0: no action
    { ts: T0 + 121 * MIN }, // q1
    { ts: T0 + 122 * MIN, last: true }, // q2
  ];
  const windowEndMs = T0 + 132 * MIN;

  it("indexes s and s' in one state matrix, each state once", () => {
    const { sink, counts } = build(plays, { windowEndMs });
    // states: p0, p1, p2, end(A), q1, q2, end(B); q0 needs none (no transition, no s' of one).
    assert.equal(sink.states.length, 7);
    assert.deepEqual(sink.stateIndex, [0, 1, 2, 4, 5]);
    assert.deepEqual(sink.nextIndex, [1, 2, 3, 5, 6]);
    assert.deepEqual(sink.first, [1, 0, 0, 1, 0]);
    assert.deepEqual(sink.sessions, [
      [T0, 0, 3],
      [T0 + 120 * MIN, 3, 2],
    ]);
    assert.deepEqual(counts, {
      plays: 6,
      states: 7,
      transitions: 5,
      sessions: 2,
      terminated: 1,
      truncated: 1,
      rewardsWithUnknownFeatures: 0,
    });
    assert.equal(sink.states[0].length, stateDim(PROFILE.length));
    assert.deepEqual(sink.actions[0], new Array(N_TASKS).fill(0.5));
  });

  it("marks a session's end terminated, or truncated within the inactivity threshold of the window's end", () => {
    const { sink } = build(plays, { windowEndMs });
    assert.deepEqual(sink.terminated, [0, 0, 1, 0, 0]);
    assert.deepEqual(sink.truncated, [0, 0, 0, 0, 1]);
    // 31 minutes before the window's end: the session ended.
    const later = build(plays, { windowEndMs: T0 + 153 * MIN });
    assert.deepEqual(later.sink.terminated, [0, 0, 1, 0, 1]);
    assert.deepEqual(later.sink.truncated, [0, 0, 0, 0, 0]);
    // A logged exit decides: 0 = the session went on (truncated), 1 = it ended.
    const logged = build(
      plays.map((p, i) => (i === 2 ? { ...p, exitLogged: 0 } : i === 5 ? { ...p, exitLogged: 1 } : p)),
      { windowEndMs },
    );
    assert.deepEqual(logged.sink.terminated, [0, 0, 0, 0, 1]);
    assert.deepEqual(logged.sink.truncated, [0, 0, 1, 0, 0]);
  });

  it("computes Eq. 2 rewards by hand", () => {
    const { sink } = build(plays, { windowEndMs });
    const w = FALLBACK_REWARD_WEIGHTS;
    // p0: 30 s of 60 s, a like: 0.5 min, integrity 0.5, like 1.
    const p0 = w.play_time_min * 0.5 + w.play_integrity * 0.5 + w.like;
    // p1: 2 s of 60 s, a skip.
    const p1 = w.play_time_min * (2 / 60) + w.play_integrity * (2 / 60) + w.skip;
    const plain = w.play_time_min * 0.5 + w.play_integrity * 0.5;
    const expected = [p0, p1, plain, plain, plain];
    for (const [i, r] of sink.rewards.entries()) {
      assert.ok(Math.abs(r - expected[i]) < 1e-12, `reward ${i}: ${r} vs ${expected[i]}`);
    }
  });

  it("encodes each state from the plays before it only", () => {
    const { sink } = build(plays, { windowEndMs });
    const [s0, s1, s2, endA, q1] = sink.states;
    assert.equal(feature(s0, "has_history"), 0); // p0 sees nothing, not even its own like
    assert.equal(feature(s0, "w10_like"), 0);
    assert.equal(s0[0], 7); // profile first
    assert.equal(feature(s1, "w10_like"), 1); // p1 sees p0's like
    assert.ok(Math.abs(feature(s1, "log_plays") - Math.log1p(1)) < 1e-6);
    assert.ok(Math.abs(feature(s2, "w10_like") - 0.5) < 1e-6);
    assert.ok(Math.abs(feature(s2, "w10_skip") - 0.5) < 1e-6);
    // The end state holds the session's last play, at its end, at position = session length.
    assert.ok(Math.abs(feature(endA, "w10_like") - 1 / 3) < 1e-6);
    assert.ok(Math.abs(feature(endA, "log_position_in_session") - Math.log1p(3)) < 1e-6);
    assert.ok(Math.abs(feature(endA, "log_hours_since_prev_play") - Math.log1p(0.5 / 60)) < 1e-6);
    // q1 (position 1 of session B) sees q0, which formed no transition.
    assert.ok(Math.abs(feature(q1, "log_plays") - Math.log1p(4)) < 1e-6);
    assert.ok(Math.abs(feature(q1, "log_position_in_session") - Math.log1p(1)) < 1e-6);
  });

  it("leaves sessions that start before the day filter out of the transitions, not out of the history", () => {
    const { sink, counts } = build(plays, { windowEndMs, fromMs: T0 + 60 * MIN });
    assert.equal(counts.transitions, 2);
    assert.equal(counts.sessions, 1);
    assert.deepEqual(sink.stateIndex, [0, 1]);
    assert.ok(Math.abs(feature(sink.states[0], "log_plays") - Math.log1p(4)) < 1e-6);
  });

  it("refuses a stream that does not end a session it started", () => {
    const sink = new MemorySink();
    const builder = new TransitionBuilder(
      {
        profileDim: 1,
        rewardWeights: rewardWeights("default"),
        windowEndMs: T0,
        inactivityMs: 30 * MIN,
        fromMs: 0,
        utcOffsetMinutes: 480,
      },
      sink,
    );
    builder.push(rows([{ ts: T0, starts: "user" }])[0]);
    assert.throws(() => builder.finish(), { code: "INTERNAL" });
    assert.throws(() => builder.push(createPlayRow(2)), { code: "SHAPE_MISMATCH" });
  });
});
