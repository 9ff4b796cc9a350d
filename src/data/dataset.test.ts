import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { FALLBACK_REWARD_WEIGHTS } from "../core/reward.js";
import { HISTORY_FEATURES, STATE_ENCODER_VERSION, stateDim } from "../core/state-encoder.js";
import { buildDataset, type DatasetMeta, loadDataset } from "./dataset.js";
import { LogStore } from "./log-store.js";
import { fitNormaliser } from "./normaliser.js";
import { playEvent, syntheticLog } from "./synthetic-log.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const T0 = Date.UTC(2022, 3, 22, 2, 0, 0);
const REWARD = { preset: "default", source: "fallback constants" } as const;

const TINY_LOG = [
  // a (random): two sessions.
  playEvent({ userId: "a", timestampMs: T0, outcomes: { like: 1 } }),
  playEvent({ userId: "a", timestampMs: T0 + MIN }),
  playEvent({ userId: "a", timestampMs: T0 + 2 * MIN }),
  playEvent({ userId: "a", timestampMs: T0 + 3 * HOUR }),
  playEvent({ userId: "a", timestampMs: T0 + 3 * HOUR + MIN }),
  // b (target traffic): no transitions by default.
  playEvent({ userId: "b", timestampMs: T0 + HOUR, explorationGroup: "target" }),
  playEvent({ userId: "b", timestampMs: T0 + HOUR + MIN, explorationGroup: "target" }),
  // c (random): its session ends at the log's end.
  playEvent({ userId: "c", timestampMs: T0 + 5 * HOUR }),
  playEvent({ userId: "c", timestampMs: T0 + 5 * HOUR + MIN }),
];

let root = "";
let tinyStore: LogStore;
let syntheticStore: LogStore;

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-dataset-"));
  tinyStore = await LogStore.open(path.join(root, "tiny", "store.duckdb"));
  await tinyStore.appendEvents(TINY_LOG);
  await tinyStore.upsertUsers(
    [
      { userId: "a", profile: [1, 2] },
      { userId: "c", profile: [3, 4] },
    ],
    ["f1", "f2"],
  );
  syntheticStore = await LogStore.open(path.join(root, "synthetic", "store.duckdb"));
  for (const events of syntheticLog({ users: 40, days: 6, seed: 11, sessionIdShare: 0.3 })) {
    await syntheticStore.appendEvents(events);
  }
});

after(() => {
  tinyStore.close();
  syntheticStore.close();
  fs.rmSync(root, { recursive: true, force: true });
});

const out = (name: string) => path.join(root, "out", name);

