import assert from "node:assert/strict";
import { test } from "node:test";
import { isMtfError } from "./errors.js";
import { deriveSeed, Rng } from "./rng.js";

const draws = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

test("the same seed gives the same stream", () => {
  assert.deepEqual(draws(new Rng(42), 100), draws(new Rng(42), 100));
  const a = new Rng(7);
  const b = new Rng(7);
  for (let i = 0; i < 100; i++) assert.equal(a.normal(), b.normal());
});

test("different seeds give different streams", () => {
  const seeds = [0, 1, 2, 42, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 3];
  const heads = seeds.map((seed) => draws(new Rng(seed), 4).join(","));
  assert.equal(new Set(heads).size, seeds.length);
});

test("non-finite seeds are rejected with a coded error", () => {
  for (const seed of [Number.NaN, Number.POSITIVE_INFINITY]) {
    assert.throws(
      () => new Rng(seed),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
});

test("getState/setState resumes the exact stream, including a pending spare normal", () => {
  const rng = new Rng(123);
  for (let i = 0; i < 17; i++) rng.uniform();
  rng.normal(); // leaves the second Box-Muller deviate pending
  const state = rng.getState();
  assert.notEqual(state.spareNormal, null);
  const expected = [rng.normal(), rng.normal(), rng.uniform(), rng.int(1000), rng.normal()];

  // Through JSON, as a checkpoint stores it.
  const restored = Rng.fromState(JSON.parse(JSON.stringify(state)));
  assert.deepEqual(
    [restored.normal(), restored.normal(), restored.uniform(), restored.int(1000), restored.normal()],
    expected,
  );

  const other = new Rng(999);
  other.setState(state);
  assert.deepEqual(
    [other.normal(), other.normal(), other.uniform(), other.int(1000), other.normal()],
    expected,
  );
  assert.deepEqual(other.derive("x").getState(), new Rng(123).derive("x").getState());
});

test("setState rejects malformed states", () => {
  const good = new Rng(5).getState();
  const bad = [
    { ...good, s: [0, 0, 0, 0] },
    { ...good, s: [1, 2, 3] },
    { ...good, s: [1, 2, 3, 2 ** 32] },
    { ...good, s: [1, 2, 3, -1] },
    { ...good, spareNormal: Number.NaN },
  ];
  for (const state of bad) {
    assert.throws(
      () => Rng.fromState(state as never),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
  const missingSpare = { seed: good.seed, s: good.s } as never;
  const rng = Rng.fromState(missingSpare);
  assert.equal(typeof rng.normal(), "number");
});

test("uniform has mean 1/2 and variance 1/12 over 1e5 draws, all in [0, 1)", () => {
  const rng = new Rng(2024);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.uniform();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
  }
  const mean = sum / n;
  const variance = sumSq / n - mean * mean;
  // Standard error of the mean is sqrt(1/12 / n) ≈ 0.0009; 5 standard errors.
  assert.ok(Math.abs(mean - 0.5) < 0.0046, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
});

test("uniformIn and fillUniform stay in [low, high)", () => {
  const rng = new Rng(3);
  for (let i = 0; i < 1000; i++) {
    const x = rng.uniformIn(-2, 5);
    assert.ok(x >= -2 && x < 5);
  }
  const out = new Float64Array(1000);
  rng.fillUniform(out, 10, 11);
  for (const x of out) assert.ok(x >= 10 && x < 11);
});

test("normal has mean 0 and std 1 over 1e5 draws; fillNormal scales", () => {
  const rng = new Rng(77);
  const n = 100_000;
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSq += z * z;
  }
  const mean = sum / n;
  const std = Math.sqrt(sumSq / n - mean * mean);
  assert.ok(Math.abs(mean) < 0.016, `mean ${mean}`); // 5 standard errors
  assert.ok(Math.abs(std - 1) < 0.012, `std ${std}`);

  const out = new Float64Array(n);
  new Rng(78).fillNormal(out, 3, 0.5);
  const m = out.reduce((a, b) => a + b, 0) / n;
  const s = Math.sqrt(out.reduce((a, b) => a + (b - m) ** 2, 0) / n);
  assert.ok(Math.abs(m - 3) < 0.008, `mean ${m}`);
  assert.ok(Math.abs(s - 0.5) < 0.006, `std ${s}`);
});

test("int(n) covers [0, n) uniformly and never leaves it", () => {
  const rng = new Rng(11);
  for (const n of [1, 2, 3, 7, 10]) {
    const counts = new Array<number>(n).fill(0);
    const trials = 20_000;
    for (let i = 0; i < trials; i++) {
      const k = rng.int(n);
      assert.ok(Number.isInteger(k) && k >= 0 && k < n, `int(${n}) gave ${k}`);
      counts[k]++;
    }
    const expected = trials / n;
    for (const c of counts) assert.ok(Math.abs(c - expected) < 5 * Math.sqrt(expected), `counts ${counts}`);
  }
  for (const n of [2 ** 31 + 1, 2 ** 32]) {
    for (let i = 0; i < 1000; i++) {
      const k = rng.int(n);
      assert.ok(Number.isInteger(k) && k >= 0 && k < n);
    }
  }
  for (const bad of [0, -1, 1.5, 2 ** 32 + 1, Number.NaN]) {
    assert.throws(
      () => rng.int(bad),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
});

test("categorical frequencies follow the weights; zero weights never come up", () => {
  const rng = new Rng(5);
  const weights = [1, 0, 2, 7];
  const counts = [0, 0, 0, 0];
  const n = 50_000;
  for (let i = 0; i < n; i++) counts[rng.categorical(weights)]++;
  assert.equal(counts[1], 0);
  const total = 10;
  for (const j of [0, 2, 3]) {
    const p = weights[j] / total;
    const sd = Math.sqrt((n * p * (1 - p)) / 1);
    assert.ok(Math.abs(counts[j] - n * p) < 5 * sd, `counts ${counts}`);
  }
  for (const bad of [[0, 0], [1, -1], [1, Number.NaN], [Number.POSITIVE_INFINITY]]) {
    assert.throws(
      () => rng.categorical(bad),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
});

test("bernoulli(p) has frequency p", () => {
  const rng = new Rng(8);
  let hits = 0;
  const n = 50_000;
  for (let i = 0; i < n; i++) if (rng.bernoulli(0.3)) hits++;
  assert.ok(Math.abs(hits / n - 0.3) < 5 * Math.sqrt((0.3 * 0.7) / n));
});

test("shuffle is a permutation and is seeded", () => {
  const items = Array.from({ length: 50 }, (_, i) => i);
  const a = [...items];
  const b = [...items];
  new Rng(9).shuffle(a);
  new Rng(9).shuffle(b);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, items);
  assert.deepEqual(
    [...a].sort((x, y) => x - y),
    items,
  );

  const typed = Int32Array.from(items);
  new Rng(10).shuffle(typed);
  assert.deepEqual(
    Array.from(typed).sort((x, y) => x - y),
    items,
  );
});

test("derive(label) does not depend on how many draws the parent made", () => {
  const fresh = new Rng(31);
  const used = new Rng(31);
  for (let i = 0; i < 1000; i++) used.normal();
  assert.deepEqual(draws(fresh.derive("sim"), 20), draws(used.derive("sim"), 20));
  assert.notDeepEqual(draws(fresh.derive("sim"), 20), draws(fresh.derive("train"), 20));
  assert.notDeepEqual(draws(new Rng(32).derive("sim"), 20), draws(fresh.derive("sim"), 20));
  // Deriving does not move the parent.
  const parent = new Rng(31);
  parent.derive("x");
  assert.deepEqual(draws(parent, 5), draws(new Rng(31), 5));
  assert.equal(deriveSeed(31, "sim"), deriveSeed(31, "sim"));
});
