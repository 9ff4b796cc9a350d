/**
 * One fully connected layer y = act(x·W + b) over views into its owner's flat parameter and
 * gradient arrays. Within its slice the layout is W [in x out] followed by b [out].
 */
import type { Rng } from "../core/rng.js";
import type { Activation, Kernels, NumArray } from "./kernels.js";
import { assertLength } from "./tensor.js";

export interface LinearArgs {
  readonly inDim: number;
  readonly outDim: number;
  readonly activation: Activation;
  /** This layer's slice of the owner's parameters: `Linear.paramCount(inDim, outDim)` entries. */
  readonly params: NumArray;
  /** This layer's slice of the owner's gradients, same size as `params`. */
  readonly grads: NumArray;
  readonly kernels: Kernels;
}

/** What `Linear.backward` does with the parameter gradients. */
export type ParamGradMode = "overwrite" | "accumulate" | "skip";

export class Linear {
  readonly inDim: number;
  readonly outDim: number;
  readonly activation: Activation;
  /** [in x out] */
  readonly weight: NumArray;
  /** [out] */
  readonly bias: NumArray;
  readonly weightGrad: NumArray;
  readonly biasGrad: NumArray;
  private readonly kernels: Kernels;

  static paramCount(inDim: number, outDim: number): number {
    return inDim * outDim + outDim;
  }

  constructor(args: LinearArgs) {
    const count = Linear.paramCount(args.inDim, args.outDim);
    assertLength(args.params, count, `Linear(${args.inDim} -> ${args.outDim}) params`);
    assertLength(args.grads, count, `Linear(${args.inDim} -> ${args.outDim}) grads`);
    this.inDim = args.inDim;
    this.outDim = args.outDim;
    this.activation = args.activation;
    this.kernels = args.kernels;
    const weightCount = args.inDim * args.outDim;
    this.weight = args.params.subarray(0, weightCount);
    this.bias = args.params.subarray(weightCount, count);
    this.weightGrad = args.grads.subarray(0, weightCount);
    this.biasGrad = args.grads.subarray(weightCount, count);
  }

  /** PyTorch nn.Linear's default: W and b ~ U(−1/√in, 1/√in), W drawn first. */
  initialize(rng: Rng): void {
    const bound = 1 / Math.sqrt(this.inDim);
    rng.fillUniform(this.weight, -bound, bound);
    rng.fillUniform(this.bias, -bound, bound);
  }

  /** y[rows x out] = act(x[rows x in] · W + b). */
  forward(x: NumArray, y: NumArray, rows: number): void {
    this.kernels.linearForward(x, this.weight, this.bias, y, rows, this.inDim, this.outDim, this.activation);
  }

  /**
   * Backward through act and the affine map, given this layer's input `x` and output `y` of the
   * last forward. `dy` [rows x out] is the loss gradient w.r.t. `y` and is turned IN PLACE into
   * the gradient w.r.t. the pre-activation. Writes dX [rows x in] into `dx` when not null.
   */
  backward(
    x: NumArray,
    y: NumArray,
    dy: NumArray,
    dx: NumArray | null,
    rows: number,
    mode: ParamGradMode,
  ): void {
    this.kernels.activationBackward(y, dy, rows * this.outDim, this.activation);
    if (mode !== "skip") {
      this.kernels.linearBackward(
        x,
        this.weight,
        dy,
        dx,
        this.weightGrad,
        this.biasGrad,
        rows,
        this.inDim,
        this.outDim,
        mode === "accumulate",
      );
    } else if (dx !== null) {
      // dX: [rows, out] x [out, in] -> [rows, in]
      this.kernels.gemm(false, true, rows, this.inDim, this.outDim, 1, dy, this.weight, 0, dx);
    }
  }
}
