/**
 * The state normaliser as agents see it: z = (s − mean) / std per feature, fitted on the
 * training split by the data module and shipped inside every model artefact (DESIGN.md "MDP":
 * each policy applies its own normaliser, so any policy runs on any dataset's raw states).
 *
 * Agents may not import `data/`, so this is the structural shape of its `Normaliser`; a dataset's
 * normaliser is passed as is. The arithmetic matches `data/normaliser.ts` exactly (float64
 * subtract and divide, one rounding on store), so trainer and policy compute identical states.
 */
import { MtfError } from "../../core/errors.js";
import type { Checkpoint, Tensor } from "../../nn/checkpoint.js";
import type { NumArray } from "../../nn/kernels.js";

export interface StateNormaliser {
  /** [stateDim] */
  readonly mean: ArrayLike<number>;
  /** [stateDim], every value > 0. */
  readonly std: ArrayLike<number>;
}

/** mean 0, std 1: states pass through unchanged. */
export function identityNormaliser(dim: number): StateNormaliser {
  return { mean: new Array<number>(dim).fill(0), std: new Array<number>(dim).fill(1) };
}

/** Throws unless the normaliser has `dim` finite means and positive, finite stds. */
export function checkNormaliser(normaliser: StateNormaliser, dim: number, what = "state normaliser"): void {
  const { mean, std } = normaliser;
  if (mean.length !== dim || std.length !== dim) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `${what} has ${mean.length} means and ${std.length} stds, but the states have ${dim} features`,
      { details: { expected: dim, mean: mean.length, std: std.length } },
    );
  }
  for (let i = 0; i < dim; i++) {
    if (!Number.isFinite(mean[i]) || !(Number.isFinite(std[i]) && std[i] > 0)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `${what}: feature ${i} has mean ${mean[i]} and std ${std[i]}; need a finite mean and a positive std`,
      );
    }
  }
}

/** out[r, i] = (states[r, i] − mean_i) / std_i over [rows x dim]; `out` may be `states`. */
export function normaliseStates(
  normaliser: StateNormaliser,
  states: NumArray,
  rows: number,
  dim: number,
  out: NumArray,
): void {
  if (states.length < rows * dim || out.length < rows * dim) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `normalising ${rows} rows x ${dim} needs ${rows * dim} values, got ${states.length} in and ${out.length} out`,
    );
  }
  const { mean, std } = normaliser;
  for (let r = 0; r < rows; r++) {
    const base = r * dim; // [rows x dim] row-major
    for (let i = 0; i < dim; i++) out[base + i] = (states[base + i] - mean[i]) / std[i];
  }
}

/** Checkpoint tensors `${prefix}.mean` and `${prefix}.std` (float64 [dim], exact round trip). */
export function normaliserTensors(prefix: string, normaliser: StateNormaliser): Record<string, Tensor> {
  return {
    [`${prefix}.mean`]: { data: Float64Array.from(normaliser.mean), shape: [normaliser.mean.length] },
    [`${prefix}.std`]: { data: Float64Array.from(normaliser.std), shape: [normaliser.std.length] },
  };
}

/** Reads back what `normaliserTensors` wrote, checking its size and values. */
export function restoreNormaliser(checkpoint: Checkpoint, prefix: string, dim: number): StateNormaliser {
  const mean = checkpoint.tensors[`${prefix}.mean`];
  const std = checkpoint.tensors[`${prefix}.std`];
  if (
    mean === undefined ||
    std === undefined ||
    !(mean.data instanceof Float64Array) ||
    !(std.data instanceof Float64Array)
  ) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `checkpoint lacks the float64 normaliser tensors ${prefix}.mean / ${prefix}.std`,
    );
  }
  const normaliser = { mean: Array.from(mean.data), std: Array.from(std.data) };
  try {
    checkNormaliser(normaliser, dim, "the checkpoint's normaliser");
  } catch (error) {
    throw new MtfError("CHECKPOINT_CORRUPT", (error as Error).message, { cause: error });
  }
  return normaliser;
}
