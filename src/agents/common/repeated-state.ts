/**
 * The forward pass of an Mlp over [s, x] rows where each state s comes n times in a row (the n
 * sampled actions per state of BCQ's Eq. 4 and Eq. 7, or any agent's "n samples per state").
 * The first layer splits as
 *
 *   act([s, x]·W + b) = act(s·W_s + x·W_x + b),   W = [W_s; W_x] (W is stored [in x out], so W_s
 *   is its first S rows and W_x the rest),
 *
 * so s·W_s is computed once per state instead of n times, and no [s, x] rows are ever built.
 * The result equals `net.forward` on the concatenated, repeated rows up to float rounding (the
 * first layer's sum is split in two). Forward only: it keeps its own activation buffers and does
 * not touch the network's, so a backward cannot follow it.
 */
import { MtfError } from "../../core/errors.js";
import type { Activation, Kernels, NumArray } from "../../nn/kernels.js";
import type { Mlp } from "../../nn/mlp.js";
import { allocate } from "../../nn/tensor.js";

function activate(values: NumArray, n: number, activation: Activation, kernels: Kernels): void {
  if (activation === "relu") {
    // relu(h) = h · 1[h > 0], which is the relu backward with dY = Y = h: one native pass.
    kernels.activationBackward(values, values, n, "relu");
  } else if (activation === "tanh") {
    for (let i = 0; i < n; i++) values[i] = Math.tanh(values[i]);
  }
}

export class RepeatedStateForward {
  readonly net: Mlp;
  readonly stateDim: number;
  readonly repeats: number;
  /** Width of x, the per-row part of the input. */
  readonly extraDim: number;
  private capacity = 0;
  /** W_s [S, out_0] and W_x [X, out_0]: views into the first layer's weight. */
  private readonly stateWeight: NumArray;
  private readonly extraWeight: NumArray;
  /** [states, out_0] s·W_s */
  private stateProjection: NumArray;
  /** activations[l]: output of layer l, [states·n, out_l] */
  private activations: NumArray[] = [];

  constructor(net: Mlp, stateDim: number, repeats: number, maxStates = 1) {
    if (!(Number.isInteger(stateDim) && stateDim >= 1 && stateDim < net.inDim)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `RepeatedStateForward: the state part (${stateDim}) must be a positive integer below the network's input width ${net.inDim}`,
      );
    }
    if (!(Number.isInteger(repeats) && repeats >= 1)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `RepeatedStateForward: repeats must be a positive integer, got ${repeats}`,
      );
    }
    this.net = net;
    this.stateDim = stateDim;
    this.repeats = repeats;
    this.extraDim = net.inDim - stateDim;
    const first = net.layers[0];
    this.stateWeight = first.weight.subarray(0, stateDim * first.outDim);
    this.extraWeight = first.weight.subarray(stateDim * first.outDim);
    this.stateProjection = allocate(net.dtype, 0);
    this.ensureCapacity(maxStates);
  }

  /**
   * net([s_r, x_{r·n+j}]) for r < states, j < n: `states` [states, S], `extra` [states·n, X] →
   * the output buffer [states·n, out] (reused by the next call; copy what you keep).
   */
  forward(states: NumArray, extra: NumArray, rows: number): NumArray {
    const { net, stateDim: S, extraDim: X, repeats: n } = this;
    if (states.length < rows * S || extra.length < rows * n * X) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `RepeatedStateForward: ${rows} states need ${rows * S} state values and ${rows * n * X} extra values, got ${states.length} and ${extra.length}`,
      );
    }
    this.ensureCapacity(rows);
    const kernels = net.kernels;
    const first = net.layers[0];
    const out = first.outDim;
    const Rn = rows * n;
    // [states, S] x [S, out] -> [states, out], then + b once per state
    kernels.gemm(false, false, rows, out, S, 1, states, this.stateWeight, 0, this.stateProjection);
    const projection = this.stateProjection;
    for (let r = 0; r < rows; r++) {
      const row = r * out;
      for (let c = 0; c < out; c++) projection[row + c] += first.bias[c];
    }
    // [states, out] -> [states*n, out]: each state's row copied n times (memcpy, no JS loop)
    const h = this.activations[0];
    for (let r = 0; r < rows; r++) {
      const row = projection.subarray(r * out, (r + 1) * out);
      for (let j = 0; j < n; j++) h.set(row, (r * n + j) * out);
    }
    // += [states*n, X] x [X, out]
    kernels.gemm(false, false, Rn, out, X, 1, extra, this.extraWeight, 1, h);
    activate(h, Rn * out, first.activation, kernels);
    for (let l = 1; l < net.layers.length; l++)
      net.layers[l].forward(this.activations[l - 1], this.activations[l], Rn);
    return this.activations[net.layers.length - 1];
  }

  private ensureCapacity(states: number): void {
    if (states <= this.capacity) return;
    const capacity = Math.max(states, 2 * this.capacity);
    const dtype = this.net.dtype;
    this.stateProjection = allocate(dtype, capacity * this.net.layers[0].outDim);
    this.activations = this.net.layers.map((layer) =>
      allocate(dtype, capacity * this.repeats * layer.outDim),
    );
    this.capacity = capacity;
  }
}
