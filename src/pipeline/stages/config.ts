/**
 * The config of `mtf pipeline` and `mtf experiment table1`: the root mtf config (seed, γ,
 * fusion, reward) with every module section the stages use (`sim`, `exploration`, `bcq`, `bo`,
 * `es`, `ope`) and a `pipeline` section for the run's sizes and its method table. Two embedded
 * defaults: QUICK (the 15-minute loop) and TABLE1 (the paper's protocol at paper settings). A
 * YAML file given with `--config` is merged over the embedded default (mappings key by key,
 * lists replaced) and validated; unknown keys are rejected by their dotted path.
 */
import { z } from "zod";
import { bcqConfigSection } from "../../agents/bcq/config.js";
import { boConfigSection } from "../../agents/bo/config.js";
import { cqlSacConfigSection } from "../../agents/cql-sac/config.js";
import { esConfigSection } from "../../agents/es/config.js";
import { explorationConfigSection } from "../../agents/exploration.js";
import { OFFLINE_ALGORITHMS } from "../../agents/offline-algorithms.js";
import { td3ConfigSection } from "../../agents/td3/config.js";
import { uwacTd3ConfigSection } from "../../agents/uwac-td3/config.js";
import {
  configHash,
  configSection,
  extendConfig,
  parseConfig,
  readConfigMapping,
} from "../../core/config.js";
import { MtfError } from "../../core/errors.js";
import { REWARD_PRESETS } from "../../core/reward.js";
import { opeConfigSection } from "../../ope/config.js";
import { simConfigSection } from "../../sim/config.js";

export const PIPELINE_KINDS = ["pipeline", "table1"] as const;
export type PipelineKind = (typeof PIPELINE_KINDS)[number];

/** The two collections: Mixed Multi-Exploration, and random exploration only (for -RE). */
export const COLLECTIONS = ["mixed", "random"] as const;
export type Collection = (typeof COLLECTIONS)[number];

export const ONLINE_METHODS = ["BO", "ES"] as const;
export type OnlineMethod = (typeof ONLINE_METHODS)[number];

const positiveInt = z.number().int().positive();

/** One offline method of the table: an algorithm trained on one collection under one reward. */
const offlineMethodSchema = z.strictObject({
  /** Row name in Table 1, e.g. "BatchRL-MTF", "BatchRL-MTF-RE", "BatchRL-MTF-Rtime". */
  name: z.string().min(1),
  /** Trainer (offline-algorithms.ts), e.g. "bcq". */
  algorithm: z.string().min(1),
  /** Which collection its dataset comes from. */
  data: z.enum(COLLECTIONS).default("mixed"),
  /** Eq. 2 reward preset of its dataset (and of its V̂). */
  reward: z.enum(REWARD_PRESETS).default("default"),
  /** Keys merged into the algorithm's config section for this method only (e.g. { rho: 0.3 }). */
  overrides: z.record(z.string(), z.unknown()).default({}),
  /** A Fig. 8 sweep point rather than a Table 1 row. */
  sweep: z.strictObject({ parameter: z.enum(["rho", "critic_lr"]), value: z.number() }).optional(),
});
export type OfflineMethod = z.output<typeof offlineMethodSchema>;

const sizeSchema = (users: number, days: number) =>
  z.strictObject({ users: positiveInt.default(users), days: positiveInt.default(days) }).prefault({});

export const pipelineSection = configSection({
  /** Explored users logged and days (collection; -RE's collection has as many). */
  collect: sizeSchema(3000, 7),
  /** Horizon (days) of the Eq. 2 reward fit; needs log days > horizon for complete user-days. */
  fitRewardHorizonDays: positiveInt.default(3),
  /** Share of sessions (the latest) in the test split. */
  testFraction: z.number().gt(0).lt(1).default(0.1),
  /** Offline methods, trained in this order. */
  offline: z.array(offlineMethodSchema).prefault([{ name: "BatchRL-MTF", algorithm: "bcq" }]),
  /** Online baselines tuned in the simulator with the collection's user-days as budget. */
  online: z.array(z.enum(ONLINE_METHODS)).default(["BO"]),
  /** The A/B test on fresh users: all methods and the behaviour policy as arms, `control` first. */
  abTest: z
    .strictObject({
      users: positiveInt.default(9000),
      days: positiveInt.default(3),
      control: z.string().default("BO"),
      method: z.enum(["delta", "bootstrap"]).default("delta"),
    })
    .prefault({}),
  /** Monte-Carlo true value: a fresh population per policy, mean discounted session return. */
  truth: sizeSchema(1000, 3),
  /** Per-segment view: fresh users cloned into control and BatchRL-MTF (paired). */
  segments: sizeSchema(1500, 3),
  /** At most this many test-split states for Fig. 6-7's decisions and the segments' mean α. */
  weightStates: positiveInt.default(2000),
});

