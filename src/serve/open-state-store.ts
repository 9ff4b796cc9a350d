/** The state store named by `serve.stateStore` / STATE_STORE: "memory" or a redis:// URL. */
import { MtfError } from "../core/errors.js";
import type { ServeConfig } from "./config.js";
import { MemoryStateStore } from "./memory-store.js";
import { RedisStateStore, redactUrl } from "./redis-store.js";
import type { StateStore } from "./state-store.js";

export async function openStateStore(url: string, serve: ServeConfig): Promise<StateStore> {
  if (url === "memory") {
    return new MemoryStateStore({
      maxUsers: serve.maxUsers,
      maxStoredScores: serve.maxStoredScores,
      maxEventIds: serve.maxEventIds,
      decisionTtlSeconds: serve.decisionTtlSeconds,
    });
  }
  if (url.startsWith("redis://") || url.startsWith("rediss://")) {
    return RedisStateStore.connect({
      url,
      keyPrefix: serve.redisKeyPrefix,
      decisionTtlSeconds: serve.decisionTtlSeconds,
      eventIdTtlSeconds: serve.eventIdTtlSeconds,
    });
  }
  throw new MtfError(
    "INVALID_CONFIG",
    `state store must be "memory" or a redis:// URL, got "${redactUrl(url)}"`,
  );
}
