/**
 * The A/B harness. Arms run on the simulator for N days; the first arm is the control.
 *
 * - Unpaired (default, like a real platform): `users` fresh users are split into disjoint arms
 *   by a stable salted hash of (experiment salt, user id), a layer orthogonal to exploration.
 * - Paired (`paired: true`, for offline studies): every user is cloned into every arm with the
 *   same random streams (common random numbers), so differences between arms are much less
 *   noisy; the result says so in `design`.
 *
 * Per arm: ADTime, UPIRate, plays/user/day, return rate (metrics.ts); per treatment arm: the
 * relative change vs control of each, with a 95% interval and p-value from the delta method or a
 * user-level bootstrap (stats.ts), one value (or one pair) per user.
 */
import { MtfError } from "../core/errors.js";
import type { Policy, UserOutcome } from "../core/interfaces.js";
import { deriveSeed, hashString32, Rng } from "../core/rng.js";
import { type FusionParams, type RunUser, Simulator } from "./engine.js";
import {
  adTimeSamples,
  type GroupMetrics,
  groupMetrics,
  type RatioSamples,
  upiRateSamples,
} from "./metrics.js";
import { bootstrapComparison, type Comparison, deltaComparison, type InferenceMethod } from "./stats.js";
import type { UserEffect } from "./user-state.js";
import { freshUserIds, type SimWorld } from "./world.js";

export interface AbArm {
  readonly name: string;
  readonly policy: Policy;
  /** A change of the user model in this arm (validation places known effects here). */
  readonly effect?: UserEffect;
}

export interface AbTestOptions {
  /** Users in the experiment: split across arms (unpaired) or cloned into each (paired). */
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  readonly paired?: boolean;
  readonly salt?: string;
  readonly method?: InferenceMethod;
  readonly bootstrapReplicates?: number;
  readonly fusion?: FusionParams;
}

export interface ArmResult {
  readonly name: string;
  readonly policyId: string;
  readonly metrics: GroupMetrics;
}

/** Relative changes vs control; null where the metric is 0 in an arm (e.g. return rate over one day). */
export interface ArmComparison {
  readonly arm: string;
  readonly adTime: Comparison | null;
  readonly upiRate: Comparison | null;
  readonly playsPerUserDay: Comparison | null;
  readonly returnRate: Comparison | null;
}

export interface AbTestResult {
  readonly design: string;
  readonly paired: boolean;
  readonly method: InferenceMethod;
  readonly configHash: string;
  readonly seed: number;
  readonly days: number;
  readonly arms: readonly ArmResult[];
  readonly comparisons: readonly ArmComparison[];
}

const TWO_POW_32 = 4294967296;

/** The arm (index) of a user under an experiment salt: a stable hash, uniform over arms. */
export function armOf(salt: string, userId: string, arms: number): number {
  return Math.min(arms - 1, Math.floor((deriveSeed(hashString32(salt), userId) / TWO_POW_32) * arms));
}

function total(values: Float64Array): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s;
}

function playsSamples(users: readonly UserOutcome[], days: number): RatioSamples {
  return {
    numerator: Float64Array.from(users, (u) => u.plays / days),
    denominator: new Float64Array(users.length).fill(1),
  };
}

function returnSamples(users: readonly UserOutcome[], days: number): RatioSamples {
  return {
    numerator: Float64Array.from(users, (u) => Math.max(0, u.activeDays - 1)),
    denominator: new Float64Array(users.length).fill(Math.max(days - 1, 1)),
  };
}

export function runAbTest(world: SimWorld, arms: readonly AbArm[], options: AbTestOptions): AbTestResult {
  if (arms.length < 2)
    throw new MtfError("INVALID_ARGUMENT", `an A/B test needs at least 2 arms, got ${arms.length}`);
  if (new Set(arms.map((a) => a.name)).size !== arms.length) {
    throw new MtfError("INVALID_ARGUMENT", "arm names must be unique");
  }
  const paired = options.paired ?? false;
  const method = options.method ?? "delta";
  const salt = options.salt ?? "experiment";
  const ids = freshUserIds(options.seed, 0, options.users);
  const users: RunUser[] = [];
  for (let a = 0; a < arms.length; a++) {
    const arm = arms[a];
    const assignment = {
      policy: arm.policy,
      group: null,
      noiseScale: null,
      arm: arm.name,
      effect: arm.effect,
    };
    for (const id of ids) if (paired || armOf(salt, id, arms.length) === a) users.push({ id, assignment });
  }
  const outcomes = new Simulator(world, { fusion: options.fusion }).runDays(users, {
    days: options.days,
    seed: options.seed,
  });
  const byArm = arms.map((arm) => outcomes.filter((o) => o.arm === arm.name));
  const days = options.days;
  const rng = new Rng(deriveSeed(options.seed, "abtest-bootstrap"));
  const compare = (t: RatioSamples, c: RatioSamples): Comparison | null => {
    if (!(total(t.numerator) > 0 && total(c.numerator) > 0)) return null;
    return method === "delta"
      ? deltaComparison(t, c, paired)
      : bootstrapComparison(t, c, paired, rng, options.bootstrapReplicates);
  };
  const control = byArm[0];
  const comparisons = byArm.slice(1).map(
    (group, k): ArmComparison => ({
      arm: arms[k + 1].name,
      adTime: compare(adTimeSamples(group, days), adTimeSamples(control, days)),
      upiRate: compare(upiRateSamples(group), upiRateSamples(control)),
      playsPerUserDay: compare(playsSamples(group, days), playsSamples(control, days)),
      returnRate: compare(returnSamples(group, days), returnSamples(control, days)),
    }),
  );
  return {
    design: paired
      ? `paired: each of ${options.users} users cloned into every arm with the same random streams`
      : `unpaired: ${options.users} users split into ${arms.length} disjoint arms by a salted hash ("${salt}")`,
    paired,
    method,
    configHash: world.configHash,
    seed: options.seed,
    days,
    arms: arms.map((arm, a) => ({
      name: arm.name,
      policyId: arm.policy.id,
      metrics: groupMetrics(byArm[a], days),
    })),
    comparisons,
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** A printable report of an A/B test. */
export function formatAbTest(result: AbTestResult): string {
  const lines = [
    `A/B test (${result.design}), ${result.days} days, seed ${result.seed}, config ${result.configHash}, ${result.method}`,
  ];
  for (const arm of result.arms) {
    const m = arm.metrics;
    lines.push(
      `  ${arm.name.padEnd(12)} users ${String(m.users).padStart(7)}  ADTime ${(m.adTimeS / 60).toFixed(2)} min` +
        `  UPIRate ${pct(m.upiRate)}  plays/user/day ${m.playsPerUserDay.toFixed(2)}  return ${pct(m.returnRate)}`,
    );
  }
  for (const c of result.comparisons) {
    for (const [name, cmp] of Object.entries({
      ADTime: c.adTime,
      UPIRate: c.upiRate,
      "plays/user/day": c.playsPerUserDay,
      "return rate": c.returnRate,
    })) {
      const figures =
        cmp === null
          ? "       —  (0 in an arm)"
          : `${pct(cmp.relativeChange).padStart(8)}  95% [${pct(cmp.low)}, ${pct(cmp.high)}]  p ${cmp.pValue.toFixed(4)}`;
      lines.push(`  ${c.arm} vs ${result.arms[0].name}: ${name.padEnd(14)} ${figures}`);
    }
  }
  return lines.join("\n");
}
