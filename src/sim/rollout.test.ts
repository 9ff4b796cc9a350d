import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { behaviourPolicy, FixedAlphaPolicy } from "../agents/behaviour.js";
import type { PlayEvent } from "../core/events.js";
import type { Policy } from "../core/interfaces.js";
import type { Rng } from "../core/rng.js";
import {
  encodeState,
  historyFromJSON,
  historyToJSON,
  outcomeFromEvent,
  recordPlay,
  UserHistory,
} from "../core/state-encoder.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM, Simulator } from "./engine.js";
import { generatePopulation, userProfile } from "./population.js";
import { policyValue, SnapshotRecorder, sessionValues } from "./rollout.js";
import { createWorld, freshUserIds } from "./world.js";

const world = createWorld(simPreset("small", { videos: 2000 }), 8);
const behaviour = behaviourPolicy(SIM_STATE_DIM);

/** Records the first state it is asked about. */
class FirstStateSpy implements Policy {
  readonly id = "spy";
  readonly stateDim = SIM_STATE_DIM;
  readonly stochastic = false;
  first: Float32Array | null = null;
  act(states: Float32Array, rows: number, out: Float32Array, rng: Rng): void {
    if (this.first === null) this.first = states.slice(0, this.stateDim);
    behaviour.act(states, rows, out, rng);
  }
}

describe("Monte-Carlo rollouts", () => {
  const recorder = new SnapshotRecorder({ keepHistory: true });
  const events: PlayEvent[] = [];
  const ids = freshUserIds(2, 0, 12);
  new Simulator(world, { onEvents: (b) => events.push(...b) }).runDays(
    ids.map((id) => ({ id, assignment: { policy: behaviour, group: null, noiseScale: null, arm: null } })),
    { days: 3, seed: 2, onSessionStart: recorder.record },
  );
  const later = recorder.all().filter((s) => s.snapshot.sessionSeq >= 3);

  it("records a snapshot per session, whose history is the logged events before it", () => {
    const sessions = new Set(events.map((e) => e.sessionId));
    assert.equal(recorder.size, sessions.size);
    const start = later[0];
    const before = events
      .filter((e) => e.userId === start.snapshot.userId && e.timestampMs < start.snapshot.startMs)
      .sort((a, b) => a.timestampMs - b.timestampMs);
    const rebuilt = new UserHistory();
    for (const e of before) recordPlay(rebuilt, outcomeFromEvent(e, Number(e.eventId.split(":").at(-1))));
    assert.deepEqual(historyToJSON(rebuilt), start.history);
    assert.ok(
      events.some(
        (e) => e.sessionId === start.snapshot.sessionId && e.timestampMs === start.snapshot.startMs,
      ),
    );
  });

  it("starts a rollout from exactly the logged initial state", () => {
    const start = later[0];
    const history = start.history;
    assert.ok(history !== null);
    const spy = new FirstStateSpy();
    sessionValues(world, [{ snapshot: start.snapshot, history }], spy, { seed: 1, repeats: 1 });
    const pop = generatePopulation(world.config, world.seed, [start.snapshot.userId]);
    const expected = new Float32Array(SIM_STATE_DIM);
    encodeState(historyFromJSON(history), userProfile(pop, 0), start.snapshot.startMs, 0, expected, 0, 480);
    assert.deepEqual(spy.first, expected);
  });

  it("gives reproducible values with standard errors, different for different policies", () => {
    const starts = later
      .slice(0, 6)
      .map((s) => ({ snapshot: s.snapshot, history: s.history ?? new UserHistory() }));
    const a = sessionValues(world, starts, behaviour, { seed: 3, repeats: 6 });
    const b = sessionValues(world, starts, behaviour, { seed: 3, repeats: 6 });
    assert.deepEqual(a, b);
    assert.ok(a.every((v) => Number.isFinite(v.value) && v.standardError > 0 && v.meanPlays >= 1));
    const skipLover = new FixedAlphaPolicy("bad", SIM_STATE_DIM, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -2]);
    const c = sessionValues(world, starts, skipLover, { seed: 3, repeats: 6 });
    assert.notDeepEqual(
      c.map((v) => v.value),
      a.map((v) => v.value),
    );
  });

  it("values a policy on a fresh population (discounted return, ADTime, UPIRate)", () => {
    const v = policyValue(world, behaviour, { users: 30, days: 2, seed: 4, gamma: 0.95 });
    assert.ok(v.sessions >= 30 && v.meanSessionReturn > 0 && v.standardError > 0);
    assert.ok(v.adTimeS > 0 && v.upiRate > 0 && v.upiRate < 0.2);
    assert.equal(v.configHash, world.configHash);
  });
});
