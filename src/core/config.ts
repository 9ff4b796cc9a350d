/**
 * Config schemas (zod) with the paper's and DESIGN.md's defaults, and the one loader every
 * command uses. Objects are strict everywhere, so a typo is an error rather than a silently
 * ignored key.
 *
 * Composition: core owns the root sections (`seed`, `timeZone`, `gamma`, `fusion`, `reward`).
 * Other modules define their own section with `configSection({...})` next to their code and the
 * CLI composes the full schema with `extendConfig({ bcq: bcqSection, ope: opeSection })`; core
 * never imports them.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Document, isScalar, parse as parseYaml, visit } from "yaml";
import { z } from "zod";
import { type AlphaBounds, alphaBounds, DEFAULT_ALPHA_BOUNDS, DEFAULT_BETA } from "./action.js";
import { MtfError } from "./errors.js";
import { REWARD_FEATURES, REWARD_PRESETS, type RewardFeature } from "./reward.js";
import { TASKS, type TaskName } from "./tasks.js";

// ---------------------------------------------------------------------------------------------
// Schemas

const TIME_ZONE_PATTERN = /^([+-])(\d{2}):([0-5]\d)$/;
const MAX_OFFSET_MINUTES = 14 * 60;

function parseTimeZone(timeZone: string): number | null {
  const match = TIME_ZONE_PATTERN.exec(timeZone);
  if (match === null) return null;
  const minutes = Number(match[2]) * 60 + Number(match[3]);
  if (minutes > MAX_OFFSET_MINUTES) return null;
  return match[1] === "-" ? -minutes : minutes;
}

/** Offset of a `±HH:MM` time zone from UTC, in minutes (e.g. "+08:00" → 480). */
export function timeZoneOffsetMinutes(timeZone: string): number {
  const minutes = parseTimeZone(timeZone);
  if (minutes === null) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `time zone must be a UTC offset "±HH:MM" within ±14:00, got "${timeZone}"`,
    );
  }
  return minutes;
}

const timeZoneSchema = z.string().refine((value) => parseTimeZone(value) !== null, {
  error: 'expected a UTC offset "±HH:MM" within ±14:00 (e.g. "+08:00")',
});

/**
 * A per-task record with a default for every task, or an array of 12 values in task order
 * (converted to the record, so errors name the task). Output: the full record.
 */
function perTask<T extends z.ZodType>(value: (task: TaskName, i: number) => T) {
  const shape = Object.fromEntries(TASKS.map((task, i) => [task, value(task, i)])) as Record<TaskName, T>;
  const record = z.strictObject(shape, {
    error: (issue) =>
      issue.code === "invalid_type"
        ? `expected a per-task record or an array of ${TASKS.length} values in task order (${TASKS.join(", ")})`
        : undefined,
  });
  return z.preprocess(
    (input) =>
      Array.isArray(input) && input.length === TASKS.length
        ? Object.fromEntries(TASKS.map((task, i) => [task, input[i]]))
        : input,
    record,
  );
}

const boundsPair = z
  .tuple([z.number(), z.number()])
  .refine(([low, high]) => low < high, { error: "expected [low, high] with low < high" });

export const fusionConfigSchema = z.strictObject({
  /** β_i of Eq. 1, > 0 per task: 0.01 for probabilities, 1 s for play_time. */
  beta: perTask((_task, i) => z.number().positive().default(DEFAULT_BETA[i])).prefault({}),
  /** [low, high] of α_i per task; the normalised action [-1, 1] maps affinely onto it. */
  alphaBounds: perTask((_task, i) =>
    boundsPair.default([DEFAULT_ALPHA_BOUNDS.low[i], DEFAULT_ALPHA_BOUNDS.high[i]]),
  ).prefault({}),
});

const rewardWeightsSchema = z.strictObject(
  Object.fromEntries(REWARD_FEATURES.map((f) => [f, z.number()])) as Record<RewardFeature, z.ZodNumber>,
);

