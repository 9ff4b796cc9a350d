/**
 * The daily retrain's configuration and its pure decisions: the `retrain` config section (and the
 * root schema `mtf retrain` reads), the publish gate and the window of days.
 *
 * Gate (`retrain.gate`), with V̂ and the bootstrap interval [low, high] of `mtf evaluate`:
 *   value        publish iff V̂_new ≥ V̂_current − margin
 *   lower-bound  publish iff low_new ≥ V̂_current − margin (the new policy's pessimistic value
 *                must clear the current one's point value: stricter)
 *   none         always publish (e.g. to replace the fallback α the first time); figures still recorded
 */
import { z } from "zod";
import { type BCQ_PRESETS, bcqConfigSection } from "../agents/bcq/config.js";
import { explorationConfigSection } from "../agents/exploration.js";
import { configSection, coreConfigShape, parseConfig } from "../core/config.js";
import { MtfError } from "../core/errors.js";
import { opeConfigSection } from "../ope/config.js";
import { serveConfigSection } from "../serve/config.js";

export const GATE_RULES = ["value", "lower-bound", "none"] as const;
export type GateRule = (typeof GATE_RULES)[number];

/** The `retrain` config section. */
export const retrainConfigSection = configSection({
  /** N: days of feedback (day folders of the log, the last one included) to train on. */
  days: z.number().int().positive().default(3),
  gate: z
    .strictObject({
      /** See the file header. */
      rule: z.enum(GATE_RULES).default("value"),
      /** Slack in V̂ units (the dataset's reward scale) the new policy may fall short by. */
      margin: z.number().min(0).default(0),
    })
    .prefault({}),
  /** Fewer train transitions than this is "too little data": nothing is trained. */
  minTrainTransitions: z.number().int().positive().default(1000),
  /** Fewer test-split sessions (OPE initial states) than this is too little to evaluate. */
  minTestSessions: z.number().int().positive().default(20),
  /** Add the target policy's traffic to the exploration traffic the dataset holds (mtf build --include-target). */
  includeTarget: z.boolean().default(false),
  /** Start BCQ's decoder, actor and critics from the current version (same sizes needed). */
  warmStart: z.boolean().default(false),
  /** Publish as a canary for this share of users instead of making it current; null = current. */
  canaryShare: z.number().gt(0).lt(1).nullable().default(null),
});
export type RetrainConfig = z.output<typeof retrainConfigSection>;

/** Everything `mtf retrain` reads: root sections, `exploration`/`serve` (dirs, fallback α), `bcq`, `ope`, `retrain`. */
export const retrainRootSchema = z.looseObject({
  ...coreConfigShape,
  exploration: explorationConfigSection,
  serve: serveConfigSection,
  bcq: bcqConfigSection,
  ope: opeConfigSection,
  retrain: retrainConfigSection,
});
export type RetrainRootConfig = z.output<typeof retrainRootSchema>;

/**
 * The resolved retrain config from a raw (parsed YAML) config: BCQ's quick preset unless the
 * `bcq` section names one (a daily job must finish in minutes), everything else as `parseConfig`.
 */
export function retrainConfig(raw: Readonly<Record<string, unknown>>, source: string): RetrainRootConfig {
  const bcq = (raw.bcq as Record<string, unknown> | undefined) ?? {};
  const preset: (typeof BCQ_PRESETS)[number] = "quick";
  const withPreset = bcq.preset === undefined ? { ...raw, bcq: { ...bcq, preset } } : raw;
  return parseConfig(withPreset, retrainRootSchema, source);
}

export interface GateFigures {
  readonly value: number;
  readonly low: number;
  readonly high: number;
}

export interface GateDecision {
  readonly rule: GateRule;
  readonly margin: number;
  /** What the new policy's compared figure had to reach (null for `none`). */
  readonly threshold: number | null;
  /** V̂_new (rule value) or low_new (rule lower-bound); null for `none`. */
  readonly compared: number | null;
  readonly passed: boolean;
  readonly reason: string;
}

/** The publish gate (file header); pure. */
export function decideGate(
  rule: GateRule,
  margin: number,
  candidate: GateFigures,
  current: GateFigures,
): GateDecision {
  if (rule === "none") {
    return {
      rule,
      margin,
      threshold: null,
      compared: null,
      passed: true,
      reason: "gate none: always publish",
    };
  }
  const threshold = current.value - margin;
  const compared = rule === "value" ? candidate.value : candidate.low;
  const name = rule === "value" ? "V̂_new" : "low_new";
  const passed = compared >= threshold;
  return {
    rule,
    margin,
    threshold,
    compared,
    passed,
    reason: `${name} ${formatValue(compared)} ${passed ? "≥" : "<"} V̂_current − margin = ${formatValue(current.value)} − ${formatValue(margin)} = ${formatValue(threshold)}`,
  };
}

/** A V̂ figure as printed (4 decimals; exponent form when very large or small). */
export function formatValue(x: number): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(4) : x.toFixed(4);
}

/** The days of the window: `days` calendar days ending at `until`, as YYYY-MM-DD strings. */
export function windowDays(
  until: string,
  days: number,
): { readonly fromDay: string; readonly toDay: string } {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(until) || Number.isNaN(Date.parse(`${until}T00:00:00Z`))) {
    throw new MtfError("INVALID_ARGUMENT", `expected a day as YYYY-MM-DD, got "${until}"`);
  }
  const from = new Date(Date.parse(`${until}T00:00:00Z`) - (days - 1) * 86_400_000);
  return { fromDay: from.toISOString().slice(0, 10), toDay: until };
}
