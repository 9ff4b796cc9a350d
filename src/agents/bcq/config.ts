/**
 * BCQ / BatchRL-MTF configuration (paper Sec. 3.2, Algorithm 1, Sec. 4.2 for the values).
 *
 *   G_θ = (E_θ1, D_θ2)   conditional VAE, loss = mse(a, D(s, z)) + klWeight · KL(E(z|s,a) ‖ N(0, I))  (Eq. 3)
 *   P_ω(s, a, ρ)         perturbation ρ·tanh(·), trained by DPG through Q1: min −Q1(s, a + P_ω)          (Eq. 5)
 *   π(s)                 argmax of Q1 over n perturbed VAE samples                                      (Eq. 4)
 *   Q_φ1, Q_φ2           twin critics, y = r + γ · max_a' [λ·min_j Q'_j + (1−λ)·max_j Q'_j](s', a')  (Eq. 6-7)
 *   targets              P_ω', Q'_φ ← η_t·θ + (1 − η_t)·θ' every L steps                        (Alg. 1 l. 10-12)
 *
 * Defaults are the paper's (γ, learning rates, ρ, η_t, L, replay size, M, Ep) and, where the
 * paper is silent, the original BCQ code's (network sizes, latent 2 × action, latent clip 0.5,
 * KL weight 0.5). Presets: `paper` (the defaults) and `quick` (small networks and few steps for
 * tests and the quick pipeline); keys given next to `preset` override it.
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";

export const BCQ_PRESETS = ["paper", "quick"] as const;
export type BcqPreset = (typeof BCQ_PRESETS)[number];

/** Algorithm 1's order (G, then P_ω, then Q) or the original BCQ code's (G, then Q, then P_ω). */
export const BCQ_UPDATE_ORDERS = ["paper", "original"] as const;
export type BcqUpdateOrder = (typeof BCQ_UPDATE_ORDERS)[number];

const hidden = z.array(z.number().int().positive()).max(8);
const positiveInt = z.number().int().positive();

/** Every field of the BCQ section, with the paper's defaults. */
const bcqFields = {
  /** Which preset the other defaults come from. */
  preset: z.enum(BCQ_PRESETS).default("paper"),
  /** γ, discount of Eq. 7 (Sec. 4.2: 0.95). In a config file, absent = the root `gamma`. */
  gamma: z.number().min(0).lt(1).default(0.95),
  /** Adam learning rate of G_θ (Eq. 3; Sec. 4.2: 0.1×10⁻², i.e. 1e-3). */
  lrVae: z.number().positive().default(1e-3),
  /** Adam learning rate of P_ω (Eq. 5; Sec. 4.2: 0.1×10⁻³). */
  lrActor: z.number().positive().default(1e-4),
  /** Adam learning rate of Q_φ1, Q_φ2 (Eq. 6; Sec. 4.2: 0.2×10⁻³). */
  lrCritic: z.number().positive().default(2e-4),
  /** ρ, perturbation bound of P_ω(s, a, ρ) in the normalised action space (Sec. 4.2: 0.15). */
  rho: z.number().min(0).max(2).default(0.15),
  /** η_t, soft target update rate (Alg. 1 lines 11-12; Sec. 4.2: 0.05). */
  eta: z.number().gt(0).max(1).default(0.05),
  /** L, target update delay in steps (Alg. 1 line 10; Sec. 4.2: 10). */
  targetUpdateEvery: positiveInt.default(10),
  /** M, mini-batch size (Alg. 1 line 4; Sec. 4.2: 256). */
  batchSize: positiveInt.default(256),
  /** Ep, training steps (Alg. 1 line 3; Sec. 4.2: 300,000). */
  steps: positiveInt.default(300_000),
  /** n, VAE actions sampled per next state for the target (Alg. 1 line 6, Eq. 7). */
  nActionSamples: positiveInt.default(10),
  /** n of Eq. 4 at decision time; absent = nActionSamples (the paper uses one n). */
  policySamples: positiveInt.optional(),
  /** Replay buffer size (Sec. 4.2: 100,000); "all" samples the whole training split. */
  replayCapacity: z.union([positiveInt, z.literal("all")]).default(100_000),
  /**
   * λ of BCQ's soft clipped double Q, λ·min + (1 − λ)·max. 1 = Eq. 7's pure min (default);
   * the original BCQ code uses 0.75.
   */
  lambda: z.number().min(0).max(1).default(1),
  /** Weight of the KL term of Eq. 3 (DESIGN.md errata: 0.5 as in the original BCQ code). */
  klWeight: z.number().min(0).default(0.5),
  /** |z| clip when sampling latents from the prior (original BCQ code: 0.5). */
  latentClip: z.number().positive().default(0.5),
  /** Latent size of G_θ; absent = 2 × action dimension (original BCQ code). */
  latentDim: positiveInt.optional(),
  /** Hidden widths of the VAE's encoder and decoder (original BCQ: 750-750; [] = linear, tests only). */
  vaeHidden: hidden.default([750, 750]),
  /** Hidden widths of P_ω (original BCQ: 400-300). */
  actorHidden: hidden.default([400, 300]),
  /** Hidden widths of each critic (original BCQ: 400-300). */
  criticHidden: hidden.default([400, 300]),
  /** Order of the three updates within a step (DESIGN.md errata). */
  updateOrder: z.enum(BCQ_UPDATE_ORDERS).default("paper"),
  /** K: metrics are averaged and written every this many steps. */
  logEvery: positiveInt.default(1000),
  /** A checkpoint every this many steps (and at the end); 0 = only at the end. */
  checkpointEvery: z.number().int().min(0).default(10_000),
};

