/**
 * `mtf pipeline` end to end at a tiny size (a few hundred users, 300 BCQ steps, K = 100):
 * every number of results.json (the report's input) equals the stage output it comes from,
 * the same seed reproduces results.json exactly (timings aside), and --resume skips finished
 * stages and recomputes the rest identically.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import { readJsonlMetrics } from "../core/metrics-logger.js";
import { PERCENT_DECIMALS, parseCsv, VALUE_DECIMALS } from "../report/index.js";
import type { ReportInput } from "../report/types.js";
import type { AbTestResult } from "../sim/abtest.js";
import { runPipeline } from "./pipeline.js";
import type { TruthSummary } from "./stages/abtest.js";
import type { BuildSummary } from "./stages/build.js";
import type { CollectSummary } from "./stages/collect.js";
import { loadPipelineConfig, TABLE1_DEFAULTS } from "./stages/config.js";
import type { OpeSummary } from "./stages/ope.js";
import type { StageMarker } from "./stages/run-folder.js";

const TINY: Record<string, unknown> = {
  sim: { preset: "small", videos: 1000 },
  bcq: { steps: 300, logEvery: 50, checkpointEvery: 100 },
  bo: { usersPerCandidate: 20, batchSize: 4, initialPoints: 4, maxEvaluations: 16 },
  ope: { iterations: 100, initialStates: 200, bootstrapResamples: 100, hiddenSizes: [32, 32] },
  pipeline: {
    collect: { users: 200, days: 4 },
    fitRewardHorizonDays: 2,
    abTest: { users: 300, days: 2 },
    truth: { users: 100, days: 2 },
    segments: { users: 200, days: 2 },
    weightStates: 200,
  },
};

const root = fs.mkdtempSync(path.join(tmpdir(), "mtf-pipeline-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function json<T>(...parts: string[]): T {
  return JSON.parse(fs.readFileSync(path.join(...parts), "utf8")) as T;
}

/** results.json without what legitimately changes between runs: the time stamp and timings. */
function withoutTimings(results: ReportInput): unknown {
  return { ...results, createdAt: null, stages: results.stages.map((s) => ({ ...s, seconds: null })) };
}

const run = (out: string, resume = false) => runPipeline({ kind: "pipeline", out, overrides: TINY, resume });

