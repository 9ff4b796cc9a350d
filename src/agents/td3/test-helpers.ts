/**
 * Test helpers shared by the TD3 and UWAC+TD3 tests: a full-coverage dataset on the narrow-data
 * fixture's MDP, and bit-exact comparisons of trainer states.
 */
import assert from "node:assert/strict";
import { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";
import {
  evaluationContexts,
  type NarrowDataMdp,
  type OfflineData,
  returnBounds,
  reward,
} from "../fixtures/narrow-data.js";
import type { Td3Config } from "./config.js";
import type { Td3Trainer } from "./trainer.js";

/**
 * Sessions of the fixture's MDP logged by a uniformly random behaviour: actions ~ U[-1, 1]^k,
 * so the data cover the whole action space (the opposite of the fixture's narrow data). Sessions
 * end as in the fixture (probability p_end per step, at most H steps), never truncated.
 */
export function uniformActionData(mdp: NarrowDataMdp, sessions: number, seed: number): OfflineData {
  const rng = new Rng(seed);
  const { horizon: H, actionDim: A } = mdp;
  const rows: { c: number; t: number; a: Float64Array; term: number }[] = [];
  for (let s = 0; s < sessions; s++) {
    const c = rng.uniformIn(-1, 1);
    let length = 1;
    while (length < H && !rng.bernoulli(mdp.endProbability)) length += 1;
    for (let t = 0; t < length; t++) {
      const a = new Float64Array(A);
      for (let j = 0; j < A; j++) a[j] = rng.uniformIn(-1, 1);
      rows.push({ c, t, a, term: t === length - 1 ? 1 : 0 });
    }
  }
  const n = rows.length;
  const data: OfflineData = {
    size: n,
    stateDim: 2,
    actionDim: A,
    states: new Float32Array(n * 2),
    actions: new Float32Array(n * A),
    rewards: new Float32Array(n),
    nextStates: new Float32Array(n * 2),
    terminated: new Float32Array(n),
    truncated: new Float32Array(n),
    sessions,
  };
  rows.forEach((row, i) => {
    data.states.set([row.c, row.t / H], 2 * i);
    data.nextStates.set([row.c, (row.t + 1) / H], 2 * i);
    data.actions.set(row.a, i * A);
    data.rewards[i] = reward(mdp, row.c, data.actions, i * A);
    data.terminated[i] = row.term;
  });
  return data;
}

/** Every parameter and optimiser moment of a trainer, by name. */
export function trainerState(t: Td3Trainer<Td3Config>): Map<string, NumArray> {
  const out = new Map<string, NumArray>();
  for (const [name, net] of Object.entries(t.networks))
    out.set(`${name}.params`, Float32Array.from(net.params));
  for (const [name, adam] of Object.entries(t.optimisers)) {
    const s = adam.exportState();
    out.set(`${name}.m`, s.m);
    out.set(`${name}.v`, s.v);
    out.set(`${name}.step`, Float64Array.of(s.step));
  }
  return out;
}

export function assertBitIdentical(a: Map<string, NumArray>, b: Map<string, NumArray>): void {
  assert.deepEqual([...a.keys()], [...b.keys()]);
  for (const [key, x] of a) {
    const y = b.get(key) as NumArray;
    const bytesA = Buffer.from(x.buffer, x.byteOffset, x.byteLength);
    const bytesB = Buffer.from(y.buffer, y.byteOffset, y.byteLength);
    assert.ok(bytesA.equals(bytesB), `${key} differs`);
  }
}

/**
 * Q₁(s, π(s)) against the largest return achievable from s, over the fixture's evaluation grid
 * at every step t of a session: the smallest margin Q₁(s, π(s)) − V_max(t) (positive = every
 * estimate exceeds what the MDP can produce) and the range of the estimates.
 */
export function overestimation(
  mdp: NarrowDataMdp,
  trainer: Pick<Td3Trainer<Td3Config>, "policy" | "qValues">,
): { readonly minMargin: number; readonly min: number; readonly max: number } {
  const policy = trainer.policy();
  const contexts = evaluationContexts();
  const n = contexts.length;
  const states = new Float32Array(n * 2);
  const actions = new Float32Array(n * mdp.actionDim);
  const q1 = new Float32Array(n);
  const q2 = new Float32Array(n);
  let minMargin = Number.POSITIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < mdp.horizon; t++) {
    for (let i = 0; i < n; i++) states.set([contexts[i], t / mdp.horizon], 2 * i);
    policy.act(states, n, actions, new Rng(0));
    trainer.qValues(states, actions, n, q1, q2);
    const bound = returnBounds(mdp, t).max;
    for (const q of q1) {
      minMargin = Math.min(minMargin, q - bound);
      min = Math.min(min, q);
      max = Math.max(max, q);
    }
  }
  return { minMargin, min, max };
}
