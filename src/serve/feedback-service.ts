/**
 * Feedback ingestion: joins each event with its served decision, stores it once (idempotent by
 * event id), durably (the request is acknowledged only after the feedback log's fsync), then
 * updates the user's history. A batch is validated whole before anything is stored: one bad
 * event refuses the request, with its index in `details.index`.
 *
 * The log is the source of truth and the history a view of it: if updating a history fails
 * after the events are durable, the request still succeeds and the failure is counted
 * (`mtf_feedback_history_skipped_total`).
 */
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { N_TASKS, TASKS, type TaskName } from "../core/tasks.js";
import type { FeedbackEventBody } from "./api-schemas.js";
import type { ServeContext } from "./context.js";
import type { DecisionRecord } from "./state-store.js";
import { applyPlay, comparePlays } from "./user-session.js";

type OutcomeTask = Exclude<TaskName, "play_time">;
const OUTCOME_TASKS = TASKS.filter((task): task is OutcomeTask => task !== "play_time");

export interface FeedbackResult {
  readonly eventId: string;
  readonly status: "stored" | "duplicate";
  readonly decisionFound: boolean;
}

export interface FeedbackResponse {
  readonly stored: number;
  readonly duplicates: number;
  readonly results: readonly FeedbackResult[];
}

function eventError(
  code: "UNKNOWN_REQUEST" | "ITEM_NOT_SERVED" | "USER_MISMATCH",
  index: number,
  message: string,
): MtfError {
  return new MtfError(code, `events[${index}]: ${message}`, { details: { path: `events[${index}]`, index } });
}

/** The stored event: the feedback body joined with its decision (null when it is no longer known). */
function playEvent(
  body: FeedbackEventBody,
  decision: DecisionRecord | null,
  index: number,
  receivedMs: number,
): PlayEvent {
  const userId = decision?.userId ?? body.userId;
  if (userId === undefined) {
    throw eventError(
      "UNKNOWN_REQUEST",
      index,
      `request "${body.requestId}" is unknown here (expired?); send userId with the event`,
    );
  }
  if (body.userId !== undefined && body.userId !== userId) {
    throw eventError(
      "USER_MISMATCH",
      index,
      `request "${body.requestId}" served user "${userId}", not "${body.userId}"`,
    );
  }
  const position = decision === null ? -1 : decision.items.indexOf(body.itemId);
  if (decision !== null && position === -1) {
    throw eventError(
      "ITEM_NOT_SERVED",
      index,
      `item "${body.itemId}" was not served by request "${body.requestId}"`,
    );
  }
  const outcomes = Object.fromEntries(
    OUTCOME_TASKS.map((task) => [task, body.outcomes?.[task] ?? null]),
  ) as Record<OutcomeTask, number | null>;
  return {
    eventId: body.eventId,
    userId,
    itemId: body.itemId,
    requestId: body.requestId,
    sessionId: body.sessionId ?? decision?.sessionId ?? null,
    timestampMs: body.timestampMs ?? receivedMs,
    candidateSetId: null,
    candidateCount: decision?.candidateCount ?? null,
    position: decision === null ? null : position,
    scores: decision === null ? null : decision.scores.slice(position * N_TASKS, (position + 1) * N_TASKS),
    alpha: decision?.alpha ?? null,
    action: decision?.action ?? null,
    policyVersion: decision?.policyVersion ?? null,
    explorationGroup: decision?.explorationGroup ?? null,
    noiseScale: decision?.noiseScale ?? null,
    propensity: null,
    decisionSeed: decision?.decisionSeed ?? null,
    experimentArm: decision?.experimentArm ?? null,
    durationMs: body.durationMs ?? null,
    playTimeMs: body.playTimeMs,
    outcomes,
  };
}

async function loadDecisions(
  ctx: ServeContext,
  events: readonly FeedbackEventBody[],
): Promise<Map<string, DecisionRecord | null>> {
  const requestIds = [...new Set(events.map((event) => event.requestId))];
  const decisions = await Promise.all(requestIds.map((id) => ctx.store.loadDecision(id)));
  return new Map(requestIds.map((id, i) => [id, decisions[i]]));
}

