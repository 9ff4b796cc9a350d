import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "./errors.js";
import {
  FALLBACK_REWARD_WEIGHTS,
  N_REWARD_FEATURES,
  type PlayFeedback,
  REWARD_FEATURES,
  REWARD_PRESET_GROUPS,
  REWARD_PRESETS,
  type RewardWeights,
  reward,
  rewardFeatureBit,
  rewardFeatures,
  rewards,
  rewardWeights,
} from "./reward.js";

const NO_OUTCOMES = {
  like: 0,
  comment: 0,
  follow: 0,
  forward: 0,
  profile_enter: 0,
  hate: 0,
  skip: 0,
} as const;

function features(feedback: PlayFeedback): { readonly v: Record<string, number>; readonly unknown: number } {
  const out = new Float64Array(N_REWARD_FEATURES);
  const unknown = rewardFeatures(feedback, out);
  return { v: Object.fromEntries(REWARD_FEATURES.map((f, j) => [f, out[j]])), unknown };
}

test("features of a play: minutes, integrity, interactions", () => {
  const { v, unknown } = features({
    playTimeMs: 30_000,
    durationMs: 60_000,
    outcomes: { ...NO_OUTCOMES, like: 1, follow: 1 },
  });
  assert.deepEqual(v, {
    play_time_min: 0.5,
    play_integrity: 0.5,
    like: 1,
    comment: 0,
    follow: 1,
    forward: 0,
    profile_enter: 0,
    hate: 0,
    skip: 0,
  });
  assert.equal(unknown, 0);
});

test("integrity is capped at 1 when the play loops past the duration", () => {
  assert.equal(
    features({ playTimeMs: 95_000, durationMs: 20_000, outcomes: NO_OUTCOMES }).v.play_integrity,
    1,
  );
  assert.equal(
    features({ playTimeMs: 20_000, durationMs: 20_000, outcomes: NO_OUTCOMES }).v.play_integrity,
    1,
  );
});

test("unknown duration contributes 0 to integrity and is flagged", () => {
  for (const durationMs of [null, 0]) {
    const { v, unknown } = features({ playTimeMs: 12_000, durationMs, outcomes: NO_OUTCOMES });
    assert.equal(v.play_integrity, 0);
    assert.equal(v.play_time_min, 0.2);
    assert.equal(unknown, rewardFeatureBit("play_integrity"));
  }
});

test("null interactions contribute 0 and are flagged; a null skip is derived from play < 3 s", () => {
  const { v, unknown } = features({
    playTimeMs: 2_999,
    durationMs: 10_000,
    outcomes: { ...NO_OUTCOMES, comment: null, hate: null, skip: null },
  });
  assert.equal(v.comment, 0);
  assert.equal(v.hate, 0);
  assert.equal(v.skip, 1);
  assert.equal(unknown, rewardFeatureBit("comment") | rewardFeatureBit("hate"));
  assert.equal(
    features({ playTimeMs: 3_000, durationMs: 10_000, outcomes: { ...NO_OUTCOMES, skip: null } }).v.skip,
    0,
  );
  // An observed skip wins over the threshold.
  assert.equal(
    features({ playTimeMs: 10_000, durationMs: 10_000, outcomes: { ...NO_OUTCOMES, skip: 1 } }).v.skip,
    1,
  );
});

