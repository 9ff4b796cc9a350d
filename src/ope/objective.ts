/**
 * The per-iteration objective of the Conservative Offline Policy Estimator (Eq. 10,
 * Algorithm 2 lines 4-6) as pure functions over a batch of m transitions; each policy state
 * carries k decisions a_ij with weights w_ij = π_e(a_ij|s_i) (see decisions.ts).
 *
 *   L(θ) = ½·(1/m)·Σ_i (Q_θ(s_i, a_i) − ŷ_i)²                      TD term T(θ), `tdLoss`
 *        + α·[(1/m)·Σ_i Σ_j w_ij·Q_θ(s_i, a_ij) − (1/m)·Σ_i Q_θ(s_i, a_i)]   α·R(θ), `conservativePenalty`
 *
 * MINIMISED (Alg. 2 line 6 writes argmax; DESIGN.md errata). ŷ is a constant (`fqeTarget`,
 * from the frozen copy θ⁻), so only Q_θ(s_i, a_i) and Q_θ(s_i, a_ij) carry gradient:
 *   ∂L/∂Q_θ(s_i, a_i)  = (Q_θ(s_i, a_i) − ŷ_i)/m − α/m
 *   ∂L/∂Q_θ(s_i, a_ij) = α·w_ij/m
 */

/**
 * E_{a~π_e(·|s_i)} Q(s_i, a) = Σ_j w_ij·Q(s_i, a_ij) for each of `rows` states (the inner sum
 * of Eq. 9): q and weights are [rows x samples], out is [rows].
 */
export function expectedDecisionValue(
  q: ArrayLike<number>,
  weights: ArrayLike<number>,
  rows: number,
  samples: number,
  out: Float32Array | Float64Array,
): void {
  for (let i = 0; i < rows; i++) {
    let value = 0;
    for (let j = 0; j < samples; j++) value += weights[i * samples + j] * q[i * samples + j];
    out[i] = value;
  }
}

/**
 * The regression target of Alg. 2 line 4, masked at session ends:
 *   ŷ_i = r_i + γ·(1 − terminated_i)·V⁻(s'_i),   V⁻(s') = E_{a'~π_e(·|s')} Q_θ⁻(s', a').
 * A truncated session (cut by the data window) is not terminated and is bootstrapped.
 */
export function fqeTarget(
  rewards: ArrayLike<number>,
  terminated: ArrayLike<number>,
  nextValues: ArrayLike<number>,
  gamma: number,
  rows: number,
  out: Float32Array,
): void {
  for (let i = 0; i < rows; i++) {
    out[i] = terminated[i] === 1 ? rewards[i] : rewards[i] + gamma * nextValues[i];
  }
}

/**
 * The TD term ½·(1/m)·Σ_i (Q_θ(s_i, a_i) − ŷ_i)² of Eq. 10 over `rows` = m transitions.
 * OVERWRITES gradData[i] = (Q_θ(s_i, a_i) − ŷ_i)/m.
 */
export function tdLoss(
  qData: ArrayLike<number>,
  targets: ArrayLike<number>,
  rows: number,
  gradData: Float32Array,
): number {
  let sum = 0;
  for (let i = 0; i < rows; i++) {
    const diff = qData[i] - targets[i];
    sum += diff * diff;
    gradData[i] = diff / rows;
  }
  return (0.5 * sum) / rows;
}

/**
 * The CQL regulariser of Eq. 10, R(θ) = (1/m)·Σ_i Σ_j w_ij·Q_θ(s_i, a_ij) − (1/m)·Σ_i Q_θ(s_i, a_i),
 * over `rows` = m transitions with qPolicy and weights [m x samples]. Returns R(θ) (without α).
 * ADDS −α/m to gradData[i] (so it composes with `tdLoss`) and OVERWRITES
 * gradPolicy[i·samples + j] = α·w_ij/m.
 */
export function conservativePenalty(
  qData: ArrayLike<number>,
  qPolicy: ArrayLike<number>,
  weights: ArrayLike<number>,
  rows: number,
  samples: number,
  alpha: number,
  gradData: Float32Array,
  gradPolicy: Float32Array,
): number {
  let policyTerm = 0;
  let dataTerm = 0;
  const scale = alpha / rows;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < samples; j++) {
      const w = weights[i * samples + j];
      policyTerm += w * qPolicy[i * samples + j];
      gradPolicy[i * samples + j] = scale * w;
    }
    dataTerm += qData[i];
    gradData[i] -= scale;
  }
  return (policyTerm - dataTerm) / rows;
}
