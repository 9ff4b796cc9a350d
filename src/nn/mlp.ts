/**
 * A multilayer perceptron: Linear layers with one hidden activation and an output activation.
 *
 * All parameters live in ONE flat `params` array and all gradients in ONE flat `grads` array
 * (layer l's slice is W_l [in x out] then b_l [out], layers in order), so an optimiser step or a
 * Polyak update is a single kernel call. Activation buffers are preallocated for `maxBatch` rows;
 * a larger batch grows them (to at least double, so growth is amortised) and steady-state
 * training allocates nothing.
 */
import { MtfError } from "../core/errors.js";
import type { Rng } from "../core/rng.js";
import { kernels as defaultKernels } from "./backend.js";
import type { Activation, Kernels, NumArray } from "./kernels.js";
import { Linear, type ParamGradMode } from "./linear.js";
import { allocate, assertLength, assertMinLength, DTYPES, type DType } from "./tensor.js";

const ACTIVATIONS: readonly Activation[] = ["identity", "relu", "tanh"];

/** The serialisable description of an Mlp (what checkpoints store). */
export interface MlpConfig {
  /** Layer widths [in, hidden_1, …, out]: at least two entries. */
  readonly sizes: readonly number[];
  readonly hiddenActivation: Activation;
  readonly outputActivation: Activation;
  /** Default float32; float64 needs kernels with `supportsFloat64` (the reference kernels). */
  readonly dtype?: DType;
  /** The largest batch (rows) you expect to pass; larger batches grow the buffers. */
  readonly maxBatch: number;
}

export interface MlpArgs extends MlpConfig {
  /** Default: the process-wide backend (`kernels()` in backend.ts). */
  readonly kernels?: Kernels;
}

export interface MlpBackwardOptions {
  /** Also compute dLoss/dInput and return it (e.g. a critic's gradient w.r.t. its action input). */
  readonly needInputGrad?: boolean;
  /**
   * What happens to `grads`: "overwrite" (default) replaces them with this batch's gradients,
   * "accumulate" adds to them (clear them first with `zeroGrad()`), "skip" leaves them untouched
   * and only propagates to the input (cheaper; needs `needInputGrad`).
   */
  readonly paramGrads?: ParamGradMode;
}

function describe(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function validate(args: MlpArgs, kernels: Kernels): void {
  const { sizes, maxBatch } = args;
  if (!Array.isArray(sizes) || sizes.length < 2 || !sizes.every((s) => Number.isInteger(s) && s > 0)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `Mlp sizes must list at least two positive integer widths [in, ...hidden, out], e.g. [stateDim, 400, 300, 1]; got ${describe(sizes)}`,
    );
  }
  for (const key of ["hiddenActivation", "outputActivation"] as const) {
    if (!ACTIVATIONS.includes(args[key])) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `Mlp ${key} must be one of ${ACTIVATIONS.join(", ")}; got ${describe(args[key])}`,
      );
    }
  }
  if (args.dtype !== undefined && !DTYPES.includes(args.dtype)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `Mlp dtype must be "float32" or "float64"; got ${describe(args.dtype)}`,
    );
  }
  if (args.dtype === "float64" && !kernels.supportsFloat64) {
    throw new MtfError(
      "NOT_IMPLEMENTED_FOR_DTYPE",
      `the ${kernels.name} kernels run in float32 only; for a float64 Mlp pass kernels: referenceKernels`,
    );
  }
  if (!Number.isInteger(maxBatch) || maxBatch < 1) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `Mlp maxBatch must be a positive integer (the largest number of rows you will pass; larger batches still work but reallocate); got ${describe(maxBatch)}`,
    );
  }
}

export class Mlp {
  readonly config: Required<MlpConfig>;
  readonly kernels: Kernels;
  readonly dtype: DType;
  readonly inDim: number;
  readonly outDim: number;
  readonly numParams: number;
  /** Every parameter of the network, layer by layer (W_l [in x out], then b_l [out]). */
  readonly params: NumArray;
  /** Gradients, laid out like `params`. */
  readonly grads: NumArray;
  readonly layers: readonly Linear[];

  private capacity = 0;
  /** activations[0]: copy of the input [capacity x in]; activations[l]: output of layer l. */
  private activations: NumArray[] = [];
  /** gradients[l]: dLoss/d activations[l] (gradients[0] is dInput). */
  private gradients: NumArray[] = [];
  /** Rows of the last forward, which `backward` must match; -1 before any forward. */
  private forwardRows = -1;

