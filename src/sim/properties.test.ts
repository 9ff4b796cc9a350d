/**
 * The simulator principles as properties (reduced sizes for CI; `properties.validate.ts` runs
 * them at full size over several seeds).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { FixedAlphaPolicy } from "../agents/behaviour.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { generatePopulation } from "./population.js";
import { longTermCheck, personalisationCheck } from "./properties.js";
import { createWorld, freshUserIds } from "./world.js";

const world = createWorld(simPreset("small"), 1);
const policy = (id: string, alpha: number[]) => new FixedAlphaPolicy(id, SIM_STATE_DIM, alpha);

/** Myopic: clicks and watch time only. Balanced: watch time with interactions, penalising hate. */
const MYOPIC_ALPHA = [2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
const BALANCED_ALPHA = [0.6, 0.8, 0.2, 2, -0.4, 0.8, 0.4, 0.4, 0.4, 0.2, -1.5, -0.6];

describe("simulator properties", () => {
  it("long term: a myopic α wins day 1 and loses on cumulative ADTime by day 7", () => {
    const result = longTermCheck(world, policy("myopic", MYOPIC_ALPHA), policy("balanced", BALANCED_ALPHA), {
      users: 600,
      days: 7,
      seed: 1,
    });
    assert.ok(result.holds, JSON.stringify(result));
  });

  it("personalisation: the best α of a segment beats the best global α on that segment", () => {
    const users = 600;
    const ids = freshUserIds(1, 0, users);
    const tolerance = generatePopulation(world.config, world.seed, ids).baitTolerance;
    const grid = [
      policy("time", [0.5, 0.5, 0, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -0.6, -0.6]),
      policy("clicky", [2, 0.5, 0, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -0.6, -0.6]),
      policy("careful", [0.2, 1, 0.5, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -1.5, -0.6]),
    ];
    // Segments by click-bait tolerance: low, middle, high thirds.
    const result = personalisationCheck(
      world,
      grid,
      (_o, i) => Math.min(2, Math.floor(tolerance[i] * 3)),
      3,
      {
        users,
        days: 4,
        seed: 1,
      },
    );
    const gains = result.segments.map((s) => s.bestAdTime / s.globalAdTime - 1);
    assert.ok(Math.max(...gains) > 0.02, JSON.stringify(result));
    assert.ok(result.segments.some((s) => s.best !== result.globalBest));
  });
});
