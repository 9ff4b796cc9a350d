/** The HTTP routes: thin adapters from requests to the services; errors go to the one handler. */
import type { FastifyInstance } from "fastify";
import { feedbackBodySchema } from "./api-schemas.js";
import type { ServeContext } from "./context.js";
import { ingestFeedback } from "./feedback-service.js";
import type { WatcherStatus } from "./model-watcher.js";
import { parseRankBody } from "./rank-request.js";
import { rank } from "./rank-service.js";
import { parseWith } from "./request-errors.js";

export interface HealthSources {
  readonly readyRequiresModel: boolean;
  readonly reload: () => WatcherStatus;
  /** The feedback log's last write error, or null. */
  readonly feedbackError: () => string | null;
}

async function storeProblem(ctx: ServeContext): Promise<string | null> {
  try {
    await ctx.store.ping();
    return null;
  } catch (error) {
    return (error as Error).message;
  }
}

export function registerRoutes(app: FastifyInstance, ctx: ServeContext, health: HealthSources): void {
  const feedbackSchema = feedbackBodySchema(ctx.maxFeedbackEvents);

  app.post("/v1/rank", async (request) => rank(ctx, parseRankBody(request.body, ctx.maxCandidates)));

  app.post("/v1/feedback", async (request) =>
    ingestFeedback(ctx, parseWith(feedbackSchema, request.body).events),
  );

  app.get("/healthz", async () => ({ status: "ok" }));

  app.get("/readyz", async (_request, reply) => {
    const models = ctx.models();
    const storeError = await storeProblem(ctx);
    const feedbackError = health.feedbackError();
    const fallback = models.current.fallback;
    const ready = storeError === null && feedbackError === null && !(fallback && health.readyRequiresModel);
    return reply.status(ready ? 200 : 503).send({
      status: ready ? "ready" : "not_ready",
      model: {
        version: models.current.version,
        fallback,
        note: fallback ? "no model in the registry: serving the configured fallback α" : null,
        canary:
          models.canary === null
            ? null
            : { version: models.canary.model.version, share: models.canary.share },
      },
      reload: health.reload(),
      stateStore: { kind: ctx.store.kind, error: storeError },
      feedbackLog: { error: feedbackError },
    });
  });

  app.get("/metrics", async (_request, reply) => {
    const models = ctx.models();
    ctx.metrics.setModels(
      models.current.version,
      models.canary?.model.version ?? null,
      models.current.fallback,
    );
    return reply.type(ctx.metrics.registry.contentType).send(await ctx.metrics.registry.metrics());
  });
}
