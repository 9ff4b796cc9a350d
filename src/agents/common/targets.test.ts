import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { concatColumns, getColumns, meanStd, repeatRows, setColumns } from "./batch.js";
import { identityNormaliser, normaliseStates } from "./normaliser.js";
import { bootstrapTarget, maxOverSamples, softClippedDoubleQ } from "./targets.js";

describe("targets", () => {
  it("soft clipped double Q: pure min at λ = 1, the BCQ mix otherwise", () => {
    const q1 = Float64Array.of(1, 5, -2);
    const q2 = Float64Array.of(3, 4, -1);
    const out = new Float64Array(3);
    softClippedDoubleQ(q1, q2, 1, 3, out);
    assert.deepEqual([...out], [1, 4, -2]);
    softClippedDoubleQ(q1, q2, 0.75, 3, out);
    assert.deepEqual([...out], [0.75 * 1 + 0.25 * 3, 0.75 * 4 + 0.25 * 5, 0.75 * -2 + 0.25 * -1]);
    assert.throws(
      () => softClippedDoubleQ(q1, q2, 1.5, 3, out),
      (e) => isMtfError(e, "INVALID_ARGUMENT"),
    );
  });

  it("max over samples per row, with the argmax", () => {
    const values = Float64Array.of(1, 7, 3, /* row 2 */ -1, -5, Number.NaN);
    const out = new Float64Array(2);
    const arg = new Int32Array(2);
    maxOverSamples(values, 2, 3, out, arg);
    assert.deepEqual([...out], [7, -1]);
    assert.deepEqual([...arg], [1, 0]);
  });

  it("bootstraps at truncated transitions and not at terminated ones", () => {
    // Row 0: ordinary; row 1: terminated (session ended); row 2: truncated (window cut) bootstraps.
    const rewards = Float32Array.of(1, 2, 3);
    const terminated = Float32Array.of(0, 1, 0);
    const next = Float64Array.of(10, 10, 10);
    const y = new Float64Array(3);
    bootstrapTarget(rewards, terminated, next, 0.95, 3, y);
    assert.deepEqual([...y], [1 + 9.5, 2, 3 + 9.5]);
  });
});

describe("batch reshapes", () => {
  it("concat, set and get columns, repeat rows like torch.repeat_interleave", () => {
    const s = Float64Array.of(1, 2, 3, 4); // [2, 2]
    const a = Float64Array.of(9, 8); // [2, 1]
    const sa = new Float64Array(6);
    concatColumns(s, 2, a, 1, 2, sa);
    assert.deepEqual([...sa], [1, 2, 9, 3, 4, 8]);
    setColumns(Float64Array.of(-1, -2), 1, sa, 3, 2, 2);
    assert.deepEqual([...sa], [1, 2, -1, 3, 4, -2]);
    const got = new Float64Array(2);
    getColumns(sa, 3, 2, 1, 2, got);
    assert.deepEqual([...got], [-1, -2]);
    const rep = new Float64Array(12);
    repeatRows(s, 2, 2, 3, rep);
    assert.deepEqual([...rep], [1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4]);
    assert.deepEqual(meanStd([1, 3]), { mean: 2, std: 1 });
    assert.throws(
      () => setColumns(a, 1, sa, 3, 3, 2),
      (e) => isMtfError(e, "SHAPE_MISMATCH"),
    );
  });

  it("normalises like the data module: (s − mean) / std", () => {
    const out = new Float32Array(4);
    normaliseStates({ mean: [1, -1], std: [2, 0.5] }, Float32Array.of(3, 0, 1, -1), 2, 2, out);
    assert.deepEqual([...out], [1, 2, 0, 0]);
    const id = new Float32Array(2);
    normaliseStates(identityNormaliser(2), Float32Array.of(0.3, -7), 1, 2, id);
    assert.deepEqual([...id], [Math.fround(0.3), -7]);
  });
});
