/**
 * Bootstrap targets shared by every actor-critic agent (BCQ, TD3, UWAC, CQL-SAC), as pure
 * functions over flat arrays with explicit sizes; nothing allocates.
 *
 *   y = r + (1 − terminated) · γ · V(s'),   V(s') = max over sampled a' of [λ·min_j Q'_j + (1 − λ)·max_j Q'_j]
 *
 * Episode ends (STYLE.md "what we avoid" 1): `terminated` (the session ended) masks the
 * bootstrap; `truncated` (the data window cut the session) does NOT, since the session went on
 * and V(s') is the right continuation. So the target reads only `terminated`.
 */
import { MtfError } from "../../core/errors.js";
import type { NumArray } from "../../nn/kernels.js";

function need(array: ArrayLike<number>, n: number, name: string): void {
  if (array.length < n) {
    throw new MtfError("SHAPE_MISMATCH", `${name} needs at least ${n} entries, got ${array.length}`);
  }
}

/**
 * Clipped double Q (Fujimoto et al. 2018), softened as in BCQ: out[i] = λ·min(q1[i], q2[i]) +
 * (1 − λ)·max(q1[i], q2[i]). λ = 1 is the pure minimum of Eq. 7; BCQ's code uses 0.75.
 */
export function softClippedDoubleQ(
  q1: NumArray,
  q2: NumArray,
  lambda: number,
  n: number,
  out: NumArray,
): void {
  if (!(lambda >= 0 && lambda <= 1)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `lambda must lie in [0, 1] (1 = the pure min of Eq. 7), got ${lambda}`,
    );
  }
  need(q1, n, "softClippedDoubleQ q1");
  need(q2, n, "softClippedDoubleQ q2");
  need(out, n, "softClippedDoubleQ out");
  if (lambda === 1) {
    for (let i = 0; i < n; i++) out[i] = Math.min(q1[i], q2[i]);
    return;
  }
  for (let i = 0; i < n; i++) {
    const lo = Math.min(q1[i], q2[i]);
    const hi = Math.max(q1[i], q2[i]);
    out[i] = lambda * lo + (1 - lambda) * hi;
  }
}

/**
 * out[r] = max_j values[r·samples + j]: the max over the `samples` candidates of each row
 * (values laid out [rows, samples], e.g. the n perturbed VAE actions per next state of Eq. 7).
 * When `argOut` is given, also writes the index j of the (first) maximum.
 */
export function maxOverSamples(
  values: NumArray,
  rows: number,
  samples: number,
  out: NumArray,
  argOut: Int32Array | null = null,
): void {
  if (!(Number.isInteger(samples) && samples >= 1)) {
    throw new MtfError("INVALID_ARGUMENT", `samples must be a positive integer, got ${samples}`);
  }
  need(values, rows * samples, "maxOverSamples values");
  need(out, rows, "maxOverSamples out");
  if (argOut !== null) need(argOut, rows, "maxOverSamples argOut");
  for (let r = 0; r < rows; r++) {
    const base = r * samples; // [rows * samples] -> [rows, samples]
    let best = values[base];
    let arg = 0;
    for (let j = 1; j < samples; j++) {
      const v = values[base + j];
      // NaN never wins a comparison, so one NaN candidate does not poison the row unless all are NaN.
      if (v > best || (Number.isNaN(best) && !Number.isNaN(v))) {
        best = v;
        arg = j;
      }
    }
    out[r] = best;
    if (argOut !== null) argOut[r] = arg;
  }
}

/**
 * The TD target y[r] = rewards[r] + (1 − terminated[r])·γ·nextValues[r] (Eq. 6-7 with the
 * terminal mask). `terminated` is a 0/1 float; `truncated` transitions bootstrap (see the header).
 */
export function bootstrapTarget(
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  nextValues: NumArray,
  gamma: number,
  rows: number,
  out: NumArray,
): void {
  if (!(gamma >= 0 && gamma <= 1))
    throw new MtfError("INVALID_ARGUMENT", `gamma must lie in [0, 1], got ${gamma}`);
  need(rewards, rows, "bootstrapTarget rewards");
  need(terminated, rows, "bootstrapTarget terminated");
  need(nextValues, rows, "bootstrapTarget nextValues");
  need(out, rows, "bootstrapTarget out");
  for (let r = 0; r < rows; r++) {
    const notDone = 1 - terminated[r];
    out[r] = rewards[r] + notDone * gamma * nextValues[r];
  }
}