describe("buildDataset on a tiny log, checked by hand", () => {
  let meta: DatasetMeta;
  before(async () => {
    meta = await buildDataset(tinyStore, { outDir: out("tiny"), reward: REWARD, testFraction: 0.5 });
  });

  it("writes s / s' indices, episode ends and splits", () => {
    const d = loadDataset(out("tiny"));
    // Streamed: a (5 plays), c (2 plays); b is target traffic. States: each play + one end state per session.
    assert.equal(meta.counts.plays, 7);
    assert.equal(meta.counts.states, 10);
    assert.deepEqual(Array.from(d.stateIndex), [0, 1, 2, 4, 5, 7, 8]);
    assert.deepEqual(Array.from(d.nextIndex), [1, 2, 3, 5, 6, 8, 9]);
    assert.deepEqual(Array.from(d.terminated), [0, 0, 1, 0, 1, 0, 0]);
    assert.deepEqual(Array.from(d.truncated), [0, 0, 0, 0, 0, 0, 1]); // c's session ends at the log's end
    assert.deepEqual(Array.from(d.first), [1, 0, 0, 1, 0, 1, 0]);
    // Sessions by start: a@0, a@3h → train; c@5h → test (ceil(3 · 0.5) = 2 train sessions).
    assert.deepEqual(Array.from(d.train), [0, 1, 2, 3, 4]);
    assert.deepEqual(Array.from(d.test), [5, 6]);
    assert.equal(meta.split.trainSessions, 2);
    assert.equal(meta.split.testSessions, 1);
    assert.equal(d.stateDim, stateDim(2));
    assert.deepEqual(meta.featureNames.slice(0, 3), ["profile_f1", "profile_f2", HISTORY_FEATURES[0]]);
    assert.deepEqual(Array.from(d.states.subarray(7 * d.stateDim, 7 * d.stateDim + 2)), [3, 4]); // c's profile
  });

  it("computes Eq. 2 rewards by hand", () => {
    const d = loadDataset(out("tiny"));
    const w = FALLBACK_REWARD_WEIGHTS;
    const plain = w.play_time_min * (10 / 60) + w.play_integrity * 0.5; // 10 s of a 20 s video
    const expected = [plain + w.like, plain, plain, plain, plain, plain, plain];
    for (const [i, r] of Array.from(d.rewards).entries())
      assert.ok(Math.abs(r - expected[i]) < 1e-6, `reward ${i}: ${r}`);
    assert.equal(meta.reward.weights.like, 1);
  });

  it("fits the normaliser on the train split's states only", () => {
    const d = loadDataset(out("tiny"));
    const rows = [...new Set(Array.from(d.train, (t) => d.stateIndex[t]))];
    const trainStates = new Float32Array(rows.length * d.stateDim);
    for (const [i, row] of rows.entries()) {
      trainStates.set(d.states.subarray(row * d.stateDim, (row + 1) * d.stateDim), i * d.stateDim);
    }
    const expected = fitNormaliser(trainStates, rows.length, d.stateDim);
    assert.equal(d.normaliser.rows, 5);
    for (let i = 0; i < d.stateDim; i++) {
      assert.ok(Math.abs(d.normaliser.mean[i] - expected.mean[i]) < 1e-9, `mean ${i}`);
      assert.ok(Math.abs(d.normaliser.std[i] - expected.std[i]) < 1e-9, `std ${i}`);
    }
    assert.equal(d.normaliser.mean[0], 1); // profile f1: only user a is in train
  });

  it("adds target traffic on request and filters groups", async () => {
    const withTarget = await buildDataset(tinyStore, {
      outDir: out("tiny-target"),
      reward: REWARD,
      groups: ["random", "action_noise", "target"],
    });
    assert.equal(withTarget.counts.transitions, 9);
    assert.equal(withTarget.counts.usersWithoutProfile, 1); // b has no profile: zeros
    await assert.rejects(
      buildDataset(tinyStore, { outDir: out("tiny-noise"), reward: REWARD, groups: ["action_noise"] }),
      (error: Error & { code?: string }) =>
        error.code === "EMPTY_DATASET" && /random: 7, target: 2/.test(error.message),
    );
  });
});

