/**
 * The simulator as the closed loop's client (a worker thread of closed-loop.ts). The simulator
 * runs synchronously, so each request blocks on a bridge while the main thread does the HTTP:
 * the ranker hook sends the retrieved candidates to `POST /v1/rank` and plays the top item the
 * server returns, with the α it used; each play goes to `POST /v1/feedback` before the user's next
 * request, so the server's user state is current when it ranks again.
 *
 * Bridge: control words [state, length] then the reply's UTF-8 JSON in one SharedArrayBuffer.
 * The worker sets state 0, posts the message and waits; the main thread writes the reply, sets
 * state 1 and notifies.
 */
import { parentPort, workerData } from "node:worker_threads";
import { behaviourPolicy } from "../agents/behaviour.js";
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { N_TASKS, TASKS } from "../core/tasks.js";
import { type SimConfigInput, type SimPreset, simPreset } from "../sim/config.js";
import { type RankerRequest, type RunUser, SIM_STATE_DIM, Simulator, videoId } from "../sim/engine.js";
import { createWorld, freshUserIds } from "../sim/world.js";

export interface ClientData {
  readonly shared: SharedArrayBuffer;
  readonly preset: SimPreset;
  readonly overrides: SimConfigInput;
  readonly worldSeed: number;
  readonly runSeed: number;
  readonly users: number;
  readonly days: number;
  readonly timeZone: string;
}

/** Messages the client posts; each but `done` waits for the reply carrying its `seq`. */
export type ClientMessage =
  | {
      readonly type: "rank";
      readonly seq: number;
      readonly day: number;
      readonly body: Record<string, unknown>;
    }
  | {
      readonly type: "feedback";
      readonly seq: number;
      readonly day: number;
      readonly body: Record<string, unknown>;
    }
  | { readonly type: "done"; readonly dailyAppTimeS: readonly number[] };

/** The main thread's reply: the response body, or the error that replaced it. */
export interface BridgeReply {
  readonly seq: number;
  readonly value?: Record<string, unknown>;
  readonly error?: string;
}

export const BRIDGE_HEADER_BYTES = 8;

let sequence = 0;

type CallMessage = Omit<Extract<ClientMessage, { seq: number }>, "seq">;

function syncCall(shared: SharedArrayBuffer, message: CallMessage): Record<string, unknown> {
  const control = new Int32Array(shared, 0, 2);
  const seq = ++sequence;
  Atomics.store(control, 0, 0);
  parentPort?.postMessage({ ...message, seq });
  // A wake-up is not a reply: the previous reply's notify can land after its state was already
  // seen (the main thread stores, then notifies), so wait until the state says so.
  while (Atomics.load(control, 0) === 0) Atomics.wait(control, 0, 0);
  const text = new TextDecoder().decode(new Uint8Array(shared, BRIDGE_HEADER_BYTES, control[1]).slice());
  const reply = JSON.parse(text) as BridgeReply;
  if (reply.seq !== seq)
    throw new MtfError(
      "INTERNAL",
      `bridge out of sync: reply ${reply.seq} to message ${seq} (${message.type})`,
    );
  if (reply.error !== undefined) throw new MtfError("INTERNAL", reply.error);
  return reply.value ?? {};
}

/** The rank body of a request: distinct candidates (retrieval may repeat one) as [count x 12] rows. */
function rankBody(request: RankerRequest): { body: Record<string, unknown>; rowOf: Map<string, number> } {
  const rowOf = new Map<string, number>();
  const itemIds: string[] = [];
  const scores: number[][] = [];
  for (let c = 0; c < request.count; c++) {
    const itemId = videoId(request.candidates[c]);
    if (rowOf.has(itemId)) continue;
    rowOf.set(itemId, c);
    itemIds.push(itemId);
    scores.push(Array.from(request.scores.subarray(c * N_TASKS, (c + 1) * N_TASKS)));
  }
  const body = {
    userId: request.userId,
    requestId: request.requestId,
    sessionId: request.sessionId,
    timestampMs: request.timestampMs,
    k: 1,
    itemIds,
    scores,
  };
  return { body, rowOf };
}

function feedbackEvent(event: PlayEvent): Record<string, unknown> {
  const outcomes = Object.fromEntries(
    Object.entries(event.outcomes).map(([task, value]) => [task, value === null ? null : value > 0 ? 1 : 0]),
  );
  return {
    eventId: event.eventId,
    requestId: event.requestId,
    userId: event.userId,
    sessionId: event.sessionId,
    itemId: event.itemId,
    timestampMs: event.timestampMs,
    playTimeMs: event.playTimeMs,
    durationMs: event.durationMs,
    outcomes,
  };
}

/** Most events one feedback request carries (the server's default limit is 1000). */
const FEEDBACK_BATCH = 500;

function runClient(data: ClientData): void {
  const world = createWorld(simPreset(data.preset, data.overrides), data.worldSeed, {
    timeZone: data.timeZone,
  });
  // The policy the simulator calls is a placeholder: the server's α replaces its action.
  const placeholder = behaviourPolicy(SIM_STATE_DIM);
  const users: RunUser[] = freshUserIds(data.runSeed, 0, data.users).map((id) => ({
    id,
    assignment: { policy: placeholder, group: null, noiseScale: null, arm: null },
  }));
  let day = 0;
  // Plays wait here until their user's next request (or the day's end): the simulator runs its
  // users in lockstep, so one feedback request (one fsync) carries a step's plays of many users,
  // and the server still has every play of a user before ranking that user again.
  let queued: { readonly day: number; readonly event: Record<string, unknown> }[] = [];
  const queuedUsers = new Set<string>();
  const flush = () => {
    for (let start = 0; start < queued.length; start += FEEDBACK_BATCH) {
      const batch = queued.slice(start, start + FEEDBACK_BATCH);
      syncCall(data.shared, {
        type: "feedback",
        day: batch[0].day,
        body: { events: batch.map((q) => q.event) },
      });
    }
    queued = [];
    queuedUsers.clear();
  };
  const simulator = new Simulator(world, {
    ranker: (request) => {
      if (request.day !== day || queuedUsers.has(request.userId)) flush();
      day = request.day;
      const { body, rowOf } = rankBody(request);
      const reply = syncCall(data.shared, { type: "rank", day, body });
      const items = reply.items as { itemId: string }[];
      const alpha = reply.alpha as Record<string, number>;
      const row = rowOf.get(items[0].itemId);
      if (row === undefined)
        throw new MtfError("INTERNAL", `the server ranked an item it was not sent: ${items[0].itemId}`);
      return { row, alpha: TASKS.map((task) => alpha[task]) };
    },
    onPlay: (event) => {
      queued.push({ day, event: feedbackEvent(event) });
      queuedUsers.add(event.userId);
    },
  });
  const outcomes = simulator.runDays(users, { days: data.days, seed: data.runSeed });
  flush();
  const dailyAppTimeS = Array.from({ length: data.days }, (_, d) =>
    outcomes.reduce((sum, u) => sum + u.dailyAppTimeS[d], 0),
  );
  parentPort?.postMessage({ type: "done", dailyAppTimeS } satisfies ClientMessage);
}

if (parentPort !== null && workerData !== null && typeof workerData === "object" && "shared" in workerData) {
  runClient(workerData as ClientData);
}
