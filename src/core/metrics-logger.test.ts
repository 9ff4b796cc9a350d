import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "./errors.js";
import {
  consoleSink,
  formatMetric,
  jsonlSink,
  MetricsLogger,
  type MetricsRecord,
  readJsonlMetrics,
} from "./metrics-logger.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-metrics-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("MetricsLogger", () => {
  it("averages each key over the calls that reported it and clears on flush", () => {
    const seen: MetricsRecord[] = [];
    const logger = new MetricsLogger([{ write: (r) => seen.push(r) }]);
    logger.add({ "loss/critic": 1, "q/mean": 10 });
    logger.add({ "loss/critic": 3 });
    assert.equal(logger.pending, 2);
    const record = logger.flush(2, { "time/steps_per_s": 50 });
    assert.deepEqual(record, {
      step: 2,
      metrics: { "loss/critic": 2, "q/mean": 10, "time/steps_per_s": 50 },
    });
    assert.deepEqual(seen, [record]);
    assert.equal(logger.pending, 0);
    assert.equal(logger.flush(3), null, "nothing buffered, nothing written");
    assert.equal(seen.length, 1);
  });

  it("keeps NaN in the average and rejects non-numbers and bad steps", () => {
    const logger = new MetricsLogger();
    logger.add({ "loss/actor": Number.NaN });
    logger.add({ "loss/actor": 1 });
    assert.ok(Number.isNaN(logger.peek()["loss/actor"]));
    assert.throws(
      () => logger.add({ x: "1" as unknown as number }),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
    assert.throws(
      () => logger.flush(-1),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });

  it("writes JSONL that reads back, and drops lines past the step when resuming", () => {
    const path = join(dir, "metrics.jsonl");
    const sink = jsonlSink(path);
    const logger = new MetricsLogger([sink]);
    for (const step of [10, 20, 30]) {
      logger.add({ "loss/vae": step / 10 });
      logger.flush(step);
    }
    logger.close();
    assert.deepEqual(
      readJsonlMetrics(path).map((r) => [r.step, r.metrics["loss/vae"]]),
      [
        [10, 1],
        [20, 2],
        [30, 3],
      ],
    );
    // A kill mid-write leaves a partial line; resuming from step 20 drops it and step 30.
    writeFileSync(path, `${readFileSync(path, "utf8")}{"step":40,"loss`);
    const resumed = new MetricsLogger([jsonlSink(path, { resumeStep: 20 })]);
    resumed.add({ "loss/vae": 9 });
    resumed.flush(30);
    resumed.close();
    assert.deepEqual(
      readJsonlMetrics(path).map((r) => [r.step, r.metrics["loss/vae"]]),
      [
        [10, 1],
        [20, 2],
        [30, 9],
      ],
    );
    assert.equal(JSON.parse(readFileSync(path, "utf8").split("\n")[0]).step, 10);
  });

  it("console sink prints chosen keys compactly", () => {
    const lines: string[] = [];
    const logger = new MetricsLogger([
      consoleSink((l) => lines.push(l), { keys: ["q/mean", "loss/critic", "nope"] }),
    ]);
    logger.add({ "loss/critic": 0.123456, "q/mean": 3.2 });
    logger.flush(5);
    assert.deepEqual(lines, ["step 5  q/mean 3.2  loss/critic 0.1235"]);
    assert.equal(formatMetric(1e-5), "1.000e-5");
    assert.equal(formatMetric(Number.NaN), "NaN");
  });
});
