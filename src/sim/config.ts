/**
 * The simulator's config section (`sim:` in the YAML config): every parameter of the user,
 * video, response, MTL, session and return models, each documented with its meaning and its
 * source, one of
 *   [excerpt]    measured on the KuaiRand-1K random-exposure excerpt (../shared/data/kuairand-1k,
 *                CC BY-SA 4.0, Gao et al., CIKM 2022),
 *   [kuairand]   KuaiRand's published figures,
 *   [calibrated] chosen so that a calibration figure (calibration.ts) matches its target,
 *   [assumption] a stated modelling assumption.
 * docs/simulator.md states the equations these parameters enter.
 *
 * Presets (`small` for tests, `default`, `large`) differ only in population and catalogue size;
 * the model is the same, so results at different scales are comparable. The resolved config and
 * its hash (`simConfigHash`) identify a run: it reproduces from config + seed.
 */
import { z } from "zod";
import { configHash, configSection, parseConfig } from "../core/config.js";
import { TASKS, type TaskName } from "../core/tasks.js";

export const SIM_PRESETS = ["small", "default", "large"] as const;
export type SimPreset = (typeof SIM_PRESETS)[number];

/** Population and catalogue sizes of each preset. */
export const PRESET_SIZES: Readonly<Record<SimPreset, { readonly users: number; readonly videos: number }>> =
  Object.freeze({
    small: { users: 2_000, videos: 5_000 },
    default: { users: 20_000, videos: 50_000 },
    large: { users: 200_000, videos: 200_000 },
  });

const num = (value: number, doc: string) => z.number().default(value).describe(doc);
const pos = (value: number, doc: string) => z.number().positive().default(value).describe(doc);
const nonNeg = (value: number, doc: string) => z.number().min(0).default(value).describe(doc);
const prob = (value: number, doc: string) => z.number().min(0).max(1).default(value).describe(doc);
const range = (low: number, high: number, doc: string) =>
  z
    .tuple([z.number(), z.number()])
    .refine(([a, b]) => a <= b, { error: "expected [low, high] with low <= high" })
    .default([low, high])
    .describe(doc);

function perTask(values: Readonly<Record<TaskName, number>>, doc: string, min?: number) {
  const shape = Object.fromEntries(
    TASKS.map((task) => [
      task,
      (min === undefined ? z.number() : z.number().min(min))
        .default(values[task])
        .describe(`${doc} (${task})`),
    ]),
  ) as Record<TaskName, z.ZodDefault<z.ZodNumber>>;
  return z.strictObject(shape).prefault({}).describe(doc);
}

const section = <Shape extends z.ZodRawShape>(shape: Shape, doc: string) =>
  z
    .strictObject(shape)
    .prefault({} as never)
    .describe(doc);

export const ACTIVITY_DEGREES = ["full_active", "high_active", "middle_active", "low_active"] as const;
export type ActivityDegree = (typeof ACTIVITY_DEGREES)[number];

const perActivity = (values: readonly [number, number, number, number], doc: string) =>
  z
    .tuple([z.number(), z.number(), z.number(), z.number()])
    .default([...values])
    .describe(`${doc}; one value per activity degree (${ACTIVITY_DEGREES.join(", ")})`);

/**
 * Plays per local hour (0-23, UTC+8) in the excerpt; sessions start at hours drawn from it.
 * [excerpt] counted from `time_ms` in Beijing time.
 */
const EXCERPT_HOURLY_PLAYS = [
  81, 43, 21, 17, 13, 19, 68, 114, 85, 103, 130, 121, 146, 167, 131, 89, 104, 128, 192, 152, 152, 239, 191,
  184,
];

const catalogueSchema = section(
  {
    categories: z
      .number()
      .int()
      .min(2)
      .default(30)
      .describe("[assumption] number of video categories (KuaiRand's first-level tags are a few dozen)"),
    categoryZipf: nonNeg(
      0.8,
      "[assumption] Zipf exponent of category sizes (category k has weight (k+1)^-s)",
    ),
    logDurationMean: num(4.244, "[excerpt] mean of ln(duration / 1 s) over rows with a known duration"),
    logDurationSd: pos(1.016, "[excerpt] standard deviation of ln(duration / 1 s)"),
    minDurationS: pos(5, "[excerpt] shortest duration (the excerpt's is 5.05 s)"),
    maxDurationS: pos(750, "[excerpt] longest duration (the excerpt's is 749 s)"),
    videosPerCreator: pos(20, "[assumption] mean number of videos per creator"),
    creatorQualityShare: prob(
      0.3,
      "[assumption] share of a video's quality variance that comes from its creator",
    ),
    clickbaitShare: prob(
      0.08,
      "[assumption] share of click-bait videos (high click, short watch, unsatisfying)",
    ),
    clickbaitStrength: range(0.5, 1.5, "[assumption] click-bait strength b, uniform in [low, high]"),
    polarisingShare: prob(0.05, "[assumption] share of polarising videos (more likes and more hates)"),
    polarisingStrength: range(0.5, 1.5, "[assumption] polarising strength π, uniform in [low, high]"),
  },
  "videos: category, heavy-tailed duration, quality, creator, click-bait and polarising items",
);

