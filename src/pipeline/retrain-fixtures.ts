/** Shared by the retrain tests: a feedback log written as the server writes it, and tiny model sizes. */
import type { PlayEvent } from "../core/events.js";
import { FeedbackLog } from "../serve/feedback-log.js";
import { localDay } from "../serve/feedback-segments.js";

/** UTC+8, the default time zone (the synthetic log's days are UTC+8 days). */
export const UTC8_MINUTES = 480;

/** Writes `events` into `dir` as the server does: each local day's events into that day's segment; all closed. */
export async function writeFeedbackLog(dir: string, events: readonly PlayEvent[]): Promise<void> {
  let clock = 0;
  const log = await FeedbackLog.open({
    dir,
    utcOffsetMinutes: UTC8_MINUTES,
    maxSegmentBytes: 1 << 30,
    now: () => clock,
  });
  const byDay = new Map<string, PlayEvent[]>();
  for (const event of events) {
    const day = localDay(event.timestampMs, UTC8_MINUTES);
    const list = byDay.get(day);
    if (list === undefined) byDay.set(day, [event]);
    else list.push(event);
  }
  for (const day of [...byDay.keys()].sort()) {
    const dayEvents = byDay.get(day) ?? [];
    clock = dayEvents[0].timestampMs;
    await log.append(dayEvents.map((event) => ({ type: "event" as const, event })));
  }
  await log.close();
}

/**
 * `bcq` and `ope` sections far below the quick preset's sizes: tests check the retrain's
 * plumbing and decisions, not what it learns.
 */
export const TINY_MODEL_SECTIONS = {
  bcq: {
    preset: "quick",
    steps: 40,
    batchSize: 32,
    vaeHidden: [16],
    actorHidden: [16],
    criticHidden: [16],
    logEvery: 20,
    checkpointEvery: 0,
  },
  ope: {
    iterations: 40,
    batchSize: 64,
    hiddenSizes: [16],
    initialStates: 200,
    bootstrapResamples: 100,
    decisionSamples: 2,
  },
} as const;
