import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isMtfError } from "../core/errors.js";
import { fullEvent, KILL_TEST_FIRST_BATCH, sparseEvent } from "./fixtures/events.js";
import { LogStore, localDay } from "./log-store.js";

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mtf-"));
}

async function withStore(body: (store: LogStore, dir: string) => Promise<void>): Promise<void> {
  const dir = tempDir();
  const store = await LogStore.open(path.join(dir, "store.duckdb"));
  try {
    await body(store, dir);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function eventIds(store: LogStore): Promise<string[]> {
  const rows = await store.query<{ event_id: string }>("SELECT event_id FROM events ORDER BY event_id");
  return rows.map((r) => r.event_id);
}

test("re-appending the same events stores them once", async () => {
  await withStore(async (store) => {
    assert.deepEqual(await store.appendEvents([sparseEvent(1), sparseEvent(2)]), {
      inserted: 2,
      duplicates: 0,
    });
    assert.deepEqual(await store.appendEvents([sparseEvent(1), sparseEvent(2), sparseEvent(3)]), {
      inserted: 1,
      duplicates: 2,
    });
    // A copy repeated inside one batch: the first copy wins.
    const first = sparseEvent(4, { playTimeMs: 111 });
    const second = sparseEvent(4, { playTimeMs: 222 });
    assert.deepEqual(await store.appendEvents([first, second]), { inserted: 1, duplicates: 1 });
    assert.deepEqual(await eventIds(store), ["e1", "e2", "e3", "e4"]);
    const [row] = await store.query<{ play_time_ms: number }>(
      "SELECT play_time_ms FROM events WHERE event_id = 'e4'",
    );
    assert.equal(row.play_time_ms, 111);
  });
});

test("a batch with one bad event stores nothing and names the column", async () => {
  await withStore(async (store) => {
    await store.appendEvents([sparseEvent(0)]);
    const bad = sparseEvent(2, { playTimeMs: -5 });
    await assert.rejects(store.appendEvents([sparseEvent(1), bad, sparseEvent(3)]), (error: unknown) => {
      assert.ok(isMtfError(error, "BAD_ROW"));
      assert.equal(error.details.column, "play_time_ms");
      assert.equal(error.details.index, 1);
      assert.match(error.message, /play_time_ms cannot be negative/);
      return true;
    });
    const partial = fullEvent(4, { scores: [0.5, 0.5] });
    await assert.rejects(store.appendEvents([partial]), (error: unknown) => isMtfError(error, "BAD_ROW"));
    const badGroup = fullEvent(5, { explorationGroup: "nope" as never });
    await assert.rejects(store.appendEvents([badGroup]), /exploration_group must be one of/);
    assert.deepEqual(await eventIds(store), ["e0"]);
    // The store stays usable after a refused batch.
    assert.deepEqual(await store.appendEvents([sparseEvent(1)]), { inserted: 1, duplicates: 0 });
  });
});

test("events read back equal the events appended, decision record included", async () => {
  await withStore(async (store) => {
    const event = fullEvent(7);
    await store.appendEvents([event]);
    const [row] = await store.query<Record<string, unknown>>("SELECT * FROM events");
    assert.equal(row.event_id, "e7");
    assert.equal(row.ts_ms, event.timestampMs);
    assert.equal(row.score_click, event.scores?.[0]);
    assert.equal(row.alpha_exit, event.alpha?.[11]);
    assert.equal(row.action_hate, event.action?.[10]);
    assert.equal(row.exploration_group, "action_noise");
    assert.equal(row.propensity, event.propensity);
    assert.equal(row.decision_seed, 1_000_007);
    assert.equal(row.outcome_exit, null);
  });
});

test("videos list every item of the log, with durations from the log until a features file says more", async () => {
  await withStore(async (store) => {
    await store.appendEvents([
      sparseEvent(0, { itemId: "a", durationMs: 0 }),
      sparseEvent(1, { itemId: "b", durationMs: 9000 }),
    ]);
    assert.deepEqual(await store.query("SELECT item_id, duration_ms FROM videos ORDER BY item_id"), [
      { item_id: "a", duration_ms: null },
      { item_id: "b", duration_ms: 9000 },
    ]);
    await store.appendEvents([sparseEvent(2, { itemId: "a", durationMs: 5000 })]);
    await store.upsertVideos([{ itemId: "b", category: "7", tags: "7,3", uploadDate: "2022-01-02" }]);
    const rows = await store.query<{
      item_id: string;
      duration_ms: number;
      category: string;
      upload_date: unknown;
    }>(
      "SELECT item_id, duration_ms, category, CAST(upload_date AS VARCHAR) AS upload_date FROM videos ORDER BY item_id",
    );
    assert.deepEqual(rows, [
      { item_id: "a", duration_ms: 5000, category: null, upload_date: null },
      { item_id: "b", duration_ms: 9000, category: "7", upload_date: "2022-01-02" },
    ]);
  });
});

test("user profiles upsert and refuse a different feature list", async () => {
  await withStore(async (store) => {
    await store.upsertUsers(
      [
        { userId: "u1", profile: [1, 2] },
        { userId: "u2", profile: [3, 4] },
      ],
      ["a", "b"],
    );
    await store.upsertUsers([{ userId: "u1", profile: [5, 6] }], ["a", "b"]);
    assert.deepEqual(await store.query("SELECT user_id, profile FROM users ORDER BY user_id"), [
      { user_id: "u1", profile: [5, 6] },
      { user_id: "u2", profile: [3, 4] },
    ]);
    assert.deepEqual(await store.userProfileFeatures(), ["a", "b"]);
    await assert.rejects(store.upsertUsers([{ userId: "u3", profile: [1] }], ["a"]), (error: unknown) =>
      isMtfError(error, "DATASET_MISMATCH"),
    );
    await assert.rejects(store.upsertUsers([{ userId: "u3", profile: [1] }], ["a", "b"]), /2 finite numbers/);
  });
});

test("local days follow the configured UTC offset", () => {
  assert.throws(() => localDay(0, "8"), /±HH:MM/);
  // 2022-04-22T15:59:59.999Z is 23:59:59.999 in UTC+8; one ms later it is the next day there.
  const lastMs = Date.parse("2022-04-22T15:59:59.999Z");
  assert.equal(localDay(lastMs, "+08:00"), "2022-04-22");
  assert.equal(localDay(lastMs + 1, "+08:00"), "2022-04-23");
  assert.equal(localDay(lastMs + 1, "+00:00"), "2022-04-22");
  assert.equal(localDay(lastMs + 1, "-05:30"), "2022-04-22");
});

test("Parquet export partitions by local day and imports back to identical tables", async () => {
  await withStore(async (store, dir) => {
    const lastMs = Date.parse("2022-04-22T15:59:59.999Z");
    const events = [
      fullEvent(1, { timestampMs: lastMs }),
      fullEvent(2, { timestampMs: lastMs + 1 }),
      sparseEvent(3, { timestampMs: lastMs - 3_600_000, durationMs: null }),
      sparseEvent(4, { timestampMs: lastMs + 1 + 86_400_000, sessionId: "s9" }),
    ];
    await store.appendEvents(events);
    await store.upsertUsers([{ userId: "u1", profile: [0.5, 1] }], ["x", "y"]);
    await store.upsertVideos([{ itemId: "v1", category: "c", width: 720, height: 1280 }]);
    const exportDir = path.join(dir, "export");
    const exported = await store.exportParquet(exportDir, { utcOffset: "+08:00" });
    assert.deepEqual(exported.days, ["2022-04-22", "2022-04-23", "2022-04-24"]);
    assert.equal(exported.events, 4);

    const idsByDay = async (day: string): Promise<string[]> => {
      const files = fs.readdirSync(path.join(exportDir, "events", `day=${day}`));
      assert.ok(files.length > 0 && files.every((f) => f.endsWith(".parquet")));
      const rows = await store.query<{ event_id: string }>(
        `SELECT event_id FROM read_parquet('${path.join(exportDir, "events", `day=${day}`, "*.parquet")}') ORDER BY event_id`,
      );
      return rows.map((r) => r.event_id);
    };
    assert.deepEqual(await idsByDay("2022-04-22"), ["e1", "e3"]);
    assert.deepEqual(await idsByDay("2022-04-23"), ["e2"]);
    assert.deepEqual(await idsByDay("2022-04-24"), ["e4"]);
    await assert.rejects(store.exportParquet(exportDir), /overwrite/);

    const other = await LogStore.open(path.join(dir, "other.duckdb"));
    try {
      const imported = await other.importParquet(exportDir);
      assert.equal(imported.inserted, 4);
      assert.equal(imported.duplicates, 0);
      for (const sql of [
        "SELECT * FROM events ORDER BY event_id",
        "SELECT * FROM users ORDER BY user_id",
        "SELECT * FROM videos ORDER BY item_id",
      ]) {
        assert.deepEqual(await other.query(sql), await store.query(sql), sql);
      }
      assert.deepEqual(await other.userProfileFeatures(), ["x", "y"]);
      const again = await other.importParquet(exportDir);
      assert.deepEqual([again.inserted, again.duplicates], [0, 4]);
    } finally {
      other.close();
    }
  });
});

test("Parquet import names the file and column of a wrong schema and stores nothing", async () => {
  await withStore(async (store, dir) => {
    await store.appendEvents([fullEvent(1), fullEvent(2)]);
    const exportDir = path.join(dir, "export");
    await store.exportParquet(exportDir);
    const [dayDir] = fs.readdirSync(path.join(exportDir, "events"));
    const bad = path.join(exportDir, "events", dayDir, "zz-bad.parquet");
    const cases: readonly [string, RegExp][] = [
      ["SELECT * EXCLUDE (play_time_ms) FROM events", /zz-bad\.parquet: missing column play_time_ms/],
      ["SELECT *, 1 AS surprise FROM events", /zz-bad\.parquet: unknown column surprise/],
      [
        "SELECT * REPLACE (CAST(ts_ms AS VARCHAR) AS ts_ms) FROM events",
        /zz-bad\.parquet: column ts_ms has type VARCHAR/,
      ],
    ];
    for (const [select, message] of cases) {
      await store.connection.run(`COPY (${select}) TO '${bad}' (FORMAT PARQUET)`);
      const other = await LogStore.open(path.join(dir, "other.duckdb"));
      try {
        await assert.rejects(other.importParquet(exportDir), (error: unknown) => {
          assert.ok(isMtfError(error, "BAD_ROW"));
          assert.match(error.message, message);
          return true;
        });
        assert.equal((await other.counts()).events, 0);
      } finally {
        other.close();
      }
    }
  });
});

test("a read-only open of a missing store is FILE_NOT_FOUND", async () => {
  const dir = tempDir();
  try {
    await assert.rejects(LogStore.open(path.join(dir, "none.duckdb"), { readOnly: true }), (error: unknown) =>
      isMtfError(error, "FILE_NOT_FOUND"),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

const CHILD = fileURLToPath(new URL("./fixtures/append-child.ts", import.meta.url));

/** Runs the child, SIGKILLs it `delayMs` after it prints `marker`, and returns what it printed. */
function runAndKill(file: string, phase: string, marker: string, delayMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, file, phase], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (data: Buffer) => {
      out += data.toString();
      if (out.includes(`${marker}\n`)) setTimeout(() => child.kill("SIGKILL"), delayMs);
    });
    child.stderr.on("data", (data: Buffer) => {
      err += data.toString();
    });
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      if (signal !== "SIGKILL") reject(new Error(`child was not killed (exit ${_code}):\n${out}${err}`));
      else resolve(out);
    });
  });
}