export const rewardConfigSchema = z.strictObject({
  /** Eq. 2 preset: `default`, or `time` / `integrity` / `interaction` (that group doubled). */
  preset: z.enum(REWARD_PRESETS).default("default"),
  /** Fitted weights w of Eq. 2 (from `mtf fit-reward`), every feature; absent = fallback constants. */
  weights: rewardWeightsSchema.optional(),
});

/** Core's root sections; `extendConfig` adds module sections to them. */
export const coreConfigShape = {
  /** Seed of the run's root `Rng`; every random stream derives from it. */
  seed: z.number().int().min(0).default(0),
  /** Time zone whose calendar day is a "day" (DESIGN.md); KuaiRand's UTC+8 by default. */
  timeZone: timeZoneSchema.default("+08:00"),
  /** Discount factor γ within a session (Sec. 4.2: 0.95). */
  gamma: z.number().min(0).lt(1).default(0.95),
  fusion: fusionConfigSchema.prefault({}),
  reward: rewardConfigSchema.prefault({}),
};

export const mtfConfigSchema = z.strictObject(coreConfigShape);

export type MtfConfig = z.output<typeof mtfConfigSchema>;
export type MtfConfigInput = z.input<typeof mtfConfigSchema>;
export type FusionConfig = z.output<typeof fusionConfigSchema>;
export type RewardConfig = z.output<typeof rewardConfigSchema>;

/**
 * A module's config section: a strict object whose absent keys take their defaults (an absent
 * section is parsed as `{}`, so fields without a default are reported missing).
 */
export function configSection<Shape extends z.ZodRawShape>(shape: Shape) {
  const section = z.strictObject(shape);
  return section.prefault({} as z.input<typeof section>);
}

/** The root schema with module sections added, e.g. `extendConfig({ bcq: bcqSection })`. */
export function extendConfig<Shape extends z.ZodRawShape>(sections: Shape) {
  return mtfConfigSchema.extend(sections);
}

/** Eq. 1 parameters in task order, from the resolved fusion config. */
export function fusionParams(fusion: FusionConfig): {
  readonly beta: Float64Array;
  readonly bounds: AlphaBounds;
} {
  return {
    beta: Float64Array.from(TASKS, (task) => fusion.beta[task]),
    bounds: alphaBounds(
      TASKS.map((task) => fusion.alphaBounds[task][0]),
      TASKS.map((task) => fusion.alphaBounds[task][1]),
    ),
  };
}

// ---------------------------------------------------------------------------------------------
// Loading and error reporting

function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const key of path) {
    if (typeof key === "number") text += `[${key}]`;
    else text += text === "" ? String(key) : `.${String(key)}`;
  }
  return text === "" ? "(root)" : text;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (typeof value === "object") return "an object";
  return String(value);
}

