/**
 * CQL+SAC's loss math as pure functions over flat arrays: values returned, gradients written
 * into caller-owned buffers, nothing allocates. The orchestration through the networks lives in
 * `update.ts`.
 */
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";

/** out[i] ~ N(0, 1) for i < n (the ε of a = tanh(μ + σ·ε)). */
export function sampleNormal(rng: Rng, out: NumArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = rng.normal();
}

/** out[i] ~ U(−1, 1) for i < n: CQL's uniform actions over the normalised action box. */
export function sampleUniformActions(rng: Rng, out: NumArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = 2 * rng.uniform() - 1;
}

/**
 * SAC's temperature loss (Haarnoja et al., 2018, "SAC Algorithms and Applications", Eq. 18, as
 * the reference code writes it): L(log α) = −log α · mean_i (log π_i + H̄), log π detached.
 * Returns the loss and dL/dlog α = −mean_i (log π_i + H̄).
 */
export function temperatureLoss(
  logProb: NumArray,
  rows: number,
  logAlpha: number,
  targetEntropy: number,
): { loss: number; grad: number } {
  let sum = 0;
  for (let i = 0; i < rows; i++) sum += logProb[i] + targetEntropy;
  const mean = rows === 0 ? 0 : sum / rows;
  return { loss: -logAlpha * mean, grad: -mean };
}

/** The upper clamp of CQL's Lagrange multiplier α' (the authors' code: clamp(exp(log α'), 0, 1e6)). */
export const CQL_MULTIPLIER_MAX = 1e6;

/** α' = clamp(exp(log α'), 0, 10⁶). */
export function cqlMultiplier(logMultiplier: number): number {
  return Math.min(Math.exp(logMultiplier), CQL_MULTIPLIER_MAX);
}

/**
 * The Lagrange multiplier's loss of CQL's Lagrange variant (Kumar et al., 2020, Eq. 30, as the
 * authors' code writes it): L(log α') = −α'·(c̄ − τ), with c̄ the mean over the two critics of the
 * weighted gap w·(logsumexp − Q on the data) and τ the target gap, both detached. Descending it
 * raises α' while c̄ > τ. Returns the loss and dL/dlog α' = −α'·(c̄ − τ) (0 where the clamp holds α').
 */
export function cqlMultiplierLoss(
  weightedGap: number,
  logMultiplier: number,
  targetGap: number,
): { loss: number; grad: number } {
  const multiplier = cqlMultiplier(logMultiplier);
  const loss = -multiplier * (weightedGap - targetGap);
  return { loss, grad: Math.exp(logMultiplier) > CQL_MULTIPLIER_MAX ? 0 : loss };
}

/**
 * SAC's actor loss (Eq. 7 with the reparameterised action): mean_i (α·log π_i − min(q1_i, q2_i)).
 * Writes dL/dlog π_i = α/rows into dLogProb and dL/dq_j = −1/rows into dQ1 or dQ2, for the
 * critic that attains the minimum (the first on ties, as torch.min), 0 into the other.
 */
export function actorLoss(
  logProb: NumArray,
  q1: NumArray,
  q2: NumArray,
  rows: number,
  alpha: number,
  dLogProb: NumArray,
  dQ1: NumArray,
  dQ2: NumArray,
): { loss: number; qPolicy: number } {
  if (rows === 0) return { loss: 0, qPolicy: Number.NaN };
  let loss = 0;
  let q = 0;
  const g = 1 / rows;
  for (let i = 0; i < rows; i++) {
    const first = q1[i] <= q2[i];
    const qMin = first ? q1[i] : q2[i];
    loss += alpha * logProb[i] - qMin;
    q += qMin;
    dLogProb[i] = alpha * g;
    dQ1[i] = first ? -g : 0;
    dQ2[i] = first ? 0 : -g;
  }
  return { loss: loss / rows, qPolicy: q / rows };
}

/**
 * The soft value of the next state used by the target: out[i] = min(q1_i, q2_i) − α·log π_i
 * (SAC's soft backup) or min(q1_i, q2_i) when `alpha` is 0 (the CQL code's deterministic backup).
 */
export function softNextValue(
  q1: NumArray,
  q2: NumArray,
  logProb: NumArray,
  alpha: number,
  rows: number,
  out: NumArray,
): void {
  for (let i = 0; i < rows; i++) out[i] = Math.min(q1[i], q2[i]) - alpha * logProb[i];
}

export interface CqlCriticLossValue {
  /** mean_i (Q(s_i, a_i) − y_i)², the Bellman error (SAC Eq. 5). */
  readonly td: number;
  /** α_cql·(mean_i lse_i − mean_i Q(s_i, a_i)), the CQL(H) term as weighted in the loss. */
  readonly cql: number;
  /** mean_i lse_i, with lse_i = T·log Σ_k exp((Q(s_i, a_k) − log q(a_k))/T). */
  readonly logsumexp: number;
  /** mean_i lse_i − mean_i Q(s_i, a_i): the unweighted gap the CQL term pushes down. */
  readonly gap: number;
}

/**
 * One critic's loss = Bellman error + CQL(H) (Kumar et al., 2020, Eq. 4 with the importance
 * sampled logsumexp of Appendix F; `min_q_version 3` of the authors' code):
 *
 *   td   = mean_i (Q(s_i, a_i) − y_i)²
 *   lse_i = T · log Σ_k exp((Q(s_i, â_ik) − log q_ik) / T)     over the K sampled actions of state i
 *   loss = td + w·(mean_i lse_i − mean_i Q(s_i, a_i))
 *
 * `q` [rows + rows·K] holds Q on the dataset actions first (rows 0 … rows−1), then K samples per
 * state (state i's at rows + i·K + k); `logDensity` [rows·K] the log density of each sampled
 * action under its proposal (uniform: log 0.5^|A|, policy: log π), subtracted as importance
 * correction. Writes dLoss/dq into dq (same layout): 2(q − y)/rows − w/rows on the dataset rows,
 * w·softmax_k/rows on the sampled ones.
 */
export function cqlCriticLoss(
  q: NumArray,
  y: NumArray,
  logDensity: NumArray,
  rows: number,
  samples: number,
  weight: number,
  temperature: number,
  dq: NumArray,
): CqlCriticLossValue {
  if (rows === 0) return { td: 0, cql: 0, logsumexp: Number.NaN, gap: Number.NaN };
  const K = samples;
  let td = 0;
  let qData = 0;
  for (let i = 0; i < rows; i++) {
    const diff = q[i] - y[i];
    td += diff * diff;
    qData += q[i];
    dq[i] = (2 * diff - weight) / rows;
  }
  let lseSum = 0;
  for (let i = 0; i < rows; i++) {
    const base = rows + i * K; // [rows + rows·K]: state i's samples
    let max = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < K; k++) max = Math.max(max, (q[base + k] - logDensity[i * K + k]) / temperature);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp((q[base + k] - logDensity[i * K + k]) / temperature - max);
    const lse = max + Math.log(sum); // logsumexp of the scaled values
    lseSum += temperature * lse;
    for (let k = 0; k < K; k++) {
      const softmax = Math.exp((q[base + k] - logDensity[i * K + k]) / temperature - lse);
      dq[base + k] = (weight * softmax) / rows;
    }
  }
  const logsumexp = lseSum / rows;
  const gap = logsumexp - qData / rows;
  return { td: td / rows, cql: weight * gap, logsumexp, gap };
}
