/**
 * D for the estimator from a stored transition table and one split of it (the test split of a
 * dataset folder, as `data/` loads it): only the states the split's transitions touch are kept,
 * re-indexed, so π_e is precomputed over the split alone. Initial states s⁰ are the states of
 * the split's session-first transitions. Structural input, so `ope/` needs nothing from `data/`.
 */
import { MtfError } from "../core/errors.js";
import type { OpeData } from "./data.js";

/** The columns of a stored transition table that OPE reads (data/transitions.ts's TransitionTable). */
export interface StoredTransitions {
  readonly stateDim: number;
  /** [nStates x stateDim] raw states. */
  readonly states: Float32Array;
  /** [nTransitions x actionDim] */
  readonly actions: Float32Array;
  readonly rewards: Float32Array;
  readonly stateIndex: Int32Array;
  readonly nextIndex: Int32Array;
  readonly terminated: Uint8Array;
  /** [nTransitions] 1 = first transition of its session. */
  readonly first: Uint8Array;
}

/** D restricted to `transitions` (indices into the table, e.g. the test split in time order). */
export function opeDataFromTransitions(table: StoredTransitions, transitions: Int32Array): OpeData {
  const size = transitions.length;
  if (size === 0) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      "the split holds no transitions; build the dataset with a test split",
    );
  }
  const actionDim = table.actions.length / table.rewards.length;
  const { stateDim } = table;
  const remap = new Map<number, number>();
  const keep = (row: number): number => {
    let index = remap.get(row);
    if (index === undefined) {
      index = remap.size;
      remap.set(row, index);
    }
    return index;
  };
  const stateIndex = new Int32Array(size);
  const nextStateIndex = new Int32Array(size);
  const actions = new Float32Array(size * actionDim);
  const rewards = new Float32Array(size);
  const terminated = new Uint8Array(size);
  const initial: number[] = [];
  for (let i = 0; i < size; i++) {
    const t = transitions[i];
    stateIndex[i] = keep(table.stateIndex[t]);
    terminated[i] = table.terminated[t];
    nextStateIndex[i] = terminated[i] === 1 ? -1 : keep(table.nextIndex[t]);
    rewards[i] = table.rewards[t];
    actions.set(table.actions.subarray(t * actionDim, (t + 1) * actionDim), i * actionDim);
    if (table.first[t] === 1) initial.push(stateIndex[i]);
  }
  const states = new Float32Array(remap.size * stateDim);
  for (const [row, index] of remap) {
    states.set(table.states.subarray(row * stateDim, (row + 1) * stateDim), index * stateDim);
  }
  return {
    stateDim,
    actionDim,
    states,
    stateIndex,
    nextStateIndex,
    actions,
    rewards,
    terminated,
    initialStateIndex: Int32Array.from(initial),
  };
}
