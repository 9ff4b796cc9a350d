/**
 * The properties the experiments rely on (DESIGN.md "Simulator principles"), as reusable checks
 * that the CI tests (reduced) and `npm run validate` (full size) run:
 *
 * - long term: a myopic α (clicks and watch time only) beats a balanced α on day-1 ADTime but
 *   loses on cumulative ADTime by day 7, through the return model;
 * - personalisation: the best fixed α per user segment (a small grid search) beats the best
 *   global α on the segment's ADTime.
 *
 * Every α is evaluated on the same users with the same random streams (paired), so differences
 * between α are not drowned by differences between users.
 */
import type { Policy } from "../core/interfaces.js";
import { type FusionParams, Simulator } from "./engine.js";
import type { SimUserOutcome } from "./user-state.js";
import { freshUserIds, type SimWorld } from "./world.js";

export interface PairedRun {
  readonly policyId: string;
  readonly outcomes: readonly SimUserOutcome[];
}

/** Runs every policy on the same `users` users (same ids, same streams) for `days` days. */
export function pairedRuns(
  world: SimWorld,
  policies: readonly Policy[],
  options: {
    readonly users: number;
    readonly days: number;
    readonly seed: number;
    readonly fusion?: FusionParams;
  },
): PairedRun[] {
  const ids = freshUserIds(options.seed, 0, options.users);
  const simulator = new Simulator(world, { fusion: options.fusion });
  return policies.map((policy) => ({
    policyId: policy.id,
    outcomes: simulator.runDays(
      ids.map((id) => ({ id, assignment: { policy, group: null, noiseScale: null, arm: null } })),
      { days: options.days, seed: options.seed },
    ),
  }));
}

/** ADTime (s per user-day) over days [from, to) of the users selected by `keep`. */
export function adTime(
  outcomes: readonly SimUserOutcome[],
  from: number,
  to: number,
  keep: (index: number) => boolean = () => true,
): number {
  let time = 0;
  let users = 0;
  outcomes.forEach((o, i) => {
    if (!keep(i)) return;
    users += 1;
    for (let d = from; d < to; d++) time += o.dailyAppTimeS[d];
  });
  return time / Math.max(users, 1) / (to - from);
}

export interface LongTermResult {
  readonly day1: { readonly myopic: number; readonly balanced: number };
  readonly cumulative: { readonly myopic: number; readonly balanced: number };
  readonly holds: boolean;
}

/** Day-1 and cumulative ADTime of a myopic and a balanced policy on the same users. */
export function longTermCheck(
  world: SimWorld,
  myopic: Policy,
  balanced: Policy,
  options: { readonly users: number; readonly days: number; readonly seed: number },
): LongTermResult {
  const [m, b] = pairedRuns(world, [myopic, balanced], options);
  const day1 = { myopic: adTime(m.outcomes, 0, 1), balanced: adTime(b.outcomes, 0, 1) };
  const cumulative = {
    myopic: adTime(m.outcomes, 0, options.days) * options.days,
    balanced: adTime(b.outcomes, 0, options.days) * options.days,
  };
  return { day1, cumulative, holds: day1.myopic > day1.balanced && cumulative.balanced > cumulative.myopic };
}

export interface SegmentResult {
  readonly segment: number;
  readonly users: number;
  /** Policy id of the segment's best α and its ADTime. */
  readonly best: string;
  readonly bestAdTime: number;
  /** ADTime of the global best α on this segment. */
  readonly globalAdTime: number;
}

export interface PersonalisationResult {
  readonly globalBest: string;
  /** ADTime of each policy over all users, in grid order. */
  readonly overall: readonly number[];
  readonly segments: readonly SegmentResult[];
}

/** Best α per segment vs the best global α, over a grid of policies evaluated on the same users. */
export function personalisationCheck(
  world: SimWorld,
  grid: readonly Policy[],
  segmentOf: (outcome: SimUserOutcome, index: number) => number,
  segments: number,
  options: { readonly users: number; readonly days: number; readonly seed: number },
): PersonalisationResult {
  const runs = pairedRuns(world, grid, options);
  const overall = runs.map((r) => adTime(r.outcomes, 0, options.days));
  const globalIndex = overall.indexOf(Math.max(...overall));
  const labels = runs[0].outcomes.map((o, i) => segmentOf(o, i));
  const result: SegmentResult[] = [];
  for (let s = 0; s < segments; s++) {
    const keep = (i: number) => labels[i] === s;
    const values = runs.map((r) => adTime(r.outcomes, 0, options.days, keep));
    const best = values.indexOf(Math.max(...values));
    result.push({
      segment: s,
      users: labels.filter((l) => l === s).length,
      best: runs[best].policyId,
      bestAdTime: values[best],
      globalAdTime: values[globalIndex],
    });
  }
  return { globalBest: runs[globalIndex].policyId, overall, segments: result };
}
