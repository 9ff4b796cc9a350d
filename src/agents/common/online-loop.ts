/**
 * The loop of the online baselines (plumbing, kept apart from the algorithms; ES uses it too):
 * rounds (BO) or generations (ES) until the user-day budget is spent, one metrics record per
 * round, a checkpoint every `checkpointEvery` rounds and at the end, and a clean stop on request.
 *
 * Budget (DESIGN.md "Baselines"): online methods get as many user-days as the logged user-days
 * the offline methods train on; a user served for one simulated day costs one user-day.
 */
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { MtfError } from "../../core/errors.js";
import type { Metrics, MetricsLogger } from "../../core/metrics-logger.js";

/** An online agent that spends a user-day budget in rounds. */
export interface OnlineTuner {
  /** "bo" or "es"; used in run ids and checkpoint kinds. */
  readonly algorithm: string;
  /** Rounds completed. */
  readonly round: number;
  /** Rounds the budget pays for in all. */
  readonly totalRounds: number;
  /** User-days spent so far. */
  readonly userDaysUsed: number;
  readonly budgetUserDays: number;
  /** Evaluates one round of candidates in the environment and learns from them. */
  runRound(): Promise<Metrics>;
  /** Everything needed to resume exactly. */
  saveCheckpoint(path: string): Promise<void>;
}

export interface OnlineLoopOptions {
  readonly logger: MetricsLogger;
  /** One file, replaced atomically; null = no checkpoints. */
  readonly checkpointPath: string | null;
  /** A checkpoint every this many rounds (and at the end). */
  readonly checkpointEvery: number;
  /** Called after every round with its metrics (progress bars). */
  readonly onRound?: (tuner: OnlineTuner, metrics: Metrics) => void;
  /** Stops after the current round; a checkpoint is written first so the run can resume. */
  readonly signal?: AbortSignal;
  /** Monotonic clock in seconds (injectable for tests). */
  readonly now?: () => number;
}

export interface OnlineLoopResult {
  readonly rounds: number;
  readonly startRound: number;
  /** True when the signal stopped it before the budget was spent. */
  readonly stopped: boolean;
}

/** How many candidates the budget pays for at k users × `days` days each. */
export function candidatesAffordable(
  budgetUserDays: number,
  usersPerCandidate: number,
  days: number,
): number {
  for (const [name, value] of [
    ["budget (user-days)", budgetUserDays],
    ["users per candidate", usersPerCandidate],
    ["days per evaluation", days],
  ] as const) {
    if (!Number.isSafeInteger(value) || value < 1) {
      throw new MtfError("INVALID_ARGUMENT", `${name} must be a positive integer, got ${value}`);
    }
  }
  return Math.floor(budgetUserDays / (usersPerCandidate * days));
}

const defaultNow = (): number => performance.now() / 1000;

/** Runs `tuner` until its budget is spent (see the header). */
export async function runOnlineLoop(
  tuner: OnlineTuner,
  options: OnlineLoopOptions,
): Promise<OnlineLoopResult> {
  if (!Number.isInteger(options.checkpointEvery) || options.checkpointEvery < 1) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `checkpointEvery must be a positive integer, got ${options.checkpointEvery}`,
    );
  }
  const now = options.now ?? defaultNow;
  const startRound = tuner.round;
  let lastCheckpoint = -1;
  const checkpoint = async (): Promise<void> => {
    if (options.checkpointPath === null || lastCheckpoint === tuner.round) return;
    await tuner.saveCheckpoint(options.checkpointPath);
    lastCheckpoint = tuner.round;
  };
  let stopped = false;
  while (tuner.round < tuner.totalRounds) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    const started = now();
    const metrics = await tuner.runRound();
    options.logger.add(metrics);
    options.logger.flush(tuner.round, {
      "budget/user_days_used": tuner.userDaysUsed,
      "budget/user_days_total": tuner.budgetUserDays,
      "time/round_s": now() - started,
    });
    options.onRound?.(tuner, metrics);
    if (tuner.round % options.checkpointEvery === 0) await checkpoint();
    await yieldToEventLoop();
  }
  await checkpoint();
  return { rounds: tuner.round, startRound, stopped };
}
