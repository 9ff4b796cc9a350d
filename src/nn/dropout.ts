/**
 * Dropout (Srivastava et al. 2014, "Dropout: A Simple Way to Prevent Neural Networks from
 * Overfitting", JMLR 15) in its inverted form, as torch's F.dropout: during a masked pass each
 * entry is zeroed with probability p and the survivors are scaled by 1/(1 − p), so an unmasked
 * pass (evaluation) is the identity. And Monte-Carlo dropout (Gal & Ghahramani 2016, "Dropout
 * as a Bayesian Approximation", ICML): K masked passes of the same input give a predictive mean
 * and variance, which UWAC (Wu et al. 2021) uses as the critic's uncertainty.
 *
 * Every mask is drawn from an injected `Rng` (geometric gaps between dropped units), so a
 * pass replays from the RNG state. Three levels:
 *   - pure functions over flat arrays (`sampleDropoutMask`, `applyDropout`, `dropoutBackward`);
 *   - `Dropout`, a layer with its own mask and output buffers, for use between any two layers;
 *   - `DropoutMlp`, an Mlp with dropout after every hidden activation (as UWAC's Dropout_Mlp).
 *     Its parameters ARE an ordinary `Mlp` (`.mlp`): Adam, `softUpdate`, checkpoints and
 *     `copyParamsFrom` work on it unchanged; only the forward/backward passes differ.
 */
import { MtfError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import type { Parameterised } from "./adam.js";
import type { Kernels, NumArray } from "./kernels.js";
import { Mlp, type MlpArgs, type MlpBackwardOptions } from "./mlp.js";
import { allocate, assertMinLength, type DType } from "./tensor.js";

function checkRate(rate: number): void {
  if (!(rate >= 0 && rate < 1)) {
    throw new MtfError("INVALID_ARGUMENT", `dropout rate must lie in [0, 1) (UWAC uses 0.1), got ${rate}`);
  }
}

/**
 * mask[i] = 0 with probability `rate`, else 1/(1 − rate), independently for i < n. Drawn by
 * geometric skipping: the number of kept units before the next dropped one is
 * G = ⌊ln(1 − u) / ln(1 − rate)⌋ with u = `rng.uniform()`, so P(G ≥ g) = (1 − rate)^g exactly as
 * for independent Bernoulli draws, at one uniform per DROPPED unit (a tenth of the draws at
 * rate 0.1; masks are the hottest random draws of MC dropout). A rate of 0 draws nothing.
 */
export function sampleDropoutMask(rng: Rng, mask: NumArray, n: number, rate: number): void {
  checkRate(rate);
  assertMinLength(mask, n, "dropout mask");
  mask.fill(1 / (1 - rate), 0, n);
  if (rate === 0) return;
  const logKeep = Math.log1p(-rate);
  for (let i = -1; ; ) {
    i += Math.floor(Math.log1p(-rng.uniform()) / logKeep) + 1;
    if (i >= n) return;
    mask[i] = 0;
  }
}

/** out[i] = x[i] · mask[i] for i < n (`out` may be `x`). */
export function applyDropout(x: NumArray, mask: NumArray, out: NumArray, n: number): void {
  assertMinLength(x, n, "dropout input");
  assertMinLength(mask, n, "dropout mask");
  assertMinLength(out, n, "dropout output");
  for (let i = 0; i < n; i++) out[i] = x[i] * mask[i];
}

/** Backward of `applyDropout`: dIn[i] = dOut[i] · mask[i] for i < n (`dIn` may be `dOut`). */
export function dropoutBackward(dOut: NumArray, mask: NumArray, dIn: NumArray, n: number): void {
  applyDropout(dOut, mask, dIn, n);
}

/**
 * Per-row mean and unbiased variance (torch.var's default) of `values` laid out [rows, samples]
 * (e.g. the K Monte-Carlo dropout outputs of each input row): mean [rows], variance [rows].
 * One sample gives variance 0.
 */
export function sampleMoments(
  values: ArrayLike<number>,
  rows: number,
  samples: number,
  mean: NumArray,
  variance: NumArray,
): void {
  if (!(Number.isInteger(samples) && samples >= 1)) {
    throw new MtfError("INVALID_ARGUMENT", `samples must be a positive integer, got ${samples}`);
  }
  assertMinLength(values, rows * samples, "sampleMoments values");
  assertMinLength(mean, rows, "sampleMoments mean");
  assertMinLength(variance, rows, "sampleMoments variance");
  for (let r = 0; r < rows; r++) {
    const base = r * samples; // [rows * samples] -> [rows, samples]
    let sum = 0;
    for (let k = 0; k < samples; k++) sum += values[base + k];
    const m = sum / samples;
    let sq = 0;
    for (let k = 0; k < samples; k++) sq += (values[base + k] - m) ** 2;
    mean[r] = m;
    variance[r] = samples > 1 ? sq / (samples - 1) : 0;
  }
}

/** A dropout layer with its own buffers, for use between any two layers. */
export class Dropout {
  readonly rate: number;
  readonly dtype: DType;
  private mask: NumArray;
  private out: NumArray;
  private grad: NumArray;
  /** Entries of the last forward, and whether it was masked; -1 before any forward. */
  private entries = -1;
  private masked = false;

  constructor(rate: number, dtype: DType = "float32", capacity = 0) {
    checkRate(rate);
    this.rate = rate;
    this.dtype = dtype;
    this.mask = allocate(dtype, capacity);
    this.out = allocate(dtype, capacity);
    this.grad = allocate(dtype, capacity);
  }

  /**
   * x [n] → x ⊙ mask with a fresh mask from `rng`, or x unchanged when `rng` is null
   * (evaluation). Returns a reused buffer (copy what you keep).
   */
  forward(x: NumArray, n: number, rng: Rng | null): NumArray {
    assertMinLength(x, n, "Dropout input");
    this.ensure(n);
    this.masked = rng !== null && this.rate > 0;
    if (this.masked) {
      sampleDropoutMask(rng as Rng, this.mask, n, this.rate);
      applyDropout(x, this.mask, this.out, n);
    } else {
      for (let i = 0; i < n; i++) this.out[i] = x[i];
    }
    this.entries = n;
    return this.out;
  }

  /** dOut [n] → dIn [n] through the mask of the last forward (same n). Returns a reused buffer. */
  backward(dOut: NumArray, n: number): NumArray {
    if (n !== this.entries) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `Dropout.backward got ${n} entries but the last forward had ${this.entries < 0 ? "not run" : this.entries}`,
      );
    }
    assertMinLength(dOut, n, "Dropout dOut");
    if (this.masked) dropoutBackward(dOut, this.mask, this.grad, n);
    else for (let i = 0; i < n; i++) this.grad[i] = dOut[i];
    return this.grad;
  }

  /** The mask of the last masked forward (its first n entries). */
  get lastMask(): NumArray {
    return this.mask;
  }

  private ensure(n: number): void {
    if (n <= this.mask.length) return;
    const capacity = Math.max(n, 2 * this.mask.length);
    this.mask = allocate(this.dtype, capacity);
    this.out = allocate(this.dtype, capacity);
    this.grad = allocate(this.dtype, capacity);
  }
}