describe("mtf pipeline at a tiny size", () => {
  const a = path.join(root, "a");
  let results: ReportInput;
  let reportPath: string;
  before(async () => {
    ({ results, reportPath } = await run(a));
  });

  it("reports the stage outputs' own numbers", () => {
    assert.deepEqual(json<ReportInput>(a, "results.json"), results);
    assert.equal(results.simConfigHash, json<{ simConfigHash: string }>(a, "run.json").simConfigHash);

    const collect = json<CollectSummary>(a, "collect", "mixed", "collect.json");
    const build = json<BuildSummary>(a, "datasets", "build.json");
    assert.equal(results.dataSizes.events, collect.events);
    assert.equal(results.dataSizes.userDays, 200 * 4);
    assert.equal(results.dataSizes.trainTransitions, build.datasets[0].trainTransitions);
    assert.equal(results.dataSizes.testTransitions, build.datasets[0].testTransitions);

    const ab = json<AbTestResult>(a, "evaluate", "abtest.json");
    const truth = json<TruthSummary>(a, "evaluate", "truth.json");
    assert.deepEqual(
      truth.rewardWeights,
      json<{ weights: unknown }>(a, "collect", "mixed", "reward-weights.json").weights,
    );
    assert.equal(results.control, "BO");
    assert.deepEqual(
      results.methods.map((m) => m.method),
      ["BatchRL-MTF", "BO", "behaviour"],
    );
    for (const m of results.methods) {
      const slug = m.method.toLowerCase().replace(/[^a-z0-9.]+/g, "-");
      const ope = json<OpeSummary>(a, "ope", `${slug}.json`);
      assert.deepEqual(m.ope, { value: ope.value, low: ope.low, high: ope.high }, `${m.method} V̂`);
      const arm = ab.arms.find((x) => x.name === m.method);
      assert.ok(arm !== undefined);
      assert.equal(m.online?.adTime, arm.metrics.adTimeS);
      assert.equal(m.online?.upiRate, arm.metrics.upiRate);
      const comparison = ab.comparisons.find((c) => c.arm === m.method);
      if (m.method === "BO") assert.equal(m.abTest, null);
      else {
        assert.equal(m.abTest?.adTime?.relativeChange, comparison?.adTime?.relativeChange);
        assert.equal(m.abTest?.adTime?.pValue, comparison?.adTime?.pValue);
        assert.equal(m.abTest?.upiRate?.low, comparison?.upiRate?.low);
      }
      const t = truth.values.find((v) => v.method === m.method);
      assert.equal(m.trueValue?.value, t?.meanSessionReturn);
    }

    const metrics = readJsonlMetrics(path.join(a, "train", "batchrl-mtf", "metrics.jsonl"));
    assert.equal(results.qCurves.length, 1);
    assert.deepEqual(
      results.qCurves[0].points,
      metrics.map((r) => ({ step: r.step, mean: r.metrics["q/mean"], std: r.metrics["q/std"] })),
    );
    assert.equal(results.qCurves[0].points.at(-1)?.step, 300);
    assert.deepEqual(
      results.weightDistributions,
      json<{ distributions: unknown }>(a, "evaluate", "weights.json").distributions,
    );
    assert.deepEqual(
      new Set(results.weightDistributions.map((d) => d.source)),
      new Set(["behaviour data", "BatchRL-MTF"]),
    );
    assert.ok(results.weightDistributions.every((d) => d.values.length === 200));
    assert.deepEqual(results.segments, json(a, "evaluate", "segments.json"));
    assert.equal(
      results.segments.reduce((s, x) => s + x.users, 0),
      200,
    );
    for (const [i, stage] of ["collect", "build", "train", "online", "ope", "abtest"].entries()) {
      const marker = json<StageMarker>(a, "stages", `${stage}.done.json`);
      assert.equal(results.stages[i].seconds, marker.seconds);
      assert.equal(results.stages[i].detail, marker.detail);
    }
  });

  it("renders a report whose Table 1 shows the stages' numbers", () => {
    assert.equal(reportPath, path.join(a, "report", "report.html"));
    assert.ok(fs.statSync(reportPath).size > 0);
    const [header, ...rows] = parseCsv(fs.readFileSync(path.join(a, "report", "table1.csv"), "utf8"));
    const column = (row: string[], name: string) => Number(row[header.indexOf(name)]);
    const ab = json<AbTestResult>(a, "evaluate", "abtest.json");
    const truth = json<TruthSummary>(a, "evaluate", "truth.json");
    const value = (x: number) => Number(x.toFixed(VALUE_DECIMALS));
    const percent = (x: number) => Number((100 * x).toFixed(PERCENT_DECIMALS));
    assert.deepEqual(
      rows.map((r) => r[0]),
      ["BatchRL-MTF", "BO", "behaviour"],
    );
    for (const row of rows) {
      const method = row[0];
      const ope = json<OpeSummary>(a, "ope", `${method.toLowerCase()}.json`);
      assert.equal(column(row, "ope_value"), value(ope.value), `${method} V̂`);
      assert.equal(column(row, "ope_low"), value(ope.low));
      const t = truth.values.find((v) => v.method === method);
      assert.equal(
        column(row, "true_value"),
        value(t?.meanSessionReturn ?? Number.NaN),
        `${method} true value`,
      );
      const comparison = ab.comparisons.find((c) => c.arm === method);
      if (comparison?.adTime != null) {
        assert.equal(
          column(row, "adtime_change_pct"),
          percent(comparison.adTime.relativeChange),
          `${method} ADTime`,
        );
        assert.equal(column(row, "adtime_high_pct"), percent(comparison.adTime.high));
      }
    }
  });

  it("reproduces results.json exactly with the same seed", async () => {
    const b = path.join(root, "b");
    const again = (await run(b)).results;
    const weights = (dir: string) =>
      json<{ weights: unknown }>(dir, "collect", "mixed", "reward-weights.json").weights;
    assert.deepEqual(weights(b), weights(a), "the reward fit reproduces");
    assert.deepEqual(withoutTimings(again), withoutTimings(results));
  });

  it("refuses a used run folder without --resume, and resumes the unfinished stages identically", async () => {
    await assert.rejects(run(a), (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"));
    fs.rmSync(path.join(a, "stages", "abtest.done.json"));
    fs.rmSync(path.join(a, "evaluate"), { recursive: true });
    const resumed = (await run(a, true)).results;
    assert.deepEqual(withoutTimings(resumed), withoutTimings(results));
    assert.deepEqual(
      resumed.stages.slice(0, 5),
      results.stages.slice(0, 5),
      "finished stages keep their timings",
    );
  });
});

describe("pipeline config", () => {
  it("rejects unknown keys by their dotted path", () => {
    assert.throws(
      () => loadPipelineConfig({ kind: "pipeline", overrides: { pipeline: { colect: { users: 3 } } } }),
      (e: unknown) => isMtfError(e, "UNKNOWN_CONFIG_KEY") && /pipeline\.colect/.test(e.message),
    );
  });

  it("resolves Table 1's protocol: the ablations, Fig. 8's sweeps, BO and ES", () => {
    const { config } = loadPipelineConfig({ kind: "table1" });
    const names = config.pipeline.offline.map((m) => m.name);
    for (const name of [
      "BatchRL-MTF",
      "TD3",
      "UWAC+TD3",
      "CQL+SAC",
      "BatchRL-MTF-RE",
      "BatchRL-MTF-Rtime",
      "BatchRL-MTF-Rintegrity",
      "BatchRL-MTF-Rinteraction",
    ])
      assert.ok(names.includes(name), name);
    assert.equal(config.pipeline.offline.find((m) => m.name === "BatchRL-MTF-RE")?.data, "random");
    assert.ok(config.pipeline.offline.some((m) => m.sweep?.parameter === "rho"));
    assert.deepEqual(config.pipeline.online, ["BO", "ES"]);
    assert.equal(config.bcq.preset, "paper");
    assert.equal(config.bcq.steps, 300_000);
    assert.ok(TABLE1_DEFAULTS.pipeline !== undefined);
  });

  it("needs more logged days than the reward-fit horizon", () => {
    assert.throws(
      () => loadPipelineConfig({ kind: "pipeline", overrides: { pipeline: { collect: { days: 3 } } } }),
      (e: unknown) => isMtfError(e, "INVALID_CONFIG"),
    );
  });
});