export const pipelineConfigSchema = extendConfig({
  sim: simConfigSection,
  exploration: explorationConfigSection,
  bcq: bcqConfigSection,
  td3: td3ConfigSection,
  "uwac-td3": uwacTd3ConfigSection,
  "cql-sac": cqlSacConfigSection,
  bo: boConfigSection,
  es: esConfigSection,
  ope: opeConfigSection,
  pipeline: pipelineSection,
});
export type PipelineConfig = z.output<typeof pipelineConfigSchema>;

/**
 * QUICK: `mtf pipeline`'s embedded default, sized for 15 minutes on 2 cores (docs/pipeline.md):
 * the small world, 3,000 explored users × 7 days, BCQ's quick preset for 15,000 steps, BO with
 * at most 64 evaluations, Conservative-OPE with K = 1,500, an A/B test of 9,000 users × 3 days.
 */
export const QUICK_DEFAULTS: Readonly<Record<string, unknown>> = {
  seed: 1,
  sim: { preset: "small" },
  exploration: { mode: "mixed", share: 1 },
  bcq: { preset: "quick", steps: 15000 },
  bo: { maxEvaluations: 64 },
  ope: { iterations: 1500, initialStates: 2000, bootstrapResamples: 500 },
  pipeline: {},
};

/** Table 1's methods (paper Sec. 4.4): BatchRL-MTF, the offline baselines, the ablations. */
function table1Methods(): Record<string, unknown>[] {
  const offlineBaselines = [
    { name: "TD3", algorithm: "td3" },
    { name: "UWAC+TD3", algorithm: "uwac-td3" },
    { name: "CQL+SAC", algorithm: "cql-sac" },
  ].filter((m) => m.algorithm in OFFLINE_ALGORITHMS);
  const sweeps = [
    ...[0.05, 0.1, 0.25, 0.5].map((rho) => ({
      name: `BatchRL-MTF rho=${rho}`,
      algorithm: "bcq",
      overrides: { rho },
      sweep: { parameter: "rho", value: rho },
    })),
    ...[5e-5, 1e-4, 5e-4, 1e-3].map((lr) => ({
      name: `BatchRL-MTF critic_lr=${lr}`,
      algorithm: "bcq",
      overrides: { lrCritic: lr },
      sweep: { parameter: "critic_lr", value: lr },
    })),
  ];
  return [
    { name: "BatchRL-MTF", algorithm: "bcq" },
    ...offlineBaselines,
    { name: "BatchRL-MTF-RE", algorithm: "bcq", data: "random" },
    { name: "BatchRL-MTF-Rtime", algorithm: "bcq", reward: "time" },
    { name: "BatchRL-MTF-Rintegrity", algorithm: "bcq", reward: "integrity" },
    { name: "BatchRL-MTF-Rinteraction", algorithm: "bcq", reward: "interaction" },
    ...sweeps,
  ];
}

/**
 * TABLE1: the paper's protocol at paper settings (Sec. 4): the default world (20,000 users),
 * 20,000 explored users × 14 days per collection, every method at its paper preset (BCQ 300k
 * steps), BO and ES, Conservative-OPE with K = 5,000 and n = 5,000, an A/B test over 7 days.
 */
export const TABLE1_DEFAULTS: Readonly<Record<string, unknown>> = {
  seed: 1,
  sim: { preset: "default" },
  exploration: { mode: "mixed", share: 1 },
  bcq: { preset: "paper" },
  pipeline: {
    collect: { users: 20000, days: 14 },
    fitRewardHorizonDays: 7,
    offline: table1Methods(),
    online: ["BO", "ES"],
    abTest: { users: 100000, days: 7 },
    truth: { users: 5000, days: 7 },
    segments: { users: 10000, days: 7 },
    weightStates: 5000,
  },
};

