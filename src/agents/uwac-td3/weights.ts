/**
 * UWAC's uncertainty weights (Wu et al. 2021, Sec. 4, Eq. 9-10; reference code
 * apple/ml-uwac `_get_weight` with exponential weights off):
 *
 *   w = clamp(β / Var[Q(s, a)], clipBottom, clipTop)
 *
 * Var is the MC-dropout variance of the critics' estimate (the reference code sums the twin
 * critics' variances). The clip is the only normalisation the reference code applies: with
 * clipTop = 1 every weight lies in [0, 1], so confident samples keep their full weight and
 * uncertain (out-of-distribution) ones are scaled down in proportion to 1/Var.
 */
import { MtfError } from "../../core/errors.js";
import type { NumArray } from "../../nn/kernels.js";

export interface UwacWeightParams {
  readonly beta: number;
  readonly clipBottom: number;
  readonly clipTop: number;
}

/** out[i] = clamp(β / variance[i], clipBottom, clipTop) for i < n (a zero variance gives clipTop). */
export function uwacWeights(
  variance: ArrayLike<number>,
  n: number,
  params: UwacWeightParams,
  out: NumArray,
): void {
  const { beta, clipBottom, clipTop } = params;
  if (!(beta > 0 && clipBottom >= 0 && clipTop >= clipBottom)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `UWAC weights need β > 0 and 0 ≤ clipBottom ≤ clipTop, got β ${beta}, clip [${clipBottom}, ${clipTop}]`,
    );
  }
  if (variance.length < n || out.length < n) {
    throw new MtfError("SHAPE_MISMATCH", `uwacWeights needs ${n} variances and outputs`);
  }
  for (let i = 0; i < n; i++) {
    const w = beta / variance[i]; // Var = 0 -> +Infinity -> clipTop
    out[i] = Math.min(clipTop, Math.max(clipBottom, Number.isNaN(w) ? clipBottom : w));
  }
}
