import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../core/rng.js";
import { ReplayBuffer } from "./replay-buffer.js";
import type { TransitionTable } from "./transitions.js";

const DIM = 3;

/** n transitions; transition t has s = state t, s' = state t + 1, reward t, and flags from t. */
function table(n: number): TransitionTable {
  const states = new Float32Array((n + 1) * DIM);
  for (let i = 0; i < states.length; i++) states[i] = i;
  return {
    stateDim: DIM,
    states,
    actions: Float32Array.from({ length: n * 12 }, (_, i) => i / 1000),
    rewards: Float32Array.from({ length: n }, (_, t) => t),
    stateIndex: Int32Array.from({ length: n }, (_, t) => t),
    nextIndex: Int32Array.from({ length: n }, (_, t) => t + 1),
    terminated: Uint8Array.from({ length: n }, (_, t) => (t % 10 === 9 ? 1 : 0)),
    truncated: Uint8Array.from({ length: n }, (_, t) => (t === n - 1 ? 1 : 0)),
    first: Uint8Array.from({ length: n }, (_, t) => (t % 10 === 0 ? 1 : 0)),
  };
}

/** A time order that differs from storage order, as the split's is. */
function shuffledOrder(n: number): Int32Array {
  const order = Int32Array.from({ length: n }, (_, t) => t);
  new Rng(99).shuffle(order);
  return order;
}

function snapshot(buffer: ReplayBuffer): number[][] {
  const b = buffer.next();
  return [Array.from(b.rewards), Array.from(b.states), Array.from(b.nextStates), Array.from(b.actions)];
}

