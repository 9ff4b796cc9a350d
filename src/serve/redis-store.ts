/**
 * The Redis state store (`STATE_STORE=redis://host:port/db`), shared by any number of stateless
 * servers. Keys (prefix configurable, default `mtf:`):
 *   user:<id>       hash { ver, state }: the user's state as JSON (state-store.ts), updated by
 *                   compare-and-set on `ver` (a Lua script), so concurrent servers never lose
 *                   an update; retried on conflict
 *   decision:<id>   the served decision as JSON, SET NX with the decision TTL
 *   event:<id>      "pending" (a claim, 60 s) or "stored" (the idempotency TTL)
 * A Redis failure is STATE_STORE_UNAVAILABLE (HTTP 503): the client retries.
 */
import { Redis } from "ioredis";
import { MtfError } from "../core/errors.js";
import {
  type DecisionRecord,
  decisionFromJson,
  type EventClaim,
  type StateStore,
  userStateFromJson,
  userStateToJson,
} from "./state-store.js";
import type { UserServingState } from "./user-session.js";

export interface RedisStoreOptions {
  readonly url: string;
  readonly keyPrefix: string;
  readonly decisionTtlSeconds: number;
  readonly eventIdTtlSeconds: number;
}

const CLAIM_TTL_SECONDS = 60;
const MAX_CAS_ATTEMPTS = 20;

/** KEYS[1] = user key; ARGV = expected ver ("0" = absent), new ver, state JSON. 1 = written. */
const COMPARE_AND_SET = `
local ver = redis.call('HGET', KEYS[1], 'ver')
if (ver or '0') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'ver', ARGV[2], 'state', ARGV[3])
return 1
`;

function unavailable(error: unknown): MtfError {
  if (error instanceof MtfError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new MtfError("STATE_STORE_UNAVAILABLE", `the Redis state store failed: ${message}`, {
    cause: error,
  });
}

/** A URL with any password masked, for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== "") parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export class RedisStateStore implements StateStore {
  readonly kind = "redis";
  readonly persistent = true;
  private readonly redis: Redis;
  private readonly options: RedisStoreOptions;
  /** Per-user chains, so this server's own updates of a user do not race each other. */
  private readonly userQueues = new Map<string, Promise<void>>();

  private constructor(redis: Redis, options: RedisStoreOptions) {
    this.redis = redis;
    this.options = options;
  }

  /** Connects (failing fast when Redis is unreachable) and returns the store. */
  static async connect(options: RedisStoreOptions): Promise<RedisStateStore> {
    const redis = new Redis(options.url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      enableOfflineQueue: true,
    });
    // ioredis reports connection trouble as events too; requests surface them as 503s.
    redis.on("error", () => {});
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw new MtfError(
        "STATE_STORE_UNAVAILABLE",
        `cannot reach Redis at ${redactUrl(options.url)}: ${String(error)}`,
        {
          cause: error,
        },
      );
    }
    return new RedisStateStore(redis, options);
  }

  private key(kind: string, id: string): string {
    return `${this.options.keyPrefix}${kind}:${id}`;
  }

  private async readUser(
    userId: string,
  ): Promise<{ readonly ver: string; readonly state: UserServingState | null }> {
    const key = this.key("user", userId);
    const [ver, text] = await this.redis.hmget(key, "ver", "state");
    if (ver === null || text === null) return { ver: "0", state: null };
    return { ver, state: userStateFromJson(text, key) };
  }

  async loadUser(userId: string): Promise<UserServingState | null> {
    try {
      return (await this.readUser(userId)).state;
    } catch (error) {
      throw unavailable(error);
    }
  }

  updateUser(userId: string, update: (state: UserServingState | null) => UserServingState): Promise<void> {
    const previous = this.userQueues.get(userId) ?? Promise.resolve();
    const next = previous.then(() => this.compareAndSet(userId, update));
    const tail = next.catch(() => {});
    this.userQueues.set(userId, tail);
    void tail.then(() => {
      if (this.userQueues.get(userId) === tail) this.userQueues.delete(userId);
    });
    return next;
  }

  private async compareAndSet(
    userId: string,
    update: (state: UserServingState | null) => UserServingState,
  ): Promise<void> {
    const key = this.key("user", userId);
    try {
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const { ver, state } = await this.readUser(userId);
        const json = userStateToJson(update(state));
        const written = await this.redis.eval(COMPARE_AND_SET, 1, key, ver, String(Number(ver) + 1), json);
        if (written === 1) return;
      }
    } catch (error) {
      throw unavailable(error);
    }
    throw new MtfError("STATE_STORE_UNAVAILABLE", `user ${userId}: too many concurrent updates, retry`);
  }

  async saveDecision(decision: DecisionRecord): Promise<boolean> {
    try {
      const key = this.key("decision", decision.requestId);
      const ttl = this.options.decisionTtlSeconds;
      return (await this.redis.set(key, JSON.stringify(decision), "EX", ttl, "NX")) === "OK";
    } catch (error) {
      throw unavailable(error);
    }
  }

  async loadDecision(requestId: string): Promise<DecisionRecord | null> {
    const key = this.key("decision", requestId);
    let text: string | null;
    try {
      text = await this.redis.get(key);
    } catch (error) {
      throw unavailable(error);
    }
    return text === null ? null : decisionFromJson(text, key);
  }

  async claimEvent(eventId: string): Promise<EventClaim> {
    const key = this.key("event", eventId);
    try {
      if ((await this.redis.set(key, "pending", "EX", CLAIM_TTL_SECONDS, "NX")) === "OK") return "claimed";
      return (await this.redis.get(key)) === "stored" ? "stored" : "in_flight";
    } catch (error) {
      throw unavailable(error);
    }
  }

  async settleEvent(eventId: string, stored: boolean): Promise<void> {
    const key = this.key("event", eventId);
    try {
      if (stored) await this.redis.set(key, "stored", "EX", this.options.eventIdTtlSeconds);
      else await this.redis.del(key);
    } catch (error) {
      throw unavailable(error);
    }
  }

  async rememberStoredEvents(eventIds: readonly string[]): Promise<void> {
    if (eventIds.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const eventId of eventIds) {
      pipeline.set(this.key("event", eventId), "stored", "EX", this.options.eventIdTtlSeconds);
    }
    try {
      await pipeline.exec();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async ping(): Promise<void> {
    try {
      await this.redis.ping();
    } catch (error) {
      throw unavailable(error);
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.userQueues.values()]);
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