export interface DropoutMlpArgs extends MlpArgs {
  /** Dropout rate p after every hidden activation (UWAC's Dropout_Mlp: 0.1); 0 = a plain Mlp. */
  readonly dropout: number;
}

/**
 * An Mlp with dropout after every hidden activation:
 *   h_l = act(h̃_{l−1}·W_l + b_l), h̃_l = h_l ⊙ m_l (hidden layers), output = act_out(h̃_{L−1}·W_L + b_L).
 * Parameters live in `.mlp` (an ordinary Mlp); this class owns the activation, mask and gradient
 * buffers of its own passes. `forward(x, rows, rng)` draws the masks layer by layer ([rows, width]
 * row-major each) from `rng`; `forward(x, rows, null)` is the unmasked (evaluation) pass, equal to
 * `mlp.forward`.
 */
export class DropoutMlp implements Parameterised {
  readonly mlp: Mlp;
  readonly rate: number;
  readonly inDim: number;
  readonly outDim: number;
  readonly dtype: DType;
  private capacity = 0;
  /** post[l]: output of layer l (after its activation, before dropout); post[0] is the input copy. */
  private post: NumArray[] = [];
  /** dropped[l] (hidden l only): post[l] ⊙ mask[l], the next layer's input. */
  private dropped: NumArray[] = [];
  private masks: NumArray[] = [];
  private gradients: NumArray[] = [];
  private forwardRows = -1;
  private masked = false;
  private repeated: NumArray;

  constructor(args: DropoutMlpArgs, rng: Rng) {
    checkRate(args.dropout);
    const { dropout: _rate, ...mlpArgs } = args;
    this.mlp = new Mlp(mlpArgs, rng);
    this.rate = args.dropout;
    this.inDim = this.mlp.inDim;
    this.outDim = this.mlp.outDim;
    this.dtype = this.mlp.dtype;
    this.repeated = allocate(this.dtype, 0);
    this.ensureCapacity(args.maxBatch);
  }

  get params(): NumArray {
    return this.mlp.params;
  }

  get grads(): NumArray {
    return this.mlp.grads;
  }

  get kernels(): Kernels {
    return this.mlp.kernels;
  }

