import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import { syntheticLog } from "../data/synthetic-log.js";
import { FeedbackLog } from "../serve/feedback-log.js";
import { listSegments, localDay } from "../serve/feedback-segments.js";
import { ModelRegistry } from "../serve/registry.js";
import { tempDir } from "../serve/test-fixtures.js";
import { type RetrainDecision, retrain } from "./retrain.js";
import { decideGate, retrainConfig, windowDays } from "./retrain-config.js";
import { TINY_MODEL_SECTIONS, UTC8_MINUTES, writeFeedbackLog } from "./retrain-fixtures.js";

/** A tiny, fast configuration. */
function tinyRetrainConfig(retrainSection: Record<string, unknown> = {}, seed = 3) {
  return retrainConfig(
    {
      seed,
      ...TINY_MODEL_SECTIONS,
      retrain: { minTrainTransitions: 100, minTestSessions: 5, ...retrainSection },
    },
    "test config",
  );
}

describe("decideGate", () => {
  const current = { value: 2, low: 1.5, high: 2.5 };
  it("value: publishes iff V̂_new ≥ V̂_current − margin", () => {
    assert.equal(decideGate("value", 0, { value: 2, low: 0, high: 3 }, current).passed, true);
    assert.equal(decideGate("value", 0, { value: 1.99, low: 1.9, high: 3 }, current).passed, false);
    const withMargin = decideGate("value", 0.25, { value: 1.75, low: 0, high: 3 }, current);
    assert.equal(withMargin.passed, true);
    assert.equal(withMargin.threshold, 1.75);
    assert.equal(withMargin.compared, 1.75);
  });
  it("lower-bound: compares the new interval's low end with V̂_current − margin", () => {
    assert.equal(decideGate("lower-bound", 0, { value: 3, low: 1.9, high: 4 }, current).passed, false);
    assert.equal(decideGate("lower-bound", 0.1, { value: 3, low: 1.9, high: 4 }, current).passed, true);
    assert.equal(decideGate("lower-bound", 0.1, { value: 3, low: 1.9, high: 4 }, current).compared, 1.9);
  });
  it("none: always publishes and compares nothing", () => {
    const decision = decideGate("none", 0, { value: -100, low: -200, high: 0 }, current);
    assert.deepEqual([decision.passed, decision.threshold, decision.compared], [true, null, null]);
  });
});