for (const [phase, marker] of [
  ["stage", "appending"],
  ["commit", "committing"],
] as const) {
  test(`a process killed while ${phase === "stage" ? "staging" : "committing"} a batch leaves only the committed batch`, async () => {
    const dir = tempDir();
    const file = path.join(dir, "store.duckdb");
    try {
      const out = await runAndKill(file, phase, marker, 50);
      assert.ok(out.includes("committed\n"), out);
      assert.ok(!out.includes("done\n"), "the second batch finished before the kill: make it larger");
      const store = await LogStore.open(file);
      try {
        const ids = await store.query<{ n: number; lo: string; hi: string }>(
          "SELECT count(*) AS n, min(ts_ms) AS lo, max(ts_ms) AS hi FROM events",
        );
        assert.equal(ids[0].n, KILL_TEST_FIRST_BATCH);
        assert.deepEqual(
          await store.query("SELECT count(*) AS n FROM events WHERE event_id IN ('e0', 'e999', 'e1000')"),
          [{ n: 2 }],
        );
        assert.deepEqual(await store.appendEvents([sparseEvent(1000), sparseEvent(0)]), {
          inserted: 1,
          duplicates: 1,
        });
        assert.equal((await store.counts()).events, KILL_TEST_FIRST_BATCH + 1);
      } finally {
        store.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
}
