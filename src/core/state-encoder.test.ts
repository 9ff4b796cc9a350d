import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "./rng.js";
import {
  encodeState,
  HISTORY_DIM,
  HISTORY_FEATURES,
  HISTORY_WINDOWS,
  historyFromJSON,
  historyToJSON,
  outcomeFromEvent,
  type PlayOutcome,
  playIntegrity,
  recordPlay,
  resolveLastExit,
  STATE_ENCODER_VERSION,
  stateDim,
  UserHistory,
} from "./state-encoder.js";
import { N_TASKS, TASKS, taskIndex } from "./tasks.js";

const FINISH = taskIndex("finish");
const PLAY_TIME = taskIndex("play_time");
const EXIT = taskIndex("exit");
const CONTEXT = HISTORY_FEATURES.indexOf("w500_click");

/** A seeded stream of plays of one user: sessions of 1-30 plays, gaps, some unknown outcomes. */
function randomPlays(rng: Rng, count: number): PlayOutcome[] {
  const plays: PlayOutcome[] = [];
  let ts = 1_650_000_000_000;
  let position = 0;
  let sessionLength = 1 + rng.int(30);
  for (let i = 0; i < count; i++) {
    const durationMs = rng.bernoulli(0.1) ? 0 : 5_000 + rng.int(120_000);
    const playTimeMs = rng.int(150_000);
    const outcomes: number[] = TASKS.map((task) => (rng.bernoulli(task === "click" ? 0.7 : 0.2) ? 1 : 0));
    outcomes[FINISH] = durationMs > 0 ? (playTimeMs >= durationMs ? 1 : 0) : Number.NaN;
    const last = position === sessionLength - 1;
    outcomes[EXIT] = last ? 1 : 0;
    plays.push({ timestampMs: ts, positionInSession: position, playTimeMs, durationMs, outcomes });
    if (last) {
      position = 0;
      sessionLength = 1 + rng.int(30);
      ts += 3_600_000 + rng.int(48 * 3_600_000);
    } else {
      position += 1;
      ts += playTimeMs + rng.int(5_000);
    }
  }
  return plays;
}

function channelValue(play: PlayOutcome, c: number): number {
  if (c === N_TASKS) return playIntegrity(play.playTimeMs, play.durationMs);
  return c === PLAY_TIME ? play.playTimeMs : play.outcomes[c];
}

/** The window means recomputed naively from the plays before `t`. */
function naiveWindows(plays: readonly PlayOutcome[], t: number): number[] {
  const values: number[] = [];
  for (const size of HISTORY_WINDOWS) {
    const window = plays.slice(Math.max(0, t - size), t);
    for (let c = 0; c <= N_TASKS; c++) {
      let sum = 0;
      let known = 0;
      for (const play of window) {
        const v = channelValue(play, c);
        if (!Number.isNaN(v)) {
          sum += v;
          known += 1;
        }
      }
      const mean = known > 0 ? sum / known : 0;
      values.push(c === PLAY_TIME ? Math.log1p(mean / 1000) : mean);
    }
  }
  return values;
}

