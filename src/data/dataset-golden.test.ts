/**
 * Golden checksums of dataset builds: the build's speed work (session bounds in TypeScript,
 * bulk column reads, fewer sort keys) must leave every output byte unchanged. The expected
 * SHA-256 values were recorded with the original build (session bounds as SQL windows, cell by
 * cell column reads) on a log with the awkward cases: logged session ids that start, stop and
 * change, equal timestamps, logged exits 0 / 1 mid-session and at a session's end, plays with
 * only α logged, plays without an action, users without a profile, several stream partitions.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import type { PlayEvent } from "../core/events.js";
import { TASKS } from "../core/tasks.js";
import { type BuildOptions, buildDataset } from "./dataset.js";
import { LogStore } from "./log-store.js";
import { playEvent, syntheticLog } from "./synthetic-log.js";

const MIN = 60_000;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);

function alphaOf(action: readonly number[]): number[] {
  const { low, high } = DEFAULT_ALPHA_BOUNDS;
  return action.map((a, i) => low[i] + 0.5 * (a + 1) * (high[i] - low[i]));
}

/** Hand-made plays with the cases a synthetic log rarely or never produces. */
function awkwardPlays(): PlayEvent[] {
  const act = (k: number) => TASKS.map((_, i) => Math.round(100 * Math.sin(k + i)) / 100);
  return [
    // x1: session ids that start, change, stop; equal timestamps ordered by event id.
    playEvent({ userId: "x1", eventId: "x1-a", timestampMs: T0, action: act(1) }),
    playEvent({ userId: "x1", eventId: "x1-b", timestampMs: T0 + MIN, sessionId: "s1", action: act(2) }),
    playEvent({ userId: "x1", eventId: "x1-d", timestampMs: T0 + 2 * MIN, sessionId: "s1" }),
    playEvent({ userId: "x1", eventId: "x1-c", timestampMs: T0 + 2 * MIN, sessionId: "s1", action: act(3) }),
    playEvent({ userId: "x1", eventId: "x1-e", timestampMs: T0 + 90 * MIN, sessionId: "s1" }),
    playEvent({ userId: "x1", eventId: "x1-f", timestampMs: T0 + 91 * MIN, sessionId: "s2", action: act(4) }),
    playEvent({ userId: "x1", eventId: "x1-g", timestampMs: T0 + 92 * MIN }),
    playEvent({ userId: "x1", eventId: "x1-h", timestampMs: T0 + 92 * MIN, action: act(5) }),
    // x2: logged exits (1 mid-session, 0 at a session's end), a play without an action, α only.
    playEvent({ userId: "x2", eventId: "x2-a", timestampMs: T0 + 5 * MIN, outcomes: { exit: 1 } }),
    playEvent({ userId: "x2", eventId: "x2-b", timestampMs: T0 + 6 * MIN, action: null }),
    playEvent({
      userId: "x2",
      eventId: "x2-c",
      timestampMs: T0 + 7 * MIN,
      action: null,
      alpha: alphaOf(act(6)),
      outcomes: { exit: 0, like: 1 },
    }),
    playEvent({
      userId: "x2",
      eventId: "x2-d",
      timestampMs: T0 + 300 * MIN,
      durationMs: null,
      playTimeMs: 0,
    }),
    // x3: action-noise traffic with a 30-minute gap exactly (same session) and a longer one.
    ...[0, 30, 61, 62].map((m, k) =>
      playEvent({
        userId: "x3",
        eventId: `x3-${k}`,
        timestampMs: T0 + m * MIN,
        explorationGroup: "action_noise",
        action: act(10 + k),
        outcomes: { comment: k % 2, hate: k === 3 ? 1 : 0 },
      }),
    ),
    // x4: target traffic only.
    playEvent({ userId: "x4", eventId: "x4-a", timestampMs: T0, explorationGroup: "target" }),
    playEvent({ userId: "x4", eventId: "x4-b", timestampMs: T0 + MIN, explorationGroup: "target" }),
  ];
}

let root = "";
let store: LogStore;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-dataset-golden-"));
  store = await LogStore.open(path.join(root, "store.duckdb"));
  for (const events of syntheticLog({ users: 36, days: 7, seed: 23, sessionIdShare: 0.3 })) {
    await store.appendEvents(events);
  }
  await store.appendEvents(awkwardPlays());
  // Every third synthetic user and x1 have a profile; the others stream zeros.
  const profiled = [...Array.from({ length: 12 }, (_, k) => `u${3 * k}`), "x1"];
  await store.upsertUsers(
    profiled.map((userId, k) => ({ userId, profile: [k, (k * 7) % 5, k % 2] })),
    ["a", "b", "c"],
  );
});

after(() => {
  store.close();
  fs.rmSync(root, { recursive: true, force: true });
});

/** One hash over every output file's checksum and the normaliser. */
async function buildDigest(name: string, options: Omit<BuildOptions, "outDir" | "reward">): Promise<string> {
  const meta = await buildDataset(store, {
    outDir: path.join(root, name),
    reward: { preset: "default", source: "fallback constants" },
    ...options,
  });
  const hash = createHash("sha256");
  for (const key of Object.keys(meta.files).sort()) {
    hash.update(`${key}:${meta.files[key as keyof typeof meta.files].sha256}\n`);
  }
  hash.update(JSON.stringify(meta.normaliser));
  hash.update(JSON.stringify(meta.counts));
  return hash.digest("hex");
}

describe("dataset builds match the golden checksums", () => {
  it("exploration traffic, one partition and many", async () => {
    const golden = "b8b6342a458eafdaa90165d56693c4c8e082aff585526c4abdbe8e932a8fed25";
    assert.equal(await buildDigest("one", {}), golden);
    assert.equal(await buildDigest("many", { partitionPlays: 150 }), golden);
  });

  it("with target traffic, the last 3 days, a 45-minute gap, UTC", async () => {
    const digest = await buildDigest("filters", {
      groups: ["random", "action_noise", "target"],
      lastDays: 3,
      inactivityMinutes: 45,
      utcOffsetMinutes: 0,
      partitionPlays: 400,
    });
    assert.equal(digest, "385586e80972251542c80c1d01b897cf1389d8b199fbb5ef60f88ff0c98c813c");
  });
});
