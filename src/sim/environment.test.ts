import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { behaviourPolicy, FixedAlphaPolicy } from "../agents/behaviour.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { SimEnvironment } from "./environment.js";
import { createWorld } from "./world.js";

describe("SimEnvironment (core's Environment)", () => {
  const env = new SimEnvironment(createWorld(simPreset("small", { videos: 1000 }), 2));
  const behaviour = behaviourPolicy(SIM_STATE_DIM);

  it("runs each group for N days and reports one outcome per assigned user", async () => {
    const other = new FixedAlphaPolicy("time", SIM_STATE_DIM, [0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0]);
    const groups = await env.run(
      [
        { policy: behaviour, users: 15 },
        { policy: other, users: 10 },
      ],
      { days: 2, seed: 3 },
    );
    assert.deepEqual(
      groups.map((g) => [g.policyId, g.days, g.users.length]),
      [
        ["behaviour", 2, 15],
        ["time", 2, 10],
      ],
    );
    const ids = new Set(groups.flatMap((g) => g.users.map((u) => u.userId)));
    assert.equal(ids.size, 25);
    for (const u of groups[0].users) {
      assert.ok(u.plays > 0 && u.sessions > 0 && u.activeDays >= 1 && u.appTimeS > 0);
      assert.ok(u.positivePlays <= u.plays);
    }
  });

  it("pairs groups given the same user ids", async () => {
    const userIds = ["p1", "p2", "p3"];
    const [a, b] = await env.run(
      [
        { policy: behaviour, users: 3, userIds },
        { policy: behaviour, users: 3, userIds },
      ],
      { days: 1, seed: 4 },
    );
    assert.deepEqual(
      a.users.map((u) => u.appTimeS),
      b.users.map((u) => u.appTimeS),
    );
  });
});
