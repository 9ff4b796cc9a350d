/**
 * CQL+SAC configuration: Soft Actor-Critic (Haarnoja et al., 2018, "Soft Actor-Critic
 * Algorithms and Applications": twin critics, Polyak targets, automatic entropy tuning) with the
 * CQL(H) regulariser of Kumar et al., 2020, "Conservative Q-Learning for Offline Reinforcement
 * Learning" (Eq. 4, the importance-sampled logsumexp of Appendix F), trained offline on the
 * datasets BCQ trains on.
 *
 *   actor π_ψ      tanh-Gaussian: s -> [μ | log σ], a = tanh(μ + σ·ε)            (nn/tanh-gaussian.ts)
 *   critics Q_j    y = r + γ(1 − d)·[min_j Q'_j(s', a') − α·log π(a'|s')],  a' ~ π(s')  (SAC Eq. 3 / 5)
 *   CQL(H)         α_cql·( E_s log Σ_a exp Q_j(s, a) − E_(s,a)~D Q_j(s, a) )       (CQL Eq. 4)
 *                  optionally with α_cql tuned by dual descent towards a gap τ          (CQL Eq. 30)
 *   actor loss     E_s[α·log π(ã|s) − min_j Q_j(s, ã)],  ã ~ π(s)                  (SAC Eq. 7)
 *   temperature    log α ← −log α·(log π + H̄), H̄ = −|A|                          (SAC Eq. 18)
 *   targets        Q'_j ← τ·Q_j + (1 − τ)·Q'_j every step
 *
 * Defaults are those of the authors' code (aviralkumar2907/CQL, d4rl/rlkit/torch/sac/cql.py and
 * examples/cql_mujoco_new.py: policy lr 1e-4, Q lr 3e-4, τ 5e-3, min_q_weight 5, num_random 10,
 * temperature 1, min_q_version 3, deterministic backup), except the network sizes (400-300, the
 * size of BCQ's actor and critics here), γ and the step budget, which follow BatchRL-MTF's BCQ
 * (Sec. 4.2) so that Table 1 compares the methods at one budget. Presets: `paper` (the
 * defaults) and `quick` (small networks and few steps for tests and quick runs).
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";

export const CQL_SAC_PRESETS = ["paper", "quick"] as const;
export type CqlSacPreset = (typeof CQL_SAC_PRESETS)[number];

const hidden = z.array(z.number().int().positive()).max(8);
const positiveInt = z.number().int().positive();

/** Every field of the `cql-sac` section, with the defaults of the CQL authors' code. */
const cqlSacFields = {
  /** Which preset the other defaults come from. */
  preset: z.enum(CQL_SAC_PRESETS).default("paper"),
  /** γ. In a config file, absent = the root `gamma` (0.95, as BCQ). */
  gamma: z.number().min(0).lt(1).default(0.95),
  /** Adam learning rate of the actor and of log α (CQL code: policy_lr 1e-4). */
  lrActor: z.number().positive().default(1e-4),
  /** Adam learning rate of Q_1, Q_2 (CQL code: qf_lr 3e-4). */
  lrCritic: z.number().positive().default(3e-4),
  /** τ of the Polyak target update (CQL code: soft_target_tau 5e-3). */
  tau: z.number().gt(0).max(1).default(0.005),
  /** Target update every this many steps (SAC: 1). */
  targetUpdateEvery: positiveInt.default(1),
  /** M, mini-batch size (256, as BCQ and the CQL code). */
  batchSize: positiveInt.default(256),
  /** Training steps (300,000: BCQ's Ep, Sec. 4.2). */
  steps: positiveInt.default(300_000),
  /** Replay buffer size (as BCQ); "all" samples the whole training split. */
  replayCapacity: z.union([positiveInt, z.literal("all")]).default(100_000),
  /** α_cql, weight of the CQL(H) term (CQL code: min_q_weight; 5 for the Gym tasks). 0 = plain offline SAC. */
  cqlWeight: z.number().min(0).default(5),
  /** N: uniform actions, and policy actions at s and at s', per state in the logsumexp (num_random). */
  cqlSamples: positiveInt.default(10),
  /**
   * τ of CQL's Lagrange variant (CQL code: lagrange_thresh, with_lagrange). Absent (default):
   * the CQL term has the fixed weight `cqlWeight`. Set: its weight is α'·cqlWeight, with
   * α' = exp(log α') ∈ [0, 10⁶] raised by Adam (at lrCritic) while the weighted gap exceeds τ
   * and lowered while it is below (Kumar et al., 2020, Eq. 30).
   */
  cqlTargetGap: z.number().optional(),
  /** Temperature of the logsumexp (CQL code: temp 1). */
  cqlTemperature: z.number().positive().default(1),
  /** Learn α by SAC's automatic entropy tuning; false = α stays `initialAlpha`. */
  autoEntropy: z.boolean().default(true),
  /** H̄ of the temperature loss; absent = −|A| (SAC's heuristic). */
  targetEntropy: z.number().optional(),
  /** α at step 0 (log α = 0 in the reference code). */
  initialAlpha: z.number().positive().default(1),
  /**
   * Subtract α·log π(a'|s') in the critic target (SAC's soft backup). The CQL code's default is
   * the deterministic backup (false).
   */
  entropyBackup: z.boolean().default(false),
  /** Hidden widths of the actor (output 2|A|: μ and log σ). */
  actorHidden: hidden.default([400, 300]),
  /** Hidden widths of each critic. */
  criticHidden: hidden.default([400, 300]),
  /** Metrics are averaged and written every this many steps. */
  logEvery: positiveInt.default(1000),
  /** A checkpoint every this many steps (and at the end); 0 = only at the end. */
  checkpointEvery: z.number().int().min(0).default(10_000),
};

