/**
 * The platform's multi-task model (MTL): noisy, biased estimates of the true task values
 * (docs/simulator.md, "MTL predictions"). For a probability task with truth p,
 *
 *   logit(o) = logit(p) + bias_i + σ_i·ε_i,   ε_i = ±√s·z + √(1 − s)·z_i,   z, z_i ~ N(0, 1),
 *
 * and for play_time ln(o) = ln(E[play]) + bias + σ·ε. The shared part z is the model's overall
 * misjudgement of the (user, video) pair (a multi-task model shares its lower layers): it raises
 * the positive tasks and lowers skip, hate and exit (the ± sign), so combining tasks does not
 * average it away. The errors are a deterministic function of (day, user, video, task): the same
 * request gets the same prediction within a day (the model is retrained daily), as a real model's
 * error depends on its inputs, not on a coin flip per call.
 *
 * Speed: e^{bias + σε} is the product of two per-task tables of 1,024 normal quantiles (shared
 * and own part) indexed by hashes, and the odds update o = pF / (1 − p + pF) needs no log or exp.
 */
import { N_TASKS, NEGATIVE_TASKS, TASKS } from "../core/tasks.js";
import type { SimConfig } from "./config.js";
import { hash3, mix32, normalQuantile } from "./math.js";

// Local copies of imported bindings used in the per-candidate loop: under tsx each access to an
// imported binding is a getter call, a measurable share of a request's cost.
const NT = N_TASKS;
const hash = hash3;
const mix = mix32;

const TABLE_BITS = 10;
const TABLE_SIZE = 1 << TABLE_BITS;
const PLAY_TIME = TASKS.indexOf("play_time");
/** Predictions are kept inside (0, 1) so log(o + β) is finite whatever β is. */
const P_MIN = 1e-7;
const P_MAX = 1 - 1e-7;

export interface MtlModel {
  /** [N_TASKS x TABLE_SIZE] own error factors e^{bias + σ·√(1 − s)·z_k}. */
  readonly factors: Float32Array;
  /** [N_TASKS x TABLE_SIZE] shared error factors e^{±σ·√s·z_k}. */
  readonly sharedFactors: Float32Array;
}

export function buildMtlModel(config: SimConfig): MtlModel {
  const factors = new Float32Array(N_TASKS * TABLE_SIZE);
  const sharedFactors = new Float32Array(N_TASKS * TABLE_SIZE);
  const shared = config.mtl.sharedErrorShare;
  for (let t = 0; t < N_TASKS; t++) {
    const task = TASKS[t];
    const sd = config.mtl.noiseSd[task];
    const bias = config.mtl.bias[task];
    const sign = NEGATIVE_TASKS.includes(task) ? -1 : 1;
    for (let k = 0; k < TABLE_SIZE; k++) {
      const z = normalQuantile((k + 0.5) / TABLE_SIZE);
      factors[t * TABLE_SIZE + k] = Math.exp(bias + sd * Math.sqrt(1 - shared) * z);
      sharedFactors[t * TABLE_SIZE + k] = Math.exp(sign * sd * Math.sqrt(shared) * z);
    }
  }
  return { factors, sharedFactors };
}

/**
 * Writes the MTL's predictions for `candidates[0..count)` into `out` [count x 12] from their
 * truth [count x 12]. `daySalt` changes the errors each day; `userKey` identifies the user.
 */
export function predictScores(
  mtl: MtlModel,
  truth: Float32Array,
  candidates: Int32Array,
  count: number,
  userKey: number,
  daySalt: number,
  out: Float32Array,
): void {
  const factors = mtl.factors;
  const sharedFactors = mtl.sharedFactors;
  const shift = 32 - TABLE_BITS;
  for (let c = 0; c < count; c++) {
    let h = hash(daySalt, userKey, candidates[c]);
    const common = h >>> shift;
    const o = c * NT;
    for (let t = 0; t < NT; t++) {
      h = mix((h + 0x9e3779b9) >>> 0);
      const f = factors[t * TABLE_SIZE + (h >>> shift)] * sharedFactors[t * TABLE_SIZE + common];
      const p = truth[o + t];
      if (t === PLAY_TIME) {
        out[o + t] = p * f;
      } else {
        const q = (p * f) / (1 - p + p * f);
        out[o + t] = q < P_MIN ? P_MIN : Math.min(q, P_MAX);
      }
    }
  }
}