/** Applies stored events to their users' histories, per user in (time, event id) order. */
async function updateHistories(ctx: ServeContext, events: readonly PlayEvent[]): Promise<void> {
  const byUser = new Map<string, PlayEvent[]>();
  for (const event of events) {
    const list = byUser.get(event.userId);
    if (list === undefined) byUser.set(event.userId, [event]);
    else list.push(event);
  }
  await Promise.all(
    [...byUser].map(async ([userId, plays]) => {
      plays.sort(comparePlays);
      try {
        await ctx.store.updateUser(userId, (state) => {
          let next = state;
          for (const play of plays) {
            const applied = applyPlay(next, play, ctx.rules);
            if (applied.result === "out_of_order") ctx.metrics.historySkipped.inc({ reason: "out_of_order" });
            next = applied.state;
          }
          if (next === null) throw new MtfError("INTERNAL", "no play to apply");
          return next;
        });
      } catch {
        ctx.metrics.historySkipped.inc({ reason: "store_error" }, plays.length);
      }
    }),
  );
}

export async function ingestFeedback(
  ctx: ServeContext,
  bodies: readonly FeedbackEventBody[],
): Promise<FeedbackResponse> {
  const receivedMs = ctx.now();
  const decisions = await loadDecisions(ctx, bodies);
  const events = bodies.map((body, index) =>
    playEvent(body, decisions.get(body.requestId) ?? null, index, receivedMs),
  );

  // The first occurrence of an id claims it; a repeat within the batch is a duplicate.
  const first = new Map<string, number>();
  events.forEach((event, i) => {
    if (!first.has(event.eventId)) first.set(event.eventId, i);
  });
  const unique = [...first.values()];
  const claims = await Promise.allSettled(unique.map((i) => ctx.store.claimEvent(events[i].eventId)));
  const claimed = unique
    .filter((_, j) => claims[j].status === "fulfilled" && claims[j].value === "claimed")
    .map((i) => events[i]);
  const release = () =>
    Promise.allSettled(claimed.map((event) => ctx.store.settleEvent(event.eventId, false)));
  for (let j = 0; j < unique.length; j++) {
    const claim = claims[j];
    const i = unique[j];
    if (claim.status === "rejected" || claim.value === "in_flight") {
      await release();
      if (claim.status === "rejected") throw claim.reason;
      throw new MtfError(
        "EVENT_IN_FLIGHT",
        `events[${i}]: event "${events[i].eventId}" is being stored by another request; retry`,
        {
          details: { path: `events[${i}]`, index: i, eventId: events[i].eventId },
        },
      );
    }
  }
  const isStored = new Set(claimed.map((event) => event.eventId));
  const statuses = events.map((event, i): FeedbackResult["status"] =>
    first.get(event.eventId) === i && isStored.has(event.eventId) ? "stored" : "duplicate",
  );
  if (claimed.length > 0) {
    try {
      await ctx.feedback.append(claimed.map((event) => ({ type: "event" as const, event })));
    } catch (error) {
      await release();
      throw error;
    }
  }
  await Promise.all(claimed.map((event) => ctx.store.settleEvent(event.eventId, true)));
  await updateHistories(ctx, claimed);

  const { metrics } = ctx;
  for (const event of claimed) {
    metrics.feedbackLagSeconds.observe(Math.max(0, receivedMs - event.timestampMs) / 1000);
    if (event.policyVersion === null) metrics.unjoinedEvents.inc();
  }
  const duplicates = events.length - claimed.length;
  metrics.feedbackEvents.inc({ status: "stored" }, claimed.length);
  if (duplicates > 0) metrics.feedbackEvents.inc({ status: "duplicate" }, duplicates);
  return {
    stored: claimed.length,
    duplicates,
    results: events.map((event, i) => ({
      eventId: event.eventId,
      status: statuses[i],
      decisionFound: event.policyVersion !== null,
    })),
  };
}
