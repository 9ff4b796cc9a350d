/**
 * The immediate reward of one play, paper Eq. 2: r = Σ_j w_j · v_j over the observed feedback v
 * (Sec. 3.1). The paper sets w from "relationships between feedback and future user app dwell
 * time"; `mtf fit-reward` does the same on a dataset and its weights are passed here as
 * `fitted`. Without them, `FALLBACK_REWARD_WEIGHTS` (a stated assumption, see below) apply.
 *
 * Presets (the paper's -Rtime, -Rintegrity, -Rinteraction variants, Sec. 4.4.2): `time`,
 * `integrity` and `interaction` are `default` with that group's weights doubled.
 */
import { MtfError } from "./errors.js";
import type { PlayEvent } from "./events.js";

/** Feedback features v of Eq. 2, in the order of every reward vector. */
export const REWARD_FEATURES = [
  "play_time_min",
  "play_integrity",
  "like",
  "comment",
  "follow",
  "forward",
  "profile_enter",
  "hate",
  "skip",
] as const;

export type RewardFeature = (typeof REWARD_FEATURES)[number];

export const N_REWARD_FEATURES = REWARD_FEATURES.length;

export type RewardWeights = Readonly<Record<RewardFeature, number>>;

export const REWARD_PRESETS = ["default", "time", "integrity", "interaction"] as const;

export type RewardPreset = (typeof REWARD_PRESETS)[number];

/** The features whose weights a preset doubles. */
export const REWARD_PRESET_GROUPS: Readonly<Record<RewardPreset, readonly RewardFeature[]>> = Object.freeze({
  default: [],
  time: ["play_time_min"],
  integrity: ["play_integrity"],
  interaction: ["like", "comment", "follow", "forward", "profile_enter"],
});

/**
 * Fallback weights, used when no fitted weights are given. They are a stated assumption, not a
 * fit: every weight is in "minutes of watch time" because play time in minutes has weight 1.
 * - play_integrity 0.25: finishing a video is worth 15 s, about one typical short-video play,
 *   so completion counts without letting short videos dominate the reward.
 * - like 1, comment 1.5, forward 1.5, follow 3: a like is worth about a minute of watching;
 *   rarer, costlier interactions more, and a follow most because it creates a lasting tie to a
 *   creator (the strongest of these links to coming back). profile_enter 0.3: a weak interest
 *   signal.
 * - hate −3: explicit dislike, rare and a strong sign of churn. skip −0.1 (6 s): skips are
 *   frequent, so a larger weight would swamp the other terms.
 * Interactions are rare (around 1 % of plays or less), so play time and integrity dominate the
 * expected reward; the `interaction` preset shifts that balance.
 */
export const FALLBACK_REWARD_WEIGHTS: RewardWeights = Object.freeze({
  play_time_min: 1,
  play_integrity: 0.25,
  like: 1,
  comment: 1.5,
  follow: 3,
  forward: 1.5,
  profile_enter: 0.3,
  hate: -3,
  skip: -0.1,
});

/** A play shorter than this is a skip (DESIGN.md), used when the log does not say. */
export const SKIP_THRESHOLD_MS = 3000;

/** The outcomes Eq. 2 reads; null means not observed. */
type FeedbackOutcome = Extract<RewardFeature, keyof PlayEvent["outcomes"]>;

/** The observed feedback of one play; a `PlayEvent` is one. */
export interface PlayFeedback {
  readonly playTimeMs: number;
  /** null or 0 = unknown duration. */
  readonly durationMs: number | null;
  readonly outcomes: Readonly<Record<FeedbackOutcome, number | null>>;
}

const FEATURE_INDEX: Readonly<Record<RewardFeature, number>> = Object.freeze(
  Object.fromEntries(REWARD_FEATURES.map((f, j) => [f, j])) as Record<RewardFeature, number>,
);

/** Bit of a feature in the mask `rewardFeatures` returns. */
export function rewardFeatureBit(feature: RewardFeature): number {
  return 1 << FEATURE_INDEX[feature];
}

