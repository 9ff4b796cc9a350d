/**
 * UWAC+TD3 configuration: TD3 (Fujimoto et al. 2018; src/agents/td3/config.ts) with the
 * uncertainty down-weighting of UWAC (Wu, Zhai, Srivastava, Susskind, Zhang, Salakhutdinov &
 * Goh 2021, "Uncertainty Weighted Actor-Critic for Offline Reinforcement Learning", ICML).
 *
 *   critics            dropout p after every hidden layer (reference code: 0.1)
 *   Var                MC-dropout variance of Q over K passes, summed over the twin critics
 *   weight             w = clamp(β / Var, clipBottom, clipTop)   (reference code, exp weights off)
 *   critic loss        mean w·(Q − y)²   (paper Eq. 9; `weightForm: squared` = code's (w·(Q − y))²)
 *   actor loss         −mean w_π · Q̄_1(s, π(s))   (paper Eq. 10; the code's var_Pi)
 *
 * Defaults: TD3's, plus the reference code's UWAC values (β 0.5, clip [0, 1], p 0.1, K 100).
 * β is in units of Var(Q), so it scales with the rewards: pick it so that in-distribution
 * variances give weights near the top clip (the metrics `uwac/weight_*` show the spread).
 */
import { z } from "zod";
import {
  parseSection,
  sectionSchemas,
  TD3_PRESETS,
  TD3_QUICK_PRESET,
  type Td3Config,
  td3Fields,
} from "../td3/config.js";

export const UWAC_TD3_PRESETS = TD3_PRESETS;

const uwacFields = {
  ...td3Fields,
  /** Dropout rate after every hidden layer of the critics (reference code: 0.1). */
  dropout: z.number().gt(0).lt(1).default(0.1),
  /** K, MC-dropout passes per variance estimate (reference code: 100). */
  mcSamples: z.number().int().min(2).default(100),
  /** β of w = β / Var (reference code: 0.5). */
  beta: z.number().positive().default(0.5),
  /** Lower clip of the weights (reference code: 0). */
  clipBottom: z.number().min(0).default(0),
  /** Upper clip of the weights (reference code: 1): weights only ever down-weight. */
  clipTop: z.number().positive().default(1),
  /** `linear`: w·(Q − y)² (paper Eq. 9); `squared`: (w·(Q − y))² (reference code). */
  weightForm: z.enum(["linear", "squared"]).default("linear"),
  /** Down-weight the actor loss by the critics' variance at (s, π(s)) (paper Eq. 10, code's var_Pi). */
  weightActor: z.boolean().default(true),
};

export const UWAC_TD3_PRESET_VALUES: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
  paper: {},
  quick: { ...TD3_QUICK_PRESET, mcSamples: 10 },
};

const uwac = sectionSchemas(uwacFields, UWAC_TD3_PRESET_VALUES);

export const uwacTd3ConfigSchema = uwac.schema;
/** The `uwac-td3` section of an mtf config file: γ defaults to the root's. */
export const uwacTd3ConfigSection = uwac.section;

export type UwacTd3Config = z.output<typeof uwacTd3ConfigSchema>;
export type UwacTd3ConfigInput = z.input<typeof uwac.object>;
export type UwacTd3ConfigSection = z.output<typeof uwacTd3ConfigSection>;

export function uwacTd3ConfigFromSection(section: UwacTd3ConfigSection, rootGamma: number): UwacTd3Config {
  return { ...section, gamma: section.gamma ?? rootGamma };
}

/** Parses a UWAC+TD3 config (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY). */
export function uwacTd3Config(input: UwacTd3ConfigInput | Record<string, unknown> = {}): UwacTd3Config {
  const config = parseSection(uwacTd3ConfigSchema, input, "uwac-td3");
  return config;
}

// Every UWAC+TD3 config is a TD3 config (the shared trainer relies on it).
const _isTd3Config = (config: UwacTd3Config): Td3Config => config;
void _isTd3Config;