describe("state encoder", () => {
  it("has a version and a documented layout", () => {
    assert.equal(typeof STATE_ENCODER_VERSION, "number");
    assert.ok(STATE_ENCODER_VERSION >= 1);
    assert.equal(HISTORY_FEATURES.length, HISTORY_DIM);
    assert.equal(stateDim(3), 3 + HISTORY_DIM);
    assert.equal(new Set(HISTORY_FEATURES).size, HISTORY_DIM);
    assert.throws(() => stateDim(-1), { code: "INVALID_ARGUMENT" });
  });

  it("computes the 500/50/10 windows exactly as a naive recomputation over a seeded stream", () => {
    const rng = new Rng(7);
    const plays = randomPlays(rng, 1_300);
    const history = new UserHistory();
    const profile = [0.5, -1];
    const out = new Float32Array(stateDim(profile.length));
    for (let t = 0; t < plays.length; t++) {
      const play = plays[t];
      encodeState(history, profile, play.timestampMs, play.positionInSession, out, 0);
      const expected = naiveWindows(plays, t);
      for (let k = 0; k < expected.length; k++) {
        const got = out[profile.length + CONTEXT + k];
        assert.ok(
          Math.abs(got - Math.fround(expected[k])) <= 1e-6 * Math.max(1, Math.abs(expected[k])),
          `play ${t}, feature ${HISTORY_FEATURES[CONTEXT + k]}: ${got} vs ${expected[k]}`,
        );
      }
      recordPlay(history, play);
    }
    assert.equal(history.plays, plays.length);
  });

  it("never lets the current play leak into its own state", () => {
    const plays = randomPlays(new Rng(3), 40);
    const t = 25;
    const altered: PlayOutcome = {
      ...plays[t],
      playTimeMs: plays[t].playTimeMs + 99_000,
      outcomes: Array.from(plays[t].outcomes, (v) => (Number.isNaN(v) ? v : 1 - v)),
    };
    const states = [plays, [...plays.slice(0, t), altered, ...plays.slice(t + 1)]].map((stream) => {
      const history = new UserHistory();
      for (let i = 0; i < t; i++) recordPlay(history, stream[i]);
      const out = new Float32Array(stateDim(0));
      encodeState(history, [], stream[t].timestampMs, stream[t].positionInSession, out, 0);
      return out;
    });
    assert.deepEqual(states[0], states[1]);
  });

  it("gives the documented defaults for a new user", () => {
    const out = new Float32Array(stateDim(1) + 2).fill(9);
    // 2022-05-01T10:00:00+08:00 → local hour 10.
    const nowMs = Date.UTC(2022, 4, 1, 2, 0, 0);
    encodeState(new UserHistory(), [4], nowMs, 0, out, 1);
    assert.equal(out[0], 9);
    assert.equal(out[1], 4);
    const history = Array.from(out.subarray(2, 2 + HISTORY_DIM));
    const hourSin = HISTORY_FEATURES.indexOf("hour_sin");
    for (let k = 0; k < HISTORY_DIM; k++) {
      if (k === hourSin || k === hourSin + 1) continue;
      assert.equal(history[k], 0, HISTORY_FEATURES[k]);
    }
    assert.ok(Math.abs(history[hourSin] - Math.sin((2 * Math.PI * 10) / 24)) < 1e-6);
    assert.ok(Math.abs(history[hourSin + 1] - Math.cos((2 * Math.PI * 10) / 24)) < 1e-6);
    assert.throws(() => encodeState(new UserHistory(), [4], nowMs, 0, new Float32Array(3), 0), {
      code: "SHAPE_MISMATCH",
    });
  });

  it("tracks time since the previous play and previous session start", () => {
    const history = new UserHistory();
    const hour = 3_600_000;
    const outcomes = new Array(N_TASKS).fill(0);
    const play = (timestampMs: number, positionInSession: number): PlayOutcome => ({
      timestampMs,
      positionInSession,
      playTimeMs: 1_000,
      durationMs: 2_000,
      outcomes,
    });
    recordPlay(history, play(0, 0)); // session 1 starts at 0
    recordPlay(history, play(hour, 1));
    recordPlay(history, play(10 * hour, 0)); // session 2 starts at 10 h
    const out = new Float32Array(stateDim(0));
    const at = (name: string) => out[HISTORY_FEATURES.indexOf(name)];
    encodeState(history, [], 11 * hour, 1, out, 0); // inside session 2: previous session started at 0
    assert.ok(Math.abs(at("log_hours_since_prev_play") - Math.log1p(1)) < 1e-6);
    assert.ok(Math.abs(at("log_hours_since_prev_session") - Math.log1p(11)) < 1e-6);
    assert.ok(Math.abs(at("log_position_in_session") - Math.log1p(1)) < 1e-6);
    encodeState(history, [], 12 * hour, 0, out, 0); // a new session: previous session started at 10 h
    assert.ok(Math.abs(at("log_hours_since_prev_session") - Math.log1p(2)) < 1e-6);
    assert.ok(Math.abs(at("log_sessions") - Math.log1p(2)) < 1e-6);
    assert.ok(Math.abs(at("w10_integrity") - 0.5) < 1e-6);
    assert.throws(() => recordPlay(history, play(5 * hour, 1)), { code: "INVALID_ARGUMENT" });
  });

  it("resolves a late exit as if it had been recorded", () => {
    const plays = randomPlays(new Rng(11), 60);
    const direct = new UserHistory();
    const late = new UserHistory();
    for (const play of plays) {
      recordPlay(direct, play);
      const outcomes = Array.from(play.outcomes);
      outcomes[EXIT] = Number.NaN;
      recordPlay(late, { ...play, outcomes });
      resolveLastExit(late, play.outcomes[EXIT]);
    }
    const a = new Float32Array(stateDim(0));
    const b = new Float32Array(stateDim(0));
    encodeState(direct, [], plays[59].timestampMs + 1000, 0, a, 0);
    encodeState(late, [], plays[59].timestampMs + 1000, 0, b, 0);
    assert.deepEqual(a, b);
  });

  it("round-trips a history through JSON", () => {
    const plays = randomPlays(new Rng(5), 720);
    const history = new UserHistory();
    for (const play of plays) recordPlay(history, play);
    const json = JSON.parse(JSON.stringify(historyToJSON(history)));
    const restored = historyFromJSON(json);
    const a = new Float32Array(stateDim(0));
    const b = new Float32Array(stateDim(0));
    const next = plays[plays.length - 1].timestampMs + 60_000;
    encodeState(history, [], next, 3, a, 0);
    encodeState(restored, [], next, 3, b, 0);
    assert.deepEqual(a, b);
    // The restored history keeps streaming identically.
    const more = randomPlays(new Rng(6), 30).map((p) => ({ ...p, timestampMs: p.timestampMs + next }));
    for (const play of more) {
      recordPlay(history, play);
      recordPlay(restored, play);
    }
    encodeState(history, [], next * 2, 0, a, 0);
    encodeState(restored, [], next * 2, 0, b, 0);
    for (let k = 0; k < a.length; k++) assert.ok(Math.abs(a[k] - b[k]) < 1e-6, HISTORY_FEATURES[k]);
    assert.throws(() => historyFromJSON({ ...json, encoderVersion: STATE_ENCODER_VERSION + 1 }), {
      code: "DATASET_MISMATCH",
    });
  });

  it("builds an outcome from a logged event", () => {
    const outcomes = Object.fromEntries(TASKS.filter((t) => t !== "play_time").map((t) => [t, 0])) as Record<
      Exclude<(typeof TASKS)[number], "play_time">,
      number | null
    >;
    outcomes.like = 1;
    outcomes.finish = null;
    const outcome = outcomeFromEvent(
      {
        eventId: "e",
        userId: "u",
        itemId: "i",
        requestId: "r",
        sessionId: null,
        timestampMs: 5,
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
        experimentArm: null,
        durationMs: null,
        playTimeMs: 1200,
        outcomes,
      },
      2,
    );
    assert.equal(outcome.outcomes[taskIndex("like")], 1);
    assert.ok(Number.isNaN(outcome.outcomes[FINISH]));
    assert.ok(Number.isNaN(outcome.durationMs));
    assert.equal(outcome.positionInSession, 2);
  });
});
