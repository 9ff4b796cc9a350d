/**
 * The replay buffer (paper Sec. 3.2.3, Alg. 1; DESIGN.md "Replay buffer"): "a fixed-size queue,
 * where new transitions will replace old ones", implementing `BatchSource`.
 *
 * Streaming rule. The split's N transitions are in time order (`order`). With capacity C < N the
 * buffer is a window of C consecutive transitions that slides forward in time as training runs:
 * before draw number t (0-based) it holds order[start_t .. start_t + C) with
 *
 *   start_t = min(t · k, N − C),   k = ceil((N − C) / max(1, steps − 1)),
 *
 * i.e. each `next()` pushes k new transitions in and the k oldest out, and the last of the
 * `steps` draws (the trainer's Ep) sees the window ending at the newest transition, so every
 * transition passes through the buffer. Draws beyond `steps` keep the last window. With
 * `capacity: "all"` (or C >= N) every draw samples from the whole split.
 *
 * Each draw takes M indices uniformly (with replacement) from the window with the buffer's own
 * seeded `Rng` and gathers them into preallocated Float32Arrays: raw states (trainers apply the
 * normaliser), actions, rewards, next states (gathered through the s' index array), and the
 * terminated / truncated flags as 0/1 floats. `saveState` / `restoreState` capture the draw
 * count and the RNG state, so a resumed trainer draws exactly the same batches.
 */
import { MtfError } from "../core/errors.js";
import type { BatchSource, BatchSourceState, TransitionBatch } from "../core/interfaces.js";
import { ACTION_DIM } from "../core/interfaces.js";
import type { Rng, RngState } from "../core/rng.js";
import type { TransitionTable } from "./transitions.js";

const TWO_POW_32 = 4294967296;

/** Paper Sec. 4.2: replay buffer size 100,000. */
export const DEFAULT_REPLAY_CAPACITY = 100_000;
/** Paper Sec. 4.2: mini-batch size M = 256. */
export const DEFAULT_BATCH_SIZE = 256;

export interface ReplayBufferOptions {
  /** Transitions held at once (FIFO window), or "all" to sample from the whole split. */
  readonly capacity?: number | "all";
  /** Mini-batch size M. */
  readonly batchSize?: number;
  /** Number of `next()` calls the stream is spread over (the trainer's Ep). */
  readonly steps: number;
  /** The buffer's own random stream (it is advanced by every draw). */
  readonly rng: Rng;
}

type ReplayBufferState = {
  readonly kind: "replay-buffer";
  readonly transitions: number;
  readonly capacity: number | "all";
  readonly batchSize: number;
  readonly steps: number;
  readonly draws: number;
  readonly rng: RngState;
};

export class ReplayBuffer implements BatchSource {
  readonly stateDim: number;
  readonly actionDim = ACTION_DIM;
  readonly batchSize: number;
  /** Transitions the buffer draws from over the whole run (the split size). */
  readonly size: number;
  /** Transitions held at once. */
  readonly window: number;
  /** Transitions pushed in per draw. */
  readonly streamStep: number;
  private readonly capacity: number | "all";
  private readonly steps: number;
  private readonly table: TransitionTable;
  private readonly order: Int32Array;
  private readonly rng: Rng;
  private draws = 0;
  private readonly batch: TransitionBatch;
  /** Rejection limit of `Rng.int(window)`, computed once: draws below it map to x mod window. */
  private readonly drawLimit: number;
  /** [M] transitions of the current draw. */
  private readonly drawn: Int32Array;
  /** [M] first value of each drawn s row and s' row in `states` (Float64: exact past 2^31 values). */
  private readonly fromRows: Float64Array;
  private readonly nextRows: Float64Array;
  /** Sum of the values read ahead of the copies (kept so the reads are not optimised away). */
  private touched = 0;

