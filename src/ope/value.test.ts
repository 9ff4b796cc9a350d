import assert from "node:assert/strict";
import { test } from "node:test";
import { Rng } from "../core/rng.js";
import { bootstrapInterval, conservativeValue, sampleInitialStates, spread } from "./value.js";

test("the testing batch is all sessions when there are at most n, else n distinct ones", () => {
  const starts = Int32Array.from({ length: 50 }, (_, i) => i * 3);
  assert.deepEqual(sampleInitialStates(starts, 80, new Rng(0)), starts);
  const sample = sampleInitialStates(starts, 20, new Rng(0));
  assert.equal(sample.length, 20);
  assert.equal(new Set(sample).size, 20);
  assert.ok(sample.every((s) => starts.includes(s)));
  assert.deepEqual(sampleInitialStates(starts, 20, new Rng(0)), sample);
});

test("the bootstrap interval brackets V̂, has about the normal width, and narrows with more sessions", () => {
  const rng = new Rng(1);
  const values = Float64Array.from({ length: 400 }, () => 2 + rng.normal());
  const mean = conservativeValue(values);
  const interval = bootstrapInterval(values, 2000, 0.95, new Rng(2));
  assert.ok(interval.low < mean && mean < interval.high);
  // ±1.96·σ/√n with σ ≈ 1: half-width ≈ 0.098.
  assert.ok(Math.abs((interval.high - interval.low) / 2 - 1.96 / 20) < 0.015, JSON.stringify(interval));
  const narrower = bootstrapInterval(values.subarray(0, 100), 2000, 0.95, new Rng(2));
  assert.ok(narrower.high - narrower.low > 1.5 * (interval.high - interval.low));
  assert.deepEqual(bootstrapInterval(values, 2000, 0.95, new Rng(2)), interval);
});

test("spread reports mean, sample std, min and max of per-seed values", () => {
  assert.deepEqual(spread([1, 3]), { mean: 2, std: Math.SQRT2, min: 1, max: 3 });
  assert.deepEqual(spread([5]), { mean: 5, std: 0, min: 5, max: 5 });
});
