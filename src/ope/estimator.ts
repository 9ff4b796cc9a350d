/**
 * The Conservative Offline Policy Estimator (BatchRL-MTF Sec. 4.3.1, Eq. 9-10, Algorithm 2,
 * Appendix A): fitted Q evaluation of π_e on the test split D with a CQL regulariser.
 *
 * Reading of Algorithm 2 (DESIGN.md, "Reading the paper"): per iteration k ONE Adam step
 * MINIMISES (line 6 writes argmax)
 *   ½·(1/m)·Σ_i (Q_θ(s_i, a_i) − ŷ_i)² + α·[(1/m)·Σ_i E_{a~π_e} Q_θ(s_i, a) − (1/m)·Σ_i Q_θ(s_i, a_i)],
 *   ŷ_i = r_i + γ·(1 − terminated_i)·E_{a'~π_e} Q_θ⁻(s'_i, a')
 * Only the bootstrap term of ŷ uses the frozen copy θ⁻ (hard-copied from θ before every
 * `targetUpdateInterval`-th iteration: 1 is line 4's Q_k, the default 100 is what stays
 * bounded off the data, see config.ts); the TD prediction and the regulariser use θ, or α
 * would have no gradient. π_e is precomputed over D (decisions.ts).
 * With one-hot tabular inputs the fixed point is Q = T^π Q − α·(π_e − π_β)/π_β (see the tests).
 *
 * Q_θ is an MLP [standardised state ++ action] -> 1 with ReLU hidden layers (Appendix A).
 */
import { MtfError } from "../core/errors.js";
import { Rng, type RngState } from "../core/rng.js";
import { Adam } from "../nn/adam.js";
import type { Kernels } from "../nn/kernels.js";
import { Mlp } from "../nn/mlp.js";
import type { OpeOptions } from "./config.js";
import { numStates, numTransitions, type OpeData, validateOpeData } from "./data.js";
import { checkDecisionsFit, type PolicyDecisions } from "./decisions.js";
import { conservativePenalty, expectedDecisionValue, fqeTarget, tdLoss } from "./objective.js";
import { fitStandardiser, type Standardiser, standardise } from "./standardiser.js";

export interface ConservativeOpeArgs {
  /** The evaluation dataset D (the test split). */
  readonly data: OpeData;
  /** π_e over every stored state of D. */
  readonly decisions: PolicyDecisions;
  readonly options: OpeOptions;
  /** Default: fitted on D's states. */
  readonly standardiser?: Standardiser;
  /** Default: the process-wide backend. */
  readonly kernels?: Kernels;
}

/** Where a fit stands: what a checkpoint stores besides the networks and Adam's moments. */
export interface ConservativeOpeProgress {
  readonly iteration: number;
  readonly batchRng: RngState;
}

function checkOptions(options: OpeOptions): void {
  if (!(options.gamma >= 0 && options.gamma < 1)) {
    throw new MtfError("INVALID_CONFIG", `OPE discount gamma must lie in [0, 1), got ${options.gamma}`);
  }
  if (!(options.alpha >= 0 && Number.isFinite(options.alpha))) {
    throw new MtfError(
      "INVALID_CONFIG",
      `OPE alpha must be a finite number >= 0 (0 is plain FQE), got ${options.alpha}`,
    );
  }
}

export class ConservativeOpe {
  readonly options: OpeOptions;
  readonly data: OpeData;
  readonly decisions: PolicyDecisions;
  readonly standardiser: Standardiser;
  /** Q_θ: the network being fitted. */
  readonly q: Mlp;
  /** Q_θ⁻: the frozen copy, used only in the bootstrap term of ŷ. */
  readonly frozen: Mlp;
  readonly adam: Adam;

  private iterationsDone = 0;
  private batchRng: Rng;
  /** [numStates x stateDim] D's states, standardised once. */
  private readonly inputStates: Float32Array;
  private readonly inDim: number;
  /** Rows [0, m): (s_i, a_i); rows [m, m + m·k): (s_i, a_ij) for the regulariser. [(m + m·k) x inDim] */
  private readonly inputs: Float32Array;
  /** (s'_i, a'_ij) for the bootstrap term. [m·k x inDim] */
  private readonly nextInputs: Float32Array;
  /** d L / d Q_θ for the rows of `inputs`. [m + m·k] */
  private readonly grad: Float32Array;
  private readonly rewards: Float32Array;
  private readonly terminated: Float32Array;
  /** w_ij of the batch's s_i and of its s'_i. [m x k] */
  private readonly weights: Float32Array;
  private readonly nextWeights: Float32Array;
  private readonly nextValues: Float32Array;
  private readonly targets: Float32Array;

