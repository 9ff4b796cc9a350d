/**
 * The numeric kernels every network runs on. Two implementations share this interface:
 * `reference-kernels.ts` (pure TypeScript, always available, also runs in float64 for gradient
 * checks) and `native-kernels.ts` (the Node-API addon in `native/`: cache-blocked GEMM with
 * AVX-512 and AVX2/FMA micro-kernels chosen at run time and a portable fallback, fused bias + activation, multi-threaded with a
 * fixed reduction order so results are bit-identical whatever the thread count).
 *
 * Conventions: all matrices are dense row-major; dimensions are passed explicitly and only the
 * leading `rows * cols` entries of a buffer are read or written, so callers preallocate buffers
 * at their largest batch size and never allocate per step. A weight matrix W of a linear layer
 * is stored [in x out], so y = x·W + b.
 */
export type NumArray = Float32Array | Float64Array;

export type Activation = "identity" | "relu" | "tanh";

export interface Kernels {
  /** `reference`, `native-avx512`, `native-avx2` or `native-generic`. */
  readonly name: string;
  /** True when the kernels accept Float64Array (the reference backend only). */
  readonly supportsFloat64: boolean;

  /**
   * C[m x n] = alpha · op(A) · op(B) + beta · C, with op(A) [m x k] and op(B) [k x n].
   * A is stored [m x k] (or [k x m] when transA), B is [k x n] (or [n x k] when transB).
   * beta = 0 overwrites C without reading it (NaN in C does not propagate).
   */
  gemm(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    alpha: number,
    a: NumArray,
    b: NumArray,
    beta: number,
    c: NumArray,
  ): void;

  /** Y[rows x out] = act(X[rows x in] · W[in x out] + bias[out]), fused. */
  linearForward(
    x: NumArray,
    w: NumArray,
    bias: NumArray,
    y: NumArray,
    rows: number,
    inDim: number,
    outDim: number,
    act: Activation,
  ): void;

  /**
   * In place: dY[i] ← dY[i] · act'(pre-activation), computed from the post-activation output Y
   * (relu: Y > 0; tanh: 1 − Y²; identity: unchanged). Reads the first `n` entries.
   */
  activationBackward(y: NumArray, dy: NumArray, n: number, act: Activation): void;

  /**
   * Backward of y = x·W + b given dY (already multiplied by the activation derivative):
   * dW = Xᵀ·dY and dB = Σ_rows dY (added to the existing values when `accumulate`, else
   * overwritten), and dX = dY·Wᵀ when `dx` is not null (always overwritten).
   */
  linearBackward(
    x: NumArray,
    w: NumArray,
    dy: NumArray,
    dx: NumArray | null,
    dw: NumArray,
    db: NumArray,
    rows: number,
    inDim: number,
    outDim: number,
    accumulate: boolean,
  ): void;

  /**
   * One bias-corrected Adam step (Kingma & Ba 2015, as torch.optim.Adam without weight decay)
   * over the first `n` entries: m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²;
   * p ← p − lr · (m / (1−β1^t)) / (sqrt(v / (1−β2^t)) + ε), where t = `step` (1-based).
   */
  adam(
    params: NumArray,
    grads: NumArray,
    m: NumArray,
    v: NumArray,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    step: number,
  ): void;

  /** Polyak averaging over the first `n` entries: target ← (1 − eta)·target + eta·source. */
  softUpdate(target: NumArray, source: NumArray, n: number, eta: number): void;
}
