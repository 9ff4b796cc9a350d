/**
 * BCQ's update math as pure functions over flat row-major arrays (paper Sec. 3.2, Eq. 3-7):
 * values are returned, gradients written into caller-owned buffers, nothing allocates. The
 * orchestration through the networks lives in `update.ts`.
 */
import { MtfError } from "../../core/errors.js";
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";
import {
  clamp,
  clampBackward,
  klToStandardNormal,
  LOG_STD_MAX,
  LOG_STD_MIN,
  mseLoss,
  reparameterize,
  reparameterizeBackward,
} from "../../nn/losses.js";

// ---------------------------------------------------------------------------------------------
// Random draws

/** out[i] ~ N(0, 1) for i < n: the ε of the reparameterisation trick. */
export function sampleNormal(rng: Rng, out: NumArray, n: number): void {
  for (let i = 0; i < n; i++) out[i] = rng.normal();
}

/**
 * out[i] = clamp(N(0, 1), −clip, clip) for i < n: latents drawn from the prior when sampling
 * actions from G_θ(s) (Alg. 1 line 6, Eq. 4), clipped as in the original BCQ code (clip 0.5).
 */
export function sampleLatents(rng: Rng, out: NumArray, n: number, clip: number): void {
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    out[i] = Math.min(clip, Math.max(-clip, z));
  }
}

// ---------------------------------------------------------------------------------------------
// Eq. 3: the conditional VAE

/** The encoder's output split into its two heads, and the latent drawn with them. */
export interface VaeLatentBuffers {
  /** [rows, Z] */
  readonly mean: NumArray;
  /** [rows, Z], before the clamp (the clamp's backward needs it). */
  readonly rawLogStd: NumArray;
  /** [rows, Z], clamp(rawLogStd, LOG_STD_MIN, LOG_STD_MAX). */
  readonly logStd: NumArray;
  /** [rows, Z], ε ~ N(0, 1). */
  readonly eps: NumArray;
  /** [rows, Z], z = mean + exp(logStd)·ε. */
  readonly z: NumArray;
}

/**
 * Splits encoder outputs [rows, 2Z] = [mean | rawLogStd] and draws z by reparameterisation:
 * logStd = clamp(rawLogStd, −4, 15), z = mean + exp(logStd)·ε (ε given in `buffers.eps`).
 */
export function vaeLatents(
  encoderOut: NumArray,
  rows: number,
  latentDim: number,
  buffers: VaeLatentBuffers,
): void {
  const Z = latentDim;
  for (let r = 0; r < rows; r++) {
    // [rows, 2Z] -> [rows, Z] (mean) and [rows, Z] (rawLogStd)
    const from = r * 2 * Z;
    const to = r * Z;
    for (let c = 0; c < Z; c++) {
      buffers.mean[to + c] = encoderOut[from + c];
      buffers.rawLogStd[to + c] = encoderOut[from + Z + c];
    }
  }
  const n = rows * Z;
  clamp(buffers.rawLogStd, buffers.logStd, n, LOG_STD_MIN, LOG_STD_MAX);
  reparameterize(buffers.mean, buffers.logStd, buffers.eps, buffers.z, n);
}

export interface VaeLossValue {
  /** recon + klWeight · kl */
  readonly loss: number;
  /** mean squared reconstruction error over all rows·A entries */
  readonly recon: number;
  /** KL(N(mean, std²) ‖ N(0, I)) averaged over all rows·Z entries */
  readonly kl: number;
}

/**
 * Eq. 3 as in the original BCQ code (DESIGN.md errata): mse(recon, a) + klWeight · KL with both
 * terms averaged over entries. Writes dLoss/dRecon [rows, A] into `dRecon`.
 */
export function vaeLoss(
  recon: NumArray,
  actions: NumArray,
  latents: VaeLatentBuffers,
  rows: number,
  actionDim: number,
  latentDim: number,
  klWeight: number,
  dRecon: NumArray,
): VaeLossValue {
  const reconLoss = mseLoss(recon, actions, rows * actionDim, dRecon);
  // KL's value only here; its gradient is added in vaeLatentBackward (it needs dz first).
  const n = rows * latentDim;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const m = latents.mean[i];
    sum += 1 + 2 * latents.logStd[i] - m * m - Math.exp(2 * latents.logStd[i]);
  }
  const kl = n === 0 ? 0 : (-0.5 * sum) / n;
  return { loss: reconLoss + klWeight * kl, recon: reconLoss, kl };
}

/**
 * Backward from dz = dLoss/dz (the latent columns of the decoder's input gradient) to the
 * encoder's output: dMean = dz + klWeight·∂KL/∂mean, dLogStd = dz·ε·std + klWeight·∂KL/∂logStd,
 * zero where the log-std clamp saturates, interleaved back into dEncoderOut [rows, 2Z].
 * `dMean` and `dLogStd` are [rows, Z] scratch buffers.
 */
