import assert from "node:assert/strict";
import { test } from "node:test";
import {
  actionsToAlphas,
  actionToAlpha,
  alphaBounds,
  alphasToActions,
  alphasToActionsChecked,
  alphaToAction,
  alphaToActionChecked,
  clipAction,
  DEFAULT_ALPHA_BOUNDS,
  DEFAULT_BETA,
} from "./action.js";
import { isMtfError, type MtfError } from "./errors.js";
import { Rng } from "./rng.js";
import { N_TASKS, TASKS, taskIndex } from "./tasks.js";

const filled = (value: number): number[] => new Array<number>(N_TASKS).fill(value);
/** The centre of the default bounds: 1 for positive tasks, -1 for skip, hate, exit. */
const centre = (): number[] => TASKS.map((t) => (["skip", "hate", "exit"].includes(t) ? -1 : 1));

test("defaults: β 0.01 for probabilities and 1 s for play_time; α bounds by sign of the task", () => {
  assert.equal(DEFAULT_BETA.length, N_TASKS);
  TASKS.forEach((task, i) => {
    assert.equal(DEFAULT_BETA[i], task === "play_time" ? 1 : 0.01);
    const negative = task === "skip" || task === "hate" || task === "exit";
    assert.deepEqual(
      [DEFAULT_ALPHA_BOUNDS.low[i], DEFAULT_ALPHA_BOUNDS.high[i]],
      negative ? [-2, 0] : [0, 2],
    );
  });
  assert.ok(Object.isFrozen(DEFAULT_BETA) && Object.isFrozen(DEFAULT_ALPHA_BOUNDS.low));
});

test("the box corners and centre map onto the bounds", () => {
  const alpha = new Float64Array(N_TASKS);
  actionToAlpha(filled(-1), DEFAULT_ALPHA_BOUNDS, alpha);
  assert.deepEqual(Array.from(alpha), DEFAULT_ALPHA_BOUNDS.low);
  actionToAlpha(filled(1), DEFAULT_ALPHA_BOUNDS, alpha);
  assert.deepEqual(Array.from(alpha), DEFAULT_ALPHA_BOUNDS.high);
  actionToAlpha(filled(0), DEFAULT_ALPHA_BOUNDS, alpha);
  assert.deepEqual(Array.from(alpha), centre());

  const bounds = alphaBounds(filled(-3), filled(5));
  const action = new Float64Array(N_TASKS);
  alphaToAction(filled(3), bounds, action);
  assert.deepEqual(Array.from(action), filled(0.5));
});

test("round trip action -> α -> action over a seeded batch, in place too", () => {
  const rng = new Rng(12);
  const rows = 100;
  const actions = new Float64Array(rows * N_TASKS);
  rng.fillUniform(actions, -1, 1);
  const alphas = new Float64Array(rows * N_TASKS);
  actionsToAlphas(actions, rows, DEFAULT_ALPHA_BOUNDS, alphas);
  for (let j = 0; j < alphas.length; j++) {
    const i = j % N_TASKS;
    assert.ok(alphas[j] >= DEFAULT_ALPHA_BOUNDS.low[i] && alphas[j] <= DEFAULT_ALPHA_BOUNDS.high[i]);
  }
  const back = new Float64Array(rows * N_TASKS);
  alphasToActions(alphas, rows, DEFAULT_ALPHA_BOUNDS, back);
  for (let j = 0; j < back.length; j++) assert.ok(Math.abs(back[j] - actions[j]) < 1e-12);
  alphasToActionsChecked(alphas, rows, DEFAULT_ALPHA_BOUNDS, back);
  for (let j = 0; j < back.length; j++) assert.ok(Math.abs(back[j] - actions[j]) < 1e-12);

  const inPlace = Float64Array.from(actions);
  actionsToAlphas(inPlace, rows, DEFAULT_ALPHA_BOUNDS, inPlace);
  assert.deepEqual(inPlace, alphas);
  alphasToActions(inPlace, rows, DEFAULT_ALPHA_BOUNDS, inPlace);
  for (let j = 0; j < inPlace.length; j++) assert.ok(Math.abs(inPlace[j] - actions[j]) < 1e-12);
});

