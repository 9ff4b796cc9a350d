import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isMtfError } from "../../core/errors.js";
import { LogStore } from "../../data/log-store.js";
import { runInProcess } from "../run-in-process.js";
import { register as registerEvents } from "./import-events.js";
import { register as registerKuaiRand } from "./import-kuairand.js";

// KuaiRand-1K random-exposure excerpt (Gao et al., KuaiRand, CIKM 2022, https://kuairand.com),
// CC BY-SA 4.0; see shared/data/kuairand-1k/README.md.
const EXCERPT = fileURLToPath(
  new URL("../../../../shared/data/kuairand-1k/log_random_sample.csv", import.meta.url),
);

/** Runs `mtf <args>` in-process and returns what it printed on stdout. */
async function mtf(args: readonly string[]): Promise<string> {
  return (await runInProcess([registerEvents, registerKuaiRand], args)).out;
}

test("mtf import-kuairand and import-events print a summary and fill the run's store", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-"));
  try {
    const run = path.join(dir, "runs", "kr");
    const out = await mtf(["import-kuairand", EXCERPT, "--run", run]);
    assert.match(out, /log .*log_random_sample\.csv: 2690 rows read, 2690 inserted, 0 duplicates, 0 skipped/);
    assert.match(out, /: 2690 events, 0 users, \d+ videos; days 2022-04-22 … 2022-05-08 \(UTC\+08:00\)/);

    const events = path.join(dir, "events.csv");
    fs.writeFileSync(
      events,
      "event_id,user_id,item_id,request_id,ts_ms,play_time_ms\na,u,v,r,1650571200000,10\nb,u,v,r,-1,10\n",
    );
    const config = path.join(dir, "config.yaml");
    fs.writeFileSync(config, 'timeZone: "+00:00"\n');
    const summary = await mtf(["import-events", events, "--run", run, "--skip-bad-rows", "--config", config]);
    assert.match(summary, /2 rows read, 1 inserted, 0 duplicates, 1 skipped/);
    assert.match(summary, /skipped by reason: negative 1/);
    assert.match(summary, /e\.g\. .*events\.csv:3: column ts_ms: ts_ms cannot be negative/);
    assert.match(summary, /: 2691 events, .*days 2022-04-21 … 2022-05-08 \(UTC\+00:00\)/);

    await assert.rejects(mtf(["import-events", events, "--run", run]), (error: unknown) => {
      assert.ok(isMtfError(error, "BAD_ROW"));
      assert.match(error.message, /events\.csv:3/);
      return true;
    });
    const store = await LogStore.open(path.join(run, "store.duckdb"), { readOnly: true });
    try {
      assert.equal((await store.counts()).events, 2691);
    } finally {
      store.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
