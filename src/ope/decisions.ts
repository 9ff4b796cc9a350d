/**
 * π_e(·|s) precomputed once over every stored state of D (DESIGN.md: "Precompute π_e(s) and
 * π_e(s') over D once"), so K iterations never call the policy. A state's decisions are
 * `samples` actions with weights π_e(a|s) summing to 1 — the weighted sum of Eq. 9,
 * Σ_a π_e(a|s)·Q̂(s, a). A deterministic policy has one decision of weight 1; a stochastic one
 * `decisionSamples` independent draws of weight 1/samples each; a tabular policy may list every
 * action with its exact probability (`explicitDecisions`).
 */
import { createHash } from "node:crypto";
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import type { Rng } from "../core/rng.js";
import { numStates, type OpeData } from "./data.js";

export interface PolicyDecisions {
  /** Decisions per state. */
  readonly samples: number;
  readonly actionDim: number;
  /** [numStates x samples x actionDim] actions a ~ π_e(·|s). */
  readonly actions: Float32Array;
  /** [numStates x samples] weights π_e(a|s); each state's row sums to 1. */
  readonly weights: Float32Array;
}

/** What the estimator needs of a policy: `act` fills [rows x data.actionDim] from raw states. */
export type EvaluatedPolicy = Pick<Policy, "id" | "stateDim" | "stochastic" | "act">;

/** States per `act` call while precomputing (bounds the policy's scratch memory). */
const CHUNK_STATES = 2048;

/**
 * Runs `policy` over every stored state of D: once per state when it is deterministic,
 * `samples` times when it is stochastic (draws from `rng` only). Rows of one `act` call are
 * [chunk states x samples] so a stochastic policy sees each state `samples` times in a row.
 */
export function precomputeDecisions(
  policy: EvaluatedPolicy,
  data: OpeData,
  samples: number,
  rng: Rng,
): PolicyDecisions {
  if (policy.stateDim !== data.stateDim) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `policy ${policy.id} takes ${policy.stateDim}-dimensional states but the dataset's have ${data.stateDim}; evaluate it on data built with the same state encoder`,
      { details: { policy: policy.id, policyStateDim: policy.stateDim, dataStateDim: data.stateDim } },
    );
  }
  if (!Number.isInteger(samples) || samples < 1) {
    throw new MtfError("INVALID_ARGUMENT", `decision samples must be a positive integer, got ${samples}`);
  }
  const k = policy.stochastic ? samples : 1;
  const { stateDim, actionDim } = data;
  const count = numStates(data);
  const actions = new Float32Array(count * k * actionDim);
  const chunk = Math.min(CHUNK_STATES, count);
  const input = new Float32Array(chunk * k * stateDim);
  for (let start = 0; start < count; start += chunk) {
    const states = Math.min(chunk, count - start);
    // [states, stateDim] -> [states x k, stateDim]: each state repeated k times in a row
    for (let s = 0; s < states; s++) {
      const row = data.states.subarray((start + s) * stateDim, (start + s + 1) * stateDim);
      for (let j = 0; j < k; j++) input.set(row, (s * k + j) * stateDim);
    }
    const out = actions.subarray(start * k * actionDim, (start + states) * k * actionDim);
    policy.act(input, states * k, out, rng);
  }
  for (let i = 0; i < actions.length; i++) {
    if (!Number.isFinite(actions[i])) {
      throw new MtfError(
        "NON_FINITE_SCORE",
        `policy ${policy.id} produced a non-finite action for state ${Math.floor(i / (k * actionDim))}`,
      );
    }
  }
  return { samples: k, actionDim, actions, weights: new Float32Array(count * k).fill(1 / k) };
}

/**
 * Decisions given outright: `samples` actions per state with their probabilities π_e(a|s)
 * (e.g. every action of a tabular MDP). Checks shapes and that each state's weights are
 * non-negative and sum to 1.
 */
export function explicitDecisions(
  actions: Float32Array,
  weights: Float32Array,
  samples: number,
  actionDim: number,
): PolicyDecisions {
  if (weights.length % samples !== 0 || actions.length !== weights.length * actionDim) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `decisions: ${weights.length} weights and ${actions.length} action numbers do not form [states x ${samples}] and [states x ${samples} x ${actionDim}]`,
    );
  }
  for (let s = 0; s < weights.length / samples; s++) {
    let sum = 0;
    for (let j = 0; j < samples; j++) {
      const w = weights[s * samples + j];
      if (!(w >= 0))
        throw new MtfError("INVALID_ARGUMENT", `decision weight of state ${s}, sample ${j} is ${w}`);
      sum += w;
    }
    if (Math.abs(sum - 1) > 1e-5) {
      throw new MtfError("INVALID_ARGUMENT", `decision weights of state ${s} sum to ${sum}, not 1`);
    }
  }
  return { samples, actionDim, actions, weights };
}

/** Throws unless `decisions` cover every stored state of `data` with its action width. */
export function checkDecisionsFit(decisions: PolicyDecisions, data: OpeData): void {
  const count = numStates(data);
  if (decisions.actionDim !== data.actionDim || decisions.weights.length !== count * decisions.samples) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `decisions cover ${decisions.weights.length / decisions.samples} states with ${decisions.actionDim}-dimensional actions; the dataset has ${count} states and ${data.actionDim}-dimensional actions`,
    );
  }
}

/** Hex SHA-256 of the decisions: an evaluator checkpoint refuses to resume on other decisions. */
export function decisionsFingerprint(decisions: PolicyDecisions): string {
  const hash = createHash("sha256");
  hash.update(`${decisions.samples},${decisions.actionDim};`);
  for (const array of [decisions.actions, decisions.weights]) {
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest("hex");
}
