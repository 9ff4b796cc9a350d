/**
 * The closed loop at a larger size than CI's (closed-loop.test.ts): 300 simulated users for 5
 * days, the paper's exploration share (0.2), datasets of all served traffic (`includeTarget`: with
 * explored traffic only, every night's candidate fell short of the fallback α at this size and
 * the gate refused it), BCQ's quick preset, Conservative-OPE with K = 500, and the default gate
 * (V̂_new ≥ V̂_current). A control run of the same users without retraining (the fallback α
 * every day) gives ADTime to compare with.
 * It reports; it asserts only the loop's bookkeeping, not that retraining raises ADTime.
 */
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { tempDir } from "../serve/test-fixtures.js";
import { formatClosedLoop, runClosedLoop } from "./closed-loop.js";
import { retrainConfig } from "./retrain-config.js";

const USERS = 300;
const DAYS = 5;
const SEED = 17;

describe("closed loop, validation size", () => {
  const temp = tempDir("closed-loop-validate");
  after(() => temp.remove());

  it("retrains nightly with the value gate; ADTime per day against a no-retrain control", async () => {
    const common = {
      users: USERS,
      days: DAYS,
      seed: SEED,
      simOverrides: { videos: 5000 },
      explorationShare: 0.2,
    };
    const loop = await runClosedLoop({
      ...common,
      dir: `${temp.dir}/loop`,
      retrain: retrainConfig(
        {
          seed: SEED,
          ope: { iterations: 500 },
          retrain: { days: 3, minTrainTransitions: 200, minTestSessions: 5, includeTarget: true },
        },
        "closed-loop validation",
      ),
      onRetrain: (r) =>
        process.stdout.write(
          `night after day ${r.afterDay}: V̂ new ${r.decision.candidate.value.toFixed(4)} vs ${r.decision.current.version} ${r.decision.current.value.toFixed(4)}, ${r.decision.gate.passed ? "published" : "refused"}\n`,
        ),
    });
    const control = await runClosedLoop({ ...common, dir: `${temp.dir}/control`, retrain: null });
    process.stdout.write(`closed loop with nightly retrain:\n${formatClosedLoop(loop)}\n`);
    process.stdout.write(`control (fallback α every day):\n${formatClosedLoop(control)}\n`);
    for (const day of loop.days) {
      const base = control.days[day.day].adTimeS;
      process.stdout.write(
        `day ${day.day}: ADTime ${day.adTimeS.toFixed(1)} vs control ${base.toFixed(1)} s/user (${(((day.adTimeS - base) / base) * 100).toFixed(1)}%)\n`,
      );
    }

    for (const result of [loop, control]) {
      assert.equal(result.eventsAcknowledged, result.eventsSent);
      assert.equal(result.eventsStored, result.eventsSent);
    }
    assert.equal(loop.retrains.length + loop.skippedRetrains.length, DAYS - 1);
    assert.ok(loop.retrains.length > 0, "no night had enough data to retrain");
    assert.equal(control.retrains.length, 0);
    let serving = "fallback";
    for (const [d, day] of loop.days.entries()) {
      assert.deepEqual(Object.keys(day.versions), [serving], `day ${d}`);
      const published = loop.retrains.find((r) => r.afterDay === d)?.decision.published;
      if (published?.role === "current") serving = published.version;
    }
    for (const nightly of loop.retrains) {
      const window = loop.days.slice(Math.max(0, nightly.afterDay - 2), nightly.afterDay + 1);
      const served = window.reduce((sum, d) => sum + d.events, 0);
      assert.equal(nightly.expectedEvents, served);
      assert.equal(nightly.decision.window.events, served);
    }
  });
});