/** The schema found by following `path` from `schema` through wrappers, or undefined. */
function schemaAt(schema: z.core.$ZodType, path: readonly PropertyKey[]): z.core.$ZodType | undefined {
  let current: z.core.$ZodType | undefined = schema;
  let depth = 0;
  while (current !== undefined) {
    const def = current._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
    if ("innerType" in def) {
      current = def.innerType as z.core.$ZodType;
    } else if (def.type === "pipe") {
      const out = def.out as z.core.$ZodType;
      current = out._zod.def.type === "transform" ? (def.in as z.core.$ZodType) : out;
    } else if (depth === path.length) {
      return current;
    } else if (def.type === "object") {
      current = (def.shape as Record<PropertyKey, z.core.$ZodType>)[path[depth++]];
    } else {
      return undefined;
    }
  }
  return undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** The closest known key within a small edit distance, compared case-insensitively. */
function suggestKey(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

interface ConfigProblem {
  readonly path: string;
  readonly message: string;
  readonly unknownKey: boolean;
}

function describeIssue(issue: z.core.$ZodIssue, schema: z.core.$ZodType): ConfigProblem[] {
  if (issue.code === "unrecognized_keys") {
    const parent = schemaAt(schema, issue.path);
    const shape = parent?._zod.def.type === "object" ? (parent._zod.def as z.core.$ZodObjectDef).shape : {};
    const known = Object.keys(shape);
    return issue.keys.map((key) => {
      const path = formatPath([...issue.path, key]);
      const suggestion = suggestKey(key, known);
      const hint = suggestion === undefined ? "" : ` (did you mean "${suggestion}"?)`;
      return { path, message: `unknown key "${path}"${hint}`, unknownKey: true };
    });
  }
  const path = formatPath(issue.path);
  if (issue.code === "invalid_type" && issue.input === undefined) {
    return [{ path, message: `${path}: missing, expected ${issue.expected}`, unknownKey: false }];
  }
  // Zod's own type message repeats the received type; a custom message (e.g. perTask's) is kept.
  const detail =
    issue.code === "invalid_type" && issue.message.startsWith("Invalid input:")
      ? `expected ${issue.expected}`
      : issue.message;
  const got = "input" in issue ? `, got ${describeValue(issue.input)}` : "";
  return [{ path, message: `${path}: ${detail}${got}`, unknownKey: false }];
}

/**
 * Validates `value` (already parsed from YAML/JSON) against `schema` and returns the resolved
 * config with defaults filled in. On failure throws `UNKNOWN_CONFIG_KEY` (when any key is
 * unknown) or `INVALID_CONFIG`; the message starts with `source` and names every bad field by
 * its dotted path; `details.issues` lists them.
 */
export function parseConfig<Schema extends z.ZodType>(
  value: unknown,
  schema: Schema,
  source: string,
): z.output<Schema> {
  const result = schema.safeParse(value ?? {}, { reportInput: true });
  if (result.success) return result.data;
  const problems = result.error.issues.flatMap((issue) => describeIssue(issue, schema));
  const unknownKey = problems.some((p) => p.unknownKey);
  throw new MtfError(
    unknownKey ? "UNKNOWN_CONFIG_KEY" : "INVALID_CONFIG",
    problems.map((p) => `${source}: ${p.message}`).join("\n"),
    { cause: result.error, details: { source, issues: problems } },
  );
}

/**
 * Reads a YAML config file as its raw mapping of sections, before validation (an empty file is
 * `{}`), for callers that merge command-line overrides into it first.
 */
export function readConfigMapping(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MtfError("FILE_NOT_FOUND", `config file not found: ${path}`, {
        cause: error,
        details: { path },
      });
    }
    throw error;
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new MtfError("INVALID_CONFIG", `${path}: not valid YAML: ${(error as Error).message}`, {
      cause: error,
      details: { source: path },
    });
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new MtfError(
      "INVALID_CONFIG",
      `${path}: expected a mapping of config sections, got ${describeValue(value)}`,
      {
        details: { source: path },
      },
    );
  }
  return value as Record<string, unknown>;
}

/** Reads a YAML config file and validates it with `parseConfig`; an empty file is `{}`. */
export function loadConfigFile<Schema extends z.ZodType>(path: string, schema: Schema): z.output<Schema> {
  return parseConfig(readConfigMapping(path), schema, path);
}

// ---------------------------------------------------------------------------------------------
// Hash and resolved output

/** JSON with object keys sorted at every level, so equal configs serialise identically. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    if (ArrayBuffer.isView(v)) {
      throw new MtfError("INVALID_ARGUMENT", "configHash expects plain JSON values, got a typed array");
    }
    const record = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(record)
        .sort()
        .map((k) => [k, record[k]]),
    );
  });
}

/** First 16 hex chars of the SHA-256 of the config's canonical JSON: printed with every result. */
export function configHash(config: unknown): string {
  return createHash("sha256").update(canonicalJson(config)).digest("hex").slice(0, 16);
}

/**
 * The resolved config as YAML (written next to outputs), headed by its hash; short lists of
 * scalars (bounds pairs) are written inline.
 */
export function resolvedConfigYaml(config: unknown): string {
  const document = new Document(config);
  visit(document, {
    Seq(_key, node) {
      if (node.items.every((item) => isScalar(item))) node.flow = true;
    },
  });
  document.commentBefore = ` mtf resolved config, hash ${configHash(config)}`;
  return document.toString({ flowCollectionPadding: false });
}
