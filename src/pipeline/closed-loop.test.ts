import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { behaviourPolicy } from "../agents/behaviour.js";
import { actionToAlpha, DEFAULT_ALPHA_BOUNDS, DEFAULT_BETA } from "../core/action.js";
import type { PlayEvent } from "../core/events.js";
import { fusionScores } from "../core/fusion.js";
import { Rng } from "../core/rng.js";
import { N_TASKS } from "../core/tasks.js";
import { tempDir } from "../serve/test-fixtures.js";
import { simPreset } from "../sim/config.js";
import { type RunUser, SIM_STATE_DIM, Simulator } from "../sim/engine.js";
import { createWorld } from "../sim/world.js";
import { formatClosedLoop, runClosedLoop } from "./closed-loop.js";
import { retrainConfig } from "./retrain-config.js";
import { TINY_MODEL_SECTIONS } from "./retrain-fixtures.js";

describe("the simulator's external ranker (the closed-loop client's hook)", () => {
  it("reproduces the simulator's own run when it ranks by Eq. 1 with the policy's α", () => {
    const world = createWorld(simPreset("small", { videos: 1000 }), 8);
    const policy = behaviourPolicy(SIM_STATE_DIM);
    const users: RunUser[] = ["a", "b", "c", "d", "e", "f"].map((id) => ({
      id,
      assignment: { policy, group: null, noiseScale: null, arm: null },
    }));
    const action = new Float32Array(N_TASKS);
    policy.act(new Float32Array(SIM_STATE_DIM), 1, action, new Rng(0));
    const alpha = new Float64Array(N_TASKS);
    actionToAlpha(action, DEFAULT_ALPHA_BOUNDS, alpha);

    const own: PlayEvent[] = [];
    const ownOutcomes = new Simulator(world, { onEvents: (events) => own.push(...events) }).runDays(users, {
      days: 2,
      seed: 9,
    });
    const hooked: PlayEvent[] = [];
    let requests = 0;
    const fused = new Float32Array(world.config.retrieval.candidates);
    const hookedOutcomes = new Simulator(world, {
      ranker: (request) => {
        requests += 1;
        fusionScores(request.scores, request.count, alpha, DEFAULT_BETA, fused);
        let row = 0;
        for (let c = 1; c < request.count; c++) if (fused[c] > fused[row]) row = c;
        return { row, alpha };
      },
      onPlay: (event) => hooked.push(event),
    }).runDays(users, { days: 2, seed: 9 });

    const play = (e: PlayEvent) => [e.eventId, e.itemId, e.timestampMs, e.playTimeMs, e.outcomes.exit];
    const byId = (a: PlayEvent, b: PlayEvent) => (a.eventId < b.eventId ? -1 : 1);
    assert.ok(own.length > 0);
    assert.equal(requests, own.length);
    assert.deepEqual(hooked.sort(byId).map(play), own.sort(byId).map(play));
    assert.deepEqual(
      hookedOutcomes.map((u) => Array.from(u.dailyAppTimeS)),
      ownOutcomes.map((u) => Array.from(u.dailyAppTimeS)),
    );
  });
});

describe("closed loop over real HTTP: rank → play → feedback → retrain → hot reload", () => {
  const temp = tempDir("closed-loop");
  after(() => temp.remove());

  it("stores every event sent, serves the retrained version the next day, and reports ADTime per day", async () => {
    const days = 3;
    const users = 24;
    const result = await runClosedLoop({
      dir: temp.dir,
      users,
      days,
      seed: 5,
      simOverrides: { videos: 2000 },
      explorationShare: 0.5,
      // gate none: every retrain publishes, so the version must change each day (the gate rules
      // themselves are tested in retrain.test.ts).
      retrain: retrainConfig(
        {
          ...TINY_MODEL_SECTIONS,
          seed: 5,
          retrain: {
            days: 3,
            minTrainTransitions: 50,
            minTestSessions: 3,
            includeTarget: true,
            gate: { rule: "none" },
          },
        },
        "closed-loop test",
      ),
    });
    process.stdout.write(`${formatClosedLoop(result)}\n`);

    assert.ok(result.eventsSent > 0);
    assert.equal(result.eventsAcknowledged, result.eventsSent);
    assert.equal(result.eventsStored, result.eventsSent);
    assert.deepEqual(result.skippedRetrains, []);
    assert.equal(result.retrains.length, days - 1);
    assert.deepEqual(
      result.retrains.map((r) => r.decision.published?.version),
      ["v0001", "v0002"],
    );
    // Each day is served by the version the previous night published (fallback on day 0).
    assert.deepEqual(
      result.days.map((d) => Object.keys(d.versions)),
      [["fallback"], ["v0001"], ["v0002"]],
    );
    // Each night's retrain loaded exactly the events acknowledged into its window's closed days,
    // which are the events served on the last N (here all) simulated days.
    for (const nightly of result.retrains) {
      const served = result.days.slice(0, nightly.afterDay + 1).reduce((sum, d) => sum + d.events, 0);
      assert.equal(nightly.expectedEvents, served);
      assert.equal(nightly.decision.window.events, served);
    }
    // ADTime of the served traffic is the simulator's own app time: nothing was lost in between.
    for (const day of result.days) {
      assert.ok(
        Math.abs(day.adTimeS * users - result.simDailyAppTimeS[day.day]) <
          1e-6 * (1 + result.simDailyAppTimeS[day.day]),
      );
    }
  });
});
