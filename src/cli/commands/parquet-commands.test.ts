import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { playEvent, syntheticLog } from "../../data/synthetic-log.js";
import { runInProcess } from "../run-in-process.js";
import { register as registerExport } from "./export-parquet.js";
import { register as registerImport } from "./import-events.js";

/** Runs `mtf <args>` in-process and returns what it printed on stdout. */
async function mtf(args: readonly string[]): Promise<string> {
  return (await runInProcess([registerExport, registerImport], args)).out;
}

const TABLES = [
  "SELECT * FROM events ORDER BY event_id",
  "SELECT * FROM users ORDER BY user_id",
  "SELECT * FROM videos ORDER BY item_id",
  "SELECT * FROM meta ORDER BY key",
];

async function tables(run: string): Promise<unknown[][]> {
  const store = await LogStore.open(runStorePath(run), { readOnly: true });
  try {
    return await Promise.all(TABLES.map((sql) => store.query(sql)));
  } finally {
    store.close();
  }
}

async function makeRun(run: string): Promise<void> {
  const store = await LogStore.open(runStorePath(run));
  try {
    for (const events of syntheticLog({ users: 6, days: 4, seed: 2, sessionIdShare: 0.5 })) {
      await store.appendEvents(events);
    }
    // One play 1 ms before local midnight (UTC+0): it must land in the earlier day's folder.
    await store.appendEvents([
      playEvent({ userId: "late", eventId: "late-1", timestampMs: Date.UTC(2022, 3, 22, 23, 59, 59, 999) }),
      playEvent({ userId: "late", eventId: "late-2", timestampMs: Date.UTC(2022, 3, 23, 0, 0, 0, 0) }),
    ]);
    await store.upsertUsers(
      [
        { userId: "u0", profile: [1, 0.5] },
        { userId: "late", profile: [0, 2] },
      ],
      ["age", "tenure"],
    );
    await store.upsertVideos([{ itemId: "v1", category: "pets", uploadDate: "2022-04-01", width: 720 }]);
  } finally {
    store.close();
  }
}