  /** `rng` seeds Q_θ's initialisation and the batch sampling (two derived streams). */
  constructor(args: ConservativeOpeArgs, rng: Rng) {
    const { data, decisions, options } = args;
    validateOpeData(data);
    checkDecisionsFit(decisions, data);
    checkOptions(options);
    this.options = options;
    this.data = data;
    this.decisions = decisions;
    const states = numStates(data);
    this.standardiser = args.standardiser ?? fitStandardiser(data.states, states, data.stateDim);
    this.inputStates = standardise(data.states, states, data.stateDim, this.standardiser);
    this.inDim = data.stateDim + data.actionDim;
    const m = options.batchSize;
    const k = decisions.samples;
    const sizes = [this.inDim, ...options.hiddenSizes, 1];
    const net = {
      sizes,
      hiddenActivation: "relu",
      outputActivation: "identity",
      kernels: args.kernels,
    } as const;
    this.q = new Mlp({ ...net, maxBatch: m + m * k }, rng.derive("q-init"));
    this.frozen = new Mlp({ ...net, maxBatch: m * k }, rng.derive("q-init"));
    this.frozen.copyParamsFrom(this.q);
    this.adam = new Adam(this.q, { lr: options.lr });
    this.batchRng = rng.derive("batches");
    this.inputs = new Float32Array((m + m * k) * this.inDim);
    this.nextInputs = new Float32Array(m * k * this.inDim);
    this.grad = new Float32Array(m + m * k);
    this.rewards = new Float32Array(m);
    this.terminated = new Float32Array(m);
    this.weights = new Float32Array(m * k);
    this.nextWeights = new Float32Array(m * k);
    this.nextValues = new Float32Array(m);
    this.targets = new Float32Array(m);
  }

  /** Iterations k taken so far. */
  get iteration(): number {
    return this.iterationsDone;
  }

  /** Iteration count and sampling RNG state (for checkpoints). */
  progress(): ConservativeOpeProgress {
    return { iteration: this.iterationsDone, batchRng: this.batchRng.getState() };
  }

