/**
 * How well estimates V̂ track true values V over a set of policies: Spearman rank correlation
 * (ties get average ranks), mean relative error, and pairwise order agreement (for a group of
 * near-tied policies, where rank correlation over 3 items is too coarse).
 */
import { MtfError } from "../core/errors.js";

function checkPaired(a: readonly number[], b: readonly number[], what: string): void {
  if (a.length !== b.length || a.length < 2) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${what} needs two equally long lists of at least 2 values, got ${a.length} and ${b.length}`,
    );
  }
}

/** 1-based ranks, ties sharing the average of their ranks. */
export function averageRanks(values: readonly number[]): number[] {
  const order = values.map((value, index) => ({ value, index })).sort((x, y) => x.value - y.value);
  const ranks = new Array<number>(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].value === order[i].value) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k].index] = rank;
    i = j + 1;
  }
  return ranks;
}

function pearson(a: readonly number[], b: readonly number[]): number {
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) ** 2;
    sbb += (b[i] - mb) ** 2;
  }
  return saa === 0 || sbb === 0 ? Number.NaN : sab / Math.sqrt(saa * sbb);
}

/** Spearman's ρ: the Pearson correlation of the average ranks. */
export function spearman(estimates: readonly number[], truths: readonly number[]): number {
  checkPaired(estimates, truths, "spearman");
  return pearson(averageRanks(estimates), averageRanks(truths));
}

/** mean_i |V̂_i − V_i| / |V_i|. */
export function meanRelativeError(estimates: readonly number[], truths: readonly number[]): number {
  checkPaired(estimates, truths, "meanRelativeError");
  return (
    estimates.reduce((sum, v, i) => sum + Math.abs(v - truths[i]) / Math.abs(truths[i]), 0) / estimates.length
  );
}

/** Share of pairs (i < j) that the estimates order as the truths do (ties in either count as wrong). */
export function pairwiseOrderAgreement(estimates: readonly number[], truths: readonly number[]): number {
  checkPaired(estimates, truths, "pairwiseOrderAgreement");
  let agree = 0;
  let pairs = 0;
  for (let i = 0; i < estimates.length; i++) {
    for (let j = i + 1; j < estimates.length; j++) {
      pairs += 1;
      if (Math.sign(estimates[i] - estimates[j]) * Math.sign(truths[i] - truths[j]) > 0) agree += 1;
    }
  }
  return agree / pairs;
}
