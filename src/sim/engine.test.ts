import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { behaviourPolicy, FixedAlphaPolicy } from "../agents/behaviour.js";
import { RandomExploration } from "../agents/exploration.js";
import { isMtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import type { Policy } from "../core/interfaces.js";
import { Rng } from "../core/rng.js";
import { simPreset } from "./config.js";
import { type RunUser, SIM_STATE_DIM, Simulator } from "./engine.js";
import { createWorld, freshUserIds } from "./world.js";

const world = createWorld(simPreset("small", { videos: 2000 }), 3);
const behaviour = behaviourPolicy(SIM_STATE_DIM);
const assign = (policy: Policy = behaviour) => ({ policy, group: null, noiseScale: null, arm: null });
const users = (n: number, policy: Policy = behaviour): RunUser[] =>
  freshUserIds(9, 0, n).map((id) => ({ id, assignment: assign(policy) }));

function run(n: number, days: number, seed: number, chunkSize?: number) {
  const events: PlayEvent[] = [];
  const outcomes = new Simulator(world, { onEvents: (b) => events.push(...b) }).runDays(users(n), {
    days,
    seed,
    chunkSize,
  });
  return { outcomes, events };
}

describe("simulator loop", () => {
  const base = run(40, 3, 1);

  it("reproduces from the seed and does not depend on chunking", () => {
    const again = run(40, 3, 1, 7);
    assert.deepEqual(
      again.outcomes.map((o) => o.appTimeS),
      base.outcomes.map((o) => o.appTimeS),
    );
    const key = (e: PlayEvent) => `${e.eventId}|${e.itemId}|${e.playTimeMs}`;
    assert.deepEqual(new Set(again.events.map(key)), new Set(base.events.map(key)));
    const other = run(40, 3, 2);
    assert.notDeepEqual(
      other.outcomes.map((o) => o.appTimeS),
      base.outcomes.map((o) => o.appTimeS),
    );
  });

  it("logs well-formed sessions: ordered times, one exit at each session's end", () => {
    const bySession = new Map<string, PlayEvent[]>();
    for (const e of base.events) {
      const list = bySession.get(e.sessionId ?? "") ?? [];
      list.push(e);
      bySession.set(e.sessionId ?? "", list);
    }
    assert.ok(bySession.size > 40);
    for (const [id, list] of bySession) {
      list.sort((a, b) => a.timestampMs - b.timestampMs);
      list.forEach((e, i) => {
        assert.equal(e.eventId, `${id}:${i}`);
        assert.equal(e.outcomes.exit, i === list.length - 1 ? 1 : 0);
        if (i > 0) assert.ok(e.timestampMs >= list[i - 1].timestampMs + list[i - 1].playTimeMs);
        assert.equal(e.outcomes.skip, e.playTimeMs < 3000 ? 1 : 0);
        if (e.outcomes.finish === 1) assert.equal(e.outcomes.long_view, 1);
        if (e.outcomes.long_view === 1) assert.equal(e.outcomes.click, 1);
        assert.equal(e.scores?.length, 12);
        assert.equal(e.candidateCount, 200);
      });
    }
    const totalPlays = base.outcomes.reduce((a, o) => a + o.plays, 0);
    assert.equal(totalPlays, base.events.length);
  });

  it("brings every user on day 0 and fewer on later days", () => {
    assert.ok(base.outcomes.every((o) => o.dailySessions[0] >= 1));
    const later = base.outcomes.filter((o) => o.dailySessions[2] > 0).length;
    assert.ok(later < base.outcomes.length);
  });

  it("replays a stochastic decision from its logged seed", () => {
    const explore = new RandomExploration(behaviour.action, SIM_STATE_DIM, 0.4);
    const events: PlayEvent[] = [];
    new Simulator(world, { onEvents: (b) => events.push(...b) }).runDays(users(5, explore), {
      days: 1,
      seed: 4,
    });
    const out = new Float32Array(12);
    for (const e of events.slice(0, 20)) {
      assert.notEqual(e.decisionSeed, null);
      explore.act(new Float32Array(SIM_STATE_DIM), 1, out, new Rng(e.decisionSeed ?? 0));
      assert.deepEqual(Array.from(out), e.action);
    }
  });

  it("serves the same user identically in two arms with the same policy (common random numbers)", () => {
    const ids = freshUserIds(9, 0, 10);
    const twice = [...ids, ...ids].map((id, i) => ({
      id,
      assignment: { ...assign(), arm: i < 10 ? "a" : "b" },
    }));
    const outcomes = new Simulator(world, {}).runDays(twice, { days: 2, seed: 5 });
    for (let i = 0; i < 10; i++) assert.equal(outcomes[i].appTimeS, outcomes[i + 10].appTimeS);
  });

  it("ranks by α: a finish-heavy α plays shorter videos than a time-heavy one", () => {
    const time = new FixedAlphaPolicy("time", SIM_STATE_DIM, [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    const finish = new FixedAlphaPolicy("finish", SIM_STATE_DIM, [0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const duration = (policy: FixedAlphaPolicy) => {
      let sum = 0;
      let n = 0;
      new Simulator(world, {
        onEvents: (b) => {
          for (const e of b) {
            sum += e.durationMs ?? 0;
            n += 1;
          }
        },
      }).runDays(users(20, policy), { days: 1, seed: 6 });
      return sum / n;
    };
    assert.ok(duration(finish) < 0.7 * duration(time));
  });

  it("refuses a policy built for another state size", () => {
    const wrong = behaviourPolicy(SIM_STATE_DIM + 1);
    assert.throws(
      () => new Simulator(world, {}).runDays(users(1, wrong), { days: 1, seed: 1 }),
      (e) => isMtfError(e, "SHAPE_MISMATCH") && e.message.includes("behaviour"),
    );
  });
});
