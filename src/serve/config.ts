/**
 * The `serve` config section and the schema `mtf serve` loads (root sections + `exploration` +
 * `serve`). Every field has an embedded default, so `mtf serve` runs without a config file.
 */
import { z } from "zod";
import { BEHAVIOUR_ALPHA } from "../agents/behaviour.js";
import { explorationConfigSection } from "../agents/exploration.js";
import { configSection, coreConfigShape } from "../core/config.js";
import { TASKS, type TaskName } from "../core/tasks.js";

/** Which model an experiment arm serves: the registry's (current or canary) or the fallback α. */
export const ARM_MODELS = ["current", "fallback"] as const;
export type ArmModel = (typeof ARM_MODELS)[number];

const armSchema = z.strictObject({
  name: z.string().min(1).max(64),
  share: z.number().gt(0).max(1),
  model: z.enum(ARM_MODELS).default("current"),
});

const fallbackAlphaSchema = z
  .strictObject(
    Object.fromEntries(TASKS.map((task) => [task, z.number().default(BEHAVIOUR_ALPHA[task])])) as Record<
      TaskName,
      z.ZodDefault<z.ZodNumber>
    >,
  )
  .prefault({});

export const serveConfigSection = configSection({
  host: z.string().min(1).default("127.0.0.1").describe("address to listen on"),
  port: z.number().int().min(0).max(65535).default(8080).describe("port; 0 picks a free one"),
  bodyLimitBytes: z
    .number()
    .int()
    .positive()
    .default(4 * 1024 * 1024)
    .describe("largest accepted request body"),
  maxCandidates: z
    .number()
    .int()
    .positive()
    .default(2000)
    .describe("most candidates one rank request may hold"),
  maxFeedbackEvents: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("most events one feedback request may hold"),
  stateStore: z
    .string()
    .default("memory")
    .describe('"memory" or a redis:// URL; the STATE_STORE environment variable overrides it'),
  redisKeyPrefix: z.string().default("mtf:").describe("prefix of every Redis key"),
  registryDir: z.string().default("runs/default/registry").describe("model registry folder"),
  feedbackDir: z
    .string()
    .default("runs/default/feedback")
    .describe("feedback log folder (day-rotated segments)"),
  reloadPollMs: z
    .number()
    .int()
    .positive()
    .default(1000)
    .describe("how often the registry pointer is checked"),
  fallbackAlpha: fallbackAlphaSchema.describe(
    "α served while no model is in the registry (default: the behaviour policy's production baseline)",
  ),
  readyRequiresModel: z
    .boolean()
    .default(false)
    .describe("when true, /readyz reports not ready while the fallback α is served"),
  canarySalt: z.string().min(1).default("canary").describe("salt of the canary layer's user hash"),
  experiments: z
    .strictObject({
      salt: z.string().min(1).default("experiment"),
      arms: z
        .array(armSchema)
        .default([])
        .refine((arms) => arms.reduce((sum, arm) => sum + arm.share, 0) <= 1 + 1e-9, {
          error: "arm shares must sum to at most 1",
        })
        .refine((arms) => new Set(arms.map((arm) => arm.name)).size === arms.length, {
          error: "arm names must be distinct",
        }),
    })
    .prefault({})
    .describe("A/B arms: a salted hash layer of its own, orthogonal to exploration"),
  decisionTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(86_400)
    .describe("how long a served decision stays available to join feedback with"),
  maxStoredScores: z
    .number()
    .int()
    .positive()
    .default(20_000_000)
    .describe("in-memory store: budget of served items' scores kept for decisions (oldest dropped first)"),
  maxUsers: z
    .number()
    .int()
    .positive()
    .default(10_000)
    .describe("in-memory store: users whose history is kept (least recently used dropped; ~52 KB each)"),
  maxEventIds: z
    .number()
    .int()
    .positive()
    .default(2_000_000)
    .describe("in-memory store: event ids remembered for idempotency (oldest dropped first)"),
  eventIdTtlSeconds: z
    .number()
    .int()
    .positive()
    .default(7 * 86_400)
    .describe("Redis store: how long a stored event id is remembered for idempotency"),
  dedupeDays: z
    .number()
    .int()
    .min(0)
    .default(2)
    .describe("in-memory store: days of feedback segments whose event ids are reloaded at start"),
  maxSegmentBytes: z
    .number()
    .int()
    .positive()
    .default(256 * 1024 * 1024)
    .describe("a feedback segment is closed once it grows past this size (besides the day change)"),
  sessionInactivityMinutes: z
    .number()
    .positive()
    .default(30)
    .describe("gap that ends a session when events carry no session id (as in the dataset build)"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
});

export type ServeConfig = z.output<typeof serveConfigSection>;
export type ServeConfigInput = z.input<typeof serveConfigSection>;

/**
 * Everything `mtf serve` reads: core's root sections, `exploration` and `serve`. Other modules'
 * sections (bcq, ope, …) may share the file, so unknown root keys are passed over; inside the
 * sections above every key is checked.
 */
export const serveRootSchema = z.looseObject({
  ...coreConfigShape,
  exploration: explorationConfigSection,
  serve: serveConfigSection,
});
export type ServeRootConfig = z.output<typeof serveRootSchema>;
export type ServeRootConfigInput = z.input<typeof serveRootSchema>;
