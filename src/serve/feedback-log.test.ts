import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { LogStore } from "../data/log-store.js";
import { FeedbackLog } from "./feedback-log.js";
import { encodeRecord } from "./feedback-records.js";
import { listSegments, loadFeedbackSegments, readSegment, storedEventIds } from "./feedback-segments.js";
import { tempDir } from "./test-fixtures.js";

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0); // 20:00 at UTC+8

function event(id: string, timestampMs = T0): PlayEvent {
  return {
    eventId: id,
    userId: `user-${id.length}`,
    itemId: "item-1",
    requestId: `req-${id}`,
    sessionId: null,
    timestampMs,
    candidateSetId: null,
    candidateCount: 10,
    position: 0,
    scores: Array(12).fill(0.5),
    alpha: [0.6, 0.8, 0.5, 1, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -0.6, -0.6],
    action: Array(12).fill(0),
    policyVersion: "fallback",
    explorationGroup: "random",
    noiseScale: 0.4,
    propensity: null,
    decisionSeed: 123,
    experimentArm: null,
    durationMs: 30_000,
    playTimeMs: 12_000,
    outcomes: {
      click: 1,
      long_view: 0,
      finish: 0,
      skip: 0,
      like: 1,
      comment: 0,
      follow: 0,
      forward: 0,
      profile_enter: 0,
      hate: 0,
      exit: null,
    },
  };
}

