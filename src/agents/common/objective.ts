/**
 * What the online baselines (BO and ES) maximise: one number per user group from the per-user
 * outcomes of an `Environment` run, using the online metrics of DESIGN.md ("Metrics"):
 *
 *   ADTime  = Σ_u appTimeS_u / (users · days)     app time per assigned user and day; users who
 *                                                   did not come back count as 0
 *   UPIRate = Σ_u positivePlays_u / Σ_u plays_u    pooled positive-interaction rate
 *
 * Objectives: `adtime` (default, the paper's first online metric), `upirate`, or
 * `mix` = w_t · ln ADTime + w_u · ln UPIRate. The logarithms make the mix scale-free: d ln x = dx/x,
 * so the weights trade relative changes, the unit in which Table 1 reports both metrics.
 *
 * ES imports this module too; it is shared plumbing of the two online agents.
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";
import type { GroupOutcome } from "../../core/interfaces.js";

export const OBJECTIVE_KINDS = ["adtime", "upirate", "mix"] as const;
export type ObjectiveKind = (typeof OBJECTIVE_KINDS)[number];

/** Floor inside the logarithms of `mix`, so an empty group scores a finite (very low) value. */
const LOG_FLOOR = 1e-9;

export const objectiveSchema = z
  .strictObject({
    /** Which metric the search maximises. */
    kind: z.enum(OBJECTIVE_KINDS).default("adtime"),
    /** w_t, weight of ln ADTime in `mix`. */
    adTimeWeight: z.number().min(0).default(1),
    /** w_u, weight of ln UPIRate in `mix`. */
    upiRateWeight: z.number().min(0).default(1),
  })
  .prefault({});

export type ObjectiveConfig = z.output<typeof objectiveSchema>;

/** The online metrics of one group over one run. */
export interface GroupMetrics {
  /** Seconds of app time per assigned user per day. */
  readonly adTimeS: number;
  readonly upiRate: number;
  readonly users: number;
  readonly plays: number;
}

/** ADTime and UPIRate of a group that was assigned `assignedUsers` users for `days` days. */
export function groupMetrics(outcome: GroupOutcome, assignedUsers: number, days: number): GroupMetrics {
  if (outcome.users.length !== assignedUsers) {
    throw new MtfError(
      "RESULT_INVALID",
      `the environment reported ${outcome.users.length} users for group "${outcome.policyId}", which was assigned ${assignedUsers}`,
      { details: { policyId: outcome.policyId, expected: assignedUsers, found: outcome.users.length } },
    );
  }
  let appTimeS = 0;
  let plays = 0;
  let positivePlays = 0;
  for (const user of outcome.users) {
    appTimeS += user.appTimeS;
    plays += user.plays;
    positivePlays += user.positivePlays;
  }
  return {
    adTimeS: appTimeS / (assignedUsers * days),
    upiRate: plays > 0 ? positivePlays / plays : 0,
    users: assignedUsers,
    plays,
  };
}

/** The scalar a search maximises (see the header for the definitions). */
export function objectiveValue(metrics: GroupMetrics, objective: ObjectiveConfig): number {
  switch (objective.kind) {
    case "adtime":
      return metrics.adTimeS;
    case "upirate":
      return metrics.upiRate;
    case "mix":
      return (
        objective.adTimeWeight * Math.log(Math.max(metrics.adTimeS, LOG_FLOOR)) +
        objective.upiRateWeight * Math.log(Math.max(metrics.upiRate, LOG_FLOOR))
      );
  }
}
