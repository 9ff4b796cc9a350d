import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { EVENT_COLUMNS, type PlayEvent } from "../core/events.js";
import { eventToValues } from "./event-record.js";
import { fullEvent, sparseEvent } from "./fixtures/events.js";
import { importEvents } from "./import-events.js";
import { LogStore } from "./log-store.js";

const EVENTS: readonly PlayEvent[] = [
  fullEvent(0),
  fullEvent(1),
  sparseEvent(2),
  fullEvent(3, { sessionId: null }),
];
const NAMES = EVENT_COLUMNS.map((c) => c.name);

async function withStores(
  body: (stores: { expected: LogStore; actual: LogStore }, dir: string) => Promise<void>,
) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-"));
  const expected = await LogStore.open(path.join(dir, "expected.duckdb"));
  const actual = await LogStore.open(path.join(dir, "actual.duckdb"));
  try {
    await expected.appendEvents(EVENTS);
    await body({ expected, actual }, dir);
  } finally {
    expected.close();
    actual.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const ALL = "SELECT * FROM events ORDER BY event_id";

function csvLines(events: readonly PlayEvent[]): string[] {
  return [
    NAMES.join(","),
    ...events.map((e) =>
      eventToValues(e)
        .map((v) => (v === null ? "" : String(v)))
        .join(","),
    ),
  ];
}

function write(dir: string, name: string, lines: readonly string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

test("CSV events import to the same rows as appending them", async () => {
  await withStores(async ({ expected, actual }, dir) => {
    const file = write(dir, "events.csv", csvLines(EVENTS));
    const summary = await importEvents(actual, file);
    assert.deepEqual(
      { rowsRead: summary.rowsRead, inserted: summary.inserted, duplicates: summary.duplicates },
      { rowsRead: 4, inserted: 4, duplicates: 0 },
    );
    assert.equal(summary.skipped.count, 0);
    assert.deepEqual(await actual.query(ALL), await expected.query(ALL));
    const again = await importEvents(actual, file);
    assert.deepEqual([again.inserted, again.duplicates], [0, 4]);
  });
});

test("a CSV with only the required columns (in any order) imports with the rest NULL", async () => {
  await withStores(async ({ actual }, dir) => {
    const file = write(dir, "min.csv", [
      "ts_ms,play_time_ms,event_id,user_id,item_id,request_id",
      "1650585600000,1200,a,u1,v1,r1",
      '1650585601000,0,"b,quoted",u1,v2,r2',
    ]);
    await importEvents(actual, file);
    const rows = await actual.query(
      "SELECT event_id, ts_ms, play_time_ms, alpha_click, outcome_click FROM events",
    );
    assert.deepEqual(rows, [
      { event_id: "a", ts_ms: 1650585600000, play_time_ms: 1200, alpha_click: null, outcome_click: null },
      { event_id: "b,quoted", ts_ms: 1650585601000, play_time_ms: 0, alpha_click: null, outcome_click: null },
    ]);
  });
});

test("JSONL events import to the same rows as appending them", async () => {
  await withStores(async ({ expected, actual }, dir) => {
    const lines = EVENTS.map((e) => {
      const values = eventToValues(e);
      // absent keys are NULL: drop them from the sparse rows
      return JSON.stringify(
        Object.fromEntries(NAMES.map((n, i) => [n, values[i]]).filter(([, v]) => v !== null)),
      );
    });
    const file = write(dir, "events.jsonl", ["", ...lines]);
    const summary = await importEvents(actual, file);
    assert.equal(summary.inserted, 4);
    assert.deepEqual(await actual.query(ALL), await expected.query(ALL));
  });
});

test("Parquet events import to the same rows as appending them", async () => {
  await withStores(async ({ expected, actual }, dir) => {
    const file = path.join(dir, "events.parquet");
    await expected.connection.run(`COPY (SELECT * FROM events) TO '${file}' (FORMAT PARQUET)`);
    const summary = await importEvents(actual, file);
    assert.equal(summary.inserted, 4);
    assert.deepEqual(await actual.query(ALL), await expected.query(ALL));
  });
});

/** A CSV of the fixture events with one cell of event `row` replaced. */
function csvWith(row: number, column: string, value: string): string[] {
  const lines = csvLines(EVENTS);
  const index = NAMES.indexOf(column);
  const fields = lines[row + 1].split(",");
  fields[index] = value;
  lines[row + 1] = fields.join(",");
  return lines;
}

test("bad CSV event rows fail with file:line and column and store nothing", async () => {
  await withStores(async ({ actual }, dir) => {
    const cases: readonly [string[], RegExp, string][] = [
      [
        csvWith(2, "play_time_ms", "-1"),
        /bad\.csv:4: column play_time_ms: play_time_ms cannot be negative/,
        "negative",
      ],
      [
        csvWith(1, "ts_ms", "soon"),
        /bad\.csv:3: column ts_ms: ts_ms must be a number, got "soon"/,
        "not_a_number",
      ],
      [
        csvWith(0, "score_click", "1.5"),
        /bad\.csv:2: column score_click: .*\[0, 1\], got 1\.5/,
        "out_of_range",
      ],
      [csvWith(0, "action_hate", "-1.01"), /column action_hate/, "out_of_range"],
      [csvWith(0, "propensity", "-0.1"), /column propensity: propensity cannot be negative/, "negative"],
      [
        csvWith(1, "exploration_group", "greedy"),
        /bad\.csv:3: column exploration_group/,
        "bad_exploration_group",
      ],
      [csvWith(0, "outcome_like", "2"), /column outcome_like/, "out_of_range"],
      [
        csvWith(3, "position", "1.5"),
        /bad\.csv:5: column position: position must be an integer/,
        "not_an_integer",
      ],
      [csvWith(0, "user_id", ""), /bad\.csv:2: column user_id: user_id is required/, "missing_value"],
      [
        csvWith(1, "alpha_like", ""),
        /bad\.csv:3: column alpha_like: alpha_\* must hold all 12/,
        "partial_vector",
      ],
      [[...csvLines(EVENTS), "x,y"], /bad\.csv:6: expected 64 fields, found 2/, "column_count"],
    ];
    for (const [lines, message, reason] of cases) {
      const file = write(dir, "bad.csv", lines);
      await assert.rejects(importEvents(actual, file), (error: unknown) => {
        assert.ok(isMtfError(error, "BAD_ROW"), String(error));
        assert.match(error.message, message);
        assert.equal(error.details.reason, reason);
        return true;
      });
      assert.equal((await actual.counts()).events, 0);
    }
  });
});

test("an unknown, missing or partial CSV header is refused at line 1", async () => {
  await withStores(async ({ actual }, dir) => {
    const cases: readonly [string, RegExp][] = [
      [
        "event_id,user_id,item_id,request_id,ts_ms,play_time_ms,watch_ms",
        /h\.csv:1: unknown column "watch_ms"/,
      ],
      ["event_id,user_id,item_id,request_id,play_time_ms", /h\.csv:1: missing required column "ts_ms"/],
      [
        "event_id,user_id,item_id,request_id,ts_ms,play_time_ms,score_click",
        /score_\* columns must be all 12/,
      ],
      ["event_id,event_id,user_id,item_id,request_id,ts_ms,play_time_ms", /column "event_id" appears twice/],
    ];
    for (const [header, message] of cases) {
      const file = write(dir, "h.csv", [header]);
      await assert.rejects(importEvents(actual, file, { skipBadRows: true }), message);
    }
  });
});

test("skipBadRows imports the good event rows and summarises the skipped ones", async () => {
  await withStores(async ({ actual }, dir) => {
    const lines = csvWith(1, "score_click", "7");
    lines.push("a,b");
    const fields = lines[3].split(",");
    fields[NAMES.indexOf("exploration_group")] = "greedy";
    lines[3] = fields.join(",");
    const file = write(dir, "mixed.csv", lines);
    const summary = await importEvents(actual, file, { skipBadRows: true });
    assert.equal(summary.rowsRead, 5);
    assert.equal(summary.inserted, 2);
    assert.deepEqual(summary.skipped.byReason, {
      bad_exploration_group: 1,
      column_count: 1,
      out_of_range: 1,
    });
    assert.deepEqual(
      summary.skipped.examples.map((e) => [e.line, e.column, e.reason]),
      [
        [3, "score_click", "out_of_range"],
        [4, "exploration_group", "bad_exploration_group"],
        [6, null, "column_count"],
      ],
    );
    const ids = await actual.query<{ event_id: string }>("SELECT event_id FROM events ORDER BY event_id");
    assert.deepEqual(
      ids.map((r) => r.event_id),
      ["e0", "e3"],
    );
  });
});

test("bad JSONL lines and Parquet rows are located too", async () => {
  await withStores(async ({ expected, actual }, dir) => {
    const good = JSON.stringify({
      event_id: "a",
      user_id: 1,
      item_id: "v",
      request_id: "r",
      ts_ms: 5,
      play_time_ms: 1,
    });
    const jsonl = write(dir, "e.jsonl", [good, "{not json", '{"event_id":"b","mood":"happy"}', "[1,2]"]);
    await assert.rejects(importEvents(actual, jsonl), /e\.jsonl:2: not valid JSON/);
    const summary = await importEvents(actual, jsonl, { skipBadRows: true });
    assert.deepEqual(summary.skipped.byReason, { bad_json: 2, unknown_column: 1 });
    assert.equal(summary.inserted, 1);
    const [stored] = await actual.query("SELECT user_id FROM events");
    assert.deepEqual(stored, { user_id: "1" });

    const parquet = path.join(dir, "e.parquet");
    await expected.connection.run(
      `COPY (SELECT * REPLACE (CASE WHEN event_id = 'e2' THEN -3 ELSE play_time_ms END AS play_time_ms)
        FROM events ORDER BY event_id) TO '${parquet}' (FORMAT PARQUET)`,
    );
    await assert.rejects(
      importEvents(actual, parquet),
      /e\.parquet:3: column play_time_ms: .*cannot be negative/,
    );
    const unknown = path.join(dir, "u.parquet");
    await expected.connection.run(`COPY (SELECT *, 1 AS mood FROM events) TO '${unknown}' (FORMAT PARQUET)`);
    await assert.rejects(importEvents(actual, unknown), /u\.parquet: unknown column "mood"/);
    assert.equal((await actual.counts()).events, 1);
  });
});
