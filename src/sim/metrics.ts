/**
 * Online metrics of a group of users (DESIGN.md "Metrics"), from per-user outcomes:
 *   ADTime        total app time of the assigned users ÷ assigned users ÷ days (users who never
 *                 came back count 0), in seconds per user-day
 *   UPIRate       plays with a positive interaction ÷ all plays (a pooled ratio)
 *   plays/user/day, return rate (share of user-days after day 0 on which the user was active)
 * Inference treats the user as the unit: stats.ts gets one value (or one pair) per user.
 */
import type { UserOutcome } from "../core/interfaces.js";

export interface GroupMetrics {
  readonly users: number;
  readonly days: number;
  readonly adTimeS: number;
  readonly upiRate: number;
  readonly playsPerUserDay: number;
  readonly returnRate: number;
}

export function groupMetrics(users: readonly UserOutcome[], days: number): GroupMetrics {
  let time = 0;
  let plays = 0;
  let positive = 0;
  let laterActive = 0;
  for (const u of users) {
    time += u.appTimeS;
    plays += u.plays;
    positive += u.positivePlays;
    // Day 0 is every user's arrival; returns are the active days after it.
    laterActive += Math.max(0, u.activeDays - 1);
  }
  const n = Math.max(users.length, 1);
  return {
    users: users.length,
    days,
    adTimeS: time / n / days,
    upiRate: plays > 0 ? positive / plays : 0,
    playsPerUserDay: plays / n / days,
    returnRate: days > 1 ? laterActive / n / (days - 1) : 0,
  };
}

/** Per-user values of a ratio metric: numerator and denominator per user. */
export interface RatioSamples {
  readonly numerator: Float64Array;
  readonly denominator: Float64Array;
}

/** ADTime as a ratio with denominator 1 per user (so one code path serves both metrics). */
export function adTimeSamples(users: readonly UserOutcome[], days: number): RatioSamples {
  return {
    numerator: Float64Array.from(users, (u) => u.appTimeS / days),
    denominator: new Float64Array(users.length).fill(1),
  };
}

export function upiRateSamples(users: readonly UserOutcome[]): RatioSamples {
  return {
    numerator: Float64Array.from(users, (u) => u.positivePlays),
    denominator: Float64Array.from(users, (u) => u.plays),
  };
}
