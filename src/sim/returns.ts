/**
 * The return model (docs/simulator.md, "Days and return"). Satisfaction, not play time, brings
 * users back:
 *
 *   memory      S̄ ← (1 − λ)·S̄ + λ·S_day after each active day (S_day = mean play satisfaction)
 *   next day    P(active on a later day) = σ(r_u + κ_u·(S̄ − S_ref)), each day until the user returns
 *   same day    after each session, another session today with probability σ(q_u + κ_u·(S̄ − S_ref)),
 *               starting 10 min + Exp(gap) later (the same memory and sensitivity)
 *   start time  a day's first session starts at an hour drawn from the hourly activity profile
 *
 * The memory changes only at the end of a day, so satisfaction acts from the next day on: a
 * policy that buys time with unsatisfying videos keeps S̄ low, and its users come back less often
 * and for fewer sessions. The long-term cost arises from this model, not from a penalty on the
 * metric. Within a session, engagement (patience, session.ts) decides its length.
 */
import type { Rng } from "../core/rng.js";
import { searchCumulative } from "./catalogue.js";
import { sigmoid } from "./math.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;

/** σ(logit + κ·(S̄ − S_ref)): the daily-return and same-day-session probabilities. */
export function returnProbability(
  logit: number,
  sensitivity: number,
  memory: number,
  reference: number,
): number {
  return sigmoid(logit + sensitivity * (memory - reference));
}

/** The satisfaction memory after an active day with mean play satisfaction `dayMean`. */
export function updateMemory(memory: number, dayMean: number, weight: number): number {
  return (1 - weight) * memory + weight * dayMean;
}

export function hourlyCumulative(hourly: readonly number[]): Float64Array {
  const cumulative = new Float64Array(hourly.length);
  let total = 0;
  for (let h = 0; h < hourly.length; h++) cumulative[h] = total += hourly[h];
  return cumulative;
}

/** Offset (ms from local midnight) of a day's first session: 2 uniform draws. */
export function firstSessionOffsetMs(cumulative: Float64Array, rng: Rng): number {
  const hour = searchCumulative(cumulative, rng.uniform() * cumulative[cumulative.length - 1]);
  return hour * HOUR_MS + Math.floor(rng.uniform() * HOUR_MS);
}

/** Gap (ms) between the end of a session and the next one on the same day: 1 uniform draw. */
export function sameDayGapMs(meanGapMinutes: number, rng: Rng): number {
  return 10 * MINUTE_MS - meanGapMinutes * MINUTE_MS * Math.log(1 - rng.uniform());
}
