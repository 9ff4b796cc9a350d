/**
 * Losses and the Gaussian pieces of BCQ's conditional VAE (Eq. 3), as pure functions over flat
 * arrays with explicit sizes. Each returns its value and writes gradients into caller-owned
 * buffers; nothing allocates.
 *
 * The VAE as in the original BCQ code (Fujimoto et al. 2019):
 *   logStd = clamp(rawLogStd, -4, 15); z = mean + exp(logStd)·eps, eps ~ N(0, I)
 *   loss = mse(decoder(s, z), a) + 0.5 · KL(N(mean, std²) ‖ N(0, I))
 */
import type { NumArray } from "./kernels.js";
import { assertMinLength } from "./tensor.js";

/** The original BCQ code's clamp on the encoder's log standard deviation. */
export const LOG_STD_MIN = -4;
export const LOG_STD_MAX = 15;

/**
 * Mean squared error over the first `n` entries, mean(pred − target)² like torch's
 * F.mse_loss(reduction="mean"). Overwrites gradOut[i] = dLoss/dPred[i] = 2(pred − target)/n
 * unless gradOut is null.
 */
export function mseLoss(pred: NumArray, target: NumArray, n: number, gradOut: NumArray | null): number {
  assertMinLength(pred, n, "mseLoss pred");
  assertMinLength(target, n, "mseLoss target");
  if (gradOut !== null) assertMinLength(gradOut, n, "mseLoss gradOut");
  if (n === 0) return 0;
  let sum = 0;
  const scale = 2 / n;
  for (let i = 0; i < n; i++) {
    const diff = pred[i] - target[i];
    sum += diff * diff;
    if (gradOut !== null) gradOut[i] = scale * diff;
  }
  return sum / n;
}

/** out[i] = clamp(x[i], min, max) over the first `n` entries (out may be x). */
export function clamp(x: NumArray, out: NumArray, n: number, min: number, max: number): void {
  assertMinLength(x, n, "clamp input");
  assertMinLength(out, n, "clamp output");
  for (let i = 0; i < n; i++) out[i] = Math.min(Math.max(x[i], min), max);
}

/**
 * Backward of `clamp` in place: grad[i] ← 0 where x[i] lies outside [min, max] (the gradient
 * is zero where the clamp saturates; at the bounds it passes, as in torch.clamp).
 */
export function clampBackward(x: NumArray, grad: NumArray, n: number, min: number, max: number): void {
  assertMinLength(x, n, "clampBackward input");
  assertMinLength(grad, n, "clampBackward grad");
  for (let i = 0; i < n; i++) if (!(x[i] >= min && x[i] <= max)) grad[i] = 0;
}

/** Reparameterisation trick: z[i] = mean[i] + exp(logStd[i])·eps[i] over the first `n` entries. */
export function reparameterize(
  mean: NumArray,
  logStd: NumArray,
  eps: NumArray,
  z: NumArray,
  n: number,
): void {
  assertMinLength(mean, n, "reparameterize mean");
  assertMinLength(logStd, n, "reparameterize logStd");
  assertMinLength(eps, n, "reparameterize eps");
  assertMinLength(z, n, "reparameterize z");
  for (let i = 0; i < n; i++) z[i] = mean[i] + Math.exp(logStd[i]) * eps[i];
}

/**
 * Backward of `reparameterize` given dz = dLoss/dz: OVERWRITES gradMean = dz and
 * gradLogStd = dz·eps·exp(logStd).
 */
export function reparameterizeBackward(
  logStd: NumArray,
  eps: NumArray,
  dz: NumArray,
  gradMean: NumArray,
  gradLogStd: NumArray,
  n: number,
): void {
  assertMinLength(logStd, n, "reparameterizeBackward logStd");
  assertMinLength(eps, n, "reparameterizeBackward eps");
  assertMinLength(dz, n, "reparameterizeBackward dz");
  assertMinLength(gradMean, n, "reparameterizeBackward gradMean");
  assertMinLength(gradLogStd, n, "reparameterizeBackward gradLogStd");
  for (let i = 0; i < n; i++) {
    gradMean[i] = dz[i];
    gradLogStd[i] = dz[i] * eps[i] * Math.exp(logStd[i]);
  }
}

/**
 * KL(N(mean, std²) ‖ N(0, 1)) averaged over the first `n` entries, written as in the BCQ code:
 * −0.5 · mean(1 + log(std²) − mean² − std²) with std = exp(logStd). Returns the KL and ADDS
 * weight·∂KL into gradMean (weight·mean/n) and gradLogStd (weight·(std² − 1)/n), so it composes
 * with the reconstruction gradient already there (e.g. weight 0.5 for BCQ's VAE loss).
 * Pass the clamped logStd and apply `clampBackward` to the summed gradient afterwards.
 */
export function klToStandardNormal(
  mean: NumArray,
  logStd: NumArray,
  n: number,
  gradMean: NumArray,
  gradLogStd: NumArray,
  weight: number,
): number {
  assertMinLength(mean, n, "klToStandardNormal mean");
  assertMinLength(logStd, n, "klToStandardNormal logStd");
  assertMinLength(gradMean, n, "klToStandardNormal gradMean");
  assertMinLength(gradLogStd, n, "klToStandardNormal gradLogStd");
  if (n === 0) return 0;
  let sum = 0;
  const scale = weight / n;
  for (let i = 0; i < n; i++) {
    const m = mean[i];
    const variance = Math.exp(2 * logStd[i]);
    sum += 1 + 2 * logStd[i] - m * m - variance;
    gradMean[i] += scale * m;
    gradLogStd[i] += scale * (variance - 1);
  }
  return (-0.5 * sum) / n;
}