/** Values a preset sets; fields given explicitly override them. */
export const CQL_SAC_PRESET_VALUES: Readonly<Record<CqlSacPreset, Readonly<Record<string, unknown>>>> = {
  paper: {},
  // Small networks and few steps, the reference learning rates: with BCQ's quick rates (critic
  // 1e-3, τ 0.01) the estimate of a concentrated 12-D policy climbs above its true value within
  // 2,000 steps on the narrow-data fixture (the importance-sampled logsumexp barely weighs
  // actions with a large log π), with these it stays below (narrow-data.validate.ts).
  quick: {
    batchSize: 64,
    steps: 3000,
    actorHidden: [64, 64],
    criticHidden: [64, 64],
    logEvery: 100,
    checkpointEvery: 1000,
  },
};

function applyPreset(input: unknown): unknown {
  if (input === undefined || input === null) input = {};
  if (typeof input !== "object" || Array.isArray(input)) return input;
  const preset = (input as { preset?: unknown }).preset ?? "paper";
  const values = typeof preset === "string" ? CQL_SAC_PRESET_VALUES[preset as CqlSacPreset] : undefined;
  return values === undefined ? input : { ...values, ...input };
}

const cqlSacObject = z.strictObject(cqlSacFields);

/** The standalone config (what `CqlSacTrainer` takes): every field resolved. */
export const cqlSacConfigSchema = z.preprocess(applyPreset, cqlSacObject);

/** The `cql-sac` section of an mtf config file: `gamma` defaults to the root's. */
export const cqlSacConfigSection = z
  .preprocess(applyPreset, z.strictObject({ ...cqlSacFields, gamma: cqlSacFields.gamma.unwrap().optional() }))
  .prefault({});

export type CqlSacConfig = z.output<typeof cqlSacConfigSchema>;
export type CqlSacConfigInput = z.input<typeof cqlSacObject>;
export type CqlSacConfigSection = z.output<typeof cqlSacConfigSection>;

/** Resolves a parsed `cql-sac` section against the root config's γ. */
export function cqlSacConfigFromSection(section: CqlSacConfigSection, rootGamma: number): CqlSacConfig {
  return { ...section, gamma: section.gamma ?? rootGamma };
}

/** Parses a CQL+SAC config (throws INVALID_CONFIG / UNKNOWN_CONFIG_KEY like `parseConfig`). */
export function cqlSacConfig(input: CqlSacConfigInput | Record<string, unknown> = {}): CqlSacConfig {
  const result = cqlSacConfigSchema.safeParse(input);
  if (result.success) return result.data;
  const unknown = result.error.issues.some((issue) => issue.code === "unrecognized_keys");
  throw new MtfError(
    unknown ? "UNKNOWN_CONFIG_KEY" : "INVALID_CONFIG",
    `cql-sac config: ${result.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    { cause: result.error },
  );
}

/** The dimensions a CQL+SAC agent is built for (from the data). */
export interface CqlSacDims {
  readonly stateDim: number;
  readonly actionDim: number;
}

export function cqlSacDims(stateDim: number, actionDim: number): CqlSacDims {
  for (const [name, value] of [
    ["stateDim", stateDim],
    ["actionDim", actionDim],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new MtfError("INVALID_ARGUMENT", `CQL+SAC ${name} must be a positive integer, got ${value}`);
    }
  }
  return { stateDim, actionDim };
}

/** H̄ of the temperature loss: the config's, or −|A| (SAC's heuristic). */
export function targetEntropy(config: CqlSacConfig, dims: CqlSacDims): number {
  return config.targetEntropy ?? -dims.actionDim;
}
