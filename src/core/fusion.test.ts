import assert from "node:assert/strict";
import { test } from "node:test";
import { DEFAULT_BETA } from "./action.js";
import { isMtfError, type MtfError } from "./errors.js";
import { fusionScore, fusionScores, topK, validateScores } from "./fusion.js";
import { Rng } from "./rng.js";
import { N_TASKS } from "./tasks.js";

const ONES = new Array<number>(N_TASKS).fill(1);

/** 3 candidates; everything is 0 except the entries set here. */
function threeCandidates(): Float32Array {
  const scores = new Float32Array(3 * N_TASKS);
  scores[0 * N_TASKS + 0] = 0.5; // click
  scores[0 * N_TASKS + 3] = 9; // play_time
  scores[1 * N_TASKS + 0] = 0.99;
  scores[1 * N_TASKS + 4] = 0.99; // skip
  scores[2 * N_TASKS + 3] = 99;
  return scores;
}

test("Eq. 1 on 3 candidates matches hand-computed scores", () => {
  const alpha = new Array<number>(N_TASKS).fill(0);
  alpha[0] = 1; // click
  alpha[3] = 0.5; // play_time
  alpha[4] = -2; // skip
  const beta = new Array<number>(N_TASKS).fill(0.01);
  beta[3] = 1;
  const out = new Float64Array(3);
  fusionScores(threeCandidates(), 3, alpha, beta, out);
  const expected = [
    Math.log(Math.fround(0.5) + 0.01) + 0.5 * Math.log(10) - 2 * Math.log(0.01),
    Math.log(Math.fround(0.99) + 0.01) + 0.5 * Math.log(1) - 2 * Math.log(Math.fround(0.99) + 0.01),
    Math.log(0.01) + 0.5 * Math.log(100) - 2 * Math.log(0.01),
  ];
  // Closed forms of the above, up to the float32 rounding of the stored scores.
  assert.ok(Math.abs(expected[0] - (Math.log(0.51) + 0.5 * Math.log(10) + 2 * Math.log(100))) < 1e-6);
  assert.ok(Math.abs(expected[1]) < 1e-6);
  assert.ok(Math.abs(expected[2] - 3 * Math.log(10)) < 1e-9);
  for (let c = 0; c < 3; c++) assert.ok(Math.abs(out[c] - expected[c]) < 1e-9, `candidate ${c}: ${out[c]}`);
  assert.deepEqual(Array.from(topK(out, 3, 3)), [0, 2, 1]);
});

test("the batch equals the scalar loop and writes Float32 outputs", () => {
  const rng = new Rng(1);
  const candidates = 200;
  const scores = new Float32Array(candidates * N_TASKS);
  rng.fillUniform(scores, 0, 1);
  const alpha = Array.from({ length: N_TASKS }, () => rng.uniformIn(-2, 2));
  const out64 = new Float64Array(candidates);
  const out32 = new Float32Array(candidates);
  fusionScores(scores, candidates, alpha, DEFAULT_BETA, out64);
  fusionScores(scores, candidates, alpha, DEFAULT_BETA, out32);
  for (let c = 0; c < candidates; c++) {
    let sum = 0;
    for (let i = 0; i < N_TASKS; i++) sum += alpha[i] * Math.log(scores[c * N_TASKS + i] + DEFAULT_BETA[i]);
    assert.equal(out64[c], sum);
    assert.equal(out64[c], fusionScore(scores, alpha, DEFAULT_BETA, c * N_TASKS));
    assert.equal(out32[c], Math.fround(sum));
  }
});

test("fusionScores checks shapes with coded errors", () => {
  const scores = new Float32Array(2 * N_TASKS);
  const cases: [() => void, string][] = [
    [() => fusionScores(scores, 3, ONES, DEFAULT_BETA, new Float64Array(3)), "SHAPE_MISMATCH"],
    [() => fusionScores(scores, 2, [1, 2], DEFAULT_BETA, new Float64Array(2)), "SHAPE_MISMATCH"],
    [() => fusionScores(scores, 2, ONES, [0.01], new Float64Array(2)), "SHAPE_MISMATCH"],
    [() => fusionScores(scores, 2, ONES, DEFAULT_BETA, new Float64Array(1)), "SHAPE_MISMATCH"],
    [() => fusionScores(scores, -1, ONES, DEFAULT_BETA, new Float64Array(1)), "INVALID_ARGUMENT"],
  ];
  for (const [call, code] of cases) assert.throws(call, (e: unknown) => isMtfError(e) && e.code === code);
  fusionScores(scores, 0, ONES, DEFAULT_BETA, new Float64Array(0));
});

function thrown(call: () => void): MtfError {
  try {
    call();
  } catch (error) {
    if (isMtfError(error)) return error;
    throw error;
  }
  assert.fail("expected an MtfError");
}