test("a float32 round trip stays inside the checked tolerance and the box", () => {
  const rng = new Rng(13);
  const rows = 200;
  const actions = new Float32Array(rows * N_TASKS);
  rng.fillUniform(actions, -1, 1);
  for (let i = 0; i < N_TASKS; i++) actions[i] = 1; // corners survive float32 rounding
  const alphas = new Float32Array(rows * N_TASKS);
  actionsToAlphas(actions, rows, DEFAULT_ALPHA_BOUNDS, alphas);
  const back = new Float32Array(rows * N_TASKS);
  alphasToActionsChecked(alphas, rows, DEFAULT_ALPHA_BOUNDS, back);
  for (let j = 0; j < back.length; j++) {
    assert.ok(back[j] >= -1 && back[j] <= 1);
    assert.ok(Math.abs(back[j] - actions[j]) < 1e-6);
  }
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

test("the checked variant rejects α outside the bounds, naming row and task", () => {
  const alphas = Float64Array.from([...centre(), ...centre()]);
  alphasToActionsChecked(alphas, 2, DEFAULT_ALPHA_BOUNDS, new Float64Array(2 * N_TASKS));

  const positiveSkip = Float64Array.from(alphas);
  positiveSkip[N_TASKS + taskIndex("skip")] = 0.5;
  const error = thrown(() =>
    alphasToActionsChecked(positiveSkip, 2, DEFAULT_ALPHA_BOUNDS, new Float64Array(2 * N_TASKS)),
  );
  assert.equal(error.code, "ALPHA_OUT_OF_BOUNDS");
  assert.match(error.message, /row 1, task "skip": α = 0.5 is outside its bounds \[-2, 0\]/);
  assert.equal(error.details.row, 1);
  assert.equal(error.details.task, "skip");

  for (const bad of [2.01, -0.001, Number.NaN, Number.POSITIVE_INFINITY]) {
    const alpha = centre();
    alpha[taskIndex("like")] = bad;
    const e = thrown(() => alphaToActionChecked(alpha, DEFAULT_ALPHA_BOUNDS, new Float64Array(N_TASKS)));
    assert.equal(e.code, "ALPHA_OUT_OF_BOUNDS");
    assert.equal(e.details.task, "like");
  }
  // Within tolerance: clamped onto the box edge.
  const nearEdge = centre();
  nearEdge[0] = 2 + 1e-9;
  const out = new Float64Array(N_TASKS);
  alphaToActionChecked(nearEdge, DEFAULT_ALPHA_BOUNDS, out);
  assert.equal(out[0], 1);
});

test("clipAction clips into [-1, 1], keeps NaN, works in place", () => {
  const action = Float64Array.from([-3, -1, -0.5, 0, 0.999, 1, 1.5, Number.NaN]);
  clipAction(action, action);
  assert.deepEqual(Array.from(action), [-1, -1, -0.5, 0, 0.999, 1, 1, Number.NaN]);
});

test("bounds and shapes are checked with coded errors", () => {
  const lowEqualsHigh = filled(0);
  const cases: [() => unknown, string][] = [
    [() => alphaBounds(filled(0), lowEqualsHigh), "INVALID_ARGUMENT"],
    [() => alphaBounds(filled(1), filled(0)), "INVALID_ARGUMENT"],
    [() => alphaBounds([0, 1], [1, 2]), "SHAPE_MISMATCH"],
    [() => alphaBounds(filled(Number.NaN), filled(1)), "INVALID_ARGUMENT"],
    [() => actionsToAlphas(filled(0), 2, DEFAULT_ALPHA_BOUNDS, new Float64Array(24)), "SHAPE_MISMATCH"],
    [() => alphasToActions(filled(0), 1, DEFAULT_ALPHA_BOUNDS, new Float64Array(11)), "SHAPE_MISMATCH"],
    [() => actionsToAlphas(filled(0), -1, DEFAULT_ALPHA_BOUNDS, new Float64Array(12)), "INVALID_ARGUMENT"],
    [() => clipAction(filled(0), new Float64Array(3)), "SHAPE_MISMATCH"],
  ];
  for (const [call, code] of cases) assert.throws(call, (e: unknown) => isMtfError(e) && e.code === code);
  const error = thrown(() => alphaBounds(filled(1), filled(0)));
  assert.match(error.message, /task "click"/);
});