test("invalid play times and short outputs are rejected", () => {
  for (const playTimeMs of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => rewardFeatures({ playTimeMs, durationMs: 1000, outcomes: NO_OUTCOMES }, new Float64Array(9)),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
  assert.throws(
    () => rewardFeatures({ playTimeMs: 1, durationMs: 1000, outcomes: NO_OUTCOMES }, new Float64Array(9), 1),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});

test("Eq. 2 with the fallback weights, closed form", () => {
  const { v } = features({ playTimeMs: 30_000, durationMs: 60_000, outcomes: { ...NO_OUTCOMES, like: 1 } });
  const vector = REWARD_FEATURES.map((f) => v[f]);
  const w = FALLBACK_REWARD_WEIGHTS;
  const expected = 0.5 * w.play_time_min + 0.5 * w.play_integrity + w.like;
  assert.equal(reward(vector, rewardWeights("default")), expected);
  assert.equal(expected, 0.5 + 0.125 + 1);

  const skipped = features({
    playTimeMs: 1_200,
    durationMs: 60_000,
    outcomes: { ...NO_OUTCOMES, skip: 1, hate: 1 },
  });
  const r = reward(
    REWARD_FEATURES.map((f) => skipped.v[f]),
    rewardWeights("default"),
  );
  assert.ok(Math.abs(r - (0.02 * 1 + 0.02 * 0.25 - 3 - 0.1)) < 1e-12);
});

test("each preset doubles exactly its group, for fallback and fitted weights", () => {
  const fitted: RewardWeights = {
    play_time_min: 0.7,
    play_integrity: 0.3,
    like: 0.9,
    comment: 1.1,
    follow: 2.5,
    forward: 1.3,
    profile_enter: 0.2,
    hate: -4,
    skip: -0.05,
  };
  for (const base of [undefined, fitted]) {
    const reference = rewardWeights("default", base);
    assert.deepEqual(
      Array.from(reference),
      REWARD_FEATURES.map((f) => (base ?? FALLBACK_REWARD_WEIGHTS)[f]),
    );
    for (const preset of REWARD_PRESETS) {
      const weights = rewardWeights(preset, base);
      REWARD_FEATURES.forEach((feature, j) => {
        const factor = REWARD_PRESET_GROUPS[preset].includes(feature) ? 2 : 1;
        assert.equal(weights[j], factor * reference[j], `${preset}: ${feature}`);
      });
    }
  }
  assert.deepEqual(REWARD_PRESET_GROUPS.time, ["play_time_min"]);
  assert.deepEqual(REWARD_PRESET_GROUPS.integrity, ["play_integrity"]);
  assert.deepEqual(REWARD_PRESET_GROUPS.interaction, [
    "like",
    "comment",
    "follow",
    "forward",
    "profile_enter",
  ]);
  assert.throws(
    () => rewardWeights("default", { ...fitted, like: Number.NaN }),
    (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
  );
});

test("preset rewards on one play differ by exactly the doubled group's contribution", () => {
  const v = [0.4, 0.8, 1, 0, 0, 1, 1, 0, 0];
  const base = reward(v, rewardWeights("default"));
  const w = FALLBACK_REWARD_WEIGHTS;
  assert.ok(Math.abs(reward(v, rewardWeights("time")) - (base + 0.4 * w.play_time_min)) < 1e-12);
  assert.ok(Math.abs(reward(v, rewardWeights("integrity")) - (base + 0.8 * w.play_integrity)) < 1e-12);
  assert.ok(
    Math.abs(reward(v, rewardWeights("interaction")) - (base + w.like + w.forward + w.profile_enter)) < 1e-12,
  );
});

test("batched rewards equal the per-row reward", () => {
  const rows = 3;
  const batch = Float64Array.from([
    0.5, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 0.25, 0, 1, 1, 1, 1, 0, 0,
  ]);
  const weights = rewardWeights("interaction");
  const out = new Float32Array(rows);
  rewards(batch, rows, weights, out);
  for (let row = 0; row < rows; row++) {
    assert.equal(out[row], Math.fround(reward(batch.subarray(row * 9, row * 9 + 9), weights)));
    assert.equal(out[row], Math.fround(reward(batch, weights, row * 9)));
  }
  assert.equal(out[1], Math.fround(-3 - 0.1));
  assert.throws(
    () => rewards(batch, 4, weights, new Float64Array(4)),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
  assert.throws(
    () => rewards(batch, 3, [1, 2], new Float64Array(3)),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
});
