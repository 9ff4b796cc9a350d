/**
 * Statistical validation (npm run validate; too slow for CI): ES improves over its initial policy
 * in the simulator. The initial policy is a deliberately poor α (click-bait: click at its upper
 * bound, every other positive task at its lower one), so the improvement is measurable within a
 * budget that runs in about half a minute per seed. Initial and tuned policies are compared on the
 * same 400 fresh users (a paired difference of app time; the users never served the search).
 * The search itself sees only independent user groups, as online.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runOnlineLoop } from "../../agents/common/online-loop.js";
import { EsTuner } from "../../agents/es/tuner.js";
import { MetricsLogger } from "../../core/metrics-logger.js";
import { freshUserIds } from "../../sim/world.js";
import { parseTuneConfig, simulatorWorld } from "./tune.js";

const CLICK_BAIT = [1, -1, -1, -1, 0, -1, -1, -1, -1, -1, 0, 0];
const EVAL_USERS = 400;

for (const seed of [3, 4]) {
  test(`ES (σ 0.3, lr 0.1, 4 pairs x 20 users, 8000 user-days) improves over a click-bait start in the simulator, seed ${seed}`, async (t) => {
    const config = parseTuneConfig({
      seed: 1,
      sim: { preset: "small", retrieval: { candidates: 50 } },
      es: { sigma: 0.3, lr: 0.1, pairs: 4, usersPerCandidate: 20, hidden: [8] },
    });
    const world = simulatorWorld(config);
    const makeTuner = () =>
      new EsTuner({
        config: config.es,
        environment: world.environment,
        stateDim: world.stateDim,
        budgetUserDays: 8000,
        seed,
        startAction: CLICK_BAIT,
      });
    const tuner = makeTuner();
    // An untouched twin: the same initial network and (identity) normaliser.
    const initial = makeTuner().policy("initial");
    await runOnlineLoop(tuner, { logger: new MetricsLogger(), checkpointPath: null, checkpointEvery: 1 });
    const userIds = freshUserIds(987_654, 0, EVAL_USERS);
    const [before, after] = await world.environment.run(
      [
        { policy: initial, users: EVAL_USERS, userIds },
        { policy: tuner.policy("tuned"), users: EVAL_USERS, userIds },
      ],
      { days: 1, seed: 987_654 },
    );
    const diffs = after.users.map((u, i) => u.appTimeS - before.users[i].appTimeS);
    const mean = diffs.reduce((a, b) => a + b, 0) / EVAL_USERS;
    const se = Math.sqrt(diffs.reduce((a, d) => a + (d - mean) ** 2, 0) / (EVAL_USERS - 1) / EVAL_USERS);
    const base = before.users.reduce((a, u) => a + u.appTimeS, 0) / EVAL_USERS;
    const summary = `app time ${base.toFixed(0)} s → ${mean >= 0 ? "+" : ""}${mean.toFixed(1)} ± ${se.toFixed(1)} s per user`;
    t.diagnostic(summary);
    assert.ok(mean > 2 * se, summary);
  });
}