describe("windowDays", () => {
  it("counts N calendar days back, the last one included, across month ends", () => {
    assert.deepEqual(windowDays("2022-03-01", 3), { fromDay: "2022-02-27", toDay: "2022-03-01" });
    assert.deepEqual(windowDays("2022-04-25", 1), { fromDay: "2022-04-25", toDay: "2022-04-25" });
    assert.throws(
      () => windowDays("25/04/2022", 3),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });
});

describe("FeedbackLog.closeIfDayChanged: a quiet night still closes the day for the retrain", () => {
  it("closes the open segment only once its local day is over", async () => {
    const temp = tempDir("close-day");
    try {
      const start = Date.UTC(2022, 3, 21, 16, 0, 0); // 2022-04-22 00:00 at UTC+8
      let clock = start + 3_600_000;
      const log = await FeedbackLog.open({
        dir: temp.dir,
        utcOffsetMinutes: UTC8_MINUTES,
        maxSegmentBytes: 1 << 20,
        now: () => clock,
      });
      const [event] = [...syntheticLog({ users: 1, days: 1, seed: 1, activeDayProbability: 1 })].flat();
      await log.append([{ type: "event", event }]);
      assert.equal(await log.closeIfDayChanged(), false);
      clock = start + 86_400_000 - 1;
      assert.equal(await log.closeIfDayChanged(), false);
      assert.deepEqual(
        (await listSegments(temp.dir)).map((s) => [s.day, s.open]),
        [["2022-04-22", true]],
      );
      clock = start + 86_400_000;
      assert.equal(await log.closeIfDayChanged(), true);
      assert.equal(await log.closeIfDayChanged(), false);
      assert.deepEqual(
        (await listSegments(temp.dir)).map((s) => [s.day, s.open]),
        [["2022-04-22", false]],
      );
      await log.close();
    } finally {
      temp.remove();
    }
  });
});

describe("retrain on a feedback log", () => {
  const temp = tempDir("retrain");
  const feedbackDir = path.join(temp.dir, "feedback");
  const registryDir = path.join(temp.dir, "registry");
  const events = [...syntheticLog({ users: 30, days: 4, seed: 11 })].flat();
  const days = [...new Set(events.map((e) => localDay(e.timestampMs, UTC8_MINUTES)))].sort();
  let first: RetrainDecision;

  before(async () => {
    await writeFeedbackLog(feedbackDir, events);
    first = await retrain({
      config: tinyRetrainConfig({ gate: { rule: "none" } }),
      feedbackDir,
      registryDir,
      outDir: path.join(temp.dir, "retrain-1"),
    });
  });
  after(() => temp.remove());

  it("loads exactly the closed segments of the last N days and records the figures", () => {
    const inWindow = events.filter((e) => localDay(e.timestampMs, UTC8_MINUTES) >= days[days.length - 3]);
    assert.deepEqual(
      [first.window.fromDay, first.window.toDay, first.window.events, first.window.inserted],
      [days[days.length - 3], days[days.length - 1], inWindow.length, inWindow.length],
    );
    assert.ok(first.dataset.trainTransitions >= 100);
    assert.equal(first.current.version, "fallback");
    for (const figure of [first.candidate, first.current]) {
      assert.ok(Number.isFinite(figure.value) && figure.low <= figure.value && figure.value <= figure.high);
    }
    const written = JSON.parse(
      readFileSync(path.join(first.out, "decision.json"), "utf8"),
    ) as RetrainDecision;
    assert.deepEqual(written, first);
    assert.ok(existsSync(path.join(first.out, "train", "policy.ckpt")));
  });

  it("publishes through the gate and makes the version current", async () => {
    assert.deepEqual(first.published, { version: "v0001", role: "current" });
    const registry = new ModelRegistry(registryDir);
    assert.equal((await registry.pointer()).current, "v0001");
    const manifest = await registry.manifest("v0001");
    assert.equal(manifest.ope?.value, first.candidate.value);
  });

  it("refuses a candidate no better than the current model, which keeps serving", async () => {
    // Same data, seed and config as the first run: the candidate IS v0001, so V̂_new = V̂_current
    // exactly (common random numbers) and the lower bound falls short of it.
    const same = await retrain({
      config: tinyRetrainConfig({ gate: { rule: "lower-bound", margin: 0 } }),
      feedbackDir,
      registryDir,
      outDir: path.join(temp.dir, "retrain-same"),
    });
    assert.equal(same.current.version, "v0001");
    assert.equal(same.candidate.value, same.current.value);
    assert.ok(same.candidate.low < same.current.value);
    assert.equal(same.gate.passed, false);
    assert.equal(same.published, null);
    assert.equal((await new ModelRegistry(registryDir).pointer()).current, "v0001");
  });

  it("compares a second retrain with the current version, warm-started, and publishes only what the gate passes", async () => {
    const second = await retrain({
      config: tinyRetrainConfig({ warmStart: true, gate: { rule: "value", margin: 0 } }, 4),
      feedbackDir,
      registryDir,
      outDir: path.join(temp.dir, "retrain-2"),
    });
    assert.equal(second.current.version, "v0001");
    assert.equal(second.training.warmStartFrom, "v0001");
    const expected = second.candidate.value >= second.current.value;
    assert.equal(second.gate.passed, expected);
    const pointer = await new ModelRegistry(registryDir).pointer();
    assert.equal(pointer.current, expected ? "v0002" : "v0001");
    assert.deepEqual(second.published, expected ? { version: "v0002", role: "current" } : null);
  });

  it("refuses clearly: no feedback, an empty window, too little data", async () => {
    const run = (dir: string, section: Record<string, unknown>, until?: string) =>
      retrain({
        config: tinyRetrainConfig(section),
        feedbackDir: dir,
        registryDir,
        outDir: path.join(temp.dir, "refused"),
        until,
      });
    await assert.rejects(
      run(path.join(temp.dir, "nothing"), {}),
      (e) => isMtfError(e, "EMPTY_DATASET") && /no closed feedback segments/.test(e.message),
    );
    await assert.rejects(
      run(feedbackDir, {}, "2001-01-01"),
      (e) => isMtfError(e, "EMPTY_DATASET") && /2000-12-30 to 2001-01-01/.test(e.message),
    );
    await assert.rejects(
      retrain({ config: tinyRetrainConfig(), feedbackDir, registryDir, outDir: first.out }),
      (e) => isMtfError(e, "INVALID_ARGUMENT") && /already holds a retrain/.test(e.message),
    );
    await assert.rejects(
      run(feedbackDir, { minTrainTransitions: 1_000_000 }),
      (e) => isMtfError(e, "EMPTY_DATASET") && /too little data/.test(e.message),
    );
    assert.equal((await new ModelRegistry(registryDir).list()).length <= 2, true);
  });
});