const populationSchema = section(
  {
    activityShares: perActivity(
      [0.35, 0.3, 0.2, 0.15],
      "[assumption] share of users per KuaiRand activity degree (KuaiRand-1K sampled active users)",
    ),
    interestSd: pos(1, "[assumption] sd of a user's affinity A to a category (A ~ N(0, sd²) per category)"),
    clickBiasSd: nonNeg(
      0.6,
      "[excerpt] sd of a user's click logit offset (per-user click rates spread 0-50%)",
    ),
    attentionBiasSd: nonNeg(0.3, "[assumption] sd of a user's log attention offset"),
    durationPrefMean: num(
      0.1,
      "[assumption] mean elasticity ρ of attention to duration (0 = short-video lover)",
    ),
    durationPrefSd: nonNeg(0.35, "[assumption] sd of ρ across users"),
    interactionPropensitySd: nonNeg(0.8, "[assumption] sd of a user's log-rate offset ι on interactions"),
    interactionDriveMedian: nonNeg(
      0.6,
      "[assumption] median weight δ of one positive interaction in satisfaction",
    ),
    interactionDriveLogSd: nonNeg(0.8, "[assumption] sd of ln δ across users"),
    patienceMean: perActivity([7, 6, 5, 4], "[calibrated] mean patience P0 at session start"),
    patienceLogSd: nonNeg(0.4, "[assumption] sd of ln P0 within an activity degree"),
    exitHazard: perActivity([0.02, 0.025, 0.03, 0.04], "[assumption] probability of leaving after any play"),
    returnLogit: perActivity(
      [1, -0.2, -1.2, -2.2],
      "[calibrated] logit of daily return r_u (next-visit gaps)",
    ),
    returnLogitSd: nonNeg(0.5, "[assumption] sd of r_u within an activity degree"),
    returnSensitivityMean: nonNeg(
      4,
      "[assumption] mean sensitivity κ of the return logits (next day, same day) to the satisfaction memory",
    ),
    returnSensitivitySd: nonNeg(1.3, "[assumption] sd of κ across users (floored at 0)"),
    againTodayLogit: perActivity(
      [0.3, -0.3, -1, -1.8],
      "[assumption] logit of starting another session today",
    ),
    profileNoiseSd: nonNeg(
      0.7,
      "[assumption] noise (in trait sd units) between a hidden trait and its profile proxy",
    ),
  },
  "users: KuaiRand-shaped profile, latent interests and heterogeneous preferences",
);

const interactionSchema = (intercept: number, quality: number, polarising: number, doc: string) =>
  section(
    {
      intercept: num(intercept, `[calibrated] log-rate intercept of ${doc}`),
      quality: num(quality, `[assumption] log-rate per unit of video quality, ${doc}`),
      polarising: num(polarising, `[assumption] log-rate per unit of polarising strength, ${doc}`),
    },
    `rare-event model of ${doc}`,
  );

