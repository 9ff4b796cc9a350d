/**
 * A rank body → a `RankRequest`: the envelope through zod, the candidates through the fast
 * readers. Two body shapes: per-candidate objects (`candidates`) or columnar (`itemIds` +
 * `scores`); a body must use exactly one.
 */
import { z } from "zod";
import { rankEnvelopeShape } from "./api-schemas.js";
import { type Candidates, readColumnarCandidates, readObjectCandidates } from "./candidates.js";
import { fieldError, parseWith } from "./request-errors.js";

export type BodyShape = "objects" | "columnar";

export interface RankRequest {
  readonly userId: string;
  readonly requestId: string | null;
  readonly sessionId: string | null;
  readonly timestampMs: number | null;
  readonly k: number | null;
  readonly profile: readonly number[] | null;
  readonly shape: BodyShape;
  readonly candidates: Candidates;
}

const envelopeSchema = z.strictObject({
  ...rankEnvelopeShape,
  candidates: z.unknown().optional(),
  itemIds: z.unknown().optional(),
  scores: z.unknown().optional(),
});

export function parseRankBody(body: unknown, maxCandidates: number): RankRequest {
  const envelope = parseWith(envelopeSchema, body);
  const common = {
    userId: envelope.userId,
    requestId: envelope.requestId ?? null,
    sessionId: envelope.sessionId ?? null,
    timestampMs: envelope.timestampMs ?? null,
    k: envelope.k ?? null,
    profile: envelope.profile ?? null,
  };
  if (envelope.candidates !== undefined) {
    for (const field of ["itemIds", "scores"] as const) {
      if (envelope[field] !== undefined) {
        throw fieldError(
          "UNKNOWN_FIELD",
          [field],
          "a body with candidates has no itemIds or scores (use one shape)",
        );
      }
    }
    return {
      ...common,
      shape: "objects",
      candidates: readObjectCandidates(envelope.candidates, maxCandidates),
    };
  }
  if (envelope.itemIds === undefined && envelope.scores === undefined) {
    throw fieldError("MISSING_FIELD", ["candidates"], "missing: send candidates, or itemIds with scores");
  }
  if (envelope.itemIds === undefined)
    throw fieldError("MISSING_FIELD", ["itemIds"], "missing, expected an array");
  if (envelope.scores === undefined) throw fieldError("MISSING_FIELD", ["scores"], "missing");
  return {
    ...common,
    shape: "columnar",
    candidates: readColumnarCandidates(envelope.itemIds, envelope.scores, maxCandidates),
  };
}
