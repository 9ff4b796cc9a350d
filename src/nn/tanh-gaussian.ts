/**
 * The tanh-squashed Gaussian policy head of Soft Actor-Critic (Haarnoja et al., 2018, "Soft
 * Actor-Critic: Off-Policy Maximum Entropy Deep RL with a Stochastic Actor", Appendix C), as pure
 * functions over flat arrays; nothing allocates.
 *
 * A head is the actor's raw output [rows, 2A] = [μ | rawLogσ] (two linear heads side by side, as
 * rlkit's `last_fc` and `last_fc_log_std`). With logσ = clamp(rawLogσ, −20, 2) (rlkit's
 * LOG_SIG_MIN / LOG_SIG_MAX) and ε ~ N(0, I) given:
 *
 *   u = μ + σ·ε,   a = tanh(u)                                         (reparameterised sample)
 *   log π(a|s) = Σ_j [ log N(u_j; μ_j, σ_j) − log(1 − tanh²(u_j)) ]     (SAC Eq. 21)
 *              = Σ_j [ −ε_j²/2 − logσ_j − log(2π)/2 − 2(log 2 − u_j − softplus(−2u_j)) ]
 *
 * The tanh Jacobian uses the identity log(1 − tanh²u) = 2(log 2 − u − softplus(−2u)), exact and
 * finite for every u, where rlkit's log(1 − a² + 1e-6) saturates at log 1e-6 once |a| rounds to 1.
 *
 * Gradients (ε held fixed, the reparameterisation trick), given dL/da and dL/dlogπ:
 *   dL/du    = dL/da·(1 − a²) + dL/dlogπ·2a          (d/du [−log(1 − tanh²u)] = 2·tanh u)
 *   dL/dμ    = dL/du                                  (the Gaussian term −ε²/2 does not move with μ)
 *   dL/dlogσ = dL/du·σ·ε − dL/dlogπ, zeroed where the clamp saturates (torch.clamp passes at the bounds)
 *
 * `repeats` draws several actions per head row: sample k of row r reads ε and writes a, log π at
 * index r·repeats + k (CQL's N policy actions per state need one actor pass, not N).
 */
import { MtfError } from "../core/errors.js";
import type { NumArray } from "./kernels.js";
import { assertMinLength } from "./tensor.js";

/** rlkit's / the SAC reference code's clamp on the actor's log standard deviation. */
export const TANH_GAUSSIAN_LOG_STD_MIN = -20;
export const TANH_GAUSSIAN_LOG_STD_MAX = 2;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** softplus(x) = log(1 + eˣ) without overflow or cancellation. */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/** log(1 − tanh²(u)) = 2(log 2 − u − softplus(−2u)), finite for every finite u. */
export function logOneMinusTanhSquared(u: number): number {
  return 2 * (Math.LN2 - u - softplus(-2 * u));
}

/** clamp(raw, −20, 2). */
export function clampLogStd(raw: number): number {
  return Math.min(Math.max(raw, TANH_GAUSSIAN_LOG_STD_MIN), TANH_GAUSSIAN_LOG_STD_MAX);
}

function checkShapes(head: NumArray, rows: number, actionDim: number, repeats: number): void {
  assertMinLength(head, rows * 2 * actionDim, `tanh-Gaussian head (${rows} rows x 2·${actionDim})`);
  if (!(Number.isInteger(repeats) && repeats >= 1)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `tanh-Gaussian repeats must be a positive integer, got ${repeats}`,
    );
  }
}

/**
 * Draws a = tanh(μ + σ·ε) for `rows` head rows × `repeats` samples: eps and action are
 * [rows·repeats, A], logProb [rows·repeats] (log π of each action, summed over its A coordinates).
 */
export function tanhGaussianSample(
  head: NumArray,
  rows: number,
  actionDim: number,
  repeats: number,
  eps: NumArray,
  action: NumArray,
  logProb: NumArray,
): void {
  checkShapes(head, rows, actionDim, repeats);
  const A = actionDim;
  const n = rows * repeats;
  assertMinLength(eps, n * A, "tanh-Gaussian eps");
  assertMinLength(action, n * A, "tanh-Gaussian action");
  assertMinLength(logProb, n, "tanh-Gaussian logProb");
  for (let r = 0; r < rows; r++) {
    const h = r * 2 * A; // [rows, 2A]: μ at h + j, rawLogσ at h + A + j
    for (let k = 0; k < repeats; k++) {
      const i = r * repeats + k; // [rows·repeats, A]
      let lp = 0;
      for (let j = 0; j < A; j++) {
        const logStd = clampLogStd(head[h + A + j]);
        const e = eps[i * A + j];
        const u = head[h + j] + Math.exp(logStd) * e;
        action[i * A + j] = Math.tanh(u);
        lp += -0.5 * e * e - logStd - HALF_LOG_2PI - logOneMinusTanhSquared(u);
      }
      logProb[i] = lp;
    }
  }
}

/**
 * Backward of `tanhGaussianSample`: OVERWRITES dHead [rows, 2A] with dL/d[μ | rawLogσ], summed
 * over the repeats, given dAction [rows·repeats, A] and dLogProb [rows·repeats] (either may be
 * null = zero). `action` is the sample's output (a = tanh u).
 */
export function tanhGaussianBackward(
  head: NumArray,
  rows: number,
  actionDim: number,
  repeats: number,
  eps: NumArray,
  action: NumArray,
  dAction: NumArray | null,
  dLogProb: NumArray | null,
  dHead: NumArray,
): void {
  checkShapes(head, rows, actionDim, repeats);
  const A = actionDim;
  const n = rows * repeats;
  assertMinLength(eps, n * A, "tanh-Gaussian eps");
  assertMinLength(action, n * A, "tanh-Gaussian action");
  if (dAction !== null) assertMinLength(dAction, n * A, "tanh-Gaussian dAction");
  if (dLogProb !== null) assertMinLength(dLogProb, n, "tanh-Gaussian dLogProb");
  assertMinLength(dHead, rows * 2 * A, "tanh-Gaussian dHead");
  for (let r = 0; r < rows; r++) {
    const h = r * 2 * A;
    for (let j = 0; j < A; j++) {
      const raw = head[h + A + j];
      const std = Math.exp(clampLogStd(raw));
      const passes = raw >= TANH_GAUSSIAN_LOG_STD_MIN && raw <= TANH_GAUSSIAN_LOG_STD_MAX;
      let dMean = 0;
      let dLogStd = 0;
      for (let k = 0; k < repeats; k++) {
        const i = r * repeats + k;
        const a = action[i * A + j];
        const dLp = dLogProb === null ? 0 : dLogProb[i];
        const dA = dAction === null ? 0 : dAction[i * A + j];
        const dU = dA * (1 - a * a) + dLp * 2 * a;
        dMean += dU;
        dLogStd += dU * std * eps[i * A + j] - dLp;
      }
      dHead[h + j] = dMean;
      dHead[h + A + j] = passes ? dLogStd : 0;
    }
  }
}

/** The deterministic action tanh(μ) of each head row into out [rows, A] (SAC's evaluation action). */
export function tanhGaussianMode(head: NumArray, rows: number, actionDim: number, out: NumArray): void {
  checkShapes(head, rows, actionDim, 1);
  assertMinLength(out, rows * actionDim, "tanh-Gaussian mode out");
  const A = actionDim;
  for (let r = 0; r < rows; r++) for (let j = 0; j < A; j++) out[r * A + j] = Math.tanh(head[r * 2 * A + j]);
}
