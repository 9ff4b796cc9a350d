import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isMtfError } from "../core/errors.js";
import { importKuaiRand, KUAIRAND_LOG_COLUMNS, KUAIRAND_PROFILE_FEATURES } from "./import-kuairand.js";
import { LogStore } from "./log-store.js";

// KuaiRand-1K random-exposure excerpt (Gao et al., KuaiRand, CIKM 2022, https://kuairand.com),
// CC BY-SA 4.0; see shared/data/kuairand-1k/README.md.
const EXCERPT = fileURLToPath(
  new URL("../../../shared/data/kuairand-1k/log_random_sample.csv", import.meta.url),
);

async function withStore(body: (store: LogStore, dir: string) => Promise<void>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-"));
  const store = await LogStore.open(path.join(dir, "store.duckdb"));
  try {
    await body(store, dir);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The excerpt parsed by plain splitting, independently of the importer. */
function excerptRows(): Record<string, number>[] {
  const [header, ...lines] = fs.readFileSync(EXCERPT, "utf8").trimEnd().split("\n");
  const names = header.split(",");
  return lines.map((line) => {
    const fields = line.split(",");
    return Object.fromEntries(names.map((n, i) => [n, Number(fields[i])]));
  });
}

test("the KuaiRand excerpt imports with the counts and rates of the file", async () => {
  const rows = excerptRows();
  assert.equal(rows.length, 2690);
  const sum = (f: (r: Record<string, number>) => number): number => rows.reduce((s, r) => s + f(r), 0);
  const withDuration = rows.filter((r) => r.duration_ms > 0);
  const expected = {
    rows: rows.length,
    users: new Set(rows.map((r) => r.user_id)).size,
    items: new Set(rows.map((r) => r.video_id)).size,
    clickRate: sum((r) => r.is_click) / rows.length,
    longViewRate: sum((r) => r.long_view) / rows.length,
    likes: sum((r) => r.is_like),
    skips: sum((r) => (r.play_time_ms < 3000 ? 1 : 0)),
    finishRate: withDuration.filter((r) => r.play_time_ms >= r.duration_ms).length / withDuration.length,
    nullFinish: rows.length - withDuration.length,
  };
  assert.equal(expected.users, 68);
  assert.equal(expected.nullFinish, 90);

  await withStore(async (store) => {
    const summary = await importKuaiRand(store, EXCERPT);
    assert.equal(summary.log.rowsRead, 2690);
    assert.equal(summary.log.inserted, 2690);
    assert.equal(summary.log.duplicates, 0);
    assert.equal(summary.log.skipped.count, 0);
    const [stored] = await store.query<Record<string, number>>(`
      SELECT count(*) AS rows, count(DISTINCT user_id) AS users,
        avg(outcome_click) AS click_rate, avg(outcome_long_view) AS long_view_rate,
        sum(outcome_like) AS likes, sum(outcome_skip) AS skips,
        avg(outcome_finish) AS finish_rate, count(*) - count(outcome_finish) AS null_finish,
        count(*) FILTER (WHERE outcome_exit IS NULL AND session_id IS NULL AND score_click IS NULL
          AND alpha_click IS NULL AND action_click IS NULL AND exploration_group IS NULL) AS undecided
      FROM events`);
    assert.equal(stored.rows, expected.rows);
    assert.equal(stored.users, expected.users);
    assert.ok(Math.abs(stored.click_rate - expected.clickRate) < 1e-12);
    assert.ok(Math.abs(stored.long_view_rate - expected.longViewRate) < 1e-12);
    assert.equal(stored.likes, expected.likes);
    assert.equal(stored.skips, expected.skips);
    assert.ok(Math.abs(stored.finish_rate - expected.finishRate) < 1e-12);
    assert.equal(stored.null_finish, expected.nullFinish);
    assert.equal(stored.undecided, expected.rows);
    assert.equal((await store.counts()).videos, expected.items);

    // Re-importing the same file stores nothing new.
    const again = await importKuaiRand(store, EXCERPT);
    assert.deepEqual([again.log.inserted, again.log.duplicates], [0, 2690]);
  });
});

test("hand-checked KuaiRand rows map field by field", async () => {
  await withStore(async (store) => {
    await importKuaiRand(store, EXCERPT);
    const row = async (eventId: string): Promise<Record<string, unknown>> => {
      const [found] = await store.query(
        `SELECT user_id, item_id, request_id, session_id, ts_ms, duration_ms, play_time_ms, experiment_arm,
          outcome_click, outcome_long_view, outcome_finish, outcome_skip, outcome_like, outcome_comment,
          outcome_follow, outcome_forward, outcome_profile_enter, outcome_hate, outcome_exit
         FROM events WHERE event_id = $1`,
        [eventId],
      );
      assert.ok(found !== undefined, eventId);
      return found;
    };
    const base = {
      session_id: null,
      experiment_arm: "kuairand:random",
      outcome_like: 0,
      outcome_comment: 0,
      outcome_follow: 0,
      outcome_forward: 0,
      outcome_profile_enter: 0,
      outcome_hate: 0,
      outcome_exit: null,
    };
    // line 9: 0,6614,20220506,700,1651793743336,0,0,0,0,0,0,0,1141,0,0,0,0,1,1 (duration 0)
    assert.deepEqual(await row("kr-0-6614-1651793743336"), {
      ...base,
      user_id: "0",
      item_id: "6614",
      request_id: "kr-0-6614-1651793743336",
      ts_ms: 1651793743336,
      duration_ms: 0,
      play_time_ms: 1141,
      outcome_click: 0,
      outcome_long_view: 0,
      outcome_finish: null,
      outcome_skip: 1,
    });
    // line 863: 19,1102,20220424,1900,1650799454330,0,0,0,0,0,0,0,0,132280,0,0,0,1,1 (play time 0)
    assert.deepEqual(await row("kr-19-1102-1650799454330"), {
      ...base,
      user_id: "19",
      item_id: "1102",
      request_id: "kr-19-1102-1650799454330",
      ts_ms: 1650799454330,
      duration_ms: 132280,
      play_time_ms: 0,
      outcome_click: 0,
      outcome_long_view: 0,
      outcome_finish: 0,
      outcome_skip: 1,
    });
    // line 127: 2,2631,20220505,1300,1651728032184,1,0,0,0,0,0,0,7252,231916,0,0,0,1,1 (click, no long view)
    assert.deepEqual(await row("kr-2-2631-1651728032184"), {
      ...base,
      user_id: "2",
      item_id: "2631",
      request_id: "kr-2-2631-1651728032184",
      ts_ms: 1651728032184,
      duration_ms: 231916,
      play_time_ms: 7252,
      outcome_click: 1,
      outcome_long_view: 0,
      outcome_finish: 0,
      outcome_skip: 0,
    });
  });
});

const HEADER = KUAIRAND_LOG_COLUMNS.join(",");
const GOOD = [
  "1,10,20220422,800,1650585600000,1,0,0,0,0,0,1,5000,4000,0,0,0,1,1",
  "1,11,20220422,800,1650585601000,0,0,0,0,0,0,0,1000,0,0,0,0,1,1",
  "1,12,20220422,800,1650585602000,1,1,0,0,0,0,0,2000,9000,0,0,0,0,1",
];

function writeFile(dir: string, name: string, lines: readonly string[]): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${lines.join("\n")}\n`);
  return file;
}

test("a repeated KuaiRand key at the same instant gets its own event id", async () => {
  await withStore(async (store, dir) => {
    const file = writeFile(dir, "log.csv", [HEADER, GOOD[0], GOOD[0], GOOD[1]]);
    const summary = await importKuaiRand(store, file);
    assert.equal(summary.log.inserted, 3);
    const ids = await store.query<{ event_id: string }>("SELECT event_id FROM events ORDER BY event_id");
    assert.deepEqual(
      ids.map((r) => r.event_id),
      ["kr-1-10-1650585600000", "kr-1-10-1650585600000-1", "kr-1-11-1650585601000"],
    );
  });
});

test("bad KuaiRand rows fail with file:line and the column, and store nothing", async () => {
  await withStore(async (store, dir) => {
    const cases: readonly [string, RegExp][] = [
      // data line 4 is file line 5
      [
        "1,13,20220422,800,1650585603000,0,0,0,0,0,0,0,1000,0,0,0,1,1",
        /wrong\.csv:5: expected 19 fields, found 18/,
      ],
      [
        "1,13,20220422,800,1650585603000,0,0,0,0,0,0,0,abc,0,0,0,0,1,1",
        /wrong\.csv:5: column play_time_ms: play_time_ms must be a number, got "abc"/,
      ],
      [
        "1,13,20220422,800,1650585603000,0,0,0,0,0,0,0,-7,0,0,0,0,1,1",
        /wrong\.csv:5: column play_time_ms: play_time_ms cannot be negative/,
      ],
      [
        "1,13,20220422,800,1650585603000,2,0,0,0,0,0,0,7,0,0,0,0,1,1",
        /wrong\.csv:5: column is_click: is_click out of range/,
      ],
      [
        "1,13,20220422,800,1650585603000,0,0,0,0,0,0,0,7.5,0,0,0,0,1,1",
        /wrong\.csv:5: column play_time_ms: play_time_ms must be an integer/,
      ],
    ];
    for (const [line, message] of cases) {
      const file = writeFile(dir, "wrong.csv", [HEADER, ...GOOD, line]);
      await assert.rejects(importKuaiRand(store, file), (error: unknown) => {
        assert.ok(isMtfError(error, "BAD_ROW"));
        assert.match(error.message, message);
        assert.equal(error.details.line, 5);
        return true;
      });
      assert.deepEqual(await store.counts(), { events: 0, users: 0, videos: 0 });
    }
    const unknownHeader = writeFile(dir, "header.csv", [HEADER.replace("tab", "tabs"), ...GOOD]);
    await assert.rejects(importKuaiRand(store, unknownHeader), /header\.csv:1: unknown column "tabs"/);
    const missingHeader = writeFile(dir, "short.csv", [HEADER.replace(",tab", ""), ...GOOD]);
    await assert.rejects(importKuaiRand(store, missingHeader), /short\.csv:1: missing column "tab"/);
    assert.equal((await store.counts()).events, 0);
  });
});

test("skipBadRows imports the good KuaiRand rows and counts the rest per reason", async () => {
  await withStore(async (store, dir) => {
    const file = writeFile(dir, "mixed.csv", [
      HEADER,
      GOOD[0],
      "1,13,20220422,800,1650585603000,0,0,0,0,0,0,0,1000,0,0,0,1,1",
      GOOD[1],
      "1,14,20220422,800,1650585604000,0,0,0,0,0,0,0,abc,0,0,0,0,1,1",
      "1,15,20220422,800,1650585605000,0,0,0,0,0,0,0,-7,0,0,0,0,1,1",
      "1,16,20220422,800,1650585606000,0,0,0,0,0,0,0,x,0,0,0,0,1,1",
      GOOD[2],
    ]);
    const summary = await importKuaiRand(store, file, { skipBadRows: true });
    assert.equal(summary.log.rowsRead, 7);
    assert.equal(summary.log.inserted, 3);
    assert.deepEqual(summary.log.skipped.byReason, { column_count: 1, negative: 1, not_a_number: 2 });
    assert.equal(summary.log.skipped.count, 4);
    assert.deepEqual(
      summary.log.skipped.examples.map((e) => [e.line, e.column, e.reason]),
      [
        [3, null, "column_count"],
        [5, "play_time_ms", "not_a_number"],
        [6, "play_time_ms", "negative"],
        [7, "play_time_ms", "not_a_number"],
      ],
    );
    const [standard] = await store.query<{ n: number }>(
      "SELECT count(*) AS n FROM events WHERE experiment_arm = 'kuairand:standard'",
    );
    assert.equal(standard.n, 1);
  });
});

const USER_HEADER = [
  "user_id",
  "user_active_degree",
  "is_lowactive_period",
  "is_live_streamer",
  "is_video_author",
  "follow_user_num",
  "follow_user_num_range",
  "fans_user_num",
  "fans_user_num_range",
  "friend_user_num",
  "friend_user_num_range",
  "register_days",
  "register_days_range",
  ...Array.from({ length: 18 }, (_, i) => `onehot_feat${i}`),
].join(",");
const ONEHOTS = Array.from({ length: 18 }, (_, i) => String(i % 3)).join(",");

test("KuaiRand user and video feature files fill users and videos", async () => {
  await withStore(async (store, dir) => {
    const log = writeFile(dir, "log.csv", [HEADER, ...GOOD]);
    const users = writeFile(dir, "users.csv", [
      USER_HEADER,
      `1,high_active,0,0,1,12,"(10,50]",3,"[1,10)",0,0,100,61-90,${ONEHOTS}`,
      `2,UNKNOWN,1,0,0,0,0,0,0,0,0,5,0-7,${ONEHOTS.replace(/^0,/, ",")}`,
    ]);
    const videos = writeFile(dir, "videos.csv", [
      "video_id,author_id,video_type,upload_dt,upload_type,visible_status,video_duration,server_width,server_height,music_id,music_type,tag",
      '10,7,NORMAL,2022-01-02,ShortImport,public,4200.0,720,1280,99,9,"8,3"',
      "11,8,AD,2021-12-30,PictureSet,public,,1080,1920,0,,",
    ]);
    const summary = await importKuaiRand(store, log, { usersFile: users, videosFile: videos });
    assert.deepEqual([summary.users?.rowsRead, summary.users?.stored], [2, 2]);
    assert.deepEqual([summary.videos?.rowsRead, summary.videos?.stored], [2, 2]);
    assert.deepEqual(await store.userProfileFeatures(), KUAIRAND_PROFILE_FEATURES);
    const profiles = await store.query<{ user_id: string; profile: number[] }>(
      "SELECT user_id, profile FROM users ORDER BY user_id",
    );
    const onehots = Array.from({ length: 18 }, (_, i) => i % 3);
    assert.deepEqual(profiles, [
      { user_id: "1", profile: [0, 1, 0, 0, 0, 0, 0, 1, 12, 3, 0, 100, ...onehots] },
      { user_id: "2", profile: [0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 5, -1, ...onehots.slice(1)] },
    ]);
    const rows = await store.query(
      "SELECT item_id, duration_ms, category, tags, width, CAST(upload_date AS VARCHAR) AS day FROM videos ORDER BY item_id",
    );
    assert.deepEqual(rows, [
      // the features file's duration wins over the log's
      { item_id: "10", duration_ms: 4200, category: "8", tags: "8,3", width: 720, day: "2022-01-02" },
      // no duration in the file: the log's 0 means unknown, so it stays NULL
      { item_id: "11", duration_ms: null, category: null, tags: null, width: 1080, day: "2021-12-30" },
      { item_id: "12", duration_ms: 9000, category: null, tags: null, width: null, day: null },
    ]);
  });
});

test("a bad feature file fails the whole KuaiRand import", async () => {
  await withStore(async (store, dir) => {
    const log = writeFile(dir, "log.csv", [HEADER, ...GOOD]);
    const users = writeFile(dir, "users.csv", [USER_HEADER, `1,sleepy,0,0,1,12,x,3,x,0,0,100,x,${ONEHOTS}`]);
    await assert.rejects(
      importKuaiRand(store, log, { usersFile: users }),
      /users\.csv:2: column user_active_degree/,
    );
    assert.deepEqual(await store.counts(), { events: 0, users: 0, videos: 0 });
  });
});
