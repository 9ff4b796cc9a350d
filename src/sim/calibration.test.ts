/**
 * Calibration against the real KuaiRand-1K excerpt (KuaiRand, Gao et al., CIKM 2022,
 * https://kuairand.com, CC BY-SA 4.0): the excerpt's figures are computed here from the file.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { behaviourPolicy } from "../agents/behaviour.js";
import {
  calibrate,
  DEFAULT_EXCERPT_URL,
  excerptFiguresFromText,
  formatCalibration,
  parseExcerpt,
} from "./calibration.js";
import { simPreset } from "./config.js";
import { SIM_STATE_DIM } from "./engine.js";
import { createWorld } from "./world.js";

const text = readFileSync(DEFAULT_EXCERPT_URL, "utf8");

describe("calibration against the KuaiRand excerpt", () => {
  it("parses the excerpt: 2,690 random-exposure plays of 68 users", () => {
    const rows = parseExcerpt(text);
    assert.equal(rows.length, 2690);
    assert.equal(new Set(rows.map((r) => r.userId)).size, 68);
    // Independent plain count of two figures straight from the lines.
    const lines = text.trim().split("\n").slice(1);
    const clicks = lines.filter((l) => l.split(",")[5] === "1").length;
    const figures = excerptFiguresFromText(text, 0);
    const click = figures.find((f) => f.figure === "click");
    assert.equal(click?.point, clicks / lines.length);
    const skip = figures.find((f) => f.figure === "skip");
    assert.equal(skip?.point, lines.filter((l) => Number(l.split(",")[12]) < 3000).length / lines.length);
    for (const f of figures) assert.ok(f.low <= f.point && f.point <= f.high, f.figure);
  });

  it("passes every figure with the default preset (10,000 random-exposure users)", () => {
    const world = createWorld(simPreset("default"), 0);
    const result = calibrate(world, behaviourPolicy(SIM_STATE_DIM), excerptFiguresFromText(text, 0), {
      seed: 0,
      randomUsers: 10_000,
      randomPlays: 3,
      rankedUsers: 2_000,
      returnUsers: 600,
      returnDays: 12,
    });
    const table = formatCalibration(result);
    assert.ok(result.pass, table);
    assert.ok(result.random.plays >= 10_000);
  });
});
