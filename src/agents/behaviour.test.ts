import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { actionToAlpha, DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";
import { alphaVector, BEHAVIOUR_ALPHA, behaviourPolicy, FixedAlphaPolicy } from "./behaviour.js";

describe("behaviour policy", () => {
  it("plays the documented α in every state", () => {
    const policy = behaviourPolicy(5);
    assert.equal(policy.id, "behaviour");
    assert.equal(policy.stochastic, false);
    const out = new Float32Array(3 * 12);
    policy.act(new Float32Array(15), 3, out, new Rng(0));
    for (let r = 0; r < 3; r++) {
      const alpha = new Float64Array(12);
      actionToAlpha(out.subarray(r * 12, (r + 1) * 12), DEFAULT_ALPHA_BOUNDS, alpha);
      for (const [i, task] of TASKS.entries()) assert.ok(Math.abs(alpha[i] - BEHAVIOUR_ALPHA[task]) < 1e-6);
    }
  });

  it("keeps its α strictly inside the default bounds (room to explore)", () => {
    const a = alphaVector(BEHAVIOUR_ALPHA);
    for (let i = 0; i < 12; i++) {
      assert.ok(a[i] > DEFAULT_ALPHA_BOUNDS.low[i] && a[i] < DEFAULT_ALPHA_BOUNDS.high[i], TASKS[i]);
    }
  });

  it("refuses an α outside the bounds", () => {
    assert.throws(
      () => new FixedAlphaPolicy("x", 4, [3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      (e) => isMtfError(e, "ALPHA_OUT_OF_BOUNDS"),
    );
  });
});
