import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { opeConfigSection } from "./config.js";
import {
  compareOpeResults,
  INTERVAL_NOTE,
  OPE_RESULT_FORMAT,
  OPE_RESULT_VERSION,
  type OpeResult,
  readOpeResult,
  writeOpeResult,
} from "./result.js";

const dir = await mkdtemp(join(tmpdir(), "mtf-ope-result-"));
after(() => rm(dir, { recursive: true, force: true }));

function result(policy: string, values: readonly [number, number][], checksum = "d".repeat(64)): OpeResult {
  return {
    format: OPE_RESULT_FORMAT,
    version: OPE_RESULT_VERSION,
    runId: `ds__conservative-ope__0__20260101T000000Z`,
    createdAt: "2026-01-01T00:00:00.000Z",
    policy: {
      id: policy,
      source: `${policy}.ckpt`,
      sha256: "a".repeat(64),
      stochastic: true,
      decisionSamples: 4,
    },
    dataset: {
      path: "runs/x/dataset",
      checksum,
      split: "test",
      transitions: 1000,
      sessions: 100,
      states: 1100,
    },
    gamma: 0.95,
    config: opeConfigSection.parse({}),
    configHash: "0123456789abcdef",
    seed: 0,
    seeds: 1,
    backend: "native-avx2",
    mtfVersion: "0.1.0",
    note: INTERVAL_NOTE,
    estimates: values.map(([alpha, value]) => ({
      alpha,
      value,
      interval: { low: value - 0.1, high: value + 0.1, confidence: 0.95, resamples: 1000 },
      seedValues: [value],
      seedSpread: { mean: value, std: 0, min: value, max: value },
      initialStates: 100,
      finalMetrics: { "loss/td": 0.5 },
    })),
  };
}

test("a result round-trips through its JSON file", async () => {
  const path = join(dir, "a.json");
  const written = result("bcq", [
    [0, 3.2],
    [0.0005, 3.1],
  ]);
  await writeOpeResult(path, written);
  assert.deepEqual(await readOpeResult(path), written);
});

test("broken or foreign files are refused with coded errors naming the field", async () => {
  const path = join(dir, "bad.json");
  await writeFile(path, JSON.stringify({ ...result("bcq", [[0, 1]]), estimates: [] }));
  await assert.rejects(
    readOpeResult(path),
    (e) => isMtfError(e, "RESULT_INVALID") && e.message.includes("estimates"),
  );
  await writeFile(path, "{ not json");
  await assert.rejects(readOpeResult(path), (e) => isMtfError(e, "RESULT_INVALID"));
  await assert.rejects(readOpeResult(join(dir, "none.json")), (e) => isMtfError(e, "FILE_NOT_FOUND"));
});

test("results compare α by α on one dataset and refuse different datasets", () => {
  const baseline = result("behaviour", [
    [0, 3],
    [0.0005, 2.9],
  ]);
  const candidate = result("bcq", [
    [0.0005, 3.3],
    [0.01, 2],
  ]);
  const comparison = compareOpeResults(baseline, candidate);
  assert.equal(comparison.sameConfig, true);
  assert.equal(comparison.estimates.length, 1);
  const [only] = comparison.estimates;
  assert.equal(only.alpha, 0.0005);
  assert.ok(Math.abs(only.difference - 0.4) < 1e-12);
  assert.equal(only.intervalsOverlap, false);
  assert.throws(
    () => compareOpeResults(baseline, result("bcq", [[0, 3]], "e".repeat(64))),
    (e) => isMtfError(e, "DATASET_MISMATCH"),
  );
});
