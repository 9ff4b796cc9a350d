import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import type { RatioSamples } from "./metrics.js";
import { bootstrapComparison, deltaComparison } from "./stats.js";

function samples(values: number[], denominators?: number[]): RatioSamples {
  return {
    numerator: Float64Array.from(values),
    denominator: Float64Array.from(denominators ?? values.map(() => 1)),
  };
}

function lognormalUsers(rng: Rng, n: number, scale: number): number[] {
  return Array.from({ length: n }, () => scale * Math.exp(rng.normal()));
}

describe("A/B inference", () => {
  it("delta method and user bootstrap agree on the relative change and its interval", () => {
    const rng = new Rng(1);
    const c = samples(lognormalUsers(rng, 3000, 10));
    const t = samples(lognormalUsers(rng, 3000, 11));
    const d = deltaComparison(t, c, false);
    const b = bootstrapComparison(t, c, false, new Rng(2), 800);
    assert.equal(d.relativeChange, b.relativeChange);
    assert.ok(Math.abs(d.low - b.low) < 0.015 && Math.abs(d.high - b.high) < 0.015);
    assert.ok(d.low < 0.1 && d.high > 0.1);
  });

  it("pairing removes the users' shared variation", () => {
    const rng = new Rng(3);
    const base = lognormalUsers(rng, 2000, 10);
    const c = samples(base.map((x) => x * Math.exp(0.05 * rng.normal())));
    const t = samples(base.map((x) => 1.01 * x * Math.exp(0.05 * rng.normal())));
    const paired = deltaComparison(t, c, true);
    const unpaired = deltaComparison(t, c, false);
    assert.ok(paired.logSe < unpaired.logSe / 5);
    assert.ok(paired.pValue < 0.01 && unpaired.pValue > 0.05);
  });

  it("handles pooled ratios (UPIRate) and gives uniform-ish p-values under the null", () => {
    const rng = new Rng(4);
    let rejections = 0;
    for (let rep = 0; rep < 200; rep++) {
      const draw = () => {
        const plays = Array.from({ length: 400 }, () => 1 + rng.int(40));
        const positive = plays.map((p) => {
          let k = 0;
          for (let i = 0; i < p; i++) k += rng.uniform() < 0.02 ? 1 : 0;
          return k;
        });
        return samples(positive, plays);
      };
      if (deltaComparison(draw(), draw(), false).pValue < 0.05) rejections += 1;
    }
    assert.ok(rejections <= 20, `${rejections} of 200 rejected at 5%`);
  });
});
