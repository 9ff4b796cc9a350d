/**
 * TD3's update math as pure functions over flat arrays (Fujimoto et al. 2018), with the
 * per-sample weights UWAC (Wu et al. 2021) multiplies into both losses; weights of 1 give plain
 * TD3. Values are returned, gradients written into caller-owned buffers, nothing allocates.
 */
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";

/**
 * Target policy smoothing (TD3 Eq. 14-15): out = clip(π'(s') + clip(σ·ε, −c, c), −1, 1) over n
 * entries, with ε ~ N(0, 1) given in `eps` (drawn by the trainer).
 */
export function smoothTargetActions(
  targetActions: NumArray,
  eps: NumArray,
  sigma: number,
  noiseClip: number,
  n: number,
  out: NumArray,
): void {
  for (let i = 0; i < n; i++) {
    const noise = Math.min(noiseClip, Math.max(-noiseClip, sigma * eps[i]));
    out[i] = Math.min(1, Math.max(-1, targetActions[i] + noise));
  }
}

/** out[i] ~ N(0, 1) for i < n. */
export function sampleNormal(rng: Rng, out: NumArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = rng.normal();
}

/**
 * How a per-sample weight w enters the squared TD error: `linear` = w·(Q − y)² (UWAC paper,
 * Eq. 9), `squared` = (w·(Q − y))² (the UWAC reference code, which multiplies before squaring).
 */
export type WeightForm = "linear" | "squared";

/**
 * Weighted critic loss mean_i w_i^p·(q_i − y_i)² (p = 1 for `linear`, 2 for `squared`; weights
 * null = all ones, TD3's MSE). Writes dLoss/dq into dQ [rows].
 */
export function weightedCriticLoss(
  q: NumArray,
  y: NumArray,
  weights: NumArray | null,
  form: WeightForm,
  rows: number,
  dQ: NumArray,
): number {
  if (rows === 0) return 0;
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const w = weights === null ? 1 : form === "linear" ? weights[i] : weights[i] * weights[i];
    const diff = q[i] - y[i];
    sum += w * diff * diff;
    dQ[i] = (2 * w * diff) / rows;
  }
  return sum / rows;
}

/**
 * Weighted deterministic policy gradient loss −mean_r w_r·q̄_r, where q̄_r is the mean of the
 * `samples` values q[r·samples + k] (1 sample = TD3's −mean Q1(s, π(s))). Writes dLoss/dq
 * [rows·samples] into dQ.
 */
export function weightedActorLoss(
  q: NumArray,
  weights: NumArray | null,
  rows: number,
  samples: number,
  dQ: NumArray,
): number {
  if (rows === 0) return 0;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const w = weights === null ? 1 : weights[r];
    for (let k = 0; k < samples; k++) {
      const i = r * samples + k;
      sum += w * q[i];
      dQ[i] = -w / (rows * samples);
    }
  }
  return -sum / (rows * samples);
}

/** Mean, std and the share of entries at |a| ≥ 0.99 (the saturated tanh) of n actions: `action/*` metrics. */
export function actionStats(actions: NumArray, n: number): { mean: number; std: number; atBound: number } {
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, atBound: Number.NaN };
  let sum = 0;
  let sq = 0;
  let bound = 0;
  for (let i = 0; i < n; i++) {
    const a = actions[i];
    sum += a;
    sq += a * a;
    if (Math.abs(a) >= 0.99) bound += 1;
  }
  const mean = sum / n;
  return { mean, std: Math.sqrt(Math.max(sq / n - mean * mean, 0)), atBound: bound / n };
}