const responseSchema = section(
  {
    clickIntercept: num(-2.05, "[calibrated] click logit intercept (excerpt click rate 15.1%)"),
    clickAffinity: num(0.6, "[calibrated] click logit per unit of affinity A (recommended/random funnel)"),
    clickQuality: num(0.3, "[assumption] click logit per unit of quality"),
    clickBait: num(0.7, "[assumption] click logit per unit of click-bait strength"),
    completeIntercept: num(
      -2.9,
      "[calibrated] logit of completing a clicked video (excerpt: ≈4-6% of clicked long videos finish)",
    ),
    completeAffinity: num(0.3, "[assumption] completion logit per unit of affinity"),
    completeQuality: num(0.3, "[assumption] completion logit per unit of quality"),
    completeBait: num(1, "[assumption] completion logit lost per unit of click-bait strength"),
    attentionIntercept: num(
      2.05,
      "[calibrated] μ intercept: ln of the median extra watch Y (s) after a click (excerpt)",
    ),
    attentionAffinity: num(0.3, "[calibrated] μ per unit of affinity"),
    attentionQuality: num(0.4, "[assumption] μ per unit of quality"),
    attentionBait: num(0.6, "[assumption] μ lost per unit of click-bait strength"),
    watchLogSd: pos(1.3, "[excerpt] σ_w: sd of ln Y within a (user, video) pair (clicked plays' spread)"),
    durationRefS: pos(80, "[excerpt] reference duration of the ρ term (the excerpt's median, 81.6 s)"),
    clickFloorS: nonNeg(7, "[excerpt] minimum play after a click (5% quantile of clicked plays: 7.1 s)"),
    loopCap: z
      .number()
      .min(1)
      .default(2)
      .describe("[excerpt] a play lasts at most loopCap × duration (loops)"),
    longViewS: pos(
      18,
      "[excerpt] long view = play ≥ min(longViewS, longViewFraction × duration) after a click",
    ),
    longViewFraction: prob(0.95, "[excerpt] see longViewS (the rule misclassifies 1 of 2,690 excerpt rows)"),
    previewMedianS: pos(1.71, "[excerpt] median play without a click (non-clicked rows)"),
    previewLogSd: pos(0.7, "[excerpt] sd of ln(play) without a click"),
    skipS: pos(3, "[assumption] DESIGN.md: skip = play < 3 s"),
    interactionAffinity: num(0.2, "[assumption] log-rate of every interaction per unit of affinity"),
    interactionPropensity: num(1, "[assumption] multiplier of the user's ι in every interaction's log-rate"),
    engagedLift: num(1, "[calibrated] log-rate lift of interactions after a click without a long view"),
    longViewLift: num(2, "[calibrated] log-rate lift of interactions after a long view"),
    like: interactionSchema(-6.2, 0.2, 1.2, "like"),
    comment: interactionSchema(-8.1, 0.2, 1, "comment"),
    follow: interactionSchema(-8.8, 0.2, 0.3, "follow"),
    forward: interactionSchema(-8.9, 0.2, 0.3, "forward"),
    profileEnter: interactionSchema(-6.35, 0.2, 0.2, "profile enter"),
    hateIntercept: num(
      -6.8,
      "[calibrated] log-rate intercept of hate (KuaiRand: ≈0.05% of recommended plays)",
    ),
    hateAffinity: num(0.3, "[assumption] log-rate of hate lost per unit of affinity"),
    hatePolarising: num(1.5, "[assumption] log-rate of hate per unit of polarising strength"),
    hateBait: num(0.8, "[assumption] log-rate of hate per unit of click-bait strength"),
    hateQuality: num(0.4, "[assumption] log-rate of hate lost per unit of quality"),
    maxRate: prob(0.95, "[assumption] cap of any rare-event probability"),
  },
  "true responses of a user to a video (12 tasks)",
);

const mtlSchema = section(
  {
    noiseSd: perTask(
      {
        click: 0.8,
        long_view: 1,
        finish: 1.2,
        play_time: 0.7,
        skip: 0.6,
        like: 0.6,
        comment: 0.7,
        follow: 0.7,
        forward: 0.7,
        profile_enter: 0.6,
        hate: 0.8,
        exit: 0.5,
      },
      "[assumption] sd of the MTL's error in log-odds (log for play_time), fixed per user, video and day",
      0,
    ),
    sharedErrorShare: prob(
      0.5,
      "[assumption] share s of each task's error variance that is common to all tasks (shared lower layers)",
    ),
    bias: perTask(
      {
        click: 0,
        long_view: 0,
        finish: 0,
        play_time: 0,
        skip: 0,
        like: 0.2,
        comment: 0.2,
        follow: 0.2,
        forward: 0.2,
        profile_enter: 0,
        hate: 0.3,
        exit: 0,
      },
      "[assumption] MTL bias in log-odds (log for play_time); rare events are over-predicted",
    ),
  },
  "the platform's multi-task model: noisy, biased estimates of the true responses",
);

const retrievalSchema = section(
  {
    candidates: z.number().int().min(1).default(200).describe("[assumption] candidates C per request"),
    interestShare: prob(0.5, "[calibrated] share of candidates retrieved from the user's interests"),
    interestTemperature: pos(
      0.6,
      "[assumption] temperature T of the interest retrieval: P(category) ∝ exp(A / T)",
    ),
  },
  "retrieval: C candidates per request, biased to the user's interests",
);

