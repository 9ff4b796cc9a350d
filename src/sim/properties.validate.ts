/**
 * Full-size checks of the simulator (`npm run validate`): calibration with the default preset at
 * the sizes the issue asks for, and the long-term and personalisation properties on the default
 * preset over several seeds. Data: the KuaiRand-1K excerpt (Gao et al., CIKM 2022, CC BY-SA 4.0).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { behaviourPolicy, FixedAlphaPolicy } from "../agents/behaviour.js";
import { calibrate, DEFAULT_EXCERPT_URL, excerptFiguresFromText, formatCalibration } from "./calibration.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { generatePopulation } from "./population.js";
import { longTermCheck, personalisationCheck } from "./properties.js";
import { createWorld, freshUserIds } from "./world.js";

const world = createWorld(simPreset("default"), 0);
const policy = (id: string, alpha: number[]) => new FixedAlphaPolicy(id, SIM_STATE_DIM, alpha);
const MYOPIC_ALPHA = [2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
const BALANCED_ALPHA = [0.6, 0.8, 0.2, 2, -0.4, 0.8, 0.4, 0.4, 0.4, 0.2, -1.5, -0.6];

describe("simulator at full size", () => {
  it("passes calibration with 10,000 random-exposure users and 14 days of returns", () => {
    const text = readFileSync(DEFAULT_EXCERPT_URL, "utf8");
    const result = calibrate(world, behaviourPolicy(SIM_STATE_DIM), excerptFiguresFromText(text, 0), {
      seed: 0,
      randomUsers: 10_000,
      randomPlays: 5,
      rankedUsers: 4_000,
      returnUsers: 2_000,
      returnDays: 14,
    });
    process.stdout.write(`${formatCalibration(result)}\n`);
    assert.ok(result.pass);
  });

  it("long term holds on every seed (2,000 users, 7 days)", () => {
    for (const seed of [11, 12]) {
      const r = longTermCheck(world, policy("myopic", MYOPIC_ALPHA), policy("balanced", BALANCED_ALPHA), {
        users: 2000,
        days: 7,
        seed,
      });
      const min = (s: number) => (s / 60).toFixed(2);
      process.stdout.write(
        `# long term, seed ${seed}: day 1 ADTime myopic ${min(r.day1.myopic)} vs balanced ${min(r.day1.balanced)} ` +
          `min; 7-day total ${min(r.cumulative.myopic)} vs ${min(r.cumulative.balanced)} min\n`,
      );
      assert.ok(r.holds);
    }
  });

  it("personalisation holds on every seed (1,500 users, 4 days)", () => {
    const grid = [
      policy("time", [0.5, 0.5, 0, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -0.6, -0.6]),
      policy("clicky", [2, 0.5, 0, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -0.6, -0.6]),
      policy("careful", [0.2, 1, 0.5, 2, -0.4, 0.4, 0.2, 0.2, 0.2, 0.1, -1.5, -0.6]),
    ];
    for (const seed of [21, 22]) {
      const users = 1500;
      const tolerance = generatePopulation(
        world.config,
        world.seed,
        freshUserIds(seed, 0, users),
      ).baitTolerance;
      const r = personalisationCheck(world, grid, (_o, i) => Math.min(2, Math.floor(tolerance[i] * 3)), 3, {
        users,
        days: 4,
        seed,
      });
      for (const s of r.segments) {
        process.stdout.write(
          `# personalisation, seed ${seed}, tolerance third ${s.segment}: best ${s.best} ` +
            `${(s.bestAdTime / 60).toFixed(2)} min vs global best ${r.globalBest} ${(s.globalAdTime / 60).toFixed(2)} min\n`,
        );
      }
      assert.ok(Math.max(...r.segments.map((s) => s.bestAdTime / s.globalAdTime - 1)) > 0.02);
    }
  });
});
