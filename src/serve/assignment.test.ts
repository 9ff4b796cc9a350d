import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BEHAVIOUR_ALPHA } from "../agents/behaviour.js";
import { explorationConfigSection, saltedUnit } from "../agents/exploration.js";
import { DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { TASKS } from "../core/tasks.js";
import { assignArm, chooseModel } from "./assignment.js";
import { fallbackModel } from "./serving-model.js";

const USERS = 20_000;
const users = Array.from({ length: USERS }, (_, u) => `user-${u}`);
const ARMS = [
  { name: "control", share: 0.5, model: "fallback" as const },
  { name: "treatment", share: 0.5, model: "current" as const },
];
const settings = (share: number) => ({
  exploration: explorationConfigSection.parse({ mode: "mixed", share }),
  bounds: DEFAULT_ALPHA_BOUNDS,
  fallbackAlpha: TASKS.map((task) => BEHAVIOUR_ALPHA[task]),
});

function near(actual: number, expected: number, what: string): void {
  // 4.5 standard errors of a proportion over USERS users.
  const tolerance = 4.5 * Math.sqrt((expected * (1 - expected)) / USERS);
  assert.ok(Math.abs(actual - expected) < tolerance, `${what}: ${actual.toFixed(4)} vs ${expected}`);
}

describe("traffic layers", () => {
  it("split explored users equally between random and action noise (Mixed Multi-Exploration)", () => {
    const model = fallbackModel(settings(0.2));
    const counts = { target: 0, random: 0, action_noise: 0, none: 0 };
    for (const user of users) counts[model.exploration.assign(user).group] += 1;
    near(counts.random / USERS, 0.1, "random");
    near(counts.action_noise / USERS, 0.1, "action noise");
    assert.equal(model.exploration.assign("user-7").group, model.exploration.assign("user-7").group);
  });

  it("assign arms by their shares and leave users past the last share in no arm", () => {
    const arms = [
      { name: "a", share: 0.3, model: "current" as const },
      { name: "b", share: 0.2, model: "current" as const },
    ];
    const counts = new Map<string | null, number>();
    for (const user of users) {
      const { arm } = assignArm("experiment", arms, user);
      counts.set(arm, (counts.get(arm) ?? 0) + 1);
    }
    near((counts.get("a") ?? 0) / USERS, 0.3, "arm a");
    near((counts.get("b") ?? 0) / USERS, 0.2, "arm b");
    near((counts.get(null) ?? 0) / USERS, 0.5, "no arm");
    assert.deepEqual(assignArm("experiment", [], "x"), { arm: null, model: "current" });
  });

  it("are orthogonal: exploration groups and the canary do not depend on the arm", () => {
    const model = fallbackModel(settings(0.2));
    const byArm = new Map<string, { users: number; random: number; noise: number; canary: number }>();
    for (const user of users) {
      const { arm } = assignArm("experiment", ARMS, user);
      const row = byArm.get(arm ?? "none") ?? { users: 0, random: 0, noise: 0, canary: 0 };
      const group = model.exploration.assign(user).group;
      row.users += 1;
      row.random += group === "random" ? 1 : 0;
      row.noise += group === "action_noise" ? 1 : 0;
      row.canary += saltedUnit("canary", user) < 0.1 ? 1 : 0;
      byArm.set(arm ?? "none", row);
    }
    for (const [arm, row] of byArm) {
      const n = row.users;
      const tolerance = (p: number) => 4.5 * Math.sqrt((p * (1 - p)) / n);
      assert.ok(Math.abs(row.random / n - 0.1) < tolerance(0.1), `${arm}: random ${row.random / n}`);
      assert.ok(Math.abs(row.noise / n - 0.1) < tolerance(0.1), `${arm}: action noise ${row.noise / n}`);
      assert.ok(Math.abs(row.canary / n - 0.1) < tolerance(0.1), `${arm}: canary ${row.canary / n}`);
    }
  });

  it("serve an arm's fallback α even while a canary is live", () => {
    const fallback = fallbackModel(settings(0.2));
    const current = { ...fallbackModel(settings(0.2)), version: "v0001", fallback: false };
    const canary = { ...current, version: "v0002" };
    const models = { current, canary: { model: canary, share: 0.999 }, fallback };
    assert.equal(
      chooseModel(models, { arm: "control", model: "fallback" }, "canary", "u").model.version,
      "fallback",
    );
    assert.equal(
      chooseModel(models, { arm: "treatment", model: "current" }, "canary", "u").model.version,
      "v0002",
    );
  });
});
