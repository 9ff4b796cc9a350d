/**
 * Config of the Conservative Offline Policy Estimator (BatchRL-MTF, Sec. 4.3.1, Eq. 9-10,
 * Algorithm 2, Appendix A). Every field names its symbol; paper values are the defaults.
 *
 *   per iteration k (one Adam step, the objective MINIMISED — Alg. 2 line 6 writes argmax):
 *     L(θ) = ½·(1/m)·Σ_i (Q_θ(s_i, a_i) − ŷ_i)²
 *          + α·( (1/m)·Σ_i E_{a~π_e(·|s_i)} Q_θ(s_i, a) − (1/m)·Σ_i Q_θ(s_i, a_i) )
 *     ŷ_i = r_i + γ·(1 − terminated_i)·E_{a'~π_e(·|s'_i)} Q_θ⁻(s'_i, a')
 *   V̂(π_e) = (1/n)·Σ_i E_{a~π_e(·|s⁰_i)} Q_θ(s⁰_i, a)                                   (Eq. 9)
 *
 * θ⁻ is a frozen copy of θ used ONLY in the bootstrap term of ŷ (DESIGN.md, "Reading the
 * paper"): the regulariser and the TD prediction use θ, otherwise α would have no gradient.
 * The discount γ is the root config's `gamma` (one value for the whole MDP), not a field here.
 */
import { z } from "zod";
import { configSection } from "../core/config.js";

export const opeConfigShape = {
  /** α: weight of the CQL regulariser R(θ) (Eq. 10; Appendix A: 0.5e-3). 0 is plain FQE. */
  alpha: z.number().min(0).default(0.5e-3),
  /** η: Adam learning rate of Q_θ (Appendix A: 1e-4). */
  lr: z.number().positive().default(1e-4),
  /** m: transitions per training batch (Alg. 2 line 3; Appendix A: 512). */
  batchSize: z.number().int().positive().default(512),
  /** K: iterations, one Adam step each (Alg. 2 line 2; Appendix A: 5,000). */
  iterations: z.number().int().positive().default(5000),
  /**
   * n: initial states s⁰ of the testing batch (Alg. 2 line 9; Appendix A: 5,000), drawn without
   * replacement from D's session starts; when D holds fewer sessions, all of them are used.
   */
  initialStates: z.number().int().positive().default(5000),
  /**
   * Hidden widths of the Q_θ MLP (ReLU hidden layers, linear output; Appendix A gives no sizes).
   * Default 256-256, d3rlpy's default encoder for FQE.
   */
  hiddenSizes: z.array(z.number().int().positive()).default([256, 256]),
  /**
   * L⁻: the frozen copy θ⁻ of the bootstrap term is refreshed (hard copy θ⁻ ← θ) before every
   * L⁻-th iteration. 1 is Algorithm 2 read literally (ŷ from Q_k, the iterate before the step),
   * which DIVERGED in the validation against the simulator for policies far from the logged
   * actions (V̂ in the thousands for a session return of 4); the default 100 is d3rlpy's FQE
   * default, and K = 5,000 then makes 50 refreshes.
   */
  targetUpdateInterval: z.number().int().positive().default(100),
  /**
   * Decisions a ~ π_e(·|s) drawn per state for a stochastic π_e, precomputed once over D; the
   * expectations over π_e in R(θ), ŷ and Eq. 9 average over them. A deterministic π_e uses 1.
   */
  decisionSamples: z.number().int().positive().default(4),
  /** Bootstrap resamples (over sessions) of the interval around V̂. */
  bootstrapResamples: z.number().int().positive().default(1000),
  /** Coverage of the bootstrap interval around V̂. */
  confidence: z.number().gt(0).lt(1).default(0.95),
};

/** The `ope` section of the mtf config file. */
export const opeConfigSection = configSection(opeConfigShape);

export type OpeConfig = z.output<typeof opeConfigSection>;
export type OpeConfigInput = z.input<typeof opeConfigSection>;

/** What one fit needs: the `ope` section plus the root config's discount γ (Sec. 4.2: 0.95). */
export interface OpeOptions extends OpeConfig {
  readonly gamma: number;
}
