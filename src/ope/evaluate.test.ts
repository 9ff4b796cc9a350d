import assert from "node:assert/strict";
import { test } from "node:test";
import { MetricsLogger, type MetricsRecord } from "../core/metrics-logger.js";
import { Rng } from "../core/rng.js";
import { opeConfigSection } from "./config.js";
import { estimatePolicyValue, type FitId } from "./evaluate.js";
import {
  EXAMPLE_BEHAVIOUR,
  EXAMPLE_GREEDY,
  EXAMPLE_MDP,
  sampleTabularDataset,
  tabularDecisions,
} from "./fixtures/tabular-mdp.js";

const dataset = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 150, 30, 0.8, new Rng(6));
const decisions = tabularDecisions(dataset, EXAMPLE_GREEDY, EXAMPLE_MDP.actions);
const options = {
  ...opeConfigSection.parse({
    lr: 2e-3,
    batchSize: 64,
    iterations: 200,
    hiddenSizes: [8],
    initialStates: 100,
  }),
  gamma: 0.8,
};

test("estimates per α: V̂ is the mean of the per-seed V̂, inside its session interval; runs replay", async () => {
  const records: MetricsRecord[] = [];
  const fitted: FitId[] = [];
  const run = { alphas: [0, 0.2], seeds: 2, seed: 9, logEvery: 50 };
  const estimates = await estimatePolicyValue(dataset.data, decisions, options, {
    ...run,
    logger: new MetricsLogger([{ write: (record) => records.push(record) }]),
    onFitted: (fit) => {
      fitted.push(fit);
    },
  });
  assert.deepEqual(
    estimates.map((e) => e.alpha),
    [0, 0.2],
  );
  for (const estimate of estimates) {
    assert.equal(estimate.seedValues.length, 2);
    assert.notEqual(estimate.seedValues[0], estimate.seedValues[1]);
    assert.ok(Math.abs(estimate.value - (estimate.seedValues[0] + estimate.seedValues[1]) / 2) < 1e-9);
    assert.ok(estimate.interval.low <= estimate.value && estimate.value <= estimate.interval.high);
    assert.equal(estimate.initialStates, 100);
    assert.ok(Number.isFinite(estimate.finalMetrics["loss/td"]));
  }
  assert.ok(estimates[1].value < estimates[0].value);
  assert.ok("loss/penalty" in estimates[1].finalMetrics && !("loss/penalty" in estimates[0].finalMetrics));
  assert.deepEqual(
    fitted.map((f) => [f.alpha, f.seedIndex, f.fitIndex, f.fits]),
    [
      [0, 0, 0, 4],
      [0, 1, 1, 4],
      [0.2, 0, 2, 4],
      [0.2, 1, 3, 4],
    ],
  );
  // 4 fits x 200 iterations, flushed every 50, tagged with their fit.
  assert.equal(records.length, 16);
  assert.deepEqual(records[5].metrics["fit/seed"], 1);
  assert.equal(records[5].step, 100);
  assert.deepEqual(await estimatePolicyValue(dataset.data, decisions, options, run), estimates);
});
