/**
 * Monte-Carlo truth for any `Policy` (what the offline estimators are validated against):
 *
 * - `sessionValues`: the true discounted return of one session, V = E[Σ_t γ^t r_t] with the Eq. 2
 *   reward r, rolled out from snapshots of users' hidden state at logged session starts (the test
 *   split's initial states), `repeats` times each with independent draws;
 * - `policyValue`: a fresh population served by the policy for N days: mean discounted session
 *   return, ADTime and UPIRate.
 *
 * `SnapshotRecorder` records the snapshots while a logging run simulates, keyed by
 * (user id, session id); snapshots are small JSON records, and the history at the session start
 * is either kept (small runs) or rebuilt by the caller from the logged events before it.
 */
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import { type RewardPreset, type RewardWeights, rewardWeights } from "../core/reward.js";
import { type HistoryJson, historyFromJSON, historyToJSON, type UserHistory } from "../core/state-encoder.js";
import { type FusionParams, type RewardSpec, type SessionStart, Simulator } from "./engine.js";
import { groupMetrics } from "./metrics.js";
import type { SessionSnapshot } from "./user-state.js";
import { freshUserIds, type SimWorld } from "./world.js";

/** A recorded session start: the snapshot and, when kept, the history at that moment. */
export interface RecordedStart {
  readonly snapshot: SessionSnapshot;
  readonly history: HistoryJson | null;
}

export function snapshotKey(userId: string, sessionId: string): string {
  return `${userId}\u0000${sessionId}`;
}

/** Collects session-start snapshots during a run (pass `record` as `onSessionStart`). */
export class SnapshotRecorder {
  private readonly starts = new Map<string, RecordedStart>();
  private readonly keepHistory: boolean;

  /** `keepHistory`: copy the history (~50 KB as JSON per session: small runs only). */
  constructor(options: { readonly keepHistory?: boolean } = {}) {
    this.keepHistory = options.keepHistory ?? false;
  }

  readonly record = (snapshot: SessionSnapshot, history: UserHistory): void => {
    this.starts.set(snapshotKey(snapshot.userId, snapshot.sessionId), {
      snapshot,
      history: this.keepHistory ? historyToJSON(history) : null,
    });
  };

  get size(): number {
    return this.starts.size;
  }

  get(userId: string, sessionId: string): RecordedStart | undefined {
    return this.starts.get(snapshotKey(userId, sessionId));
  }

  all(): readonly RecordedStart[] {
    return [...this.starts.values()];
  }

  /** Returns the recorded starts and forgets them (to write a long run out chunk by chunk). */
  drain(): RecordedStart[] {
    const starts = [...this.starts.values()];
    this.starts.clear();
    return starts;
  }
}

export interface RewardOptions {
  readonly preset?: RewardPreset;
  /** Fitted Eq. 2 weights; absent = core's fallback constants. */
  readonly fitted?: RewardWeights;
  /** γ of the discounted return (paper: 0.95). */
  readonly gamma?: number;
}

function rewardSpec(options: RewardOptions): RewardSpec {
  return {
    weights: rewardWeights(options.preset ?? "default", options.fitted),
    gamma: options.gamma ?? 0.95,
  };
}

/** The start of a session to roll out: its snapshot and the user's history at that moment. */
export interface RolloutStart {
  readonly snapshot: SessionSnapshot;
  readonly history: UserHistory | HistoryJson;
}

export interface SessionValue {
  readonly userId: string;
  readonly sessionId: string;
  /** Mean over repeats of Σ_t γ^t r_t. */
  readonly value: number;
  /** Standard error of that mean (0 with one repeat). */
  readonly standardError: number;
  readonly meanPlays: number;
}

export interface SessionValuesOptions extends RewardOptions {
  readonly seed: number;
  readonly repeats?: number;
  readonly fusion?: FusionParams;
}

