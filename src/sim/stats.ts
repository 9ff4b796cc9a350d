/**
 * Inference for A/B comparisons with the user as the unit (DESIGN.md "Metrics"). A metric is a
 * ratio of sums over users, R = Σ y_i / Σ x_i (ADTime: y = app time per day, x = 1; UPIRate:
 * y = positive plays, x = plays). The relative change of treatment vs control is
 * R_t / R_c − 1, with a 95% interval and a two-sided p-value from either
 *
 * - the delta method on log(R_t / R_c): each user contributes the influence value
 *   z_i = (y_i − R·x_i) / (R·x̄); unpaired: se² = Var(z_t)/n_t + Var(z_c)/n_c; paired (the same
 *   users in both arms): se² = Var(z_t,i − z_c,i)/n; or
 * - a user-level (cluster) bootstrap: users are resampled (jointly in both arms when paired),
 *   the interval is the percentile interval of the relative change, the p-value twice the
 *   smaller tail of the bootstrap distribution of the log ratio around 0.
 */
import { MtfError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { normalCdf } from "./math.js";
import type { RatioSamples } from "./metrics.js";

export interface Comparison {
  /** Relative change R_t / R_c − 1. */
  readonly relativeChange: number;
  readonly low: number;
  readonly high: number;
  readonly pValue: number;
  /** Standard error of log(R_t / R_c) (delta method), or the bootstrap sd of it. */
  readonly logSe: number;
}

export type InferenceMethod = "delta" | "bootstrap";

const Z95 = 1.959963984540054;

function sum(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

function variance(values: Float64Array): number {
  const n = values.length;
  if (n < 2) return 0;
  const mean = sum(values) / n;
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (values[i] - mean) ** 2;
  return ss / (n - 1);
}

function ratio(s: RatioSamples): number {
  return sum(s.numerator) / sum(s.denominator);
}

/** Influence values z_i of log R for each user. */
function influence(s: RatioSamples): Float64Array {
  const n = s.numerator.length;
  const r = ratio(s);
  const meanX = sum(s.denominator) / n;
  return Float64Array.from(s.numerator, (y, i) => (y - r * s.denominator[i]) / (r * meanX));
}

function fromLogRatio(logRatio: number, se: number): Comparison {
  const p = se > 0 ? 2 * (1 - normalCdf(Math.abs(logRatio) / se)) : logRatio === 0 ? 1 : 0;
  return {
    relativeChange: Math.exp(logRatio) - 1,
    low: Math.exp(logRatio - Z95 * se) - 1,
    high: Math.exp(logRatio + Z95 * se) - 1,
    pValue: Math.min(1, Math.max(0, p)),
    logSe: se,
  };
}

function checkSamples(treatment: RatioSamples, control: RatioSamples, paired: boolean): void {
  const nt = treatment.numerator.length;
  const nc = control.numerator.length;
  if (nt < 2 || nc < 2) {
    throw new MtfError("INVALID_ARGUMENT", `each arm needs at least 2 users, got ${nt} and ${nc}`);
  }
  if (paired && nt !== nc) {
    throw new MtfError("SHAPE_MISMATCH", `paired arms must hold the same users, got ${nt} and ${nc}`);
  }
  if (!(ratio(treatment) > 0 && ratio(control) > 0)) {
    throw new MtfError("INVALID_ARGUMENT", "the metric is 0 in an arm: a relative change is undefined");
  }
}

/** Delta-method comparison of treatment vs control. */
export function deltaComparison(treatment: RatioSamples, control: RatioSamples, paired: boolean): Comparison {
  checkSamples(treatment, control, paired);
  const logRatio = Math.log(ratio(treatment) / ratio(control));
  const zt = influence(treatment);
  const zc = influence(control);
  let se2: number;
  if (paired) {
    const diff = Float64Array.from(zt, (z, i) => z - zc[i]);
    se2 = variance(diff) / diff.length;
  } else {
    se2 = variance(zt) / zt.length + variance(zc) / zc.length;
  }
  return fromLogRatio(logRatio, Math.sqrt(se2));
}

/** User-level bootstrap comparison (`replicates` resamples). */
export function bootstrapComparison(
  treatment: RatioSamples,
  control: RatioSamples,
  paired: boolean,
  rng: Rng,
  replicates = 1000,
): Comparison {
  checkSamples(treatment, control, paired);
  const logRatio = Math.log(ratio(treatment) / ratio(control));
  const logs = new Float64Array(replicates);
  const nt = treatment.numerator.length;
  const nc = control.numerator.length;
  for (let b = 0; b < replicates; b++) {
    let yt = 0;
    let xt = 0;
    let yc = 0;
    let xc = 0;
    for (let k = 0; k < nt; k++) {
      const i = rng.int(nt);
      yt += treatment.numerator[i];
      xt += treatment.denominator[i];
      const j = paired ? i : -1;
      if (paired) {
        yc += control.numerator[j];
        xc += control.denominator[j];
      }
    }
    if (!paired) {
      for (let k = 0; k < nc; k++) {
        const j = rng.int(nc);
        yc += control.numerator[j];
        xc += control.denominator[j];
      }
    }
    logs[b] = Math.log(yt / xt / (yc / xc));
  }
  const sorted = Float64Array.from(logs).sort();
  const lowLog = sorted[Math.floor(0.025 * (replicates - 1))];
  const highLog = sorted[Math.ceil(0.975 * (replicates - 1))];
  let below = 0;
  for (const v of logs) if (v <= 0) below += 1;
  const tail = Math.min(below, replicates - below) / replicates;
  return {
    relativeChange: Math.exp(logRatio) - 1,
    low: Math.exp(lowLog) - 1,
    high: Math.exp(highLog) - 1,
    pValue: Math.min(1, 2 * tail),
    logSe: Math.sqrt(variance(logs)),
  };
}

/** A 95% percentile interval of a statistic of users resampled with replacement. */
export function bootstrapInterval(
  users: number,
  statistic: (indices: Int32Array) => number,
  rng: Rng,
  replicates = 1000,
): { readonly low: number; readonly high: number } {
  const values = new Float64Array(replicates);
  const indices = new Int32Array(users);
  for (let b = 0; b < replicates; b++) {
    for (let k = 0; k < users; k++) indices[k] = rng.int(users);
    values[b] = statistic(indices);
  }
  values.sort();
  return {
    low: values[Math.floor(0.025 * (replicates - 1))],
    high: values[Math.ceil(0.975 * (replicates - 1))],
  };
}