  /** Resumes from `progress()` of a run whose networks and Adam state were restored too. */
  restoreProgress(progress: ConservativeOpeProgress): void {
    if (!Number.isInteger(progress.iteration) || progress.iteration < 0) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `OPE iteration must be a non-negative integer, got ${progress.iteration}`,
      );
    }
    this.iterationsDone = progress.iteration;
    this.batchRng = Rng.fromState(progress.batchRng);
  }

  /** One iteration k of Algorithm 2 (lines 3-6): one Adam step. Returns its metrics. */
  step(): Record<string, number> {
    const { batchSize: m, alpha, gamma, targetUpdateInterval } = this.options;
    const k = this.decisions.samples;
    if (this.iterationsDone % targetUpdateInterval === 0) this.frozen.copyParamsFrom(this.q);
    this.sampleBatch(alpha > 0);

    // ŷ_i (Alg. 2 line 4) from the frozen copy: [m·k] -> [m]
    const qNext = this.frozen.forward(this.nextInputs, m * k);
    expectedDecisionValue(qNext, this.nextWeights, m, k, this.nextValues);
    fqeTarget(this.rewards, this.terminated, this.nextValues, gamma, m, this.targets);

    // Q_θ(s_i, a_i) and, when α > 0, Q_θ(s_i, a_ij) in one forward: [m + m·k] rows
    const rows = alpha > 0 ? m + m * k : m;
    const out = this.q.forward(this.inputs, rows);
    const qData = out.subarray(0, m);
    const td = tdLoss(qData, this.targets, m, this.grad);
    const metrics: Record<string, number> = {
      "loss/td": td,
      "q/data": mean(qData),
      "target/mean": mean(this.targets),
    };
    if (alpha > 0) {
      const penalty = conservativePenalty(
        qData,
        out.subarray(m, m + m * k),
        this.weights,
        m,
        k,
        alpha,
        this.grad.subarray(0, m),
        this.grad.subarray(m, m + m * k),
      );
      metrics["loss/penalty"] = penalty;
      metrics["q/policy"] = metrics["q/data"] + penalty;
      metrics["loss/total"] = td + alpha * penalty;
    } else {
      metrics["loss/total"] = td;
    }
    this.q.backward(this.grad, rows, { paramGrads: "overwrite" });
    this.adam.update();
    this.iterationsDone += 1;
    return metrics;
  }

  /** Runs the remaining iterations up to K; `onIteration` sees each one's metrics. */
  fit(onIteration?: (iteration: number, metrics: Record<string, number>) => void): void {
    while (this.iterationsDone < this.options.iterations) {
      const metrics = this.step();
      onIteration?.(this.iterationsDone, metrics);
    }
  }

  /**
   * E_{a~π_e(·|s)} Q_θ(s, a) for each listed stored state (the inner sum of Eq. 9): [rows] ->
   * [rows], float64.
   */
  policyValues(stateRows: ArrayLike<number>): Float64Array {
    const k = this.decisions.samples;
    const chunk = Math.max(1, Math.floor(this.q.maxBatch / k));
    const values = new Float64Array(stateRows.length);
    const chunkValues = new Float64Array(chunk);
    const weights = new Float32Array(chunk * k);
    for (let start = 0; start < stateRows.length; start += chunk) {
      const rows = Math.min(chunk, stateRows.length - start);
      for (let i = 0; i < rows; i++) {
        const s = stateRows[start + i];
        for (let j = 0; j < k; j++) {
          this.writeDecisionRow(this.inputs, i * k + j, s, j);
          weights[i * k + j] = this.decisions.weights[s * k + j];
        }
      }
      const q = this.q.forward(this.inputs, rows * k);
      expectedDecisionValue(q, weights, rows, k, chunkValues);
      values.set(chunkValues.subarray(0, rows), start);
    }
    return values;
  }

  /** Q_θ(s, a) for `rows` raw states [rows x stateDim] and actions [rows x actionDim]: [rows], float64. */
  qValues(states: Float32Array, actions: Float32Array, rows: number): Float64Array {
    const { stateDim, actionDim } = this.data;
    const { mean, std } = this.standardiser;
    const chunk = this.q.maxBatch;
    const values = new Float64Array(rows);
    for (let start = 0; start < rows; start += chunk) {
      const count = Math.min(chunk, rows - start);
      for (let i = 0; i < count; i++) {
        const r = start + i;
        const offset = i * this.inDim;
        // [rows, stateDim] ++ [rows, actionDim] -> [rows, inDim], states standardised
        for (let c = 0; c < stateDim; c++)
          this.inputs[offset + c] = (states[r * stateDim + c] - mean[c]) / std[c];
        for (let c = 0; c < actionDim; c++) this.inputs[offset + stateDim + c] = actions[r * actionDim + c];
      }
      values.set(this.q.forward(this.inputs, count).subarray(0, count), start);
    }
    return values;
  }

  /**
   * Alg. 2 line 3: m transitions drawn uniformly with replacement; fills the network inputs,
   * rewards, flags and decision weights of the batch.
   */
  private sampleBatch(withPolicyRows: boolean): void {
    const m = this.options.batchSize;
    const k = this.decisions.samples;
    const { data } = this;
    const size = numTransitions(data);
    const { actionDim, stateDim } = data;
    for (let i = 0; i < m; i++) {
      const t = this.batchRng.int(size);
      const s = data.stateIndex[t];
      const ended = data.terminated[t] === 1;
      // A terminated transition's s' is never read (masked in ŷ); its own s stands in.
      const next = ended ? s : data.nextStateIndex[t];
      this.rewards[i] = data.rewards[t];
      this.terminated[i] = ended ? 1 : 0;
      const row = i * this.inDim;
      this.inputs.set(this.inputStates.subarray(s * stateDim, (s + 1) * stateDim), row);
      this.inputs.set(data.actions.subarray(t * actionDim, (t + 1) * actionDim), row + stateDim);
      for (let j = 0; j < k; j++) {
        if (withPolicyRows) {
          this.writeDecisionRow(this.inputs, m + i * k + j, s, j);
          this.weights[i * k + j] = this.decisions.weights[s * k + j];
        }
        this.writeDecisionRow(this.nextInputs, i * k + j, next, j);
        this.nextWeights[i * k + j] = this.decisions.weights[next * k + j];
      }
    }
  }

  /** Writes row `row` of `target` as [standardised state s ++ its j-th decision]. */
  private writeDecisionRow(target: Float32Array, row: number, s: number, j: number): void {
    const { stateDim, actionDim } = this.data;
    const k = this.decisions.samples;
    const offset = row * this.inDim;
    target.set(this.inputStates.subarray(s * stateDim, (s + 1) * stateDim), offset);
    const from = (s * k + j) * actionDim;
    target.set(this.decisions.actions.subarray(from, from + actionDim), offset + stateDim);
  }
}

function mean(values: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < values.length; i++) sum += values[i];
  return sum / values.length;
}
