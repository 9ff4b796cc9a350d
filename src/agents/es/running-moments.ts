/**
 * Running per-feature mean and variance of the states the ES policies see (Welford's update),
 * the "observation normalization" of Salimans et al. (2017, Sec. 2.2): an online agent has no
 * training split to fit a normaliser on, so it estimates one from its own traffic. The tuner
 * freezes the normaliser within a generation (every candidate sees the same z) and refreshes it
 * between generations; the final normaliser ships inside the policy artefact.
 */
import { MtfError } from "../../core/errors.js";
import type { StateNormaliser } from "../common/normaliser.js";

/** JSON-serialisable moments (float64 values round-trip exactly through JSON). */
export interface MomentsState {
  readonly count: number;
  readonly mean: readonly number[];
  readonly m2: readonly number[];
}

export class RunningMoments {
  readonly dim: number;
  private count = 0;
  private readonly mean: Float64Array;
  /** Σ (x − mean)² per feature. */
  private readonly m2: Float64Array;

  constructor(dim: number) {
    if (!Number.isInteger(dim) || dim < 1) {
      throw new MtfError("INVALID_ARGUMENT", `RunningMoments needs a positive dimension, got ${dim}`);
    }
    this.dim = dim;
    this.mean = new Float64Array(dim);
    this.m2 = new Float64Array(dim);
  }

  /** Rows seen so far. */
  get size(): number {
    return this.count;
  }

  /** Adds `rows` states [rows x dim]. */
  add(states: ArrayLike<number>, rows: number): void {
    const { dim, mean, m2 } = this;
    for (let r = 0; r < rows; r++) {
      this.count += 1;
      const base = r * dim;
      for (let i = 0; i < dim; i++) {
        const x = states[base + i];
        const delta = x - mean[i];
        mean[i] += delta / this.count;
        m2[i] += delta * (x - mean[i]);
      }
    }
  }

  /** z = (s − mean) / max(std, minStd); the identity before any state was seen. */
  toNormaliser(minStd: number): StateNormaliser {
    if (this.count === 0)
      return { mean: new Array<number>(this.dim).fill(0), std: new Array<number>(this.dim).fill(1) };
    return {
      mean: Array.from(this.mean),
      std: Array.from(this.m2, (m) => Math.max(Math.sqrt(m / this.count), minStd)),
    };
  }

  exportState(): MomentsState {
    return { count: this.count, mean: Array.from(this.mean), m2: Array.from(this.m2) };
  }

  importState(state: MomentsState): void {
    if (state.mean.length !== this.dim || state.m2.length !== this.dim || !(state.count >= 0)) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `state moments hold ${state.mean.length} means and ${state.m2.length} sums for ${this.dim} features`,
      );
    }
    this.count = state.count;
    this.mean.set(state.mean);
    this.m2.set(state.m2);
  }
}