test("validateScores names the candidate and task of a non-finite score", () => {
  for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY]) {
    const scores = threeCandidates();
    scores[2 * N_TASKS + 7] = bad; // candidate 2, follow
    const error = thrown(() => validateScores(scores, 3, DEFAULT_BETA));
    assert.equal(error.code, "NON_FINITE_SCORE");
    assert.match(error.message, /candidate 2, task "follow"/);
    assert.equal(error.details.candidate, 2);
    assert.equal(error.details.task, "follow");
    assert.equal(error.details.taskIndex, 7);
  }
});

test("validateScores rejects o + β <= 0 naming candidate and task", () => {
  const scores = threeCandidates();
  scores[1 * N_TASKS + 5] = -0.21; // candidate 1, like: -0.21 + 0.01 = -0.2
  const error = thrown(() => validateScores(scores, 3, DEFAULT_BETA));
  assert.equal(error.code, "SCORE_OUT_OF_RANGE");
  assert.match(error.message, /^candidate 1, task "like": o \+ β = .* must be > 0$/);
  assert.deepEqual(
    { candidate: error.details.candidate, task: error.details.task, beta: error.details.beta },
    { candidate: 1, task: "like", beta: 0.01 },
  );

  const zero = threeCandidates();
  zero[3] = -1; // candidate 0, play_time: -1 + 1 = 0
  const zeroError = thrown(() => validateScores(zero, 3, DEFAULT_BETA));
  assert.equal(zeroError.code, "SCORE_OUT_OF_RANGE");
  assert.match(zeroError.message, /candidate 0, task "play_time"/);

  validateScores(threeCandidates(), 3, DEFAULT_BETA);
  // Candidates beyond `candidates` are not read.
  validateScores(scores, 1, DEFAULT_BETA);
});

test("topK: best first, ties to the lower index, k clamped, NaN last", () => {
  const fusion = [3, 5, 5, 1, 5, 3];
  assert.deepEqual(Array.from(topK(fusion, 6, 3)), [1, 2, 4]);
  assert.deepEqual(Array.from(topK(fusion, 6, 4)), [1, 2, 4, 0]);
  assert.deepEqual(Array.from(topK(fusion, 6, 6)), [1, 2, 4, 0, 5, 3]);
  assert.deepEqual(Array.from(topK(fusion, 6, 100)), [1, 2, 4, 0, 5, 3]);
  assert.deepEqual(Array.from(topK(fusion, 3, 10)), [1, 2, 0]);
  assert.deepEqual(Array.from(topK(fusion, 6, 0)), []);
  assert.deepEqual(Array.from(topK([], 0, 3)), []);
  assert.deepEqual(Array.from(topK([Number.NaN, 1, Number.NEGATIVE_INFINITY, 2], 4, 4)), [3, 1, 0, 2]);
  assert.deepEqual(Array.from(topK([7, 7, 7, 7], 4, 2)), [0, 1]);
});

test("topK writes into out and matches a stable sort on random inputs", () => {
  const rng = new Rng(4);
  const out = new Int32Array(64);
  for (let trial = 0; trial < 200; trial++) {
    const n = 1 + rng.int(300);
    const k = 1 + rng.int(40);
    // Few distinct values, so ties are common.
    const fusion = Array.from({ length: n }, () => rng.int(10));
    const expected = Array.from({ length: n }, (_, i) => i)
      .sort((a, b) => fusion[b] - fusion[a] || a - b)
      .slice(0, k);
    const result = topK(fusion, n, k, out);
    assert.deepEqual(Array.from(result), expected);
    assert.equal(result.buffer, out.buffer);
  }
  assert.throws(
    () => topK([1, 2, 3], 3, 3, new Int32Array(2)),
    (e: unknown) => isMtfError(e, "SHAPE_MISMATCH"),
  );
  for (const [n, k] of [
    [4, 1],
    [-1, 1],
    [2, -1],
    [2, 1.5],
  ]) {
    assert.throws(
      () => topK([1, 2, 3], n, k),
      (e: unknown) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  }
});

test("the ranking is invariant to scaling α by c > 0", () => {
  const rng = new Rng(2);
  const candidates = 50;
  const scores = new Float32Array(candidates * N_TASKS);
  const base = new Float64Array(candidates);
  const scaled = new Float64Array(candidates);
  for (let trial = 0; trial < 50; trial++) {
    rng.fillUniform(scores, 0, 1);
    for (let c = 0; c < candidates; c++) scores[c * N_TASKS + 3] = rng.uniformIn(0, 60); // play_time, s
    const alpha = Array.from({ length: N_TASKS }, () => rng.uniformIn(-2, 2));
    // Powers of two scale exactly, so even ties are preserved bit for bit.
    for (const c of [0.25, 2, 64, rng.uniformIn(0.01, 100)]) {
      fusionScores(scores, candidates, alpha, DEFAULT_BETA, base);
      fusionScores(
        scores,
        candidates,
        alpha.map((a) => a * c),
        DEFAULT_BETA,
        scaled,
      );
      assert.deepEqual(Array.from(topK(scaled, candidates, 10)), Array.from(topK(base, candidates, 10)));
    }
  }
});
