import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { type OpeData, opeDataFingerprint, validateOpeData } from "./data.js";
import { EXAMPLE_BEHAVIOUR, EXAMPLE_MDP, sampleTabularDataset } from "./fixtures/tabular-mdp.js";

const { data } = sampleTabularDataset(EXAMPLE_MDP, EXAMPLE_BEHAVIOUR, 20, 30, 0.8, new Rng(2));

test("a well-formed dataset validates; terminated transitions may have no s'", () => {
  validateOpeData(data);
  assert.ok(data.nextStateIndex.includes(-1));
});

test("broken datasets are refused with a coded error naming the problem", () => {
  const cases: ReadonlyArray<readonly [string, Partial<OpeData>, string]> = [
    [
      "s out of range",
      { stateIndex: Int32Array.from(data.stateIndex, (s, i) => (i === 3 ? 10_000 : s)) },
      "stateIndex[3]",
    ],
    ["missing s'", { nextStateIndex: Int32Array.from(data.nextStateIndex, () => -1) }, "nextStateIndex"],
    ["no sessions", { initialStateIndex: new Int32Array(0) }, "no session starts"],
    [
      "NaN reward",
      { rewards: Float32Array.from(data.rewards, (r, i) => (i === 0 ? Number.NaN : r)) },
      "rewards[0]",
    ],
    [
      "flag 2",
      { terminated: Uint8Array.from(data.terminated, (t, i) => (i === 0 ? 2 : t)) },
      "terminated[0]",
    ],
    ["short actions", { actions: data.actions.subarray(1) }, "actions"],
  ];
  for (const [name, patch, needle] of cases) {
    assert.throws(
      () => validateOpeData({ ...data, ...patch }),
      (e) => isMtfError(e) && e.message.includes(needle),
      name,
    );
  }
});

test("the fingerprint changes with any array", () => {
  const rewards = data.rewards.slice();
  rewards[0] += 1;
  assert.notEqual(opeDataFingerprint({ ...data, rewards }), opeDataFingerprint(data));
  assert.equal(opeDataFingerprint({ ...data }), opeDataFingerprint(data));
});
