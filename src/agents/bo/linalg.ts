/**
 * Dense symmetric positive-definite algebra for Gaussian-process regression (Rasmussen & Williams
 * 2006, Algorithm 2.1): Cholesky factorisation with escalating diagonal jitter, triangular solves
 * and the inverse from the factor. Matrices are row-major Float64Array [n x n]; only the lower
 * triangle of a factor is meaningful (the upper one is left zero).
 */
import { MtfError } from "../../core/errors.js";

/** A lower-triangular Cholesky factor L with L·Lᵀ = K + jitter·I. */
export interface CholeskyFactor {
  /** [n x n], lower triangle. */
  readonly lower: Float64Array;
  readonly n: number;
  /** The diagonal jitter that made K factorisable (0 when none was needed). */
  readonly jitter: number;
}

/** Relative jitters tried in turn (times the mean of K's diagonal) when K is not numerically PD. */
const JITTER_STEPS: readonly number[] = [0, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6, 1e-5, 1e-4];

/** Cholesky–Banachiewicz of k + jitter·I into `out`; false when a pivot is not positive. */
function factorInto(k: Float64Array, n: number, jitter: number, out: Float64Array): boolean {
  out.fill(0);
  for (let i = 0; i < n; i++) {
    const rowI = i * n;
    for (let j = 0; j <= i; j++) {
      const rowJ = j * n;
      let sum = k[rowI + j];
      for (let p = 0; p < j; p++) sum -= out[rowI + p] * out[rowJ + p];
      if (i === j) {
        sum += jitter;
        if (!(sum > 0)) return false;
        out[rowI + i] = Math.sqrt(sum);
      } else {
        out[rowI + j] = sum / out[rowJ + j];
      }
    }
  }
  return true;
}

/**
 * Factorises the symmetric matrix `k` [n x n]. When rounding makes it indefinite, retries with
 * jitter 1e-10, 1e-9, … 1e-4 times the mean diagonal; throws TRAINING_DIVERGED past that (the
 * kernel matrix is then not a covariance, e.g. non-finite hyper-parameters).
 */
export function cholesky(k: Float64Array, n: number): CholeskyFactor {
  if (k.length < n * n) {
    throw new MtfError("SHAPE_MISMATCH", `cholesky needs ${n} x ${n} = ${n * n} values, got ${k.length}`);
  }
  let meanDiagonal = 0;
  for (let i = 0; i < n; i++) meanDiagonal += k[i * n + i] / n;
  const lower = new Float64Array(n * n);
  for (const step of JITTER_STEPS) {
    const jitter = step * meanDiagonal;
    if (factorInto(k, n, jitter, lower)) return { lower, n, jitter };
  }
  throw new MtfError(
    "TRAINING_DIVERGED",
    `the ${n} x ${n} GP covariance is not positive definite even with jitter ${JITTER_STEPS.at(-1)} x its mean diagonal (${meanDiagonal})`,
    { details: { n, meanDiagonal } },
  );
}

/** Solves L·x = b (forward substitution); `out` may be `b`. */
export function solveLower(factor: CholeskyFactor, b: ArrayLike<number>, out: Float64Array): Float64Array {
  const { lower, n } = factor;
  for (let i = 0; i < n; i++) {
    const row = i * n;
    let sum = b[i];
    for (let p = 0; p < i; p++) sum -= lower[row + p] * out[p];
    out[i] = sum / lower[row + i];
  }
  return out;
}

/** Solves Lᵀ·x = b (back substitution by rows of L, which are contiguous); `out` may be `b`. */
export function solveLowerTransposed(
  factor: CholeskyFactor,
  b: ArrayLike<number>,
  out: Float64Array,
): Float64Array {
  const { lower, n } = factor;
  if (out !== b) for (let i = 0; i < n; i++) out[i] = b[i];
  for (let i = n - 1; i >= 0; i--) {
    const row = i * n;
    const xi = out[i] / lower[row + i];
    out[i] = xi;
    for (let p = 0; p < i; p++) out[p] -= lower[row + p] * xi;
  }
  return out;
}

/** Solves K·x = b through K = L·Lᵀ; `out` may be `b`. */
export function choleskySolve(factor: CholeskyFactor, b: ArrayLike<number>, out: Float64Array): Float64Array {
  solveLower(factor, b, out);
  return solveLowerTransposed(factor, out, out);
}

/** log |K| = 2 Σ_i log L_ii. */
export function logDeterminant(factor: CholeskyFactor): number {
  let sum = 0;
  for (let i = 0; i < factor.n; i++) sum += Math.log(factor.lower[i * factor.n + i]);
  return 2 * sum;
}

/** K⁻¹ = L⁻ᵀ·L⁻¹ [n x n], symmetric (both triangles filled). */
export function choleskyInverse(factor: CholeskyFactor): Float64Array {
  const { lower, n } = factor;
  // U = L⁻ᵀ (upper triangular, row-major): row j of U is column j of L⁻¹, which solves L·u = e_j.
  const upper = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const row = j * n;
    upper[row + j] = 1 / lower[j * n + j];
    for (let i = j + 1; i < n; i++) {
      const li = i * n;
      let sum = 0;
      for (let p = j; p < i; p++) sum -= lower[li + p] * upper[row + p];
      upper[row + i] = sum / lower[li + i];
    }
  }
  // (K⁻¹)_ij = Σ_{p ≥ max(i, j)} U_ip · U_jp, contiguous in p.
  const inverse = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = i; j < n; j++) {
      const rj = j * n;
      let sum = 0;
      for (let p = j; p < n; p++) sum += upper[ri + p] * upper[rj + p];
      inverse[ri + j] = sum;
      inverse[rj + i] = sum;
    }
  }
  return inverse;
}