describe("buildDataset on a synthetic log", () => {
  it("round-trips with checksums and metadata", async () => {
    const meta = await buildDataset(syntheticStore, {
      outDir: out("synthetic"),
      reward: { ...REWARD, preset: "interaction" },
    });
    const d = loadDataset(out("synthetic"));
    assert.equal(d.meta.stateEncoderVersion, STATE_ENCODER_VERSION);
    assert.equal(d.rewards.length, meta.counts.transitions);
    assert.equal(d.train.length + d.test.length, meta.counts.transitions);
    assert.equal(meta.reward.weights.like, 2 * FALLBACK_REWARD_WEIGHTS.like);
    assert.deepEqual(meta.filters.groups, ["random", "action_noise"]);
    for (const info of Object.values(meta.files)) assert.match(info.sha256, /^[0-9a-f]{64}$/);
    // Only exploration users stream and form transitions (every synthetic play carries an action).
    const [byGroup] = await syntheticStore.query<{ exploration: number; target: number }>(
      "SELECT count(*) FILTER (WHERE exploration_group <> 'target') AS exploration, count(*) FILTER (WHERE exploration_group = 'target') AS target FROM events",
    );
    assert.ok(Number(byGroup.target) > 0);
    assert.equal(meta.counts.plays, Number(byGroup.exploration));
    assert.equal(meta.counts.transitions, Number(byGroup.exploration));
    assert.equal(
      meta.split.trainSessions,
      Math.ceil((meta.split.trainSessions + meta.split.testSessions) * 0.9 - 1e-9),
    );
    assert.equal(fs.readdirSync(path.join(root, "out")).filter((f) => f.includes(".tmp-")).length, 0);
  });

  it("gives the same files whether the stream runs as one partition or many", async () => {
    const one = await buildDataset(syntheticStore, { outDir: out("one-partition"), reward: REWARD });
    const many = await buildDataset(syntheticStore, {
      outDir: out("partitions"),
      reward: REWARD,
      partitionPlays: 300,
    });
    for (const [name, info] of Object.entries(one.files)) {
      assert.equal(many.files[name as keyof typeof many.files].sha256, info.sha256, name);
    }
    assert.deepEqual(many.normaliser, one.normaliser);
  });

  it("keeps only sessions of the last N days", async () => {
    const all = await buildDataset(syntheticStore, { outDir: out("days-all"), reward: REWARD });
    const last2 = await buildDataset(syntheticStore, { outDir: out("days-2"), reward: REWARD, lastDays: 2 });
    assert.ok(last2.counts.transitions > 0 && last2.counts.transitions < all.counts.transitions);
    assert.equal(last2.counts.plays, all.counts.plays); // history still streams every play
    const d = loadDataset(out("days-2"));
    assert.ok(d.meta.filters.fromMs > d.meta.window.firstEventMs);
  });

  it("refuses a corrupted file, a wrong encoder version and an existing output", async () => {
    const dir = out("corrupt");
    await buildDataset(syntheticStore, { outDir: dir, reward: REWARD });
    await assert.rejects(buildDataset(syntheticStore, { outDir: dir, reward: REWARD }), {
      code: "INVALID_ARGUMENT",
    });
    assert.throws(
      () => loadDataset(dir, { expectedEncoderVersion: STATE_ENCODER_VERSION + 1 }),
      (error: Error & { code?: string }) => {
        return error.code === "DATASET_MISMATCH" && error.message.includes(`v${STATE_ENCODER_VERSION + 1}`);
      },
    );
    const metaFile = path.join(dir, "dataset.json");
    const meta = JSON.parse(fs.readFileSync(metaFile, "utf8"));
    fs.writeFileSync(metaFile, JSON.stringify({ ...meta, stateEncoderVersion: 0 }));
    assert.throws(() => loadDataset(dir), { code: "DATASET_MISMATCH" });
    fs.writeFileSync(metaFile, JSON.stringify(meta));
    const rewards = path.join(dir, "rewards.f32");
    const bytes = fs.readFileSync(rewards);
    bytes[5] ^= 0xff;
    fs.writeFileSync(rewards, bytes);
    assert.throws(
      () => loadDataset(dir),
      (error: Error & { code?: string }) =>
        error.code === "CHECKPOINT_CORRUPT" && error.message.includes("rewards.f32"),
    );
    fs.writeFileSync(rewards, bytes.subarray(0, bytes.length - 4));
    assert.throws(() => loadDataset(dir), { code: "CHECKPOINT_CORRUPT" });
    fs.rmSync(metaFile);
    assert.throws(() => loadDataset(dir), { code: "FILE_NOT_FOUND" });
    // overwrite replaces it
    await buildDataset(syntheticStore, { outDir: dir, reward: REWARD, overwrite: true });
    assert.ok(loadDataset(dir).rewards.length > 0);
  });

  it("says clearly that a log without actions cannot form transitions", async () => {
    const store = await LogStore.open(path.join(root, "no-actions", "store.duckdb"));
    try {
      await store.appendEvents([
        playEvent({ userId: "k", timestampMs: T0, action: null, explorationGroup: null }),
        playEvent({ userId: "k", timestampMs: T0 + MIN, action: null, explorationGroup: null }),
      ]);
      await assert.rejects(
        buildDataset(store, { outDir: out("no-actions"), reward: REWARD }),
        (error: Error & { code?: string }) =>
          error.code === "NO_LOGGED_ACTIONS" && /fit-reward/.test(error.message),
      );
    } finally {
      store.close();
    }
    assert.ok(!fs.existsSync(out("no-actions")));
  });
});