/** Values a preset sets; fields given explicitly override them. */
export const BCQ_PRESET_VALUES: Readonly<Record<BcqPreset, Readonly<Record<string, unknown>>>> = {
  paper: {},
  quick: {
    batchSize: 64,
    steps: 3000,
    vaeHidden: [64, 64],
    actorHidden: [64, 64],
    criticHidden: [64, 64],
    lrActor: 3e-4,
    lrCritic: 1e-3,
    logEvery: 100,
    checkpointEvery: 1000,
  },
};

function applyPreset(input: unknown): unknown {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) return input;
  const preset = (input as { preset?: unknown }).preset ?? "paper";
  const values = typeof preset === "string" ? BCQ_PRESET_VALUES[preset as BcqPreset] : undefined;
  return values === undefined ? input : { ...values, ...input };
}

const bcqObject = z.strictObject(bcqFields);

/** The standalone BCQ config (what `BcqTrainer` takes): every field resolved. */
export const bcqConfigSchema = z.preprocess(applyPreset, bcqObject);

/** The `bcq` section of an mtf config file: like `bcqConfigSchema`, but `gamma` defaults to the root's. */
export const bcqConfigSection = z
  .preprocess(applyPreset, z.strictObject({ ...bcqFields, gamma: bcqFields.gamma.unwrap().optional() }))
  .prefault({});

export type BcqConfig = z.output<typeof bcqConfigSchema>;
/** What a caller may give: any subset of the fields (absent ones take the preset's or the default). */
export type BcqConfigInput = z.input<typeof bcqObject>;
export type BcqConfigSection = z.output<typeof bcqConfigSection>;

/** Resolves a parsed `bcq` section against the root config's γ. */
export function bcqConfigFromSection(section: BcqConfigSection, rootGamma: number): BcqConfig {
  return { ...section, gamma: section.gamma ?? rootGamma };
}

/** Parses a BCQ config (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY like `parseConfig`). */
export function bcqConfig(input: BcqConfigInput | Record<string, unknown> = {}): BcqConfig {
  const result = bcqConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const unknown = result.error.issues.some((issue) => issue.code === "unrecognized_keys");
  throw new MtfError(
    unknown ? "UNKNOWN_CONFIG_KEY" : "INVALID_CONFIG",
    `bcq config: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    { cause: result.error },
  );
}

/** The dimensions a BCQ agent is built for (from the data), with the latent size resolved. */
export interface BcqDims {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly latentDim: number;
}

export function bcqDims(config: BcqConfig, stateDim: number, actionDim: number): BcqDims {
  for (const [name, value] of [
    ["stateDim", stateDim],
    ["actionDim", actionDim],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MtfError("INVALID_ARGUMENT", `BCQ ${name} must be a positive integer, got ${value}`);
    }
  }
  return { stateDim, actionDim, latentDim: config.latentDim ?? 2 * actionDim };
}

/** n of Eq. 4. */
export function policySamples(config: BcqConfig): number {
  return config.policySamples ?? config.nActionSamples;
}