/** True per-session values of `policy` from each start (Monte Carlo over `repeats` rollouts). */
export function sessionValues(
  world: SimWorld,
  starts: readonly RolloutStart[],
  policy: Policy,
  options: SessionValuesOptions,
): SessionValue[] {
  const repeats = options.repeats ?? 8;
  if (!Number.isInteger(repeats) || repeats < 1) {
    throw new MtfError("INVALID_ARGUMENT", `repeats must be a positive integer, got ${repeats}`);
  }
  const histories = starts.map((s) => ("data" in s.history ? s.history : historyFromJSON(s.history)));
  const runs: SessionStart[] = [];
  for (let i = 0; i < starts.length; i++) {
    for (let r = 0; r < repeats; r++) {
      runs.push({
        snapshot: starts[i].snapshot,
        history: histories[i],
        assignment: { policy, group: null, noiseScale: null, arm: null },
        repeat: r,
      });
    }
  }
  const simulator = new Simulator(world, { reward: rewardSpec(options), fusion: options.fusion });
  const summaries = simulator.runSessions(runs, options.seed);
  return starts.map((start, i) => {
    const returns = summaries.slice(i * repeats, (i + 1) * repeats);
    const mean = returns.reduce((a, s) => a + s.discountedReturn, 0) / repeats;
    const variance =
      repeats > 1 ? returns.reduce((a, s) => a + (s.discountedReturn - mean) ** 2, 0) / (repeats - 1) : 0;
    return {
      userId: start.snapshot.userId,
      sessionId: start.snapshot.sessionId,
      value: mean,
      standardError: Math.sqrt(variance / repeats),
      meanPlays: returns.reduce((a, s) => a + s.plays, 0) / repeats,
    };
  });
}

export interface PolicyValue {
  readonly policyId: string;
  readonly configHash: string;
  readonly users: number;
  readonly days: number;
  readonly sessions: number;
  /** Mean over all sessions of Σ_t γ^t r_t. */
  readonly meanSessionReturn: number;
  /** Its standard error with the user as the unit (delta method for a ratio of per-user sums). */
  readonly standardError: number;
  readonly adTimeS: number;
  readonly upiRate: number;
}

export interface PolicyValueOptions extends RewardOptions {
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  readonly fusion?: FusionParams;
}

/** A fresh population served by `policy` for `days` days: the policy's true online figures. */
export function policyValue(world: SimWorld, policy: Policy, options: PolicyValueOptions): PolicyValue {
  const perUser = new Map<string, { sum: number; sessions: number }>();
  const simulator = new Simulator(world, {
    reward: rewardSpec(options),
    fusion: options.fusion,
    onSessionEnd: (s) => {
      const entry = perUser.get(s.userId) ?? { sum: 0, sessions: 0 };
      entry.sum += s.discountedReturn;
      entry.sessions += 1;
      perUser.set(s.userId, entry);
    },
  });
  const ids = freshUserIds(options.seed, 0, options.users);
  const outcomes = simulator.runDays(
    ids.map((id) => ({ id, assignment: { policy, group: null, noiseScale: null, arm: null } })),
    { days: options.days, seed: options.seed },
  );
  const entries = [...perUser.values()];
  const sessions = entries.reduce((a, e) => a + e.sessions, 0);
  const mean = entries.reduce((a, e) => a + e.sum, 0) / Math.max(sessions, 1);
  const meanSessions = sessions / Math.max(entries.length, 1);
  const k = entries.length;
  const variance = k > 1 ? entries.reduce((a, e) => a + (e.sum - mean * e.sessions) ** 2, 0) / (k - 1) : 0;
  const metrics = groupMetrics(outcomes, options.days);
  return {
    policyId: policy.id,
    configHash: world.configHash,
    users: options.users,
    days: options.days,
    sessions,
    meanSessionReturn: mean,
    standardError: Math.sqrt(variance / Math.max(k, 1)) / Math.max(meanSessions, 1e-12),
    adTimeS: metrics.adTimeS,
    upiRate: metrics.upiRate,
  };
}