describe("ReplayBuffer", () => {
  it("gathers s, a, r, s' and flags of the drawn transitions", () => {
    const data = table(50);
    const buffer = new ReplayBuffer(data, shuffledOrder(50), {
      capacity: "all",
      batchSize: 32,
      steps: 1,
      rng: new Rng(1),
    });
    const b = buffer.next();
    for (let i = 0; i < b.size; i++) {
      const t = b.rewards[i];
      for (let k = 0; k < DIM; k++) {
        assert.equal(b.states[i * DIM + k], t * DIM + k);
        assert.equal(b.nextStates[i * DIM + k], (t + 1) * DIM + k);
      }
      assert.equal(b.actions[i * 12 + 5], data.actions[t * 12 + 5]);
      assert.equal(b.terminated[i], data.terminated[t]);
      assert.equal(b.truncated[i], data.truncated[t]);
    }
  });

  it("equals a straightforward gather at the encoder's state size, s' anywhere", () => {
    const n = 400;
    const dim = 51;
    const rng = new Rng(5);
    const states = new Float32Array((n + 7) * dim);
    rng.fillUniform(states);
    const data: TransitionTable = {
      ...table(n),
      stateDim: dim,
      states,
      rewards: Float32Array.from({ length: n }, () => rng.uniform()),
      stateIndex: Int32Array.from({ length: n }, () => rng.int(n + 7)),
      nextIndex: Int32Array.from({ length: n }, () => rng.int(n + 7)),
    };
    const order = shuffledOrder(n);
    for (const capacity of [100, "all"] as const) {
      const buffer = new ReplayBuffer(data, order, { capacity, batchSize: 64, steps: 5, rng: new Rng(8) });
      const reference = new Rng(8);
      for (let draw = 0; draw < 7; draw++) {
        const start = buffer.windowStart();
        const b = buffer.next();
        for (let i = 0; i < 64; i++) {
          const t = order[start + reference.int(buffer.window)];
          const row = (array: Float32Array, first: number, width: number) =>
            Array.from(array.subarray(first * width, (first + 1) * width));
          assert.deepEqual(row(b.states, i, dim), row(data.states, data.stateIndex[t], dim));
          assert.deepEqual(row(b.nextStates, i, dim), row(data.states, data.nextIndex[t], dim));
          assert.deepEqual(row(b.actions, i, 12), row(data.actions, t, 12));
          assert.deepEqual(
            [b.rewards[i], b.terminated[i], b.truncated[i]],
            [data.rewards[t], data.terminated[t], data.truncated[t]],
          );
        }
      }
    }
  });

  it("streams a split larger than its capacity through the FIFO window so every transition is seen", () => {
    const n = 1000;
    const order = shuffledOrder(n);
    const position = new Int32Array(n); // transition -> its place in time order
    order.forEach((t, i) => {
      position[t] = i;
    });
    const steps = 50;
    const buffer = new ReplayBuffer(table(n), order, {
      capacity: 100,
      batchSize: 256,
      steps,
      rng: new Rng(2),
    });
    assert.equal(buffer.window, 100);
    assert.equal(buffer.streamStep, Math.ceil(900 / 49));
    const inWindow = new Uint8Array(n);
    let previousStart = -1;
    for (let step = 0; step < steps; step++) {
      const start = buffer.windowStart();
      assert.ok(start >= previousStart, "the window only moves forward in time");
      previousStart = start;
      for (let i = start; i < start + 100; i++) inWindow[order[i]] = 1;
      const b = buffer.next();
      for (const r of b.rewards) {
        const p = position[r];
        assert.ok(
          p >= start && p < start + 100,
          `drew transition at time position ${p} outside [${start}, ${start + 100})`,
        );
      }
    }
    assert.equal(previousStart, 900, "the last draw sees the newest transitions");
    assert.equal(
      inWindow.reduce((a, b) => a + b, 0),
      n,
      "every transition passed through the buffer",
    );
    buffer.next(); // beyond `steps` the last window stays
    assert.equal(buffer.windowStart(), 900);
  });

  it("samples uniformly from the whole split with capacity all", () => {
    const buffer = new ReplayBuffer(table(200), shuffledOrder(200), {
      capacity: "all",
      batchSize: 256,
      steps: 10,
      rng: new Rng(3),
    });
    const counts = new Float64Array(200);
    for (let i = 0; i < 200; i++) for (const r of buffer.next().rewards) counts[r] += 1;
    assert.equal(buffer.windowStart(), 0);
    const mean = (200 * 256) / 200;
    const chi2 = counts.reduce((s, c) => s + (c - mean) ** 2 / mean, 0);
    assert.ok(chi2 < 280, `chi² ${chi2} with 199 degrees of freedom`); // p ≈ 0.0002
  });

  it("draws the same batches from the same seed", () => {
    const make = () =>
      new ReplayBuffer(table(300), shuffledOrder(300), { capacity: 50, steps: 20, rng: new Rng(4) });
    const [a, b] = [make(), make()];
    for (let i = 0; i < 5; i++) assert.deepEqual(snapshot(a), snapshot(b));
  });

  it("resumes from saveState with exactly the batches it would have drawn", () => {
    const make = (seed: number) =>
      new ReplayBuffer(table(300), shuffledOrder(300), {
        capacity: 50,
        batchSize: 16,
        steps: 20,
        rng: new Rng(seed),
      });
    const original = make(5);
    for (let i = 0; i < 8; i++) original.next();
    const saved = JSON.parse(JSON.stringify(original.saveState()));
    const expected = Array.from({ length: 6 }, () => snapshot(original));
    const resumed = make(12345); // a different seed: the state must override it
    resumed.restoreState(saved);
    assert.equal(resumed.windowStart(), Math.min(8 * resumed.streamStep, 250));
    const got = Array.from({ length: 6 }, () => snapshot(resumed));
    assert.deepEqual(got, expected);
  });

  it("refuses a state from another buffer or another kind", () => {
    const buffer = new ReplayBuffer(table(100), shuffledOrder(100), {
      capacity: 50,
      steps: 20,
      rng: new Rng(6),
    });
    const other = new ReplayBuffer(table(120), shuffledOrder(120), {
      capacity: 50,
      steps: 20,
      rng: new Rng(6),
    });
    assert.throws(() => buffer.restoreState(other.saveState()), { code: "DATASET_MISMATCH" });
    assert.throws(() => buffer.restoreState({ kind: "something-else" }), { code: "CHECKPOINT_WRONG_KIND" });
    assert.throws(() => buffer.restoreState({ ...buffer.saveState(), draws: -1 }), {
      code: "CHECKPOINT_CORRUPT",
    });
  });

  it("validates its options", () => {
    const data = table(10);
    const order = shuffledOrder(10);
    assert.throws(() => new ReplayBuffer(data, order, { capacity: 0, steps: 1, rng: new Rng(1) }), {
      code: "INVALID_ARGUMENT",
    });
    assert.throws(() => new ReplayBuffer(data, order, { batchSize: 0, steps: 1, rng: new Rng(1) }), {
      code: "INVALID_ARGUMENT",
    });
    assert.throws(() => new ReplayBuffer(data, new Int32Array(0), { steps: 1, rng: new Rng(1) }), {
      code: "INVALID_ARGUMENT",
    });
    assert.throws(() => new ReplayBuffer(data, Int32Array.of(10), { steps: 1, rng: new Rng(1) }), {
      code: "SHAPE_MISMATCH",
    });
  });
});
