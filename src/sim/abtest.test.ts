import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { behaviourPolicy } from "../agents/behaviour.js";
import { armOf, formatAbTest, runAbTest } from "./abtest.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { createWorld } from "./world.js";

const world = createWorld(simPreset("small", { videos: 2000 }), 5);
const behaviour = behaviourPolicy(SIM_STATE_DIM);

describe("A/B harness", () => {
  it("assigns arms by a stable salted hash, uniformly", () => {
    const counts = [0, 0, 0];
    for (let i = 0; i < 30_000; i++) counts[armOf("exp", `u${i}`, 3)] += 1;
    for (const c of counts) assert.ok(Math.abs(c / 30_000 - 1 / 3) < 0.01);
    assert.equal(armOf("exp", "u1", 3), armOf("exp", "u1", 3));
  });

  it("unpaired: disjoint arms; paired: every user in every arm, and says so", () => {
    const arms = [
      { name: "control", policy: behaviour },
      { name: "treatment", policy: behaviour, effect: { patienceScale: 1.5 } },
    ];
    const unpaired = runAbTest(world, arms, { users: 200, days: 2, seed: 1 });
    assert.equal(unpaired.arms[0].metrics.users + unpaired.arms[1].metrics.users, 200);
    assert.match(unpaired.design, /^unpaired/);
    const paired = runAbTest(world, arms, { users: 150, days: 2, seed: 1, paired: true });
    assert.equal(paired.arms[0].metrics.users, 150);
    assert.equal(paired.arms[1].metrics.users, 150);
    assert.match(
      paired.design,
      /^paired: each of 150 users cloned into every arm with the same random streams/,
    );
    const adTime = paired.comparisons[0].adTime;
    assert.ok(adTime !== null);
    assert.ok(adTime.relativeChange > 0.1 && adTime.pValue < 0.01, JSON.stringify(adTime));
    assert.match(formatAbTest(paired), /treatment vs control: ADTime/);
  });

  it("an A/A test under pairing shows exactly no difference", () => {
    const arms = [
      { name: "a", policy: behaviour },
      { name: "b", policy: behaviour },
    ];
    const result = runAbTest(world, arms, { users: 60, days: 2, seed: 2, paired: true });
    assert.equal(result.comparisons[0].adTime?.relativeChange, 0);
  });
});
