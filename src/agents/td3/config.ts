/**
 * TD3 configuration (Fujimoto, van Hoof & Meger 2018, "Addressing Function Approximation Error
 * in Actor-Critic Methods", ICML; Algorithm 1 and Sec. 6.1), trained offline as a baseline of
 * BatchRL-MTF's Table 1 (Sec. 4.4.1).
 *
 *   π_φ                deterministic actor, tanh output in the normalised action box [-1, 1]^A
 *   Q_θ1, Q_θ2         twin critics; y = r + γ·(1 − terminated)·min_j Q'_θj(s', ã)          (Alg. 1, Eq. 10)
 *   ã                  target policy smoothing: clip(π'(s') + clip(N(0, σ²), −c, c), −1, 1)  (Eq. 14-15)
 *   delayed updates    π and all targets every d critic steps                                   (Sec. 5.2)
 *   targets            θ' ← τ·θ + (1 − τ)·θ'
 *
 * Defaults are the paper's (Sec. 6.1 / Table 3: Adam 1e-3 for both, batch 100, τ 0.005, σ 0.2,
 * c 0.5, d 2, 400-300 networks); the number of steps and the replay size are BCQ's, so both
 * train on the same data with the same budget. Actions live in [-1, 1]^A (max_action 1).
 * Presets: `paper` (the defaults) and `quick` (small networks, few steps).
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";

export const TD3_PRESETS = ["paper", "quick"] as const;
export type Td3Preset = (typeof TD3_PRESETS)[number];

const hidden = z.array(z.number().int().positive()).max(8);
const positiveInt = z.number().int().positive();

/** Every field of the TD3 section, with the paper's defaults. UWAC+TD3 extends these. */
export const td3Fields = {
  /** Which preset the other defaults come from. */
  preset: z.enum(TD3_PRESETS).default("paper"),
  /** γ. In a config file, absent = the root `gamma` (BatchRL-MTF Sec. 4.2: 0.95). */
  gamma: z.number().min(0).lt(1).default(0.95),
  /** Adam learning rate of π_φ (TD3 Sec. 6.1: 1e-3). */
  lrActor: z.number().positive().default(1e-3),
  /** Adam learning rate of Q_θ1, Q_θ2 (TD3 Sec. 6.1: 1e-3). */
  lrCritic: z.number().positive().default(1e-3),
  /** τ, Polyak rate of every target network (TD3: 0.005). */
  tau: z.number().gt(0).max(1).default(0.005),
  /** σ, std of the target policy smoothing noise in the normalised action box (TD3: 0.2). */
  policyNoise: z.number().min(0).default(0.2),
  /** c, clip of the smoothing noise (TD3: 0.5). */
  noiseClip: z.number().min(0).default(0.5),
  /** d: the actor and the targets update every d critic updates (TD3: 2). */
  policyFreq: positiveInt.default(2),
  /** Mini-batch size (TD3 Sec. 6.1: 100). */
  batchSize: positiveInt.default(100),
  /** Training steps (critic updates); BCQ's Ep (BatchRL-MTF Sec. 4.2: 300,000). */
  steps: positiveInt.default(300_000),
  /** Replay buffer size (as BCQ: 100,000); "all" samples the whole training split. */
  replayCapacity: z.union([positiveInt, z.literal("all")]).default(100_000),
  /** Hidden widths of π_φ (TD3 paper: 400-300). */
  actorHidden: hidden.default([400, 300]),
  /** Hidden widths of each critic (TD3 paper: 400-300). */
  criticHidden: hidden.default([400, 300]),
  /** Metrics are averaged and written every this many steps. */
  logEvery: positiveInt.default(1000),
  /** A checkpoint every this many steps (and at the end); 0 = only at the end. */
  checkpointEvery: z.number().int().min(0).default(10_000),
};

/** Values the `quick` preset sets (fields given explicitly override them). */
export const TD3_QUICK_PRESET: Readonly<Record<string, unknown>> = {
  batchSize: 64,
  steps: 3000,
  actorHidden: [64, 64],
  criticHidden: [64, 64],
  lrActor: 1e-3,
  lrCritic: 1e-3,
  tau: 0.01,
  logEvery: 100,
  checkpointEvery: 1000,
};

export const TD3_PRESET_VALUES: Readonly<Record<Td3Preset, Readonly<Record<string, unknown>>>> = {
  paper: {},
  quick: TD3_QUICK_PRESET,
};

/** A preprocess step applying `presets[input.preset ?? "paper"]` under the given fields. */
export function presetApplier(presets: Readonly<Record<string, Readonly<Record<string, unknown>>>>) {
  return (input: unknown): unknown => {
    if (input === undefined || input === null) input = {};
    if (typeof input !== "object" || Array.isArray(input)) return input;
    const preset = (input as { preset?: unknown }).preset ?? "paper";
    const values = typeof preset === "string" ? presets[preset] : undefined;
    return values === undefined ? input : { ...values, ...input };
  };
}

/**
 * The standalone schema and the config-file section schema (γ optional there, defaulting to the
 * root's) for a set of fields and presets; UWAC+TD3 builds its own with the same helper.
 */
export function sectionSchemas<Shape extends typeof td3Fields>(
  fields: Shape,
  presets: Readonly<Record<string, Readonly<Record<string, unknown>>>>,
) {
  const apply = presetApplier(presets);
  const object = z.strictObject(fields);
  return {
    object,
    schema: z.preprocess(apply, object),
    section: z
      .preprocess(apply, z.strictObject({ ...fields, gamma: fields.gamma.unwrap().optional() }))
      .prefault({}),
  };
}

/** Parses with `schema`, turning zod issues into INVALID_CONFIG / UNKNOWN_CONFIG_KEY. */
export function parseSection<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const unknown = result.error.issues.some((issue) => issue.code === "unrecognized_keys");
  throw new MtfError(
    unknown ? "UNKNOWN_CONFIG_KEY" : "INVALID_CONFIG",
    `${what} config: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    { cause: result.error },
  );
}

const td3 = sectionSchemas(td3Fields, TD3_PRESET_VALUES);

/** The standalone TD3 config (what the trainer takes): every field resolved. */
export const td3ConfigSchema = td3.schema;
/** The `td3` section of an mtf config file: γ defaults to the root's. */
export const td3ConfigSection = td3.section;

export type Td3Config = z.output<typeof td3ConfigSchema>;
export type Td3ConfigInput = z.input<typeof td3.object>;
export type Td3ConfigSection = z.output<typeof td3ConfigSection>;

/** Resolves a parsed `td3` section against the root config's γ. */
export function td3ConfigFromSection(section: Td3ConfigSection, rootGamma: number): Td3Config {
  return { ...section, gamma: section.gamma ?? rootGamma };
}

/** Parses a TD3 config (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY). */
export function td3Config(input: Td3ConfigInput | Record<string, unknown> = {}): Td3Config {
  return parseSection(td3ConfigSchema, input, "td3");
}

/** The dimensions an agent is built for (from the data). */
export interface Td3Dims {
  readonly stateDim: number;
  readonly actionDim: number;
}

export function td3Dims(stateDim: number, actionDim: number): Td3Dims {
  for (const [name, value] of [
    ["stateDim", stateDim],
    ["actionDim", actionDim],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MtfError("INVALID_ARGUMENT", `TD3 ${name} must be a positive integer, got ${value}`);
    }
  }
  return { stateDim, actionDim };
}
