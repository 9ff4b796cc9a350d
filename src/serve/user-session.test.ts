import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import type { PlayEvent } from "../core/events.js";
import { HISTORY_FEATURES, stateDim } from "../core/state-encoder.js";
import { buildDataset, loadDataset } from "../data/dataset.js";
import { LogStore } from "../data/log-store.js";
import { playEvent, syntheticLog } from "../data/synthetic-log.js";
import { tempDir } from "./test-fixtures.js";
import { applyPlay, comparePlays, encodeRequestState, type UserServingState } from "./user-session.js";

const RULES = { inactivityMs: 30 * 60_000, utcOffsetMinutes: 480 };
const MIN = 60_000;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);
const feature = (name: string) => HISTORY_FEATURES.indexOf(name);

/** Varies the synthetic log where serving must infer: unknown skip, duration, exit. */
function roughen(events: readonly PlayEvent[]): PlayEvent[] {
  return events.map((event, i) => ({
    ...event,
    durationMs: i % 11 === 0 ? null : event.durationMs,
    outcomes: {
      ...event.outcomes,
      skip: i % 7 === 0 ? null : event.outcomes.skip,
      finish: i % 11 === 0 ? null : event.outcomes.finish,
      exit: i % 17 === 0 ? 0 : i % 19 === 0 ? 1 : null,
    },
  }));
}

describe("user session state", () => {
  it("gives the same state vectors online as the offline dataset build, for the same event history", async () => {
    const temp = tempDir("consistency");
    const events = [...syntheticLog({ users: 12, days: 4, seed: 5, sessionIdShare: 0.3 })].flatMap(roughen);
    // Every user but u5 has a profile; u5 gets zeros, as the build gives users without one.
    const profiles = new Map<string, number[]>(
      Array.from({ length: 12 }, (_, u): [string, number[]] => [`u${u}`, [u / 10, (u % 3) - 1]]).filter(
        ([id]) => id !== "u5",
      ),
    );
    const store = await LogStore.open(path.join(temp.dir, "store.duckdb"));
    try {
      await store.appendEvents(events);
      await store.upsertUsers(
        [...profiles].map(([userId, profile]) => ({ userId, profile })),
        ["age", "tenure"],
      );
      await buildDataset(store, {
        outDir: path.join(temp.dir, "dataset"),
        reward: { preset: "default", source: "fallback constants" },
        groups: ["random", "action_noise", "target"],
        utcOffsetMinutes: RULES.utcOffsetMinutes,
      });
    } finally {
      store.close();
    }
    const dataset = loadDataset(path.join(temp.dir, "dataset"));
    const dim = stateDim(2);
    assert.equal(dataset.stateDim, dim);

    // Online: per user in the build's order, encode the state at each play's time, then record the play.
    const ordered = [...events].sort((a, b) =>
      a.userId < b.userId ? -1 : a.userId > b.userId ? 1 : comparePlays(a, b),
    );
    assert.equal(dataset.stateIndex.length, ordered.length);
    const states = new Map<string, UserServingState>();
    const online = new Float32Array(dim);
    ordered.forEach((event, i) => {
      const state = states.get(event.userId) ?? null;
      encodeRequestState(
        state,
        profiles.get(event.userId) ?? [0, 0],
        event.timestampMs,
        event.sessionId,
        RULES,
        online,
      );
      const row = dataset.stateIndex[i];
      const offline = dataset.states.subarray(row * dim, (row + 1) * dim);
      assert.deepEqual(Array.from(online), Array.from(offline), `play ${i} (${event.eventId})`);
      states.set(event.userId, applyPlay(state, event, RULES).state);
    });
    temp.remove();
  });

  it("continues a session within the inactivity gap and resolves the previous exit from it", () => {
    const out = new Float32Array(stateDim(0));
    let state = applyPlay(null, playEvent({ userId: "s", timestampMs: T0 }), RULES).state;
    assert.equal(state.exitPending, true);
    assert.equal(encodeRequestState(state, [], T0 + 10 * MIN, null, RULES, out), 1);
    assert.equal(out[feature("w10_exit")], 0, "the session goes on: the last play was no exit");
    assert.equal(encodeRequestState(state, [], T0 + 31 * MIN, null, RULES, out), 0);
    assert.equal(out[feature("w10_exit")], 1, "a new session: the last play was the exit");
    assert.equal(state.history.plays, 1, "encoding a request leaves the state alone");
    state = applyPlay(state, playEvent({ userId: "s", timestampMs: T0 + 40 * MIN }), RULES).state;
    assert.equal(state.sessionPlays, 1);
    encodeRequestState(state, [], T0 + 41 * MIN, null, RULES, out);
    assert.equal(out[feature("w10_exit")], 0.5);
  });

  it("separates sessions by session id when the events carry one", () => {
    const state = applyPlay(null, playEvent({ userId: "s", timestampMs: T0, sessionId: "A" }), RULES).state;
    const out = new Float32Array(stateDim(0));
    assert.equal(encodeRequestState(state, [], T0 + MIN, "A", RULES, out), 1);
    assert.equal(encodeRequestState(state, [], T0 + MIN, "B", RULES, out), 0);
    assert.equal(encodeRequestState(state, [], T0 + MIN, null, RULES, out), 0);
  });

  it("derives an unknown skip from the play time and skips plays older than the last", () => {
    const short = playEvent({ userId: "k", timestampMs: T0, playTimeMs: 2000, outcomes: { skip: null } });
    const state = applyPlay(null, short, RULES).state;
    const out = new Float32Array(stateDim(0));
    encodeRequestState(state, [], T0 + MIN, null, RULES, out);
    assert.equal(out[feature("w10_skip")], 1);
    const older = applyPlay(state, playEvent({ userId: "k", timestampMs: T0 - MIN }), RULES);
    assert.equal(older.result, "out_of_order");
    assert.equal(older.state.history.plays, 1);
  });
});
