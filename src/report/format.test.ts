import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatCount,
  formatMetricValue,
  formatPercent,
  formatPValue,
  formatSeconds,
  formatValue,
  formatWithInterval,
} from "./format.js";

test("values have 3 decimals and no negative zero", () => {
  assert.equal(formatValue(4.1264), "4.126");
  assert.equal(formatValue(-648.1625), "-648.163");
  assert.equal(formatValue(-0.0001), "0.000");
  assert.equal(formatValue(5), "5.000");
});

test("relative changes are signed percentages with 3 decimals", () => {
  assert.equal(formatPercent(0.02216), "+2.216");
  assert.equal(formatPercent(-0.00513), "-0.513");
  assert.equal(formatPercent(0.16061), "+16.061");
  assert.equal(formatPercent(0), "0.000");
  assert.equal(formatPercent(-1e-7), "0.000");
  assert.equal(formatPercent(1e-7), "0.000");
});

test("p-values have 2 significant digits, scientific below 0.001", () => {
  assert.equal(formatPValue(0.0731), "0.073");
  assert.equal(formatPValue(0.12), "0.12");
  assert.equal(formatPValue(0.00124), "0.0012");
  assert.equal(formatPValue(0.000999), "1.0e-3");
  assert.equal(formatPValue(3.2e-14), "3.2e-14");
  assert.equal(formatPValue(4.56e-7), "4.6e-7");
  assert.equal(formatPValue(1), "1");
  assert.equal(formatPValue(0), "0");
});

test("every formatted number parses back to the rounded value", () => {
  for (const [text, value, tolerance] of [
    [formatValue(-297.0534), -297.0534, 5e-4],
    [formatPercent(-0.012823), -1.2823, 5e-4],
    [formatPValue(3.24e-14), 3.24e-14, 5e-16],
    [formatMetricValue(0.0412361), 0.0412361, 5e-6],
    [formatMetricValue(1843.27), 1843.27, 0.5],
  ] as const) {
    assert.ok(Math.abs(Number(text) - value) <= tolerance, `${text} vs ${value}`);
  }
});

test("metrics have 4 significant digits; counts and seconds read as prose", () => {
  assert.equal(formatMetricValue(1843.27), "1843");
  assert.equal(formatMetricValue(0.81234), "0.8123");
  assert.equal(formatMetricValue(38.412), "38.41");
  assert.equal(formatMetricValue(0.0000123), "1.230e-5");
  assert.equal(formatCount(180412), "180,412");
  assert.equal(formatSeconds(151.24), "151.2");
  assert.equal(formatWithInterval({ value: 4.126, low: 4.0012, high: 4.2519 }), "4.126 [4.001, 4.252]");
  assert.equal(
    formatWithInterval({ value: 0.02216, low: 0.01826, high: 0.02606 }, formatPercent),
    "+2.216 [+1.826, +2.606]",
  );
});
