import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { runInProcess } from "../run-in-process.js";
import { register } from "./simulate.js";

/** Runs `mtf <args>` in-process and returns what it printed on stdout. */
async function mtf(args: readonly string[]): Promise<string> {
  return (await runInProcess([register], args)).out;
}

test("mtf simulate writes events, users, videos, snapshots and the resolved config", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-simulate-"));
  try {
    const config = path.join(dir, "config.yaml");
    fs.writeFileSync(config, "sim:\n  videos: 800\nexploration:\n  share: 0.5\nbcq:\n  rho: 0.15\n");
    const run = path.join(dir, "run");
    const out = await mtf([
      "simulate",
      "--preset",
      "small",
      "--users",
      "40",
      "--days",
      "2",
      "--out",
      run,
      "--config",
      config,
      "--seed",
      "3",
    ]);
    assert.match(out, /simulated config [0-9a-f]{16}, seed 3, preset small/);
    assert.match(out, /events per exploration group: .*random/);
    const store = await LogStore.open(runStorePath(run), { readOnly: true });
    try {
      const counts = await store.counts();
      assert.equal(counts.users, 40);
      assert.equal(counts.videos, 800);
      assert.ok(counts.events > 200);
      const groups = await store.query<{ g: string }>(
        "SELECT DISTINCT exploration_group AS g FROM events ORDER BY 1",
      );
      assert.deepEqual(
        groups.map((r) => r.g),
        ["action_noise", "random", "target"],
      );
    } finally {
      store.close();
    }
    const snapshots = fs.readFileSync(path.join(run, "snapshots.jsonl"), "utf8").trim().split("\n");
    assert.ok(snapshots.length >= 40);
    assert.ok(JSON.parse(snapshots[0]).sessionId.startsWith("s3-g0-u"));
    assert.match(fs.readFileSync(path.join(run, "sim-config.yaml"), "utf8"), /^# mtf resolved config, hash/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("mtf simulate names the bad config field", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-simulate-"));
  try {
    const config = path.join(dir, "bad.yaml");
    fs.writeFileSync(config, "sim:\n  retrieval:\n    candidates: -3\n");
    await assert.rejects(
      mtf(["simulate", "--out", path.join(dir, "run"), "--config", config]),
      (e) => isMtfError(e, "INVALID_CONFIG") && e.message.includes("sim.retrieval.candidates"),
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
