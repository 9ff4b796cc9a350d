/**
 * Multi-task fusion, paper Eq. 1: the ranking score of a candidate with MTL predictions o is
 *
 *   score(o | α) = Σ_i α_i · log(o_i + β_i),   β_i > 0,
 *
 * one weight α_i per task in `TASKS` order. The ranking is invariant to scaling α by any c > 0
 * (every score is multiplied by c), so only the direction of α matters for what users see; the
 * per-task bounds of the action space (action.ts) keep that space compact rather than letting a
 * policy wander along a ray of equivalent actions.
 *
 * Validation placement: `fusionScores` checks shapes only (O(1)); it does not look at values,
 * because the simulator's hot loop produces scores it already knows are valid and should not
 * pay for a second pass. Scores that come from outside (the serving API, imported logs) must go
 * through `validateScores` at that edge. Unvalidated bad scores give NaN (which `topK` ranks
 * last) or ±Infinity (a negative α turns log 0 into +Infinity, which would rank first).
 */
import { MtfError } from "./errors.js";
import { N_TASKS, TASKS } from "./tasks.js";

function checkTaskVector(name: string, values: ArrayLike<number>): void {
  if (values.length !== N_TASKS) {
    const message = `${name} must have ${N_TASKS} values (one per task), got ${values.length}`;
    throw new MtfError("SHAPE_MISMATCH", message, {
      details: { name, expected: N_TASKS, actual: values.length },
    });
  }
}

function checkScoreMatrix(scores: ArrayLike<number>, candidates: number): void {
  if (!Number.isInteger(candidates) || candidates < 0) {
    throw new MtfError("INVALID_ARGUMENT", `candidates must be a non-negative integer, got ${candidates}`);
  }
  if (scores.length < candidates * N_TASKS) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `scores hold ${scores.length} values, need ${candidates} candidates x ${N_TASKS} tasks = ${candidates * N_TASKS}`,
      { details: { candidates, expected: candidates * N_TASKS, actual: scores.length } },
    );
  }
}

/** Eq. 1 for one candidate whose 12 scores start at `offset` in `scores`. */
export function fusionScore(
  scores: ArrayLike<number>,
  alpha: ArrayLike<number>,
  beta: ArrayLike<number>,
  offset = 0,
): number {
  let sum = 0;
  for (let i = 0; i < N_TASKS; i++) sum += alpha[i] * Math.log(scores[offset + i] + beta[i]);
  return sum;
}

/**
 * Eq. 1 over a batch: fills `out[c]` with the fusion score of candidate c, for `scores`
 * [candidates x 12] in task order. Allocates nothing; checks shapes but not values (see the
 * module comment: call `validateScores` first on scores from outside).
 */
export function fusionScores(
  scores: ArrayLike<number>,
  candidates: number,
  alpha: ArrayLike<number>,
  beta: ArrayLike<number>,
  out: Float32Array | Float64Array,
): void {
  checkScoreMatrix(scores, candidates);
  checkTaskVector("alpha", alpha);
  checkTaskVector("beta", beta);
  if (out.length < candidates) {
    throw new MtfError("SHAPE_MISMATCH", `out holds ${out.length} values, need ${candidates}`, {
      details: { expected: candidates, actual: out.length },
    });
  }
  for (let c = 0; c < candidates; c++) out[c] = fusionScore(scores, alpha, beta, c * N_TASKS);
}

/**
 * Checks that every score of `scores` [candidates x 12] is finite and that o_i + β_i > 0, so
 * Eq. 1 is defined. Throws `NON_FINITE_SCORE` or `SCORE_OUT_OF_RANGE` naming the first bad
 * candidate and task; `details` carry `candidate`, `task`, `taskIndex`, `score` and `beta`.
 */
export function validateScores(scores: ArrayLike<number>, candidates: number, beta: ArrayLike<number>): void {
  checkScoreMatrix(scores, candidates);
  checkTaskVector("beta", beta);
  for (let c = 0; c < candidates; c++) {
    for (let i = 0; i < N_TASKS; i++) {
      const score = scores[c * N_TASKS + i];
      const shifted = score + beta[i];
      if (Number.isFinite(score) && shifted > 0) continue;
      const task = TASKS[i];
      const details = { candidate: c, task, taskIndex: i, score, beta: beta[i] };
      if (!Number.isFinite(score)) {
        const message = `candidate ${c}, task "${task}": score is ${score}, must be finite`;
        throw new MtfError("NON_FINITE_SCORE", message, { details });
      }
      throw new MtfError(
        "SCORE_OUT_OF_RANGE",
        `candidate ${c}, task "${task}": o + β = ${score} + ${beta[i]} = ${shifted} must be > 0`,
        { details },
      );
    }
  }
}

/** NaN ranks as -Infinity, so a bad score never wins and the order stays total. */
function rankKey(value: number): number {
  return Number.isNaN(value) ? Number.NEGATIVE_INFINITY : value;
}

/** True when candidate a ranks strictly after candidate b (lower score, or tie and higher index). */
function ranksAfter(fusion: ArrayLike<number>, a: number, b: number): boolean {
  const fa = rankKey(fusion[a]);
  const fb = rankKey(fusion[b]);
  return fa < fb || (fa === fb && a > b);
}

/** Restores the heap property of `heap[0..size)` (root = the candidate that ranks last) below `i`. */
function siftDown(heap: Int32Array, size: number, i: number, fusion: ArrayLike<number>): void {
  let parent = i;
  for (;;) {
    const left = 2 * parent + 1;
    if (left >= size) return;
    const right = left + 1;
    const worse = right < size && ranksAfter(fusion, heap[right], heap[left]) ? right : left;
    if (!ranksAfter(fusion, heap[worse], heap[parent])) return;
    const tmp = heap[parent];
    heap[parent] = heap[worse];
    heap[worse] = tmp;
    parent = worse;
  }
}

/**
 * Indices of the k best of `fusion[0..n)`, best first; ties go to the lower index and NaN ranks
 * as -Infinity, so the result is deterministic. k > n is clamped to n. O(n log k) time with a
 * bounded heap kept in the result array. When `out` is given it must hold min(k, n) values; the
 * result is `out` itself or a view of its first min(k, n) entries.
 */
export function topK(fusion: ArrayLike<number>, n: number, k: number, out?: Int32Array): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n > fusion.length) {
    throw new MtfError("INVALID_ARGUMENT", `n must be an integer in [0, ${fusion.length}], got ${n}`);
  }
  if (!Number.isInteger(k) || k < 0) {
    throw new MtfError("INVALID_ARGUMENT", `k must be a non-negative integer, got ${k}`);
  }
  const size = Math.min(k, n);
  if (out !== undefined && out.length < size) {
    throw new MtfError("SHAPE_MISMATCH", `out holds ${out.length} indices, need ${size}`, {
      details: { expected: size, actual: out.length },
    });
  }
  const heap = out === undefined ? new Int32Array(size) : out.length === size ? out : out.subarray(0, size);
  if (size === 0) return heap;
  for (let i = 0; i < size; i++) heap[i] = i;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(heap, size, i, fusion);
  for (let i = size; i < n; i++) {
    if (ranksAfter(fusion, heap[0], i)) {
      heap[0] = i;
      siftDown(heap, size, 0, fusion);
    }
  }
  // Heapsort: move the current last-ranked to the end until the array is ordered best first.
  for (let end = size - 1; end > 0; end--) {
    const tmp = heap[0];
    heap[0] = heap[end];
    heap[end] = tmp;
    siftDown(heap, end, 0, fusion);
  }
  return heap;
}