  constructor(args: MlpArgs, rng: Rng) {
    const kernels = args.kernels ?? defaultKernels();
    validate(args, kernels);
    this.kernels = kernels;
    this.dtype = args.dtype ?? "float32";
    this.config = {
      sizes: [...args.sizes],
      hiddenActivation: args.hiddenActivation,
      outputActivation: args.outputActivation,
      dtype: this.dtype,
      maxBatch: args.maxBatch,
    };
    const sizes = this.config.sizes;
    this.inDim = sizes[0];
    this.outDim = sizes[sizes.length - 1];
    let total = 0;
    for (let l = 1; l < sizes.length; l++) total += Linear.paramCount(sizes[l - 1], sizes[l]);
    this.numParams = total;
    this.params = allocate(this.dtype, total);
    this.grads = allocate(this.dtype, total);
    const layers: Linear[] = [];
    let offset = 0;
    for (let l = 1; l < sizes.length; l++) {
      const count = Linear.paramCount(sizes[l - 1], sizes[l]);
      const layer = new Linear({
        inDim: sizes[l - 1],
        outDim: sizes[l],
        activation: l === sizes.length - 1 ? args.outputActivation : args.hiddenActivation,
        params: this.params.subarray(offset, offset + count),
        grads: this.grads.subarray(offset, offset + count),
        kernels,
      });
      layer.initialize(rng);
      layers.push(layer);
      offset += count;
    }
    this.layers = layers;
    this.ensureCapacity(args.maxBatch);
  }

  /** Rows the buffers currently hold without growing. */
  get maxBatch(): number {
    return this.capacity;
  }

  /**
   * Runs x [rows x in] through the network and returns the output buffer: its first
   * rows·out entries are the result [rows x out]. The buffer is reused (overwritten by the next
   * forward, replaced when a larger batch grows the buffers), so copy what you keep. Caches the
   * activations for `backward`.
   */
  forward(x: NumArray, rows: number): NumArray {
    this.checkRows(rows);
    assertMinLength(x, rows * this.inDim, `Mlp input (${rows} rows x ${this.inDim})`);
    this.ensureCapacity(rows);
    const input = this.activations[0];
    const n = rows * this.inDim;
    for (let i = 0; i < n; i++) input[i] = x[i];
    for (let l = 0; l < this.layers.length; l++) {
      this.layers[l].forward(this.activations[l], this.activations[l + 1], rows);
    }
    this.forwardRows = rows;
    return this.activations[this.layers.length];
  }

  /**
   * Backpropagates dOut = dLoss/dOutput [rows x out] through the activations of the last
   * `forward` (which must have had the same rows); `dOut` is not modified. Parameter gradients
   * are overwritten, accumulated or skipped per `paramGrads`. Returns dLoss/dInput
   * [rows x in] (a reused buffer, like forward's output) when `needInputGrad`, else null.
   */
  backward(dOut: NumArray, rows: number, options: MlpBackwardOptions = {}): NumArray | null {
    const needInputGrad = options.needInputGrad ?? false;
    const mode = options.paramGrads ?? "overwrite";
    if (rows !== this.forwardRows) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `Mlp.backward got ${rows} rows but the last forward had ${this.forwardRows < 0 ? "not run" : `${this.forwardRows} rows`}; call forward on the same batch first`,
      );
    }
    if (mode === "skip" && !needInputGrad) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `Mlp.backward with paramGrads "skip" computes nothing unless needInputGrad is true`,
      );
    }
    const last = this.layers.length;
    assertMinLength(dOut, rows * this.outDim, `Mlp dOut (${rows} rows x ${this.outDim})`);
    const top = this.gradients[last];
    const n = rows * this.outDim;
    for (let i = 0; i < n; i++) top[i] = dOut[i];
    for (let l = last - 1; l >= 0; l--) {
      const dx = l > 0 || needInputGrad ? this.gradients[l] : null;
      this.layers[l].backward(
        this.activations[l],
        this.activations[l + 1],
        this.gradients[l + 1],
        dx,
        rows,
        mode,
      );
    }
    return needInputGrad ? this.gradients[0] : null;
  }

  zeroGrad(): void {
    this.grads.fill(0);
  }

  /** Copies another network's parameters (same sizes) into this one, converting dtype if needed. */
  copyParamsFrom(other: Mlp): void {
    if (other.config.sizes.join(",") !== this.config.sizes.join(",")) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `cannot copy parameters of an Mlp with sizes [${other.config.sizes.join(", ")}] into one with sizes [${this.config.sizes.join(", ")}]`,
      );
    }
    this.params.set(other.params);
  }

  /** Replaces all parameters (e.g. from a checkpoint); `values` must have `numParams` entries. */
  setParams(values: NumArray): void {
    assertLength(values, this.numParams, "Mlp parameters");
    this.params.set(values);
  }

  private checkRows(rows: number): void {
    if (!Number.isInteger(rows) || rows < 0) {
      throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
    }
  }

  private ensureCapacity(rows: number): void {
    if (rows <= this.capacity) return;
    const capacity = Math.max(rows, 2 * this.capacity);
    this.activations = this.config.sizes.map((width) => allocate(this.dtype, capacity * width));
    this.gradients = this.config.sizes.map((width) => allocate(this.dtype, capacity * width));
    this.capacity = capacity;
    this.forwardRows = -1;
  }
}
