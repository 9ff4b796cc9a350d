import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { EXPLORATION_GROUPS } from "../core/events.js";
import { taskIndex } from "../core/tasks.js";
import { LogStore } from "./log-store.js";
import { SessionCutter, streamPlays } from "./play-stream.js";
import { inactivityMs, sessionBoundsSql } from "./sessions.js";
import { playEvent, syntheticLog } from "./synthetic-log.js";

const MIN = 60_000;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);
const EXIT = taskIndex("exit");

interface BoundsRow {
  starts_user: number;
  starts_session: number;
  is_last_in_session: number;
  exit_outcome: number;
}

/** Gaps around the threshold, session ids that start, change and stop, ties, logged exits. */
const AWKWARD = [
  playEvent({ userId: "k1", eventId: "a", timestampMs: T0 }),
  playEvent({ userId: "k1", eventId: "b", timestampMs: T0 + 30 * MIN }), // exactly the gap: same session
  playEvent({ userId: "k1", eventId: "c", timestampMs: T0 + 60 * MIN + 1 }), // 1 ms over: cut
  playEvent({ userId: "k1", eventId: "d", timestampMs: T0 + 61 * MIN, sessionId: "s1" }),
  playEvent({ userId: "k1", eventId: "f", timestampMs: T0 + 62 * MIN, sessionId: "s1" }),
  playEvent({
    userId: "k1",
    eventId: "e",
    timestampMs: T0 + 62 * MIN,
    sessionId: "s2",
    outcomes: { exit: 0 },
  }),
  playEvent({ userId: "k1", eventId: "g", timestampMs: T0 + 63 * MIN, outcomes: { exit: 1 } }),
  playEvent({ userId: "k2", eventId: "h", timestampMs: T0, sessionId: "s1" }), // another user, same id
  playEvent({ userId: "k2", eventId: "i", timestampMs: T0 + 600 * MIN, sessionId: "s1" }),
];

describe("the build's play stream", () => {
  it("cuts sessions as sql/session-bounds.sql does, across chunks and partitions", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-play-stream-"));
    const store = await LogStore.open(path.join(dir, "store.duckdb"));
    try {
      await store.appendEvents(AWKWARD);
      // ~3,000 plays: more than one DuckDB chunk (2,048 rows) per partition.
      for (const events of syntheticLog({ users: 30, days: 6, seed: 9, sessionIdShare: 0.4 })) {
        await store.appendEvents(events);
      }
      const gap = inactivityMs(30);
      const expected = await store.query<BoundsRow>(
        `SELECT starts_user, starts_session, is_last_in_session, exit_outcome
         FROM (${sessionBoundsSql()}) AS b ORDER BY user_id, ts_ms, event_id`,
        { inactivity_ms: gap },
      );
      const want = expected.map((r) =>
        [r.starts_user, r.starts_session, r.is_last_in_session, r.exit_outcome].map(Number).join(""),
      );
      assert.ok(want.length > 2048, `${want.length} plays`);
      for (const partitionPlays of [1_000_000, 700, 1]) {
        const got: string[] = [];
        const rows = await streamPlays(
          store,
          {
            groups: [...EXPLORATION_GROUPS],
            alphaBounds: DEFAULT_ALPHA_BOUNDS,
            profileDim: 0,
            inactivityMs: gap,
            partitionPlays,
          },
          (row) => {
            const bits = [row.startsUser, row.startsSession, row.lastInSession].map(Number);
            got.push([...bits, row.outcomes[EXIT]].join(""));
          },
        );
        assert.equal(rows, want.length);
        assert.deepEqual(got, want, `partitionPlays ${partitionPlays}`);
      }
    } finally {
      store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("SessionCutter: the rule, play by play", () => {
    const cut = new SessionCutter(10);
    assert.equal(cut.next(1, 0, null), 3); // a user's first play
    assert.equal(cut.next(1, 10, null), 0); // gap = threshold
    assert.equal(cut.next(1, 21, null), 2); // gap > threshold
    assert.equal(cut.next(1, 22, "s"), 2); // a session id starts
    assert.equal(cut.next(1, 500, "s"), 0); // same id: no gap rule
    assert.equal(cut.next(1, 501, "t"), 2); // another id
    assert.equal(cut.next(1, 502, null), 2); // the id stops
    assert.equal(cut.next(2, 502, null), 3); // another user
    cut.reset();
    assert.equal(cut.next(2, 503, null), 3); // a new partition starts a user
  });
});