const sessionSchema = section(
  {
    clickGain: nonNeg(0.55, "[assumption] patience gained by a click"),
    longViewGain: nonNeg(0.3, "[assumption] patience gained by a long view"),
    finishGain: nonNeg(
      0,
      "[assumption] patience gained by a finish (0: finishing adds nothing beyond the long view)",
    ),
    interactionGain: nonNeg(0.5, "[assumption] patience gained per positive interaction"),
    hateLoss: nonNeg(3, "[assumption] patience lost by a hate"),
    baitLoss: nonNeg(2, "[assumption] patience lost by clicking click-bait, × strength × (1 − tolerance)"),
    maxPlays: z.number().int().min(1).default(200).describe("[assumption] hard cap on plays per session"),
    interPlayGapS: nonNeg(1, "[assumption] seconds between the end of a play and the next request"),
  },
  "sessions: patience P starts at P0, loses 1 per play, gains by engagement; leave at P ≤ 0 or by hazard",
);

const satisfactionSchema = section(
  {
    affinity: num(0.4, "[assumption] satisfaction of a click per unit of affinity"),
    quality: num(0.5, "[assumption] satisfaction of a click per unit of quality"),
    bait: num(1.5, "[assumption] dissatisfaction of clicking click-bait, × (1 − tolerance)"),
    longView: num(0.3, "[assumption] satisfaction of a long view"),
    integrity: num(1, "[assumption] satisfaction per unit of play integrity min(play / duration, 1)"),
    skip: num(0.1, "[assumption] dissatisfaction of a skip"),
    hate: num(3, "[assumption] dissatisfaction of a hate"),
  },
  "satisfaction s of a play (drives return): content value, integrity, interactions × δ, minus regret",
);

const returnSchema = section(
  {
    memory: prob(0.5, "[assumption] weight λ of the latest active day in the satisfaction memory S̄ (EWMA)"),
    reference: num(
      1,
      "[calibrated] reference satisfaction S_ref (≈ mean play satisfaction under the behaviour policy)",
    ),
    againTodayGapMinutes: pos(
      90,
      "[assumption] mean gap between sessions of a day (exponential, plus 10 minutes)",
    ),
    hourlyActivity: z
      .array(z.number().min(0))
      .length(24)
      .default(EXCERPT_HOURLY_PLAYS)
      .describe("[excerpt] relative activity per local hour: first sessions start at hours drawn from it"),
  },
  "return: next-day visits and same-day sessions driven by recent satisfaction",
);

export const simConfigShape = {
  preset: z
    .enum(SIM_PRESETS)
    .default("default")
    .describe("population and catalogue size: small, default, large"),
  users: z.number().int().min(1).optional().describe("number of users (default: the preset's)"),
  videos: z.number().int().min(1).optional().describe("number of videos (default: the preset's)"),
  startDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: "expected a date YYYY-MM-DD" })
    .default("2022-04-08")
    .describe("[kuairand] local calendar date of day 0 (KuaiRand-1K's logs start on 2022-04-08)"),
  catalogue: catalogueSchema,
  population: populationSchema,
  response: responseSchema,
  mtl: mtlSchema,
  retrieval: retrievalSchema,
  session: sessionSchema,
  satisfaction: satisfactionSchema,
  returns: returnSchema,
};

/** The `sim:` section, to compose with `extendConfig({ sim: simConfigSection })`. */
export const simConfigSection = configSection(simConfigShape);

export const simConfigSchema = z.strictObject(simConfigShape);
export type SimConfigInput = z.input<typeof simConfigSchema>;
type ParsedSimConfig = z.output<typeof simConfigSchema>;

/** A resolved simulator config: every field set, sizes taken from the preset where absent. */
export type SimConfig = Omit<ParsedSimConfig, "users" | "videos"> & {
  readonly users: number;
  readonly videos: number;
};

/** Fills the preset's sizes into a parsed config. */
export function resolveSimConfig(parsed: ParsedSimConfig): SimConfig {
  const sizes = PRESET_SIZES[parsed.preset];
  return { ...parsed, users: parsed.users ?? sizes.users, videos: parsed.videos ?? sizes.videos };
}

/** Parses and resolves a `sim:` section (e.g. from YAML); errors name the field (`sim.…`). */
export function parseSimConfig(input: unknown, source = "sim"): SimConfig {
  return resolveSimConfig(parseConfig(input, simConfigSchema, source));
}

/** A preset's config, with optional overrides. */
export function simPreset(preset: SimPreset, overrides: SimConfigInput = {}): SimConfig {
  return parseSimConfig({ ...overrides, preset });
}

/** Hash of the resolved config and seed: printed with every simulator result. */
export function simConfigHash(config: SimConfig, seed: number): string {
  return configHash({ sim: config, seed });
}