test("export-parquet then import-events <folder> gives back identical tables", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-parquet-cli-"));
  try {
    const source = path.join(dir, "source");
    await makeRun(source);
    const config = path.join(dir, "utc.yaml");
    fs.writeFileSync(config, 'timeZone: "+00:00"\n');
    const out = path.join(dir, "export");
    const printed = await mtf(["export-parquet", "--run", source, "--out", out, "--config", config]);

    // Day folders = the UTC calendar days of the events, computed here without the store's code.
    const store = await LogStore.open(runStorePath(source), { readOnly: true });
    const rows = await store.query<{ event_id: string; ts_ms: number }>("SELECT event_id, ts_ms FROM events");
    store.close();
    const byDay = new Map<string, string[]>();
    for (const r of rows) {
      const day = new Date(r.ts_ms).toISOString().slice(0, 10);
      byDay.set(day, [...(byDay.get(day) ?? []), r.event_id]);
    }
    const days = [...byDay.keys()].sort();
    assert.deepEqual(
      fs.readdirSync(path.join(out, "events")).sort(),
      days.map((d) => `day=${d}`),
    );
    assert.match(
      printed,
      new RegExp(
        `exported .*store\\.duckdb to .*export: ${rows.length} events in ${days.length} day partitions ${days[0]} … ${days.at(-1)} \\(UTC\\+00:00\\), 2 users, \\d+ videos`,
      ),
    );
    assert.ok(byDay.get("2022-04-22")?.includes("late-1") && byDay.get("2022-04-23")?.includes("late-2"));
    const manifest = JSON.parse(fs.readFileSync(path.join(out, "manifest.json"), "utf8"));
    assert.deepEqual([manifest.utcOffset, manifest.userProfileFeatures], ["+00:00", ["age", "tenure"]]);
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.includes(".tmp-")),
      [],
    );

    const copy = path.join(dir, "copy");
    const imported = await mtf(["import-events", out, "--run", copy]);
    assert.match(
      imported,
      new RegExp(
        `imported Parquet export .*: ${rows.length} events read, ${rows.length} inserted, 0 duplicates; 2 users`,
      ),
    );
    assert.deepEqual(await tables(copy), await tables(source));
    const again = await mtf(["import-events", out, "--run", copy]);
    assert.match(again, new RegExp(`${rows.length} events read, 0 inserted, ${rows.length} duplicates`));
    assert.deepEqual(await tables(copy), await tables(source));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("export-parquet refuses to clobber, replaces an export whole with --overwrite", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-parquet-cli-"));
  try {
    const source = path.join(dir, "source");
    await makeRun(source);
    const out = path.join(dir, "export");
    await mtf(["export-parquet", "--run", source, "--out", out]);
    await assert.rejects(mtf(["export-parquet", "--run", source, "--out", out]), /--overwrite|overwrite/);
    // A stale day folder from an earlier export does not survive an overwrite: no merging.
    fs.mkdirSync(path.join(out, "events", "day=1999-01-01"));
    await mtf(["export-parquet", "--run", source, "--out", out, "--overwrite"]);
    assert.equal(fs.existsSync(path.join(out, "events", "day=1999-01-01")), false);

    const other = path.join(dir, "not-an-export");
    fs.mkdirSync(other);
    fs.writeFileSync(path.join(other, "notes.txt"), "keep me");
    await assert.rejects(
      mtf(["export-parquet", "--run", source, "--out", other, "--overwrite"]),
      (error: unknown) => isMtfError(error, "INVALID_ARGUMENT") && /no manifest\.json/.test(error.message),
    );
    assert.equal(fs.readFileSync(path.join(other, "notes.txt"), "utf8"), "keep me");
    await assert.rejects(
      mtf(["export-parquet", "--run", path.join(dir, "no-run"), "--out", path.join(dir, "x")]),
      (error: unknown) => isMtfError(error, "FILE_NOT_FOUND"),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("import-events <folder> refuses bad exports with a clear error and stores nothing", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-parquet-cli-"));
  try {
    const source = path.join(dir, "source");
    await makeRun(source);
    const out = path.join(dir, "export");
    await mtf(["export-parquet", "--run", source, "--out", out]);
    const target = path.join(dir, "target");
    const refuses = async (args: readonly string[], code: string, message: RegExp) => {
      await assert.rejects(mtf(args), (error: unknown) => {
        assert.ok(isMtfError(error, code as never), String(error));
        assert.match(error.message, message);
        return true;
      });
      if (fs.existsSync(runStorePath(target))) {
        const store = await LogStore.open(runStorePath(target), { readOnly: true });
        assert.deepEqual(await store.counts(), { events: 0, users: 0, videos: 0 });
        store.close();
      }
    };

    const empty = path.join(dir, "empty");
    fs.mkdirSync(empty);
    await refuses(["import-events", empty, "--run", target], "FILE_NOT_FOUND", /not a Parquet export/);
    await refuses(
      ["import-events", out, "--run", target, "--skip-bad-rows"],
      "INVALID_ARGUMENT",
      /--skip-bad-rows applies to single files/,
    );

    // A file moved into another day's folder.
    const dayDirs = fs.readdirSync(path.join(out, "events")).sort();
    const [first, second] = dayDirs;
    const moved = path.join(out, "events", second, "moved.parquet");
    fs.renameSync(path.join(out, "events", first, fs.readdirSync(path.join(out, "events", first))[0]), moved);
    await refuses(
      ["import-events", out, "--run", target],
      "BAD_ROW",
      new RegExp(
        `moved\\.parquet: event \\S+ \\(ts_ms \\d+\\) falls on ${first.slice(4)} at UTC\\+08:00, not in its folder ${second}`,
      ),
    );
    fs.renameSync(moved, path.join(out, "events", first, "back.parquet"));

    const manifestFile = path.join(out, "manifest.json");
    const manifest = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
    fs.writeFileSync(manifestFile, JSON.stringify({ ...manifest, schemaVersion: 99 }));
    await refuses(["import-events", out, "--run", target], "STORE_SCHEMA_MISMATCH", /schema version 99/);
    fs.writeFileSync(manifestFile, "{ not json");
    await refuses(["import-events", out, "--run", target], "BAD_ROW", /manifest\.json is not valid JSON/);
    fs.rmSync(manifestFile);
    await refuses(["import-events", out, "--run", target], "FILE_NOT_FOUND", /users\.parquet needs it/);

    fs.writeFileSync(path.join(out, "events", first, "junk.parquet"), "not parquet");
    await refuses(
      ["import-events", out, "--run", target],
      "BAD_ROW",
      /junk\.parquet: not a readable Parquet file/,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
