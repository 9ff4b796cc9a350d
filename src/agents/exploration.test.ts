import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import { behaviourPolicy } from "./behaviour.js";
import {
  ActionNoiseExploration,
  ExplorationLayer,
  explorationConfigSection,
  RandomExploration,
  saltedUnit,
} from "./exploration.js";

const target = behaviourPolicy(4);
const baseline = target.action;

function stats(policy: RandomExploration | ActionNoiseExploration, rows: number) {
  const out = new Float32Array(rows * 12);
  policy.act(new Float32Array(rows * 4), rows, out, new Rng(1));
  const mean = new Float64Array(12);
  const sd = new Float64Array(12);
  for (let r = 0; r < rows; r++) for (let i = 0; i < 12; i++) mean[i] += out[r * 12 + i] / rows;
  for (let r = 0; r < rows; r++)
    for (let i = 0; i < 12; i++) sd[i] += (out[r * 12 + i] - mean[i]) ** 2 / rows;
  return { out, mean, sd: sd.map(Math.sqrt) };
}

describe("exploration policies", () => {
  it("random exploration is Gaussian around the baseline, clipped to [-1, 1]", () => {
    const { out, mean, sd } = stats(new RandomExploration(baseline, 4, 0.2), 20_000);
    for (const v of out) assert.ok(v >= -1 && v <= 1);
    // Coordinates far from the bounds are unclipped: mean = baseline, sd = σ.
    const play = 3; // play_time's baseline action is 0
    assert.ok(Math.abs(mean[play] - baseline[play]) < 0.01);
    assert.ok(Math.abs(sd[play] - 0.2) < 0.01);
  });

  it("action-noise exploration adds N(0, 0.1²) to the target (Eq. 8)", () => {
    const { mean, sd } = stats(new ActionNoiseExploration(target, 0.1), 20_000);
    for (let i = 0; i < 12; i++) {
      if (Math.abs(baseline[i]) > 0.6) continue;
      assert.ok(Math.abs(mean[i] - baseline[i]) < 0.005);
      assert.ok(Math.abs(sd[i] - 0.1) < 0.005);
    }
  });

  it("replays a decision from its seed", () => {
    const policy = new ActionNoiseExploration(target, 0.1);
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    policy.act(new Float32Array(4), 1, a, new Rng(77));
    policy.act(new Float32Array(4), 1, b, new Rng(77));
    assert.deepEqual(a, b);
  });
});

describe("exploration layer", () => {
  const ids = Array.from({ length: 20_000 }, (_, i) => `user-${i}`);
  const layer = (input: object) =>
    new ExplorationLayer(explorationConfigSection.parse(input), target, baseline);

  it("mixed: explored users split equally between random and action noise", () => {
    const l = layer({ mode: "mixed", share: 0.3 });
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(l.assign(id).group, (counts.get(l.assign(id).group) ?? 0) + 1);
    assert.ok(Math.abs((counts.get("random") ?? 0) / ids.length - 0.15) < 0.01);
    assert.ok(Math.abs((counts.get("action_noise") ?? 0) / ids.length - 0.15) < 0.01);
    assert.ok(Math.abs((counts.get("target") ?? 0) / ids.length - 0.7) < 0.015);
    assert.equal(l.assign("user-1").noiseScale, l.assign("user-1").noiseScale);
  });

  it("random and none modes; assignments stable and salt-dependent", () => {
    const r = layer({ mode: "random", share: 0.5 });
    assert.ok(ids.every((id) => ["random", "target"].includes(r.assign(id).group)));
    assert.ok(ids.every((id) => layer({ mode: "none" }).assign(id).group === "none"));
    assert.equal(saltedUnit("a", "u1"), saltedUnit("a", "u1"));
    assert.notEqual(saltedUnit("a", "u1"), saltedUnit("b", "u1"));
    const noise = layer({ mode: "mixed" }).assign(
      ids.find((id) => saltedUnit("exploration", id) < 0.1) ?? "",
    );
    assert.equal(noise.group, "random");
    assert.equal(noise.noiseScale, 0.4);
  });
});
