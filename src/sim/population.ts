/**
 * Users: hidden traits and a KuaiRand-shaped profile (the observable part).
 *
 * Hidden traits (docs/simulator.md, "Users"): affinity A_{u,k} ~ N(0, σ_A²) to each category; a
 * click-logit offset; a log-attention offset; the duration elasticity ρ (how much longer the user
 * watches longer videos: 0 = short-video lover); click-bait tolerance τ ∈ (0, 1); an
 * interaction log-rate offset ι; the interaction drive δ (how much an interaction satisfies and
 * so drives return); patience P0; exit hazard; return logit r and its sensitivity κ to recent
 * satisfaction; the logit of a same-day session. The activity degree sets the patience, hazard
 * and return parameters.
 *
 * Profile (what a policy sees): KuaiRand's user features (activity degree, live streamer, video
 * author, follow / fans / friend ranges, register-days range, anonymised one-hot categoricals).
 * Some are noisy proxies of hidden traits (follow range of ι, fans range of δ, onehot_feat0 of ρ,
 * onehot_feat1 of τ), some are uninformative, as in real logs.
 *
 * A user's traits derive from (world seed, user id) alone, so the same id is the same person in
 * every run and arm.
 */
import { deriveSeed, hashString32, Rng } from "../core/rng.js";
import { ACTIVITY_DEGREES, type SimConfig } from "./config.js";
import { normalCdf } from "./math.js";

/** Names of the profile features, in the order of each user's profile vector. */
export const PROFILE_FEATURES: readonly string[] = Object.freeze([
  ...ACTIVITY_DEGREES.map((d) => `user_active_degree=${d}`),
  "is_live_streamer",
  "is_video_author",
  "follow_user_num_range",
  "fans_user_num_range",
  "friend_user_num_range",
  "register_days_range",
  "onehot_feat0=0",
  "onehot_feat0=1",
  "onehot_feat1=0",
  "onehot_feat1=1",
  "onehot_feat1=2",
  "onehot_feat2=0",
  "onehot_feat2=1",
  "onehot_feat2=2",
  "onehot_feat2=3",
]);
export const PROFILE_DIM = PROFILE_FEATURES.length;

const FOLLOW_RANGES = 8;
const FANS_RANGES = 8;
const FRIEND_RANGES = 7;
const REGISTER_RANGES = 7;

export interface Population {
  readonly size: number;
  readonly categories: number;
  readonly ids: readonly string[];
  /** 32-bit key of each id (hashes of the MTL error). */
  readonly key: Uint32Array;
  readonly activity: Int8Array;
  readonly clickBias: Float32Array;
  readonly attentionBias: Float32Array;
  readonly durationPref: Float32Array;
  readonly baitTolerance: Float32Array;
  readonly interactionPropensity: Float32Array;
  readonly interactionDrive: Float32Array;
  readonly patience: Float32Array;
  readonly exitHazard: Float32Array;
  readonly returnLogit: Float32Array;
  readonly returnSensitivity: Float32Array;
  readonly againTodayLogit: Float32Array;
  /** [size x categories] affinity A. */
  readonly affinity: Float32Array;
  /** [size x PROFILE_DIM] profile features. */
  readonly profile: Float32Array;
}

function clampInt(x: number, low: number, high: number): number {
  return Math.min(Math.max(Math.round(x), low), high);
}

