import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { LogStore } from "./log-store.js";
import { inactivityMs, sessionBoundsSql, sessionsSql } from "./sessions.js";
import { playEvent } from "./synthetic-log.js";

const MIN = 60_000;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);

interface SessionRow {
  event_id: string;
  user_id: string;
  starts_user: number;
  starts_session: number;
  session_seq: number;
  session_key: string;
  position_in_session: number;
  session_start_ms: number;
  is_last_in_session: number;
  exit_outcome: number;
}

async function withStore<T>(body: (store: LogStore) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-sessions-"));
  const store = await LogStore.open(path.join(dir, "store.duckdb"));
  try {
    return await body(store);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The hand-made log: gaps, logged session ids, a logged exit, equal timestamps. */
const LOG = [
  // u1: no session ids; a 29-min gap stays in the session, a 31-min gap cuts it.
  playEvent({ userId: "u1", eventId: "a1", timestampMs: T0 }),
  playEvent({ userId: "u1", eventId: "a2", timestampMs: T0 + 29 * MIN }),
  playEvent({ userId: "u1", eventId: "a3", timestampMs: T0 + 60 * MIN }),
  playEvent({ userId: "u1", eventId: "a4", timestampMs: T0 + 61 * MIN }),
  // u2: logged session ids win over gaps; a logged exit = 0 on a session's last play is kept.
  playEvent({ userId: "u2", eventId: "b1", timestampMs: T0, sessionId: "s1" }),
  playEvent({
    userId: "u2",
    eventId: "b2",
    timestampMs: T0 + 300 * MIN,
    sessionId: "s1",
    outcomes: { exit: 0 },
  }),
  playEvent({ userId: "u2", eventId: "b3", timestampMs: T0 + 301 * MIN, sessionId: "s2" }),
  // a session id that stops: the next play starts a new session even without a gap.
  playEvent({ userId: "u2", eventId: "b4", timestampMs: T0 + 302 * MIN }),
  // u3: equal timestamps are ordered by event id; a logged exit = 1 mid-session is kept.
  playEvent({ userId: "u3", eventId: "c2", timestampMs: T0 }),
  playEvent({ userId: "u3", eventId: "c1", timestampMs: T0, outcomes: { exit: 1 } }),
];

describe("sessions SQL", () => {
  it("cuts sessions at gaps and logged session ids, numbers them and derives exits", async () => {
    const rows = await withStore(async (store) => {
      await store.appendEvents(LOG);
      return store.query<SessionRow>(sessionsSql(), { inactivity_ms: inactivityMs(30) });
    });
    const view = rows.map((r) => [
      r.event_id,
      r.session_key,
      Number(r.position_in_session),
      Number(r.starts_user),
      Number(r.starts_session),
      Number(r.is_last_in_session),
      Number(r.exit_outcome),
    ]);
    assert.deepEqual(view, [
      // event, session, position, starts user, starts session, last, exit
      ["a1", "u1:1", 0, 1, 1, 0, 0],
      ["a2", "u1:1", 1, 0, 0, 1, 1],
      ["a3", "u1:2", 0, 0, 1, 0, 0],
      ["a4", "u1:2", 1, 0, 0, 1, 1],
      ["b1", "u2:1", 0, 1, 1, 0, 0],
      ["b2", "u2:1", 1, 0, 0, 1, 0], // logged exit 0 kept
      ["b3", "u2:2", 0, 0, 1, 1, 1],
      ["b4", "u2:3", 0, 0, 1, 1, 1],
      ["c1", "u3:1", 0, 1, 1, 0, 1], // logged exit 1 kept
      ["c2", "u3:1", 1, 0, 0, 1, 1],
    ]);
    const starts = rows.map((r) => Number(r.session_start_ms));
    assert.deepEqual(starts, [
      T0,
      T0,
      T0 + 60 * MIN,
      T0 + 60 * MIN,
      T0,
      T0,
      T0 + 301 * MIN,
      T0 + 302 * MIN,
      T0,
      T0,
    ]);
  });

  it("moves the cut with the inactivity threshold", async () => {
    const keys = await withStore(async (store) => {
      await store.appendEvents(LOG.slice(0, 4));
      return store.query<SessionRow>(sessionsSql(), { inactivity_ms: inactivityMs(20) });
    });
    assert.deepEqual(
      keys.map((r) => r.session_key),
      ["u1:1", "u1:2", "u1:3", "u1:3"],
    );
  });

  it("gives the same bounds from the one-pass query the build streams", async () => {
    await withStore(async (store) => {
      await store.appendEvents(LOG);
      const params = { inactivity_ms: inactivityMs(30) };
      const numbered = await store.query<SessionRow>(sessionsSql(), params);
      const bounds = await store.query<SessionRow>(
        `SELECT * FROM (${sessionBoundsSql()}) AS b ORDER BY user_id, ts_ms, event_id`,
        params,
      );
      const flags = (r: SessionRow) =>
        [r.event_id, r.starts_user, r.starts_session, r.is_last_in_session, r.exit_outcome].map(String);
      assert.deepEqual(bounds.map(flags), numbered.map(flags));
    });
  });

  it("can run over a subquery of the events", async () => {
    const rows = await withStore(async (store) => {
      await store.appendEvents(LOG);
      return store.query<SessionRow>(sessionsSql("(SELECT * FROM events WHERE user_id = 'u3')"), {
        inactivity_ms: inactivityMs(30),
      });
    });
    assert.deepEqual(
      rows.map((r) => r.event_id),
      ["c1", "c2"],
    );
  });

  it("refuses a non-positive threshold", () => {
    assert.throws(() => inactivityMs(0), { code: "INVALID_ARGUMENT" });
    assert.equal(inactivityMs(30), 1_800_000);
  });
});
