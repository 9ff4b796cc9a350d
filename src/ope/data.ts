/**
 * The evaluation dataset D of Algorithm 2 as plain arrays: the test split of a dataset (the CLI
 * adapts a loaded one) or a hand-made tabular MDP in tests. Each state is stored once and
 * transitions index into the state matrix, so π_e is precomputed once per stored state and
 * covers s, s' and s⁰ alike. Validated once, with coded errors, before any fitting.
 */
import { createHash } from "node:crypto";
import { MtfError } from "../core/errors.js";

export interface OpeData {
  /** Width of a raw state vector. */
  readonly stateDim: number;
  /** Width of an action (12 fusion weights for mtf data; one-hot actions in tabular tests). */
  readonly actionDim: number;
  /** [numStates x stateDim] raw encoded states; each policy applies its own normaliser. */
  readonly states: Float32Array;
  /** [size] row of s in `states`, per transition. */
  readonly stateIndex: Int32Array;
  /** [size] row of s' in `states`; read only where the session did not terminate (-1 allowed there). */
  readonly nextStateIndex: Int32Array;
  /** [size x actionDim] logged actions a. */
  readonly actions: Float32Array;
  /** [size] rewards r (Eq. 2). */
  readonly rewards: Float32Array;
  /**
   * [size] 1 where the session ended at this step: no bootstrap. A session cut by the end of the
   * data window (`truncated`) is NOT terminated: its s' exists and is bootstrapped.
   */
  readonly terminated: Uint8Array;
  /** [numSessions] row in `states` of each session's initial state s⁰ (the support of d⁰ in Eq. 9). */
  readonly initialStateIndex: Int32Array;
}

/** Number of stored states. */
export function numStates(data: OpeData): number {
  return data.states.length / data.stateDim;
}

/** Number of transitions. */
export function numTransitions(data: OpeData): number {
  return data.rewards.length;
}

function invalid(message: string, details: Record<string, unknown> = {}): MtfError {
  return new MtfError("INVALID_ARGUMENT", `OPE dataset: ${message}`, { details });
}

function checkIndices(
  name: string,
  indices: Int32Array,
  states: number,
  allowMissing: Uint8Array | null,
): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i];
    if (allowMissing !== null && allowMissing[i] === 1) continue;
    if (!(index >= 0 && index < states)) {
      throw invalid(`${name}[${i}] = ${index} is not a row of the ${states} stored states`, {
        name,
        row: i,
        index,
      });
    }
  }
}

/**
 * Throws a coded error explaining the first problem found: shapes that disagree, indices out
 * of range, non-finite values, flags other than 0/1, or no transitions or sessions at all.
 */
export function validateOpeData(data: OpeData): void {
  const { stateDim, actionDim } = data;
  if (!Number.isInteger(stateDim) || stateDim <= 0 || !Number.isInteger(actionDim) || actionDim <= 0) {
    throw invalid(`stateDim and actionDim must be positive integers, got ${stateDim} and ${actionDim}`);
  }
  if (data.states.length % stateDim !== 0) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `OPE dataset: states hold ${data.states.length} numbers, not a multiple of stateDim ${stateDim}`,
    );
  }
  const size = numTransitions(data);
  if (size === 0) throw invalid("it holds no transitions; evaluate on a non-empty test split");
  const lengths: ReadonlyArray<readonly [string, number, number]> = [
    ["stateIndex", data.stateIndex.length, size],
    ["nextStateIndex", data.nextStateIndex.length, size],
    ["terminated", data.terminated.length, size],
    ["actions", data.actions.length, size * actionDim],
  ];
  for (const [name, found, expected] of lengths) {
    if (found !== expected) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `OPE dataset: ${name} has ${found} entries, expected ${expected}`,
        {
          details: { name, expected, found },
        },
      );
    }
  }
  if (data.initialStateIndex.length === 0) throw invalid("it holds no session starts (initial states)");
  const states = numStates(data);
  checkIndices("stateIndex", data.stateIndex, states, null);
  checkIndices("nextStateIndex", data.nextStateIndex, states, data.terminated);
  checkIndices("initialStateIndex", data.initialStateIndex, states, null);
  for (let i = 0; i < size; i++) {
    if (data.terminated[i] > 1) throw invalid(`terminated[${i}] = ${data.terminated[i]}; flags are 0 or 1`);
    if (!Number.isFinite(data.rewards[i])) throw invalid(`rewards[${i}] = ${data.rewards[i]} is not finite`);
  }
  for (const [name, values] of [
    ["states", data.states],
    ["actions", data.actions],
  ] as const) {
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i])) throw invalid(`${name}[${i}] = ${values[i]} is not finite`);
    }
  }
}

/** Hex SHA-256 over every array of D: an evaluator checkpoint refuses to resume on other data. */
export function opeDataFingerprint(data: OpeData): string {
  const hash = createHash("sha256");
  hash.update(`${data.stateDim},${data.actionDim};`);
  for (const array of [
    data.states,
    data.stateIndex,
    data.nextStateIndex,
    data.actions,
    data.rewards,
    data.terminated,
    data.initialStateIndex,
  ]) {
    hash.update(`${array.length};`);
    hash.update(new Uint8Array(array.buffer, array.byteOffset, array.byteLength));
  }
  return hash.digest("hex");
}