/** Generates the users with the given ids; traits depend on (worldSeed, id) only. */
export function generatePopulation(config: SimConfig, worldSeed: number, ids: readonly string[]): Population {
  const n = ids.length;
  const K = config.catalogue.categories;
  const p = config.population;
  const f32 = () => new Float32Array(n);
  const pop = {
    size: n,
    categories: K,
    ids,
    key: new Uint32Array(n),
    activity: new Int8Array(n),
    clickBias: f32(),
    attentionBias: f32(),
    durationPref: f32(),
    baitTolerance: f32(),
    interactionPropensity: f32(),
    interactionDrive: f32(),
    patience: f32(),
    exitHazard: f32(),
    returnLogit: f32(),
    returnSensitivity: f32(),
    againTodayLogit: f32(),
    affinity: new Float32Array(n * K),
    profile: new Float32Array(n * PROFILE_DIM),
  };
  const shareTotal = p.activityShares.reduce((a, b) => a + b, 0);
  const noise = p.profileNoiseSd;
  for (let u = 0; u < n; u++) {
    const rng = new Rng(deriveSeed(worldSeed, `user:${ids[u]}`));
    pop.key[u] = hashString32(ids[u]);
    let draw = rng.uniform() * shareTotal;
    let activity = 0;
    while (activity < ACTIVITY_DEGREES.length - 1 && draw >= p.activityShares[activity]) {
      draw -= p.activityShares[activity];
      activity += 1;
    }
    pop.activity[u] = activity;
    for (let k = 0; k < K; k++) pop.affinity[u * K + k] = p.interestSd * rng.normal();
    const zPref = rng.normal();
    const zBait = rng.normal();
    const zInteraction = rng.normal();
    const zDrive = rng.normal();
    const registerRange = rng.int(REGISTER_RANGES);
    // Newer users click a little more (curiosity) [assumption].
    pop.clickBias[u] = p.clickBiasSd * rng.normal() + (0.1 * (3 - registerRange)) / 3;
    pop.attentionBias[u] = p.attentionBiasSd * rng.normal();
    pop.durationPref[u] = p.durationPrefMean + p.durationPrefSd * zPref;
    pop.baitTolerance[u] = normalCdf(zBait);
    pop.interactionPropensity[u] = p.interactionPropensitySd * zInteraction;
    pop.interactionDrive[u] = p.interactionDriveMedian * Math.exp(p.interactionDriveLogSd * zDrive);
    pop.patience[u] = p.patienceMean[activity] * Math.exp(p.patienceLogSd * rng.normal());
    pop.exitHazard[u] = p.exitHazard[activity];
    pop.returnLogit[u] = p.returnLogit[activity] + p.returnLogitSd * rng.normal();
    pop.returnSensitivity[u] = Math.max(0, p.returnSensitivityMean + p.returnSensitivitySd * rng.normal());
    pop.againTodayLogit[u] = p.againTodayLogit[activity];

    const follow = clampInt(3.5 + 1.5 * (zInteraction + noise * rng.normal()), 0, FOLLOW_RANGES - 1);
    const friend = clampInt(follow - 1 + 1.5 * rng.normal(), 0, FRIEND_RANGES - 1);
    const fans = clampInt(2 + 1.5 * (zDrive + noise * rng.normal()), 0, FANS_RANGES - 1);
    const isAuthor = rng.uniform() < 1 / (1 + Math.exp(1 - zInteraction)) ? 1 : 0;
    const isStreamer = rng.uniform() < 0.05 ? 1 : 0;
    const feat0 = zPref + noise * rng.normal() > 0 ? 1 : 0;
    const baitSignal = zBait + noise * rng.normal();
    const feat1 = baitSignal < -0.43 ? 0 : baitSignal < 0.43 ? 1 : 2;
    const feat2 = rng.int(4);

    const row = pop.profile.subarray(u * PROFILE_DIM, (u + 1) * PROFILE_DIM);
    let o = 0;
    for (let d = 0; d < ACTIVITY_DEGREES.length; d++) row[o++] = d === activity ? 1 : 0;
    row[o++] = isStreamer;
    row[o++] = isAuthor;
    row[o++] = follow / (FOLLOW_RANGES - 1);
    row[o++] = fans / (FANS_RANGES - 1);
    row[o++] = friend / (FRIEND_RANGES - 1);
    row[o++] = registerRange / (REGISTER_RANGES - 1);
    for (let level = 0; level < 2; level++) row[o++] = feat0 === level ? 1 : 0;
    for (let level = 0; level < 3; level++) row[o++] = feat1 === level ? 1 : 0;
    for (let level = 0; level < 4; level++) row[o++] = feat2 === level ? 1 : 0;
  }
  return pop;
}

/** The profile vector of user `u` (a view, no copy). */
export function userProfile(pop: Population, u: number): Float32Array {
  return pop.profile.subarray(u * PROFILE_DIM, (u + 1) * PROFILE_DIM);
}