describe("feedback log", () => {
  it("acknowledges only durable records and groups concurrent appends into few fsyncs", async () => {
    const temp = tempDir("log");
    const batches: number[] = [];
    const log = await FeedbackLog.open({
      dir: temp.dir,
      utcOffsetMinutes: 480,
      maxSegmentBytes: 1 << 30,
      onCommit: (records) => batches.push(records),
      now: () => T0,
    });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) => log.append([{ type: "event", event: event(`e${i}`) }])),
    );
    assert.equal(
      batches.reduce((a, b) => a + b, 0),
      200,
    );
    assert.ok(batches.length < 200, `group commit: ${batches.length} fsyncs for 200 appends`);
    // An open segment is not loaded yet; closing it makes it loadable.
    assert.deepEqual(await storedEventIds(temp.dir), []);
    await log.close();
    assert.equal((await storedEventIds(temp.dir)).length, 200);
    temp.remove();
  });

  it("rotates segments at the local day change and when a segment is full", async () => {
    const temp = tempDir("rotate");
    let now = T0;
    const log = await FeedbackLog.open({
      dir: temp.dir,
      utcOffsetMinutes: 480,
      maxSegmentBytes: 4096,
      now: () => now,
    });
    await log.append([{ type: "event", event: event("a") }]);
    now = T0 + 4.5 * 3_600_000; // 00:30 next day at UTC+8
    await log.append([{ type: "event", event: event("b") }]);
    for (let i = 0; i < 6; i++) await log.append([{ type: "event", event: event(`c${i}`) }]);
    await log.close();
    const segments = await listSegments(temp.dir);
    assert.deepEqual([...new Set(segments.map((s) => s.day))], ["2026-11-27", "2026-11-28"]);
    assert.ok(segments.length >= 3, `size rotation: ${segments.length} segments`);
    assert.ok(segments.every((s) => !s.open));
    assert.deepEqual((await storedEventIds(temp.dir, { fromDay: "2026-11-28" })).sort(), [
      "b",
      "c0",
      "c1",
      "c2",
      "c3",
      "c4",
      "c5",
    ]);
    temp.remove();
  });

  it("recovers a segment a crash left open: keeps whole records, cuts the torn tail", async () => {
    const temp = tempDir("recover");
    const dayDir = path.join(temp.dir, "2026-11-27");
    mkdirSync(dayDir, { recursive: true });
    const file = path.join(dayDir, "seg-20261127T120000000Z-1-1.jsonl.open");
    writeFileSync(
      file,
      encodeRecord({ type: "event", event: event("kept-1") }) +
        encodeRecord({ type: "event", event: event("kept-2") }),
    );
    appendFileSync(file, encodeRecord({ type: "event", event: event("torn") }).slice(0, 40));
    // A lock left by a process that no longer exists is taken over.
    writeFileSync(
      path.join(temp.dir, "writer.lock"),
      JSON.stringify({ pid: 2 ** 22 + 17, host: hostname() }),
    );
    const log = await FeedbackLog.open({
      dir: temp.dir,
      utcOffsetMinutes: 480,
      maxSegmentBytes: 1 << 20,
      now: () => T0,
    });
    assert.equal(log.recovery.segments, 1);
    assert.ok(log.recovery.truncatedBytes > 0);
    await log.close();
    assert.deepEqual(await storedEventIds(temp.dir), ["kept-1", "kept-2"]);
    assert.deepEqual(readdirSync(dayDir), ["seg-20261127T120000000Z-1-1.jsonl"]);
    temp.remove();
  });

  it("refuses a second writer on the same folder", async () => {
    const temp = tempDir("lock");
    const log = await FeedbackLog.open({ dir: temp.dir, utcOffsetMinutes: 0, maxSegmentBytes: 1 << 20 });
    // The lock names this (live) process; a second writer in another process must refuse.
    const lock = JSON.parse(readFileSync(path.join(temp.dir, "writer.lock"), "utf8")) as { pid: number };
    assert.equal(lock.pid, process.pid);
    const child = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "-e",
        `import("${new URL("./feedback-log.ts", import.meta.url).pathname}").then((m) => m.FeedbackLog.open({ dir: ${JSON.stringify(temp.dir)}, utcOffsetMinutes: 0, maxSegmentBytes: 1024 })).then(() => process.exit(0), (e) => { console.log(e.code); process.exit(3); })`,
      ],
      { encoding: "utf8" },
    );
    assert.equal(child.status, 3, child.stderr);
    assert.match(child.stdout, /FEEDBACK_LOG_UNAVAILABLE/);
    await log.close();
    temp.remove();
  });

  it("reports a damaged line of a closed segment as FEEDBACK_LOG_CORRUPT", async () => {
    const temp = tempDir("corrupt");
    const file = path.join(temp.dir, "x.jsonl");
    writeFileSync(file, `${encodeRecord({ type: "event", event: event("ok") })}deadbeef {"type":"event"}\n`);
    await assert.rejects(
      (async () => {
        for await (const _ of readSegment(file)) {
          // drain
        }
      })(),
      (error) => isMtfError(error, "FEEDBACK_LOG_CORRUPT") && /line 2/.test(error.message),
    );
    temp.remove();
  });

  it("loads closed segments into the log store, idempotently", async () => {
    const temp = tempDir("load");
    const log = await FeedbackLog.open({
      dir: path.join(temp.dir, "feedback"),
      utcOffsetMinutes: 480,
      maxSegmentBytes: 1 << 20,
      now: () => T0,
    });
    await log.append(
      [0, 1, 2].map((i) => ({ type: "event" as const, event: event(`load-${i}`, T0 + i * 1000) })),
    );
    log.appendLater({
      type: "decision",
      decision: {
        requestId: "r",
        userId: "u",
        sessionId: null,
        timestampMs: T0,
        positionInSession: 0,
        policyVersion: "fallback",
        fallback: true,
        canary: false,
        explorationGroup: "target",
        noiseScale: null,
        experimentArm: null,
        decisionSeed: 1,
        alpha: Array(12).fill(0),
        action: Array(12).fill(0),
        state: [0],
        candidateCount: 1,
        items: ["i"],
      },
    });
    await log.close();
    const store = await LogStore.open(path.join(temp.dir, "store.duckdb"));
    try {
      const first = await loadFeedbackSegments(path.join(temp.dir, "feedback"), store);
      assert.deepEqual(first, { segments: 1, events: 3, inserted: 3, duplicates: 0 });
      const again = await loadFeedbackSegments(path.join(temp.dir, "feedback"), store);
      assert.deepEqual(again, { segments: 1, events: 3, inserted: 0, duplicates: 3 });
      const rows = await store.query<{
        event_id: string;
        alpha_play_time: number;
        exploration_group: string;
      }>("SELECT event_id, alpha_play_time, exploration_group FROM events ORDER BY event_id");
      assert.deepEqual(
        rows.map((r) => [r.event_id, r.alpha_play_time, r.exploration_group]),
        [
          ["load-0", 1, "random"],
          ["load-1", 1, "random"],
          ["load-2", 1, "random"],
        ],
      );
    } finally {
      store.close();
    }
    temp.remove();
  });
});
