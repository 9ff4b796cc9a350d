import assert from "node:assert/strict";
import { test } from "node:test";
import { validateOpeData } from "./data.js";
import { opeDataFromTransitions } from "./split-data.js";

test("a split keeps only its states, re-indexed, its session starts as initial states, no s' where terminated", () => {
  // 6 states (1-d), 5 transitions in two sessions: [0→1, 1→2 (terminated)], [3→4, 4→5 (truncated)], and 2→0.
  const table = {
    stateDim: 1,
    states: Float32Array.of(10, 11, 12, 13, 14, 15),
    actions: Float32Array.of(0, 0, 1, 1, 2, 2, 3, 3, 4, 4),
    rewards: Float32Array.of(1, 2, 3, 4, 5),
    stateIndex: Int32Array.of(0, 1, 3, 4, 2),
    nextIndex: Int32Array.of(1, 2, 4, 5, 0),
    terminated: Uint8Array.of(0, 1, 0, 0, 0),
    first: Uint8Array.of(1, 0, 1, 0, 0),
  };
  const data = opeDataFromTransitions(table, Int32Array.of(2, 3, 1));
  validateOpeData(data);
  assert.equal(data.actionDim, 2);
  assert.deepEqual(Array.from(data.states), [13, 14, 15, 11]);
  assert.deepEqual(Array.from(data.stateIndex), [0, 1, 3]);
  assert.deepEqual(Array.from(data.nextStateIndex), [1, 2, -1]);
  assert.deepEqual(Array.from(data.rewards), [3, 4, 2]);
  assert.deepEqual(Array.from(data.actions), [2, 2, 3, 3, 1, 1]);
  assert.deepEqual(Array.from(data.initialStateIndex), [0]);
  assert.throws(() => opeDataFromTransitions(table, new Int32Array(0)), /no transitions/);
});
