/**
 * The behaviour policy (DESIGN.md "Behaviour policy"): the platform's production baseline before
 * any model exists, one hand-tuned fixed α for every user and state. Action-noise exploration
 * perturbs it until a target model replaces it.
 *
 * `BEHAVIOUR_ALPHA` is what an engineer tuning by hand would ship (a stated assumption, not a
 * search): watch time and long views first (play_time 1.0, long_view 0.8), clicks and finishes
 * next (0.6, 0.5), a little weight on each interaction (like 0.4; comment, follow, forward 0.2;
 * profile_enter 0.1), and penalties on the negative tasks (skip −0.4, hate −0.6, exit −0.6).
 * Eq. 1 ranks by Σ α_i log(o_i + β_i), so the weights trade log-odds: only their direction
 * matters (ranking is invariant to scaling α by c > 0), and they sit well inside the default
 * bounds ([0, 2], [−2, 0]) so exploration around them has room on both sides.
 */
import { type AlphaBounds, alphaToActionChecked, DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import type { Rng } from "../core/rng.js";
import { N_TASKS, TASKS, type TaskName } from "../core/tasks.js";

export const BEHAVIOUR_ALPHA: Readonly<Record<TaskName, number>> = Object.freeze({
  click: 0.6,
  long_view: 0.8,
  finish: 0.5,
  play_time: 1,
  skip: -0.4,
  like: 0.4,
  comment: 0.2,
  follow: 0.2,
  forward: 0.2,
  profile_enter: 0.1,
  hate: -0.6,
  exit: -0.6,
});

/** α as a task-ordered array. */
export function alphaVector(alpha: Readonly<Record<TaskName, number>>): Float64Array {
  return Float64Array.from(TASKS, (task) => alpha[task]);
}

/** A policy that plays the same α in every state (the behaviour policy; fixed-α arms and searches). */
export class FixedAlphaPolicy implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly stochastic = false;
  /** The normalised action in [-1, 1]^12. */
  readonly action: Float32Array;

  constructor(
    id: string,
    stateDim: number,
    alpha: ArrayLike<number>,
    bounds: AlphaBounds = DEFAULT_ALPHA_BOUNDS,
  ) {
    if (!Number.isInteger(stateDim) || stateDim <= 0) {
      throw new MtfError("INVALID_ARGUMENT", `stateDim must be a positive integer, got ${stateDim}`);
    }
    const action = new Float64Array(N_TASKS);
    alphaToActionChecked(alpha, bounds, action);
    this.id = id;
    this.stateDim = stateDim;
    this.action = Float32Array.from(action);
  }

  act(_states: Float32Array, rows: number, out: Float32Array, _rng: Rng): void {
    for (let r = 0; r < rows; r++) out.set(this.action, r * N_TASKS);
  }
}

/** The production baseline: `BEHAVIOUR_ALPHA` for everyone. */
export function behaviourPolicy(
  stateDim: number,
  bounds: AlphaBounds = DEFAULT_ALPHA_BOUNDS,
): FixedAlphaPolicy {
  return new FixedAlphaPolicy("behaviour", stateDim, alphaVector(BEHAVIOUR_ALPHA), bounds);
}
