/**
 * `mtf serve` without the CLI: opens the state store, the feedback log and the registry watcher,
 * builds the app and listens. `close()` stops accepting requests, lets those in flight finish,
 * then closes the feedback log (its open segment is closed, ready to load) and the store.
 */
import type { FastifyInstance } from "fastify";
import { pino } from "pino";
import { fusionParams, timeZoneOffsetMinutes } from "../core/config.js";
import { TASKS } from "../core/tasks.js";
import { buildApp } from "./app.js";
import type { ServeRootConfig } from "./config.js";
import type { ServeContext } from "./context.js";
import { FeedbackLog } from "./feedback-log.js";
import { localDay, storedEventIds } from "./feedback-segments.js";
import { ServeMetrics } from "./metrics.js";
import { ModelWatcher } from "./model-watcher.js";
import { openStateStore } from "./open-state-store.js";
import { POLICY_LOADERS, type PolicyLoader } from "./policy-loaders.js";
import { ModelRegistry } from "./registry.js";
import type { StateStore } from "./state-store.js";

export interface StartOptions {
  /** Overrides `serve.stateStore` (the CLI passes the STATE_STORE environment variable). */
  readonly stateStore?: string;
  /** Log nothing (tests). */
  readonly silent?: boolean;
  readonly loaders?: Readonly<Record<string, PolicyLoader>>;
  readonly now?: () => number;
}

export interface RunningServer {
  readonly app: FastifyInstance;
  /** http://host:port */
  readonly url: string;
  readonly context: ServeContext;
  readonly watcher: ModelWatcher;
  readonly feedbackLog: FeedbackLog;
  readonly store: StateStore;
  close(): Promise<void>;
}

const DAY_MS = 86_400_000;
const DAY_CHECK_MS = 60_000;

export async function startServer(
  config: ServeRootConfig,
  options: StartOptions = {},
): Promise<RunningServer> {
  const serve = config.serve;
  const now = options.now ?? Date.now;
  const logger = options.silent === true ? null : pino({ level: serve.logLevel });
  const metrics = new ServeMetrics();
  const utcOffsetMinutes = timeZoneOffsetMinutes(config.timeZone);
  const { beta, bounds } = fusionParams(config.fusion);

  const store = await openStateStore(options.stateStore ?? serve.stateStore, serve);
  let feedbackLog: FeedbackLog | null = null;
  let watcher: ModelWatcher | null = null;
  try {
    feedbackLog = await FeedbackLog.open({
      dir: serve.feedbackDir,
      utcOffsetMinutes,
      maxSegmentBytes: serve.maxSegmentBytes,
      now,
      onCommit: (records, seconds) => {
        metrics.commitRecords.observe(records);
        metrics.commitSeconds.observe(seconds);
      },
    });
    if (feedbackLog.recovery.segments > 0) {
      logger?.warn(feedbackLog.recovery, "closed feedback segments left open by a crash");
    }
    if (!store.persistent && serve.dedupeDays > 0) {
      const fromDay = localDay(now() - serve.dedupeDays * DAY_MS, utcOffsetMinutes);
      await store.rememberStoredEvents(await storedEventIds(serve.feedbackDir, { fromDay }));
    }
    const log = feedbackLog;
    watcher = new ModelWatcher({
      registry: new ModelRegistry(serve.registryDir),
      loaders: options.loaders ?? POLICY_LOADERS,
      settings: {
        exploration: config.exploration,
        bounds,
        fallbackAlpha: TASKS.map((task) => serve.fallbackAlpha[task]),
      },
      pollMs: serve.reloadPollMs,
      onReload: (event) => {
        metrics.reloads.inc({ role: event.role, result: event.result });
        if (event.error === null) logger?.info({ role: event.role, version: event.version }, "model loaded");
        else
          logger?.error(
            { role: event.role, version: event.version, code: event.error.code },
            event.error.message,
          );
      },
    });
    await watcher.start();
    const models = watcher;
    const context: ServeContext = {
      seed: config.seed,
      beta,
      bounds,
      rules: { inactivityMs: serve.sessionInactivityMinutes * 60_000, utcOffsetMinutes },
      maxCandidates: serve.maxCandidates,
      maxFeedbackEvents: serve.maxFeedbackEvents,
      canarySalt: serve.canarySalt,
      experimentSalt: serve.experiments.salt,
      arms: serve.experiments.arms,
      store,
      feedback: log,
      models: () => models.models,
      metrics,
      now,
    };
    const app = await buildApp({
      context,
      logger,
      bodyLimitBytes: serve.bodyLimitBytes,
      health: {
        readyRequiresModel: serve.readyRequiresModel,
        reload: () => models.status,
        feedbackError: () => log.lastError?.message ?? null,
      },
    });
    const address = await app.listen({ host: serve.host, port: serve.port });
    const url = address.replace("[::1]", "localhost");
    logger?.info(
      { url, stateStore: store.kind, registry: serve.registryDir, feedback: serve.feedbackDir },
      "serving",
    );
    // A day's segment closes at the day change even without traffic, ready for the daily retrain.
    const dayTimer = setInterval(() => void log.closeIfDayChanged().catch(() => {}), DAY_CHECK_MS);
    dayTimer.unref();
    let closing: Promise<void> | null = null;
    return {
      app,
      url,
      context,
      watcher: models,
      feedbackLog: log,
      store,
      close: () => {
        closing ??= (async () => {
          clearInterval(dayTimer);
          await app.close();
          await models.stop();
          await log.close();
          await store.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    await watcher?.stop();
    await feedbackLog?.close();
    await store.close();
    throw error;
  }
}
