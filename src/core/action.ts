/**
 * The action space. Agents act in the normalised box [-1, 1]^12 (Sec. 3.2; ρ, Eq. 8's noise and
 * the random-exploration Gaussian all live there); each coordinate maps affinely onto the bounds
 * [low_i, high_i] of the fusion weight α_i of Eq. 1:
 *
 *   α_i = low_i + (a_i + 1) / 2 · (high_i − low_i),   a_i = 2 (α_i − low_i) / (high_i − low_i) − 1.
 *
 * Since the ranking is invariant to scaling α by c > 0, the bounds are what keeps the space
 * compact. Defaults (DESIGN.md): α ∈ [0, 2] for positive tasks, [-2, 0] for skip, hate and exit;
 * β = 0.01 for probability tasks and 1 s for `play_time`.
 *
 * The unchecked mappings do not clip: policies produce actions inside the box (tanh, or
 * `clipAction` after adding noise). α read from logs goes through `alphaToActionChecked`, which
 * reports an out-of-bounds α instead of silently clipping it.
 */
import { MtfError } from "./errors.js";
import { isProbabilityTask, N_TASKS, NEGATIVE_TASKS, TASKS } from "./tasks.js";

/** Per-task bounds of the fusion weights α, task order; low_i < high_i. */
export interface AlphaBounds {
  readonly low: readonly number[];
  readonly high: readonly number[];
}

/** Default β of Eq. 1: 0.01 for probability tasks, 1 (second) for `play_time`. */
export const DEFAULT_BETA: readonly number[] = Object.freeze(
  TASKS.map((t) => (isProbabilityTask(t) ? 0.01 : 1)),
);

/** Default α bounds: [0, 2] for positive tasks, [-2, 0] for skip, hate and exit. */
export const DEFAULT_ALPHA_BOUNDS: AlphaBounds = Object.freeze({
  low: Object.freeze(TASKS.map((t) => (NEGATIVE_TASKS.includes(t) ? -2 : 0))),
  high: Object.freeze(TASKS.map((t) => (NEGATIVE_TASKS.includes(t) ? 0 : 2))),
});

/** Builds bounds from task-ordered arrays, checking 12 finite pairs with low < high. */
export function alphaBounds(low: ArrayLike<number>, high: ArrayLike<number>): AlphaBounds {
  if (low.length !== N_TASKS || high.length !== N_TASKS) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `alpha bounds need ${N_TASKS} values each (one per task), got low ${low.length}, high ${high.length}`,
    );
  }
  for (let i = 0; i < N_TASKS; i++) {
    if (!(Number.isFinite(low[i]) && Number.isFinite(high[i]) && low[i] < high[i])) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `alpha bounds of task "${TASKS[i]}" are [${low[i]}, ${high[i]}]; need finite low < high`,
        { details: { task: TASKS[i], low: low[i], high: high[i] } },
      );
    }
  }
  return Object.freeze({ low: Object.freeze(Array.from(low)), high: Object.freeze(Array.from(high)) });
}

function checkRows(name: string, values: ArrayLike<number>, rows: number, out: ArrayLike<number>): void {
  if (!Number.isInteger(rows) || rows < 0) {
    throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
  }
  const need = rows * N_TASKS;
  if (values.length < need || out.length < need) {
    throw new MtfError(
      "SHAPE_MISMATCH",
      `${name} needs ${rows} rows x ${N_TASKS} = ${need} values in and out, got ${values.length} in, ${out.length} out`,
      { details: { rows, expected: need, input: values.length, output: out.length } },
    );
  }
}

type NumberArray = Float32Array | Float64Array | number[];

/** Maps normalised actions [rows x 12] onto α [rows x 12]; no clipping. `out` may be `actions`. */
export function actionsToAlphas(
  actions: ArrayLike<number>,
  rows: number,
  bounds: AlphaBounds,
  out: NumberArray,
): void {
  checkRows("actionsToAlphas", actions, rows, out);
  const { low, high } = bounds;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < N_TASKS; i++) {
      const j = r * N_TASKS + i;
      out[j] = low[i] + 0.5 * (actions[j] + 1) * (high[i] - low[i]);
    }
  }
}

/** Maps α [rows x 12] onto the normalised space; no checks of the values. `out` may be `alphas`. */
export function alphasToActions(
  alphas: ArrayLike<number>,
  rows: number,
  bounds: AlphaBounds,
  out: NumberArray,
): void {
  checkRows("alphasToActions", alphas, rows, out);
  const { low, high } = bounds;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < N_TASKS; i++) {
      const j = r * N_TASKS + i;
      out[j] = (2 * (alphas[j] - low[i])) / (high[i] - low[i]) - 1;
    }
  }
}

/**
 * Like `alphasToActions`, for α from logs: throws `ALPHA_OUT_OF_BOUNDS` naming the row and task
 * when an α is not finite or lies outside its bounds by more than `tolerance` × (high − low)
 * (default 1e-6, room for float32 round trips); values within the tolerance are clamped to [-1, 1].
 */
export function alphasToActionsChecked(
  alphas: ArrayLike<number>,
  rows: number,
  bounds: AlphaBounds,
  out: NumberArray,
  tolerance = 1e-6,
): void {
  checkRows("alphasToActionsChecked", alphas, rows, out);
  const { low, high } = bounds;
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < N_TASKS; i++) {
      const j = r * N_TASKS + i;
      const alpha = alphas[j];
      const slack = tolerance * (high[i] - low[i]);
      if (!(alpha >= low[i] - slack && alpha <= high[i] + slack)) {
        throw new MtfError(
          "ALPHA_OUT_OF_BOUNDS",
          `row ${r}, task "${TASKS[i]}": α = ${alpha} is outside its bounds [${low[i]}, ${high[i]}]`,
          { details: { row: r, task: TASKS[i], taskIndex: i, alpha, low: low[i], high: high[i] } },
        );
      }
      const action = (2 * (alpha - low[i])) / (high[i] - low[i]) - 1;
      out[j] = Math.max(-1, Math.min(1, action));
    }
  }
}

/** One action (12 values) onto α. */
export function actionToAlpha(action: ArrayLike<number>, bounds: AlphaBounds, out: NumberArray): void {
  actionsToAlphas(action, 1, bounds, out);
}

/** One α (12 values) onto the normalised space, unchecked. */
export function alphaToAction(alpha: ArrayLike<number>, bounds: AlphaBounds, out: NumberArray): void {
  alphasToActions(alpha, 1, bounds, out);
}

/** One α (12 values) onto the normalised space, rejecting out-of-bounds values. */
export function alphaToActionChecked(
  alpha: ArrayLike<number>,
  bounds: AlphaBounds,
  out: NumberArray,
  tolerance = 1e-6,
): void {
  alphasToActionsChecked(alpha, 1, bounds, out, tolerance);
}

/**
 * Clips every value of `action` (any length, e.g. [rows x 12]) into [-1, 1]. NaN stays NaN, so a
 * broken policy output is not hidden behind a valid-looking action. `out` may be `action`.
 */
export function clipAction(action: ArrayLike<number>, out: NumberArray): void {
  if (out.length < action.length) {
    throw new MtfError("SHAPE_MISMATCH", `out holds ${out.length} values, need ${action.length}`);
  }
  for (let j = 0; j < action.length; j++) {
    out[j] = Math.max(-1, Math.min(1, action[j]));
  }
}
