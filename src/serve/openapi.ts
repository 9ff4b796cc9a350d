/** The OpenAPI 3.0 document of the API (served at /docs), generated from the zod schemas. */
import { z } from "zod";
import { mtfVersion } from "../nn/run-metadata.js";
import {
  errorResponseSchema,
  feedbackBodySchema,
  feedbackResponseSchema,
  rankBodySchema,
  rankResponseSchema,
} from "./api-schemas.js";

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: "openapi-3.0", io, unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
}

function json(schema: z.ZodType, io: "input" | "output") {
  return { content: { "application/json": { schema: jsonSchema(schema, io) } } };
}

function errors(...statuses: number[]) {
  return Object.fromEntries(
    statuses.map((status) => [
      String(status),
      { description: "error (see error.code)", ...json(errorResponseSchema, "output") },
    ]),
  );
}

export function openApiDocument(limits: {
  readonly maxCandidates: number;
  readonly maxFeedbackEvents: number;
}) {
  return {
    openapi: "3.0.3",
    info: {
      title: "mtf serving API",
      version: mtfVersion(),
      description:
        "Ranks candidates by Eq. 1 of BatchRL-MTF with personalised fusion weights α and ingests play feedback. Errors are `{ error: { code, message, details } }`; each class of bad input has its own code.",
    },
    paths: {
      "/v1/rank": {
        post: {
          summary: "Rank candidates for a user",
          description:
            "Two body shapes: per-candidate objects (`candidates`) or columnar (`itemIds` + `scores` as per-task arrays or a [candidates x 12] array in task order).",
          requestBody: { required: true, ...json(rankBodySchema(limits.maxCandidates), "input") },
          responses: {
            "200": {
              description: "the ranked items and the decision",
              ...json(rankResponseSchema, "output"),
            },
            ...errors(400, 409, 413, 415, 422, 503),
          },
        },
      },
      "/v1/feedback": {
        post: {
          summary: "Store play feedback for served items (idempotent by event id)",
          requestBody: { required: true, ...json(feedbackBodySchema(limits.maxFeedbackEvents), "input") },
          responses: {
            "200": {
              description: "acknowledged: the stored events are durable",
              ...json(feedbackResponseSchema, "output"),
            },
            ...errors(400, 409, 413, 415, 422, 503),
          },
        },
      },
      "/healthz": {
        get: { summary: "Liveness", responses: { "200": { description: "the process is up" } } },
      },
      "/readyz": {
        get: {
          summary:
            "Readiness: state store reachable, feedback log writable, which model serves (or the fallback α)",
          responses: { "200": { description: "ready" }, "503": { description: "not ready" } },
        },
      },
      "/metrics": {
        get: {
          summary: "Prometheus metrics",
          responses: { "200": { description: "text exposition format" } },
        },
      },
    },
  };
}