const OUTCOME_FEATURES: readonly FeedbackOutcome[] = [
  "like",
  "comment",
  "follow",
  "forward",
  "profile_enter",
  "hate",
];

/**
 * Writes the feature vector v of one play into `out[offset .. offset + 9)`:
 * play_time_min = playTimeMs / 60000; play_integrity = min(playTimeMs / durationMs, 1);
 * interactions as observed (0/1); skip as observed, else playTimeMs < 3 s.
 *
 * Unknown values (duration null or 0, an interaction outcome null) contribute 0; the returned
 * bit mask (`rewardFeatureBit`) says which features were unknown, so callers can count them
 * (0 = everything observed).
 */
export function rewardFeatures(feedback: PlayFeedback, out: Float32Array | Float64Array, offset = 0): number {
  const { playTimeMs, durationMs, outcomes } = feedback;
  if (!(Number.isFinite(playTimeMs) && playTimeMs >= 0)) {
    throw new MtfError("INVALID_ARGUMENT", `playTimeMs must be finite and >= 0, got ${playTimeMs}`);
  }
  if (out.length < offset + N_REWARD_FEATURES) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `out needs ${offset + N_REWARD_FEATURES} values, holds ${out.length}`,
    );
  }
  let unknown = 0;
  out[offset + FEATURE_INDEX.play_time_min] = playTimeMs / 60000;
  if (durationMs !== null && durationMs > 0) {
    out[offset + FEATURE_INDEX.play_integrity] = Math.min(playTimeMs / durationMs, 1);
  } else {
    out[offset + FEATURE_INDEX.play_integrity] = 0;
    unknown |= rewardFeatureBit("play_integrity");
  }
  for (const feature of OUTCOME_FEATURES) {
    const value = outcomes[feature];
    out[offset + FEATURE_INDEX[feature]] = value ?? 0;
    if (value === null) unknown |= rewardFeatureBit(feature);
  }
  out[offset + FEATURE_INDEX.skip] = outcomes.skip ?? (playTimeMs < SKIP_THRESHOLD_MS ? 1 : 0);
  return unknown;
}

/**
 * Eq. 2 weights in `REWARD_FEATURES` order: `fitted` (from `mtf fit-reward`) when given, else
 * `FALLBACK_REWARD_WEIGHTS`, with the preset's group doubled.
 */
export function rewardWeights(preset: RewardPreset, fitted?: RewardWeights): Float64Array {
  const base = fitted ?? FALLBACK_REWARD_WEIGHTS;
  const weights = new Float64Array(N_REWARD_FEATURES);
  for (let j = 0; j < N_REWARD_FEATURES; j++) {
    const w = base[REWARD_FEATURES[j]];
    if (!Number.isFinite(w)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `reward weight of "${REWARD_FEATURES[j]}" must be finite, got ${w}`,
      );
    }
    weights[j] = w;
  }
  for (const feature of REWARD_PRESET_GROUPS[preset]) weights[FEATURE_INDEX[feature]] *= 2;
  return weights;
}

/** Eq. 2 for one play whose features start at `offset` in `features`. */
export function reward(features: ArrayLike<number>, weights: ArrayLike<number>, offset = 0): number {
  let r = 0;
  for (let j = 0; j < N_REWARD_FEATURES; j++) r += weights[j] * features[offset + j];
  return r;
}

/** Eq. 2 over a batch: `out[row]` = reward of `features` [rows x 9]. */
export function rewards(
  features: ArrayLike<number>,
  rows: number,
  weights: ArrayLike<number>,
  out: Float32Array | Float64Array,
): void {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
  }
  if (weights.length !== N_REWARD_FEATURES) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `reward weights need ${N_REWARD_FEATURES} values, got ${weights.length}`,
    );
  }
  if (features.length < rows * N_REWARD_FEATURES || out.length < rows) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `rewards of ${rows} rows need ${rows * N_REWARD_FEATURES} feature values and ${rows} outputs, ` +
        `got ${features.length} and ${out.length}`,
    );
  }
  for (let row = 0; row < rows; row++) out[row] = reward(features, weights, row * N_REWARD_FEATURES);
}