  /** `order`: the split's transition indices in time order (e.g. `dataset.train`). */
  constructor(table: TransitionTable, order: Int32Array, options: ReplayBufferOptions) {
    const capacity = options.capacity ?? DEFAULT_REPLAY_CAPACITY;
    const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
    if (capacity !== "all" && !(Number.isInteger(capacity) && capacity > 0)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `replay capacity must be a positive integer or "all", got ${capacity}`,
      );
    }
    if (!(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new MtfError("INVALID_ARGUMENT", `batch size must be a positive integer, got ${batchSize}`);
    }
    if (!(Number.isInteger(options.steps) && options.steps > 0)) {
      throw new MtfError("INVALID_ARGUMENT", `steps must be a positive integer, got ${options.steps}`);
    }
    if (order.length === 0) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        "the replay buffer needs at least one transition (the split is empty)",
      );
    }
    const transitions = table.rewards.length;
    for (let i = 0; i < order.length; i++) {
      if (!(order[i] >= 0 && order[i] < transitions)) {
        throw new MtfError(
          "SHAPE_MISMATCH",
          `order[${i}] = ${order[i]} is not a transition index (< ${transitions})`,
        );
      }
    }
    this.table = table;
    this.order = order;
    this.stateDim = table.stateDim;
    this.batchSize = batchSize;
    this.size = order.length;
    this.capacity = capacity;
    this.steps = options.steps;
    this.rng = options.rng;
    this.window = capacity === "all" ? order.length : Math.min(capacity, order.length);
    this.streamStep = Math.ceil((this.size - this.window) / Math.max(1, this.steps - 1));
    this.drawLimit = TWO_POW_32 - (TWO_POW_32 % this.window);
    this.drawn = new Int32Array(batchSize);
    this.fromRows = new Float64Array(batchSize);
    this.nextRows = new Float64Array(batchSize);
    const dim = this.stateDim;
    this.batch = {
      size: batchSize,
      stateDim: dim,
      states: new Float32Array(batchSize * dim),
      actions: new Float32Array(batchSize * ACTION_DIM),
      rewards: new Float32Array(batchSize),
      nextStates: new Float32Array(batchSize * dim),
      terminated: new Float32Array(batchSize),
      truncated: new Float32Array(batchSize),
    };
  }

  /** First position (in `order`) of the window the next draw samples from. */
  windowStart(): number {
    return Math.min(this.draws * this.streamStep, this.size - this.window);
  }

  next(): TransitionBatch {
    const { table, order, rng, batch, window, drawLimit, drawn } = this;
    const dim = this.stateDim;
    const start = this.windowStart();
    const { states, actions, rewards, stateIndex, nextIndex, terminated, truncated } = table;
    const m = batch.size;
    for (let b = 0; b < m; b++) {
      // = rng.int(window), inlined without its per-call argument checks.
      let x = rng.nextUint32();
      while (x >= drawLimit) x = rng.nextUint32();
      drawn[b] = order[start + (x % window)];
    }
    // Gather in passes, so the cache misses of the M random rows overlap instead of queueing
    // behind each row's copy: (1) the rows of s and s', (2) a read of each cache line they span,
    // (3) the copies, by plain loops (no subarray objects). [nStates x dim] -> [M x dim].
    const { fromRows, nextRows } = this;
    for (let b = 0; b < m; b++) {
      const t = drawn[b];
      fromRows[b] = stateIndex[t] * dim;
      nextRows[b] = nextIndex[t] * dim;
    }
    let touched = 0;
    for (let b = 0; b < m; b++) {
      const t = drawn[b];
      for (let i = 0; i < dim; i += 16) touched += states[fromRows[b] + i] + states[nextRows[b] + i];
      touched += actions[t * ACTION_DIM] + rewards[t] + terminated[t] + truncated[t];
    }
    this.touched = touched;
    const outStates = batch.states;
    const outNext = batch.nextStates;
    const outActions = batch.actions;
    for (let b = 0; b < m; b++) {
      const t = drawn[b];
      const to = b * dim;
      const from = fromRows[b];
      const fromNext = nextRows[b];
      for (let i = 0; i < dim; i++) outStates[to + i] = states[from + i];
      for (let i = 0; i < dim; i++) outNext[to + i] = states[fromNext + i];
      const a = t * ACTION_DIM;
      const ao = b * ACTION_DIM; // [M x 12]
      for (let i = 0; i < ACTION_DIM; i++) outActions[ao + i] = actions[a + i];
      batch.rewards[b] = rewards[t];
      batch.terminated[b] = terminated[t];
      batch.truncated[b] = truncated[t];
    }
    this.draws += 1;
    return batch;
  }

  saveState(): BatchSourceState {
    const state: ReplayBufferState = {
      kind: "replay-buffer",
      transitions: this.size,
      capacity: this.capacity,
      batchSize: this.batchSize,
      steps: this.steps,
      draws: this.draws,
      rng: this.rng.getState(),
    };
    return state;
  }

  restoreState(state: BatchSourceState): void {
    const s = state as Partial<ReplayBufferState>;
    if (s.kind !== "replay-buffer") {
      throw new MtfError(
        "CHECKPOINT_WRONG_KIND",
        `expected a replay-buffer state, got kind ${String(s.kind)}`,
      );
    }
    const mismatches = (["transitions", "capacity", "batchSize", "steps"] as const).filter((key) => {
      const mine = key === "transitions" ? this.size : this[key];
      return s[key] !== mine;
    });
    if (mismatches.length > 0) {
      throw new MtfError(
        "DATASET_MISMATCH",
        `replay-buffer state does not match this buffer: ${mismatches
          .map((k) => `${k} ${String(s[k])} vs ${String(k === "transitions" ? this.size : this[k])}`)
          .join(", ")}`,
        { details: { mismatches } },
      );
    }
    if (!(Number.isInteger(s.draws) && (s.draws as number) >= 0) || s.rng === undefined) {
      throw new MtfError("CHECKPOINT_CORRUPT", "replay-buffer state lacks a valid draw count or RNG state");
    }
    this.rng.setState(s.rng);
    this.draws = s.draws as number;
  }
}
