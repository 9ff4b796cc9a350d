import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, test } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { buildDataset } from "../../data/dataset.js";
import { LogStore, runStorePath } from "../../data/log-store.js";
import { syntheticLog } from "../../data/synthetic-log.js";
import { readOpeResult } from "../../ope/result.js";
import { runInProcess } from "../run-in-process.js";
import { register } from "./evaluate.js";

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mtf-cli-evaluate-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

async function dataset(name: string, seed: number): Promise<string> {
  const run = path.join(dir, `run-${name}`);
  const store = await LogStore.open(runStorePath(run));
  for (const events of syntheticLog({ users: 24, days: 6, seed })) await store.appendEvents(events);
  const outDir = path.join(run, "dataset");
  await buildDataset(store, {
    outDir,
    reward: { preset: "default", source: "fallback constants" },
    testFraction: 0.3,
  });
  store.close();
  return outDir;
}

/** Runs `mtf <args>` in-process and returns what it printed on stdout and stderr. */
function mtf(args: readonly string[]): Promise<{ out: string; err: string }> {
  return runInProcess([register], args);
}

const config = path.join(dir, "config.yaml");
fs.writeFileSync(config, "ope:\n  batchSize: 32\n  hiddenSizes: [16]\n  lr: 0.001\n  iterations: 60\n");

test("mtf evaluate prints V̂ per α, writes a reloadable result, and compares results of one dataset", async () => {
  const data = await dataset("a", 5);
  const out = path.join(dir, "behaviour.json");
  const first = await mtf([
    "evaluate",
    "--data",
    data,
    "--policy",
    "behaviour",
    "--alpha",
    "0,0.01",
    "--seeds",
    "2",
    "--config",
    config,
    "--out",
    out,
  ]);
  assert.match(first.out, /V̂\(behaviour\) on the test split .* \(n = \d+ initial states\):/);
  assert.match(first.out, /\n {2}0 {9}-?\d+\.\d{4} +95% \[-?\d+\.\d{4}, -?\d+\.\d{4}\] +std /);
  assert.match(first.out, /\n {2}0\.01 {6}/);
  assert.match(first.out, /covers the sampling of sessions only/);
  assert.match(first.err, /evaluate: \d+\/240 iterations/);
  const result = await readOpeResult(out);
  assert.equal(result.policy.id, "behaviour");
  assert.equal(result.policy.stochastic, false);
  assert.equal(result.dataset.split, "test");
  assert.match(result.dataset.checksum, /^[0-9a-f]{64}$/);
  assert.deepEqual(
    result.estimates.map((e) => [e.alpha, e.seedValues.length]),
    [
      [0, 2],
      [0.01, 2],
    ],
  );
  assert.equal(result.config.iterations, 60);
  assert.ok(fs.existsSync(path.join(dir, "behaviour.config.yaml")));
  const curves = fs.readFileSync(path.join(dir, "behaviour.metrics.jsonl"), "utf8").trim().split("\n");
  assert.ok(curves.length >= 4 && JSON.parse(curves[0])["loss/td"] !== undefined);

  const alpha = "fixed:1,1,1,1.5,-1,1,1,1,1,1,-1,-1";
  const second = await mtf([
    "evaluate",
    "--data",
    data,
    "--policy",
    alpha,
    "--alpha",
    "0.01",
    "--config",
    config,
    "--compare",
    out,
  ]);
  assert.match(second.out, /vs behaviour at α 0\.01: -?\d+\.\d{4} − -?\d+\.\d{4} = -?\d+\.\d{4}/);

  const other = await dataset("b", 6);
  await assert.rejects(
    mtf(["evaluate", "--data", other, "--policy", "behaviour", "--config", config, "--compare", out]),
    (error: unknown) => isMtfError(error, "DATASET_MISMATCH"),
  );
  await assert.rejects(
    mtf(["evaluate", "--data", data, "--policy", path.join(dir, "nope.ckpt"), "--config", config]),
    (error: unknown) => isMtfError(error, "FILE_NOT_FOUND"),
  );
  await assert.rejects(
    mtf(["evaluate", "--data", data, "--policy", "behaviour", "--alpha", "-1"]),
    /expected α >= 0/,
  );
});
