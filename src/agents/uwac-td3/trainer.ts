/**
 * The UWAC+TD3 trainer: TD3's trainer (src/agents/td3/trainer.ts) with UWAC's uncertainty
 * weighting (Wu et al. 2021, "Uncertainty Weighted Actor-Critic for Offline Reinforcement
 * Learning", ICML): dropout critics, MC-dropout variances, losses weighted by
 * clamp(β / Var, clipBottom, clipTop) (weights.ts). Checkpoints of kind `uwac-td3`.
 */
import type { Rng } from "../../core/rng.js";
import { sampleMoments } from "../../nn/dropout.js";
import type { NumArray } from "../../nn/kernels.js";
import { allocate } from "../../nn/tensor.js";
import {
  resumeTd3Trainer,
  type Td3ResumeArgs,
  Td3Trainer,
  type Td3TrainerArgs,
  type Td3Variant,
  type UncertaintyWeighting,
} from "../td3/trainer.js";
import { type UwacTd3Config, uwacTd3Config } from "./config.js";
import { uwacWeights } from "./weights.js";

export const UWAC_TD3_CHECKPOINT_KIND = "uwac-td3";

/** UWAC's weighting for a config. */
export function uwacWeighting(config: UwacTd3Config): UncertaintyWeighting {
  const params = { beta: config.beta, clipBottom: config.clipBottom, clipTop: config.clipTop };
  return {
    dropout: config.dropout,
    mcSamples: config.mcSamples,
    weightForm: config.weightForm,
    weightActor: config.weightActor,
    weights: (variance, n, out) => uwacWeights(variance, n, params, out),
  };
}

export const UWAC_TD3_VARIANT: Td3Variant<UwacTd3Config> = {
  algorithm: "uwac-td3",
  checkpointKind: UWAC_TD3_CHECKPOINT_KIND,
  parseConfig: (raw) => uwacTd3Config(raw as Record<string, unknown>),
  uncertainty: uwacWeighting,
};

export class UwacTd3Trainer extends Td3Trainer<UwacTd3Config> {
  constructor(args: Td3TrainerArgs<UwacTd3Config>) {
    super(args, UWAC_TD3_VARIANT);
  }

  /** Rebuilds a UWAC+TD3 trainer from a checkpoint (exact resume). */
  static override fromCheckpoint(path: string, args: Td3ResumeArgs<UwacTd3Config>): Promise<UwacTd3Trainer>;
  static override fromCheckpoint(path: string, args: Td3ResumeArgs<UwacTd3Config>): Promise<UwacTd3Trainer> {
    return resumeTd3Trainer(UWAC_TD3_VARIANT, path, args, (a) => new UwacTd3Trainer(a));
  }

  /**
   * The UWAC weights clamp(β / (Var Q_1 + Var Q_2)) the critic loss would give (raw state,
   * action) pairs, Var from K MC-dropout passes of the target critics (`which: "target"`, as in
   * the TD target) or the online critics (`"online"`, as for the actor), masks drawn from `rng`.
   * Fills `weights` and, when given, `variance` ([rows] each).
   */
  weightsAt(
    states: Float32Array,
    actions: Float32Array,
    rows: number,
    rng: Rng,
    weights: NumArray,
    options: { readonly which?: "target" | "online"; readonly variance?: NumArray } = {},
  ): void {
    const K = this.config.mcSamples;
    const input = this.stateActionInput(states, actions, rows);
    const nets =
      options.which === "online"
        ? [this.networks.critic1, this.networks.critic2]
        : [this.networks.critic1Target, this.networks.critic2Target];
    const mean = allocate("float64", rows);
    const variance = allocate("float64", rows);
    const total = new Float64Array(rows);
    for (const net of nets) {
      sampleMoments(net.forwardSamples(input, rows, K, rng), rows, K, mean, variance);
      for (let i = 0; i < rows; i++) total[i] += variance[i];
    }
    if (options.variance) for (let i = 0; i < rows; i++) options.variance[i] = total[i];
    uwacWeights(total, rows, this.config, weights);
  }
}