export function vaeLatentBackward(
  dz: NumArray,
  latents: VaeLatentBuffers,
  rows: number,
  latentDim: number,
  klWeight: number,
  dMean: NumArray,
  dLogStd: NumArray,
  dEncoderOut: NumArray,
): void {
  const Z = latentDim;
  const n = rows * Z;
  reparameterizeBackward(latents.logStd, latents.eps, dz, dMean, dLogStd, n);
  klToStandardNormal(latents.mean, latents.logStd, n, dMean, dLogStd, klWeight);
  clampBackward(latents.rawLogStd, dLogStd, n, LOG_STD_MIN, LOG_STD_MAX);
  for (let r = 0; r < rows; r++) {
    // [rows, Z] (dMean) and [rows, Z] (dLogStd) -> [rows, 2Z]
    const to = r * 2 * Z;
    const from = r * Z;
    for (let c = 0; c < Z; c++) {
      dEncoderOut[to + c] = dMean[from + c];
      dEncoderOut[to + Z + c] = dLogStd[from + c];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Eq. 4-5: the perturbation a + P_ω(s, a, ρ)

/** out = clamp(base + ρ·raw, −1, 1) over n entries; raw = tanh(·) is the actor's output. */
export function perturb(base: NumArray, raw: NumArray, rho: number, n: number, out: NumArray): void {
  for (let i = 0; i < n; i++) {
    const a = base[i] + rho * raw[i];
    out[i] = Math.min(1, Math.max(-1, a));
  }
}

/**
 * Backward of `perturb` w.r.t. raw: dRaw = ρ·dOut where the clamp passes (−1 ≤ base + ρ·raw ≤ 1,
 * bounds included, as torch.clamp), else 0. The base (a VAE sample) is not differentiated
 * (Eq. 5 trains P_ω only).
 */
export function perturbBackward(
  base: NumArray,
  raw: NumArray,
  rho: number,
  dOut: NumArray,
  n: number,
  dRaw: NumArray,
): void {
  for (let i = 0; i < n; i++) {
    const a = base[i] + rho * raw[i];
    dRaw[i] = a >= -1 && a <= 1 ? rho * dOut[i] : 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Eq. 5-6: actor and critic losses

/**
 * Eq. 5 as a minimisation (DESIGN.md errata): loss = −mean_i Q1(s_i, a_i + P_ω(s_i, a_i, ρ)).
 * Writes dLoss/dQ = −1/rows into dQ [rows].
 */
export function actorLoss(q: NumArray, rows: number, dQ: NumArray): number {
  if (rows === 0) return 0;
  let sum = 0;
  const g = -1 / rows;
  for (let i = 0; i < rows; i++) {
    sum += q[i];
    dQ[i] = g;
  }
  return -sum / rows;
}

/** Eq. 6 for one critic: mean_i (Q(s_i, a_i) − y_i)², dLoss/dQ into dQ [rows] (torch's F.mse_loss). */
export function criticLoss(q: NumArray, y: NumArray, rows: number, dQ: NumArray): number {
  return mseLoss(q, y, rows, dQ);
}

// ---------------------------------------------------------------------------------------------
// Eq. 4: picking the best candidate

/**
 * out[r] = candidates[r·n + best_r] with best_r = argmax_j q[r·n + j] (the first on ties):
 * candidates [rows·n, A] -> out [rows, A]. `bestIndex` [rows] receives best_r.
 */
export function selectBestCandidates(
  q: NumArray,
  candidates: NumArray,
  rows: number,
  samples: number,
  actionDim: number,
  out: NumArray,
  bestIndex: Int32Array,
): void {
  if (out.length < rows * actionDim || bestIndex.length < rows) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `selectBestCandidates needs room for ${rows} rows of ${actionDim} actions`,
    );
  }
  for (let r = 0; r < rows; r++) {
    const base = r * samples;
    let best = 0;
    let bestQ = q[base];
    for (let j = 1; j < samples; j++) {
      const v = q[base + j];
      if (v > bestQ || (Number.isNaN(bestQ) && !Number.isNaN(v))) {
        bestQ = v;
        best = j;
      }
    }
    bestIndex[r] = best;
    const from = (base + best) * actionDim; // [rows * n, A] -> row r of [rows, A]
    const to = r * actionDim;
    for (let c = 0; c < actionDim; c++) out[to + c] = candidates[from + c];
  }
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Mean, std, mean |x − base| and the fraction at ±1 of n actions: `action/*` metrics. */
export function actionStats(
  actions: NumArray,
  base: NumArray,
  n: number,
): { mean: number; std: number; perturbation: number; atBound: number } {
  if (n === 0) return { mean: Number.NaN, std: Number.NaN, perturbation: Number.NaN, atBound: Number.NaN };
  let sum = 0;
  let sq = 0;
  let pert = 0;
  let bound = 0;
  for (let i = 0; i < n; i++) {
    const a = actions[i];
    sum += a;
    sq += a * a;
    pert += Math.abs(a - base[i]);
    if (a <= -1 || a >= 1) bound += 1;
  }
  const mean = sum / n;
  return {
    mean,
    std: Math.sqrt(Math.max(sq / n - mean * mean, 0)),
    perturbation: pert / n,
    atBound: bound / n,
  };
}
