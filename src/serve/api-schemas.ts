/**
 * The HTTP API's bodies as zod schemas: the single description the OpenAPI document (/docs) is
 * generated from. Feedback bodies and the rank envelope are validated with them directly; the
 * rank candidates (up to thousands of numbers) are read by the hand-written `candidates.ts` for
 * speed, and a property test checks that it accepts exactly what `rankBodySchema` accepts.
 */
import { z } from "zod";
import { EXPLORATION_GROUPS } from "../core/events.js";
import { TASKS, type TaskName } from "../core/tasks.js";

export const MAX_ID_LENGTH = 256;
export const MAX_PROFILE_LENGTH = 4096;
/** Latest accepted event time: year 2200, so a timestamp in seconds or µs is refused, not misread. */
export const MAX_TIMESTAMP_MS = 7_258_118_400_000;

const id = z.string().min(1).max(MAX_ID_LENGTH);
const timestampMs = z.number().int().min(0).max(MAX_TIMESTAMP_MS);

function perTask<T extends z.ZodType>(value: T) {
  return z.strictObject(Object.fromEntries(TASKS.map((task) => [task, value])) as Record<TaskName, T>);
}

/** The fields every rank body has besides its candidates. */
export const rankEnvelopeShape = {
  userId: id.describe("the user the list is ranked for"),
  requestId: id.optional().describe("unique id of this request; generated when absent. Seeds the decision"),
  sessionId: id
    .optional()
    .describe("session id, when the client tracks sessions (else inactivity gaps cut them)"),
  timestampMs: timestampMs.optional().describe("request time, Unix epoch ms; default: the server's clock"),
  k: z.number().int().positive().optional().describe("return the k best items (default: all)"),
  profile: z
    .array(z.number())
    .max(MAX_PROFILE_LENGTH)
    .optional()
    .describe("the user's profile features, in the model's order; absent = zeros (as in the dataset build)"),
};

function uniqueIds(ids: readonly string[]): boolean {
  return new Set(ids).size === ids.length;
}

export function rankObjectsBodySchema(maxCandidates: number) {
  return z
    .strictObject({
      ...rankEnvelopeShape,
      candidates: z
        .array(z.strictObject({ itemId: id, scores: perTask(z.number()) }))
        .min(1)
        .max(maxCandidates)
        .describe("one object per candidate with its 12 MTL scores"),
    })
    .refine((body) => uniqueIds(body.candidates.map((c) => c.itemId)), {
      error: "item ids must be distinct",
    });
}

export function rankColumnarBodySchema(maxCandidates: number) {
  return z
    .strictObject({
      ...rankEnvelopeShape,
      itemIds: z.array(id).min(1).max(maxCandidates).describe("candidate item ids"),
      scores: z
        .union([perTask(z.array(z.number())), z.array(z.array(z.number()).length(TASKS.length))])
        .describe(
          `per-task arrays in itemIds order, or a [candidates x 12] array in task order (${TASKS.join(", ")})`,
        ),
    })
    .refine(
      (body) =>
        Array.isArray(body.scores)
          ? body.scores.length === body.itemIds.length
          : TASKS.every(
              (task) => (body.scores as Record<TaskName, number[]>)[task].length === body.itemIds.length,
            ),
      { error: "scores must hold one value per task for every item id" },
    )
    .refine((body) => uniqueIds(body.itemIds), { error: "item ids must be distinct" });
}

export function rankBodySchema(maxCandidates: number) {
  return z.union([rankObjectsBodySchema(maxCandidates), rankColumnarBodySchema(maxCandidates)]);
}

export const rankResponseSchema = z.strictObject({
  requestId: z.string(),
  userId: z.string(),
  items: z.array(z.strictObject({ itemId: z.string(), score: z.number() })).describe("best first, by Eq. 1"),
  alpha: perTask(z.number()).describe("the fusion weights α used (Eq. 1)"),
  policyVersion: z.string().describe('registry version, or "fallback"'),
  fallback: z.boolean().describe("true when the configured fallback α was served"),
  explorationGroup: z.enum(EXPLORATION_GROUPS),
  noiseScale: z.number().nullable().describe("σ of the exploration noise, normalised action space"),
  experimentArm: z.string().nullable(),
  decisionSeed: z
    .number()
    .int()
    .describe("seed of the decision's random draws (derived from the request id)"),
});

const outcome = z.number().int().min(0).max(1);

export const feedbackEventSchema = z.strictObject({
  eventId: id.describe("unique event id: a retried event is stored once"),
  requestId: id.describe("the rank request that served the item"),
  itemId: id,
  userId: id.optional().describe("required only when the server no longer knows the request"),
  sessionId: id.optional(),
  timestampMs: timestampMs.optional().describe("play time, Unix epoch ms; default: the server's clock"),
  playTimeMs: z.number().int().min(0).max(86_400_000),
  durationMs: z
    .number()
    .int()
    .min(0)
    .max(86_400_000)
    .optional()
    .describe("video duration; 0 or absent = unknown"),
  outcomes: z
    .strictObject(
      Object.fromEntries(
        TASKS.filter((t) => t !== "play_time").map((t) => [t, outcome.optional()]),
      ) as Record<Exclude<TaskName, "play_time">, z.ZodOptional<typeof outcome>>,
    )
    .optional()
    .describe(
      "observed 0/1 outcomes; absent = unknown (skip defaults to play < 3 s, exit to the session end)",
    ),
});

export function feedbackBodySchema(maxEvents: number) {
  return z.strictObject({ events: z.array(feedbackEventSchema).min(1).max(maxEvents) });
}

export type FeedbackEventBody = z.output<typeof feedbackEventSchema>;

export const feedbackResponseSchema = z.strictObject({
  stored: z.number().int(),
  duplicates: z.number().int(),
  results: z.array(
    z.strictObject({
      eventId: z.string(),
      status: z.enum(["stored", "duplicate"]),
      decisionFound: z.boolean().describe("whether the event was joined with its served decision"),
    }),
  ),
});

export const errorResponseSchema = z.strictObject({
  error: z.strictObject({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()),
  }),
});
