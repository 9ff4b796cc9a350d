/**
 * ES baseline configuration (paper Sec. 4.4.1: "a simple network whose inputs are user state and
 * outputs are personalized fusion weights … search the optimal network parameters through
 * natural gradient"). Natural evolution strategies in the form of Salimans et al. (2017),
 * "Evolution Strategies as a Scalable Alternative to Reinforcement Learning", after Wierstra et
 * al. (2014), "Natural Evolution Strategies":
 *
 *   π_θ(s) = tanh(MLP_θ(z(s)))                 z: running state normaliser, clipped to ±observationClip
 *   ε_i ~ N(0, I), i = 1…n                      antithetic pairs θ ± σ ε_i (2n candidates per generation)
 *   u = centered ranks of the 2n fitnesses      rank-based fitness shaping, in [−0.5, 0.5]
 *   ĝ = 1/(2nσ) Σ_i (u_i⁺ − u_i⁻) ε_i          search-gradient estimate
 *   θ ← Adam(θ, −(ĝ − l2·θ), lr)               ascent with weight decay
 *
 * Defaults are Salimans et al.'s MuJoCo settings where they apply (σ = 0.02, Adam lr 0.01, L2
 * coefficient 0.005, tanh hidden units, observation normalisation); the population and network
 * are small because an online budget is small (paper: "a simple network").
 */
import { z } from "zod";
import { configSection, parseConfig } from "../../core/config.js";
import { objectiveSchema } from "../common/objective.js";

const positiveInt = z.number().int().positive();

export const esConfigShape = {
  /** The scalar maximised (common/objective.ts): ADTime by default. */
  objective: objectiveSchema,
  /** k, users in each candidate's group. */
  usersPerCandidate: positiveInt.default(100),
  /** Simulated days each candidate is evaluated for. */
  daysPerEvaluation: positiveInt.default(1),
  /** n, antithetic pairs per generation (2n candidates, each on its own user group). */
  pairs: positiveInt.default(8),
  /** σ, std of the parameter perturbations. */
  sigma: z.number().positive().default(0.02),
  /** Adam learning rate on the search gradient. */
  lr: z.number().positive().default(0.01),
  /** L2 coefficient (weight decay) subtracted from the gradient. */
  l2: z.number().min(0).default(0.005),
  /** Hidden widths of the state → action network (tanh units; [] = linear policy). */
  hidden: z.array(positiveInt).max(4).default([16]),
  /** Normalised states are clipped to ±this. */
  observationClip: z.number().positive().default(5),
  /** Floor of the normaliser's std (features that barely vary are not blown up). */
  normaliserMinStd: z.number().positive().default(1e-2),
  /** A checkpoint every this many generations (and at the end). */
  checkpointEvery: positiveInt.default(1),
};

/** The `es` section of an mtf config file: compose with `extendConfig({ es: esConfigSection })`. */
export const esConfigSection = configSection(esConfigShape);
export const esConfigSchema = z.strictObject(esConfigShape);

export type EsConfig = z.output<typeof esConfigSchema>;
export type EsConfigInput = z.input<typeof esConfigSchema>;

/** Parses an ES config with defaults (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY naming the field). */
export function esConfig(input: EsConfigInput = {}): EsConfig {
  return parseConfig(input, esConfigSchema, "es");
}

/** Fields that only change a run's plumbing, so a resumed run may change them. */
export const ES_RESUMABLE_FIELDS: readonly (keyof EsConfig)[] = ["checkpointEvery"];