  /**
   * x [rows, in] → output [rows, out] (a reused buffer). Masks drawn from `rng` when given and
   * the rate is positive; `null` runs the unmasked pass. Caches everything `backward` needs.
   */
  forward(x: NumArray, rows: number, rng: Rng | null): NumArray {
    if (!Number.isInteger(rows) || rows < 0) {
      throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
    }
    assertMinLength(x, rows * this.inDim, `DropoutMlp input (${rows} rows x ${this.inDim})`);
    this.ensureCapacity(rows);
    const layers = this.mlp.layers;
    const sizes = this.mlp.config.sizes;
    const masked = rng !== null && this.rate > 0;
    const n0 = rows * this.inDim;
    for (let i = 0; i < n0; i++) this.post[0][i] = x[i];
    let input = this.post[0];
    for (let l = 0; l < layers.length; l++) {
      layers[l].forward(input, this.post[l + 1], rows);
      const hidden = l + 1 < layers.length;
      if (hidden && masked) {
        const n = rows * sizes[l + 1];
        sampleDropoutMask(rng as Rng, this.masks[l + 1], n, this.rate);
        applyDropout(this.post[l + 1], this.masks[l + 1], this.dropped[l + 1], n);
        input = this.dropped[l + 1];
      } else {
        input = this.post[l + 1];
      }
    }
    this.forwardRows = rows;
    this.masked = masked;
    return this.post[layers.length];
  }

  /**
   * Monte-Carlo dropout: each row of x [rows, in] repeated `samples` times (row r's copies at
   * r·samples … r·samples + samples − 1) and run through one masked pass, so every copy gets its
   * own masks. Returns the outputs [rows·samples, out]; `sampleMoments` turns them into a
   * per-row mean and variance. `backward` afterwards takes dOut [rows·samples, out].
   */
  forwardSamples(x: NumArray, rows: number, samples: number, rng: Rng): NumArray {
    if (!(Number.isInteger(samples) && samples >= 1)) {
      throw new MtfError("INVALID_ARGUMENT", `samples must be a positive integer, got ${samples}`);
    }
    assertMinLength(x, rows * this.inDim, `DropoutMlp input (${rows} rows x ${this.inDim})`);
    const n = rows * samples * this.inDim;
    if (this.repeated.length < n) this.repeated = allocate(this.dtype, n);
    const D = this.inDim;
    for (let r = 0; r < rows; r++) {
      for (let k = 0; k < samples; k++) {
        const to = (r * samples + k) * D; // [rows, D] -> [rows * samples, D]
        for (let c = 0; c < D; c++) this.repeated[to + c] = x[r * D + c];
      }
    }
    return this.forward(this.repeated, rows * samples, rng);
  }

  /**
   * Backpropagates dOut [rows, out] through the last forward (same rows, same masks). Parameter
   * gradients go to `mlp.grads` per `paramGrads` (as `Mlp.backward`); returns dLoss/dInput when
   * `needInputGrad`, else null.
   */
  backward(dOut: NumArray, rows: number, options: MlpBackwardOptions = {}): NumArray | null {
    const needInputGrad = options.needInputGrad ?? false;
    const mode = options.paramGrads ?? "overwrite";
    if (rows !== this.forwardRows) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `DropoutMlp.backward got ${rows} rows but the last forward had ${this.forwardRows < 0 ? "not run" : `${this.forwardRows} rows`}; call forward on the same batch first`,
      );
    }
    if (mode === "skip" && !needInputGrad) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `DropoutMlp.backward with paramGrads "skip" computes nothing unless needInputGrad is true`,
      );
    }
    const layers = this.mlp.layers;
    const sizes = this.mlp.config.sizes;
    const last = layers.length;
    assertMinLength(dOut, rows * this.outDim, `DropoutMlp dOut (${rows} rows x ${this.outDim})`);
    const top = this.gradients[last];
    const nOut = rows * this.outDim;
    for (let i = 0; i < nOut; i++) top[i] = dOut[i];
    for (let l = last - 1; l >= 0; l--) {
      const inputMasked = this.masked && l > 0;
      const input = inputMasked ? this.dropped[l] : this.post[l];
      const dx = l > 0 || needInputGrad ? this.gradients[l] : null;
      layers[l].backward(input, this.post[l + 1], this.gradients[l + 1], dx, rows, mode);
      // dLoss/d post[l] = dLoss/d dropped[l] ⊙ mask[l]
      if (inputMasked) dropoutBackward(this.gradients[l], this.masks[l], this.gradients[l], rows * sizes[l]);
    }
    return needInputGrad ? this.gradients[0] : null;
  }

  zeroGrad(): void {
    this.mlp.zeroGrad();
  }

  /** The mask applied after hidden layer `layer` (1-based, as the widths) in the last masked forward. */
  mask(layer: number): NumArray {
    if (!(Number.isInteger(layer) && layer >= 1 && layer < this.mlp.config.sizes.length - 1)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `DropoutMlp has hidden layers 1…${this.mlp.config.sizes.length - 2}, got ${layer}`,
      );
    }
    return this.masks[layer];
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, 2 * this.capacity);
    const sizes = this.mlp.config.sizes;
    const hidden = (l: number) => l > 0 && l < sizes.length - 1;
    this.post = sizes.map((w) => allocate(this.dtype, capacity * w));
    this.gradients = sizes.map((w) => allocate(this.dtype, capacity * w));
    this.dropped = sizes.map((w, l) => allocate(this.dtype, hidden(l) ? capacity * w : 0));
    this.masks = sizes.map((w, l) => allocate(this.dtype, hidden(l) ? capacity * w : 0));
    this.capacity = capacity;
    this.forwardRows = -1;
  }
}