function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** `over` merged into `base`: mappings key by key, anything else (lists included) replaced. */
export function mergeConfig(base: unknown, over: unknown): unknown {
  if (!isMapping(base) || !isMapping(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) out[key] = mergeConfig(base[key], value);
  return out;
}

export interface LoadPipelineConfigOptions {
  readonly kind: PipelineKind;
  /** A YAML file merged over the embedded default. */
  readonly file?: string;
  /** Already-parsed overrides merged last (tests). */
  readonly overrides?: Record<string, unknown>;
  readonly seed?: number;
}

/** The resolved, validated config of a run and its hash. */
export function loadPipelineConfig(options: LoadPipelineConfigOptions): {
  readonly config: PipelineConfig;
  readonly hash: string;
} {
  const defaults = options.kind === "table1" ? TABLE1_DEFAULTS : QUICK_DEFAULTS;
  let raw = mergeConfig(defaults, options.file === undefined ? {} : readConfigMapping(options.file));
  if (options.overrides !== undefined) raw = mergeConfig(raw, options.overrides);
  if (options.seed !== undefined) raw = mergeConfig(raw, { seed: options.seed });
  const source = options.file ?? `embedded ${options.kind} defaults`;
  const config = parseConfig(raw, pipelineConfigSchema, source);
  checkMethods(config, source);
  return { config, hash: configHash(config) };
}

/** Method names unique, algorithms known, overrides valid, the A/B control one of the arms. */
function checkMethods(config: PipelineConfig, source: string): void {
  const { offline, online, abTest } = config.pipeline;
  const names = [...offline.map((m) => m.name), ...online, "behaviour"];
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate !== undefined)
    throw new MtfError("INVALID_CONFIG", `${source}: method name "${duplicate}" appears twice`);
  for (const method of offline) {
    const algorithm = OFFLINE_ALGORITHMS[method.algorithm];
    if (algorithm === undefined) {
      throw new MtfError(
        "INVALID_CONFIG",
        `${source}: pipeline.offline "${method.name}": unknown algorithm "${method.algorithm}" (known: ${Object.keys(OFFLINE_ALGORITHMS).join(", ")})`,
      );
    }
    algorithm.resolve(config, method.overrides);
  }
  if (!names.includes(abTest.control)) {
    throw new MtfError(
      "INVALID_CONFIG",
      `${source}: pipeline.abTest.control "${abTest.control}" is not a method of the run (${names.join(", ")})`,
    );
  }
  if (!offline.some((m) => m.name === MAIN_METHOD)) {
    throw new MtfError("INVALID_CONFIG", `${source}: pipeline.offline must include "${MAIN_METHOD}"`);
  }
  if (config.pipeline.collect.days <= config.pipeline.fitRewardHorizonDays) {
    throw new MtfError(
      "INVALID_CONFIG",
      `${source}: pipeline.collect.days (${config.pipeline.collect.days}) must exceed pipeline.fitRewardHorizonDays (${config.pipeline.fitRewardHorizonDays}) for the reward fit to have complete user-days`,
    );
  }
}

/** The method the per-segment view, Fig. 6-7 and the README are about. */
export const MAIN_METHOD = "BatchRL-MTF";

/** Dataset name of a (collection, reward) pair, e.g. "mixed-default". */
export function datasetName(data: Collection, reward: string): string {
  return `${data}-${reward}`;
}

/** The datasets the offline methods need, each once, in a fixed order. */
export function datasetsNeeded(config: PipelineConfig): { data: Collection; reward: string; name: string }[] {
  const seen = new Map<string, { data: Collection; reward: string; name: string }>();
  // The main dataset always exists: Fig. 6-7's behaviour data and OPE of the baselines use it.
  for (const m of [{ data: "mixed" as const, reward: "default" }, ...config.pipeline.offline]) {
    const name = datasetName(m.data, m.reward);
    if (!seen.has(name)) seen.set(name, { data: m.data, reward: m.reward, name });
  }
  return [...seen.values()];
}

/** Collections needed: mixed always, random when a method trains on it. */
export function collectionsNeeded(config: PipelineConfig): Collection[] {
  return COLLECTIONS.filter((c) => c === "mixed" || config.pipeline.offline.some((m) => m.data === c));
}
