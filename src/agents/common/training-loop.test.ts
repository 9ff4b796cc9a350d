import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MetricsLogger, type MetricsRecord } from "../../core/metrics-logger.js";
import { runId, runTrainingLoop, type Trainer, type TrainingProgress } from "./training-loop.js";

class CountingTrainer implements Trainer {
  readonly algorithm = "count";
  step = 0;
  readonly checkpoints: number[] = [];
  constructor(private readonly onUpdate: (step: number) => void = () => {}) {}
  update() {
    this.step += 1;
    this.onUpdate(this.step);
    return { "loss/x": this.step };
  }
  async saveCheckpoint(_path: string) {
    this.checkpoints.push(this.step);
  }
}

describe("runTrainingLoop", () => {
  it("logs every K steps, checkpoints every K' steps and at the end, reports progress", async () => {
    const trainer = new CountingTrainer();
    const records: MetricsRecord[] = [];
    const progress: TrainingProgress[] = [];
    let clock = 0;
    const result = await runTrainingLoop(trainer, {
      totalSteps: 25,
      logEvery: 10,
      checkpointEvery: 10,
      checkpointPath: "unused",
      logger: new MetricsLogger([{ write: (r) => records.push(r) }]),
      onProgress: (p) => progress.push(p),
      now: () => (clock += 0.01),
    });
    assert.deepEqual(result.step, 25);
    assert.equal(result.stopped, false);
    assert.deepEqual(
      records.map((r) => [r.step, r.metrics["loss/x"]]),
      [
        [10, 5.5],
        [20, 15.5],
        [25, 23],
      ],
    );
    assert.ok(records.every((r) => r.metrics["time/steps_per_s"] > 0));
    assert.deepEqual(trainer.checkpoints, [10, 20, 25]);
    const last = progress[progress.length - 1];
    assert.equal(last.step, 25);
    assert.equal(last.metrics?.["loss/x"], 23);
  });

  it("continues a resumed trainer from its step and stops on the signal with a checkpoint", async () => {
    const abort = new AbortController();
    const trainer = new CountingTrainer((step) => {
      if (step === 13) abort.abort();
    });
    trainer.step = 7;
    const result = await runTrainingLoop(trainer, {
      totalSteps: 100,
      logEvery: 5,
      checkpointEvery: 0,
      checkpointPath: "unused",
      logger: new MetricsLogger(),
      signal: abort.signal,
    });
    assert.deepEqual([result.startStep, result.step, result.stopped], [7, 13, true]);
    assert.deepEqual(trainer.checkpoints, [13], "a stop leaves a checkpoint to resume from");
  });

  it("names runs dataset__algo__seed__time", () => {
    assert.equal(
      runId("runs/x dataset", "bcq", 3, new Date(Date.UTC(2026, 10, 28, 10, 5, 9))),
      "runs-x-dataset__bcq__3__20261128T100509Z",
    );
  });
});
