import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { isMtfError } from "../../core/errors.js";
import { loadDataset } from "../../data/dataset.js";
import { importKuaiRand } from "../../data/import-kuairand.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import { runInProcess } from "../run-in-process.js";
import { register as registerBuild } from "./build.js";
import { register as registerFitReward } from "./fit-reward.js";

// KuaiRand-1K random-exposure excerpt (Gao et al., KuaiRand, CIKM 2022, https://kuairand.com),
// CC BY-SA 4.0; see shared/data/kuairand-1k/README.md.
const EXCERPT = fileURLToPath(
  new URL("../../../../shared/data/kuairand-1k/log_random_sample.csv", import.meta.url),
);

/** Runs `mtf <args>` in-process and returns what it printed on stdout and stderr. */
function mtf(args: readonly string[]): Promise<{ out: string; err: string }> {
  return runInProcess([registerBuild, registerFitReward], args);
}

test("mtf fit-reward then mtf build on a synthetic run", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-cli-data-"));
  try {
    const run = path.join(dir, "run");
    const store = await LogStore.open(runStorePath(run));
    for (const events of syntheticLog({ users: 30, days: 12, seed: 5 })) await store.appendEvents(events);
    store.close();

    const fit = await mtf(["fit-reward", "--run", run, "--horizon-days", "3"]);
    assert.match(fit.out, /n \d+ user-days/);
    assert.match(fit.out, /play_time_min\s+1\.0000/);
    assert.match(fit.out, /wrote .*reward-weights\.json/);

    const config = path.join(dir, "config.yaml");
    fs.writeFileSync(config, 'timeZone: "+00:00"\nreward:\n  preset: time\n');
    const built = await mtf([
      "build",
      "--run",
      run,
      "--config",
      config,
      "--seed",
      "3",
      "--group",
      "random",
      "--days",
      "5",
    ]);
    assert.match(built.out, /dataset .*dataset-time: \d+ transitions \(\d+ train \/ \d+ test\)/);
    assert.match(
      built.out,
      /reward: preset time, base weights from (fitted|fallback constants \(the fit fell back\)): .*reward-weights\.json/,
    );
    assert.match(built.out, /filters: groups random; last 5 days/);
    assert.match(built.err, /build: \d+\/\d+ plays/); // periodic lines when stderr is not a terminal
    const dataset = loadDataset(path.join(run, "dataset-time"));
    assert.equal(dataset.meta.seed, 3);
    assert.equal(dataset.meta.utcOffsetMinutes, 0);
    assert.ok(fs.existsSync(path.join(run, "dataset-time", "config.yaml")));

    await assert.rejects(
      mtf(["build", "--run", run, "--include-target", "--exploration-only"]),
      /cannot be used with/,
    );
    await assert.rejects(mtf(["build", "--run", run, "--reward", "fancy"]), /expected one of default, time/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("mtf build refuses a KuaiRand run, and fit-reward falls back on it with a warning", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-cli-data-"));
  try {
    const run = path.join(dir, "kr");
    const store = await LogStore.open(runStorePath(run));
    await importKuaiRand(store, EXCERPT);
    store.close();
    const fit = await mtf(["fit-reward", "--run", run]);
    assert.match(fit.out, /warning: .*fallback reward weights/);
    const built = mtf(["build", "--run", run, "--out", path.join(dir, "ds")]);
    await assert.rejects(built, (error: unknown) => isMtfError(error, "NO_LOGGED_ACTIONS"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
