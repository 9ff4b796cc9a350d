/**
 * The Adam optimiser (stateful: moments and step count) and Polyak averaging of target
 * networks, both single kernel calls over a network's flat parameter array.
 */
import { MtfError } from "../core/errors.js";
import type { Kernels, NumArray } from "./kernels.js";
import { allocate, assertLength, dtypeOf } from "./tensor.js";

/** Anything with one flat parameter array, its gradients and the kernels it runs on (an Mlp). */
export interface Parameterised {
  readonly params: NumArray;
  readonly grads: NumArray;
  readonly kernels: Kernels;
}

export interface AdamOptions {
  /** Learning rate. */
  readonly lr: number;
  /** Default 0.9, as torch.optim.Adam. */
  readonly beta1?: number;
  /** Default 0.999. */
  readonly beta2?: number;
  /** Default 1e-8. */
  readonly eps?: number;
}

/** Adam's state for checkpoints: the moment estimates and the number of steps taken. */
export interface AdamState {
  readonly step: number;
  readonly m: NumArray;
  readonly v: NumArray;
}

function checkHyperparameters(options: Required<AdamOptions>): void {
  const { lr, beta1, beta2, eps } = options;
  if (!(Number.isFinite(lr) && lr > 0)) {
    throw new MtfError("INVALID_ARGUMENT", `Adam lr must be a positive number (e.g. 1e-3), got ${lr}`);
  }
  for (const [name, beta] of [
    ["beta1", beta1],
    ["beta2", beta2],
  ] as const) {
    if (!(beta >= 0 && beta < 1)) {
      throw new MtfError("INVALID_ARGUMENT", `Adam ${name} must lie in [0, 1), got ${beta}`);
    }
  }
  if (!(Number.isFinite(eps) && eps >= 0)) {
    throw new MtfError("INVALID_ARGUMENT", `Adam eps must be a non-negative number (e.g. 1e-8), got ${eps}`);
  }
}

/** Bias-corrected Adam (Kingma & Ba 2015) without weight decay, as torch.optim.Adam. */
export class Adam {
  readonly options: Required<AdamOptions>;
  private readonly target: Parameterised;
  private readonly m: NumArray;
  private readonly v: NumArray;
  private t = 0;

  constructor(target: Parameterised, options: AdamOptions) {
    this.options = {
      lr: options.lr,
      beta1: options.beta1 ?? 0.9,
      beta2: options.beta2 ?? 0.999,
      eps: options.eps ?? 1e-8,
    };
    checkHyperparameters(this.options);
    assertLength(target.grads, target.params.length, "Adam gradients (one per parameter)");
    this.target = target;
    const dtype = dtypeOf(target.params);
    this.m = allocate(dtype, target.params.length);
    this.v = allocate(dtype, target.params.length);
  }

  /** Parameters this optimiser updates. */
  get numParams(): number {
    return this.m.length;
  }

  /** Steps taken so far. */
  get step(): number {
    return this.t;
  }

  /** Applies one update to the target's parameters from its current gradients. */
  update(): void {
    this.t += 1;
    const { lr, beta1, beta2, eps } = this.options;
    const { params, grads, kernels } = this.target;
    kernels.adam(params, grads, this.m, this.v, params.length, lr, beta1, beta2, eps, this.t);
  }

  /** A copy of the state. */
  exportState(): AdamState {
    return { step: this.t, m: this.m.slice(), v: this.v.slice() };
  }

  /** Restores a state from `exportState` (or a checkpoint) for the same parameter count. */
  importState(state: AdamState): void {
    const n = this.target.params.length;
    assertLength(state.m, n, "Adam state m");
    assertLength(state.v, n, "Adam state v");
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `Adam state step must be a non-negative integer, got ${state.step}`,
      );
    }
    this.m.set(state.m);
    this.v.set(state.v);
    this.t = state.step;
  }
}

/**
 * Polyak averaging of a target network (Algorithm 1 of the BatchRL-MTF paper):
 * θ' ← η·θ + (1 − η)·θ', with `target` θ' and `source` θ of the same size and dtype.
 */
export function softUpdate(target: Parameterised, source: Parameterised, eta: number): void {
  if (!(eta >= 0 && eta <= 1)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `softUpdate eta must lie in [0, 1] (the paper uses 0.05), got ${eta}`,
    );
  }
  assertLength(source.params, target.params.length, "softUpdate source parameters");
  if (dtypeOf(source.params) !== dtypeOf(target.params)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `softUpdate needs target and source of one dtype; got ${dtypeOf(target.params)} and ${dtypeOf(source.params)}`,
    );
  }
  target.kernels.softUpdate(target.params, source.params, target.params.length, eta);
}
