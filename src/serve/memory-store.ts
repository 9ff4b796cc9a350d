/**
 * The in-memory state store (the default): one process, bounded. Users are kept least recently
 * used first out (a full history is ~52 KB), decisions oldest first out under a budget of stored
 * scores and their TTL, event ids oldest first out. Nothing survives a restart except what the
 * server reloads itself (event ids from the feedback log), so use Redis where histories must.
 */
import type { DecisionRecord, EventClaim, StateStore } from "./state-store.js";
import type { UserServingState } from "./user-session.js";

export interface MemoryStoreLimits {
  readonly maxUsers: number;
  readonly maxStoredScores: number;
  readonly maxEventIds: number;
  readonly decisionTtlSeconds: number;
}

interface StoredDecision {
  readonly decision: DecisionRecord;
  readonly expiresAtMs: number;
}

export class MemoryStateStore implements StateStore {
  readonly kind = "memory";
  readonly persistent = false;
  private readonly limits: MemoryStoreLimits;
  private readonly now: () => number;
  private readonly users = new Map<string, UserServingState>();
  private readonly decisions = new Map<string, StoredDecision>();
  private storedScores = 0;
  private readonly events = new Map<string, "pending" | "stored">();

  constructor(limits: MemoryStoreLimits, now: () => number = Date.now) {
    this.limits = limits;
    this.now = now;
  }

  async loadUser(userId: string): Promise<UserServingState | null> {
    const state = this.users.get(userId);
    if (state === undefined) return null;
    this.users.delete(userId);
    this.users.set(userId, state);
    return state;
  }

  async updateUser(
    userId: string,
    update: (state: UserServingState | null) => UserServingState,
  ): Promise<void> {
    const next = update(this.users.get(userId) ?? null);
    this.users.delete(userId);
    this.users.set(userId, next);
    for (const oldest of this.users.keys()) {
      if (this.users.size <= this.limits.maxUsers) break;
      this.users.delete(oldest);
    }
  }

  async saveDecision(decision: DecisionRecord): Promise<boolean> {
    const existing = this.decisions.get(decision.requestId);
    if (existing !== undefined && existing.expiresAtMs > this.now()) return false;
    if (existing !== undefined) this.dropDecision(decision.requestId, existing);
    this.decisions.set(decision.requestId, {
      decision,
      expiresAtMs: this.now() + this.limits.decisionTtlSeconds * 1000,
    });
    this.storedScores += decision.scores.length;
    for (const [requestId, stored] of this.decisions) {
      if (this.storedScores <= this.limits.maxStoredScores || requestId === decision.requestId) break;
      this.dropDecision(requestId, stored);
    }
    return true;
  }

  async loadDecision(requestId: string): Promise<DecisionRecord | null> {
    const stored = this.decisions.get(requestId);
    if (stored === undefined) return null;
    if (stored.expiresAtMs <= this.now()) {
      this.dropDecision(requestId, stored);
      return null;
    }
    return stored.decision;
  }

  async claimEvent(eventId: string): Promise<EventClaim> {
    const status = this.events.get(eventId);
    if (status === "stored") return "stored";
    if (status === "pending") return "in_flight";
    this.events.set(eventId, "pending");
    return "claimed";
  }

  async settleEvent(eventId: string, stored: boolean): Promise<void> {
    if (!stored) {
      this.events.delete(eventId);
      return;
    }
    this.events.set(eventId, "stored");
    this.evictEventIds();
  }

  async rememberStoredEvents(eventIds: readonly string[]): Promise<void> {
    for (const eventId of eventIds) this.events.set(eventId, "stored");
    this.evictEventIds();
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.users.clear();
    this.decisions.clear();
    this.events.clear();
  }

  private dropDecision(requestId: string, stored: StoredDecision): void {
    this.decisions.delete(requestId);
    this.storedScores -= stored.decision.scores.length;
  }

  private evictEventIds(): void {
    if (this.events.size <= this.limits.maxEventIds) return;
    for (const [eventId, status] of this.events) {
      if (this.events.size <= this.limits.maxEventIds) break;
      // A pending claim belongs to a request in flight; it is settled shortly.
      if (status === "stored") this.events.delete(eventId);
    }
  }
}
