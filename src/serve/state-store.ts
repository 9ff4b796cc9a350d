/**
 * Where serving keeps what it must remember between requests: each user's history (the state
 * encoder's input), the served decisions that feedback joins with, and the event ids already
 * stored (idempotency). In memory by default; Redis (`STATE_STORE=redis://…`) lets several
 * stateless servers share it.
 */
import { z } from "zod";
import { MtfError } from "../core/errors.js";
import { EXPLORATION_GROUPS, type ExplorationGroup } from "../core/events.js";
import { historyFromJSON, historyToJSON } from "../core/state-encoder.js";
import type { UserServingState } from "./user-session.js";

/** What a served decision leaves behind for the feedback join. */
export interface DecisionRecord {
  readonly requestId: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly timestampMs: number;
  readonly policyVersion: string;
  readonly explorationGroup: ExplorationGroup;
  readonly noiseScale: number | null;
  readonly experimentArm: string | null;
  readonly decisionSeed: number;
  /** [12] α of Eq. 1. */
  readonly alpha: readonly number[];
  /** [12] the normalised action. */
  readonly action: readonly number[];
  readonly candidateCount: number;
  /** Served item ids, best first. */
  readonly items: readonly string[];
  /** [items x 12] MTL scores of the served items, in `items` order. */
  readonly scores: readonly number[];
}

/** Outcome of claiming an event id before storing it. */
export type EventClaim = "claimed" | "stored" | "in_flight";

export interface StateStore {
  /** "memory" or "redis". */
  readonly kind: string;
  /** Whether what it holds survives a server restart (else the server reloads event ids itself). */
  readonly persistent: boolean;
  loadUser(userId: string): Promise<UserServingState | null>;
  /** Read-modify-write of one user's state, atomic with respect to other updates of that user. */
  updateUser(userId: string, update: (state: UserServingState | null) => UserServingState): Promise<void>;
  /** Saves a decision; false (and nothing saved) when its request id is already taken. */
  saveDecision(decision: DecisionRecord): Promise<boolean>;
  loadDecision(requestId: string): Promise<DecisionRecord | null>;
  /** Claims an event id for storing; a claim is settled once the event is durable (or failed). */
  claimEvent(eventId: string): Promise<EventClaim>;
  settleEvent(eventId: string, stored: boolean): Promise<void>;
  /** Marks ids as stored (e.g. reloaded from the feedback log at start). */
  rememberStoredEvents(eventIds: readonly string[]): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const STATE_FORMAT_VERSION = 1;

const userStateJsonSchema = z.strictObject({
  v: z.literal(STATE_FORMAT_VERSION),
  history: z.strictObject({
    encoderVersion: z.number().int(),
    plays: z.number().int().min(0),
    sessions: z.number(),
    lastPlayMs: z.number(),
    sessionStartMs: z.number(),
    previousSessionStartMs: z.number(),
    totalPlayMs: z.number(),
    recent: z.array(z.number().nullable()),
  }),
  lastPlayMs: z.number(),
  lastSessionId: z.string().nullable(),
  sessionPlays: z.number().int().min(0),
  exitPending: z.boolean(),
});

/** A user's state as JSON text (the state encoder's versioned history JSON inside). */
export function userStateToJson(state: UserServingState): string {
  return JSON.stringify({
    v: STATE_FORMAT_VERSION,
    history: historyToJSON(state.history),
    lastPlayMs: state.lastPlayMs,
    lastSessionId: state.lastSessionId,
    sessionPlays: state.sessionPlays,
    exitPending: state.exitPending,
  });
}

/** Reads `userStateToJson`'s text; a history of another encoder version is refused (DATASET_MISMATCH). */
export function userStateFromJson(text: string, source: string): UserServingState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MtfError("STORE_UNREADABLE", `${source}: the stored user state is not JSON`, { cause: error });
  }
  const parsed = userStateJsonSchema.safeParse(value);
  if (!parsed.success) {
    throw new MtfError(
      "STORE_UNREADABLE",
      `${source}: the stored user state is invalid: ${parsed.error.message}`,
      {
        cause: parsed.error,
      },
    );
  }
  const json = parsed.data;
  return {
    history: historyFromJSON(json.history),
    lastPlayMs: json.lastPlayMs,
    lastSessionId: json.lastSessionId,
    sessionPlays: json.sessionPlays,
    exitPending: json.exitPending,
  };
}

const decisionJsonSchema = z.strictObject({
  requestId: z.string(),
  userId: z.string(),
  sessionId: z.string().nullable(),
  timestampMs: z.number(),
  policyVersion: z.string(),
  explorationGroup: z.enum(EXPLORATION_GROUPS),
  noiseScale: z.number().nullable(),
  experimentArm: z.string().nullable(),
  decisionSeed: z.number().int(),
  alpha: z.array(z.number()),
  action: z.array(z.number()),
  candidateCount: z.number().int(),
  items: z.array(z.string()),
  scores: z.array(z.number()),
});

export function decisionFromJson(text: string, source: string): DecisionRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new MtfError("STORE_UNREADABLE", `${source}: the stored decision is not JSON`, { cause: error });
  }
  const parsed = decisionJsonSchema.safeParse(value);
  if (!parsed.success) {
    throw new MtfError(
      "STORE_UNREADABLE",
      `${source}: the stored decision is invalid: ${parsed.error.message}`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}
