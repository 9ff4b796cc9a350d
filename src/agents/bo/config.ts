/**
 * BO baseline configuration (paper Sec. 4.4.1: "fits the prior distribution of the objective
 * function based on Gaussian Process Regression and samples the optimal weight with upper
 * confidence bound"). One global normalised action a ∈ [-1, 1]^12 (α by core's affine map):
 *
 *   f(a) ~ GP(0, k_Matérn5/2(a, a'; ℓ, σ_f²)),  y = f(a) + ε, ε ~ N(0, σ_n²)   (y standardised)
 *   θ = (ℓ, σ_f², σ_n²) by maximum marginal likelihood (restarts, L-BFGS)
 *   a_t = argmax μ(a) + √β_t σ(a),  β_t = ucbBetaScale · 2 ln(t^{d/2+2} π²/(3δ))  (GP-UCB)
 *   q candidates per round by GP-BUCB (kriging believer), each on k users for `days` days
 *
 * The paper gives no BO settings; the defaults are common GP-UCB practice, documented per field.
 */
import { z } from "zod";
import { configSection, parseConfig } from "../../core/config.js";
import { objectiveSchema } from "../common/objective.js";

const positiveInt = z.number().int().positive();
const bounds = (low: number, high: number) =>
  z
    .tuple([z.number().positive(), z.number().positive()])
    .refine(([a, b]) => a < b, { error: "expected [low, high] with 0 < low < high" })
    .default([low, high]);

export const boConfigShape = {
  /** The scalar maximised (objective.ts): ADTime by default. */
  objective: objectiveSchema,
  /** k, users in each candidate's group (raised when the budget would exceed `maxEvaluations`). */
  usersPerCandidate: positiveInt.default(100),
  /** Simulated days each candidate is evaluated for (one, as in the issue). */
  daysPerEvaluation: positiveInt.default(1),
  /** q, candidates evaluated per round (each on its own user group). */
  batchSize: positiveInt.default(8),
  /** n₀, points of the initial design: the behaviour α, then a Latin hypercube (at least q). */
  initialPoints: positiveInt.default(16),
  /**
   * Most evaluations a run makes (the GP costs O(n³)); when the budget allows more at k users
   * each, k is raised to ⌈budget / (days · maxEvaluations)⌉, which also lowers the noise.
   */
  maxEvaluations: positiveInt.default(256),
  /**
   * ARD: one length-scale ℓ_d per action dimension, or one shared ℓ (default). With the few
   * noisy evaluations of a run, ARD's 14 hyper-parameters overfit (some ℓ_d pinned at a bound):
   * on the 12-D benchmark of optimizer.test.ts, shared ℓ reaches 0.99 of the maximum in 96
   * evaluations, ARD 0.27–0.35 (docs/baselines-online.md).
   */
  ard: z.boolean().default(false),
  /** Range of each ℓ_d; the box [-1, 1] has width 2. */
  lengthScaleBounds: bounds(0.05, 20),
  /** Range of σ_f² (on standardised targets). */
  signalVarianceBounds: bounds(0.05, 20),
  /** Range of σ_n² (on standardised targets). */
  noiseVarianceBounds: bounds(1e-6, 2),
  /** Random restarts of the likelihood maximisation besides the warm start. */
  hyperRestarts: z.number().int().min(0).default(1),
  /** L-BFGS iterations per likelihood start. */
  hyperIterations: positiveInt.default(40),
  /** δ of β_t (GP-UCB holds with probability 1 − δ). */
  ucbDelta: z.number().gt(0).lt(1).default(0.1),
  /**
   * Multiplier of β_t. Srinivas et al. (2010, Sec. 6) scale the theoretical β_t down by 5 in
   * their low-dimensional experiments; with d = 12 the t^{d/2+2} factor inflates it further
   * (0.2 reaches 0.95–0.98 of the 12-D benchmark's maximum in 96 evaluations, 0.05 reaches 0.99),
   * so the default 0.05 gives β_t ≈ 2.6–4.8 over t = 16…256 (√β ≈ 1.6–2.2).
   */
  ucbBetaScale: z.number().positive().default(0.05),
  /** Uniform random candidates of the acquisition search. */
  acquisitionCandidates: positiveInt.default(2048),
  /** Gaussian perturbations of the best observed points added to them. */
  acquisitionLocalCandidates: z.number().int().min(0).default(256),
  /** Best candidates refined by L-BFGS. */
  acquisitionRefineStarts: z.number().int().min(0).default(5),
  /** L-BFGS iterations per refinement. */
  acquisitionRefineIterations: positiveInt.default(50),
  /** A checkpoint every this many rounds (and at the end). */
  checkpointEvery: positiveInt.default(1),
};

/** The `bo` section of an mtf config file: compose with `extendConfig({ bo: boConfigSection })`. */
export const boConfigSection = configSection(boConfigShape);
export const boConfigSchema = z.strictObject(boConfigShape);

export type BoConfig = z.output<typeof boConfigSchema>;
export type BoConfigInput = z.input<typeof boConfigSchema>;

/** Parses a BO config with defaults (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY naming the field). */
export function boConfig(input: BoConfigInput = {}): BoConfig {
  return parseConfig(input, boConfigSchema, "bo");
}

/** Fields that only change a run's plumbing, so a resumed run may change them. */
export const BO_RESUMABLE_FIELDS: readonly (keyof BoConfig)[] = ["checkpointEvery"];
