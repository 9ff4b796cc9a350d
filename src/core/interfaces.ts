/**
 * The seams between modules (DESIGN.md): policies act on raw encoded states, trainers read
 * data through a `BatchSource`, online agents reach the world through an `Environment`.
 * `core` defines them; agents, data and sim implement them.
 */
import type { Rng } from "./rng.js";

/** Size of the action: one fusion weight per MTL task. */
export const ACTION_DIM = 12;

/**
 * A fusion-weight policy. `act` maps raw encoded states (each policy applies its own normaliser,
 * so any policy can run on any dataset) to normalised actions in [-1, 1]^12.
 */
export interface Policy {
  /** Stable identifier, e.g. `behaviour`, `bcq@2026-11-28T10:00`. */
  readonly id: string;
  /** Dimension of the raw state vectors it accepts (the state encoder's output size). */
  readonly stateDim: number;
  /** True when `act` draws random numbers (it then must use only the given `rng`). */
  readonly stochastic: boolean;
  /**
   * Fills `out` [rows x 12] with normalised actions for `states` [rows x stateDim].
   * Stochastic policies draw only from `rng`, so a decision replays from its seed.
   */
  act(states: Float32Array, rows: number, out: Float32Array, rng: Rng): void;
}

/** A group of users that one policy serves for a run of the environment. */
export interface PolicyGroup {
  readonly policy: Policy;
  /** How many users the group holds; users are drawn fresh per run unless `userIds` is given. */
  readonly users: number;
  readonly userIds?: readonly string[];
}

/** What one user did over a run, the unit of inference for online metrics (DESIGN.md). */
export interface UserOutcome {
  readonly userId: string;
  /** Total app time over the run, seconds (0 for users who never came back). */
  readonly appTimeS: number;
  readonly plays: number;
  /** Plays with a positive interaction (like, comment, follow, forward). */
  readonly positivePlays: number;
  readonly sessions: number;
  /** Days (of the run) on which the user had at least one session. */
  readonly activeDays: number;
}

export interface GroupOutcome {
  readonly policyId: string;
  readonly days: number;
  readonly users: readonly UserOutcome[];
}

/** Runs policies on user groups for N days and reports per-user outcomes (the simulator). */
export interface Environment {
  readonly name: string;
  run(
    groups: readonly PolicyGroup[],
    options: { readonly days: number; readonly seed: number },
  ): Promise<readonly GroupOutcome[]>;
}

/**
 * A mini-batch of transitions (s, a, r, s', terminated, truncated) in preallocated buffers.
 * `terminated` = the session ended (no bootstrap); `truncated` = the data window cut it
 * (bootstrap allowed). Flags are 0/1 floats so they multiply directly.
 */
export interface TransitionBatch {
  readonly size: number;
  readonly stateDim: number;
  /** [size x stateDim], raw (unnormalised) encoded states. */
  readonly states: Float32Array;
  /** [size x 12], normalised actions. */
  readonly actions: Float32Array;
  /** [size] */
  readonly rewards: Float32Array;
  /** [size x stateDim] */
  readonly nextStates: Float32Array;
  /** [size], 1 where the session ended at this step. */
  readonly terminated: Float32Array;
  /** [size], 1 where the data window cut the session at this step. */
  readonly truncated: Float32Array;
}

/** JSON-serialisable position of a `BatchSource`, for exact resume. */
export type BatchSourceState = Readonly<Record<string, unknown>>;

/** Where trainers get data: seeded mini-batches; position saved and restored for exact resume. */
export interface BatchSource {
  readonly stateDim: number;
  readonly actionDim: number;
  readonly batchSize: number;
  /** Number of transitions the source draws from. */
  readonly size: number;
  /** Fills the source's own preallocated batch and returns it (overwritten by the next call). */
  next(): TransitionBatch;
  saveState(): BatchSourceState;
  restoreState(state: BatchSourceState): void;
}
