/**
 * The fastify application: JSON body parsing with a size limit, the single error handler, the
 * routes, request metrics and the OpenAPI document with its UI at /docs (served from the
 * package's own files, no network). Testable without a port through `app.inject`.
 */
import fastifySwagger from "@fastify/swagger";
import fastifySwaggerUi from "@fastify/swagger-ui";
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from "fastify";
import { MtfError } from "../core/errors.js";
import type { ServeContext } from "./context.js";
import { handleError, installErrorHandling } from "./http-errors.js";
import { openApiDocument } from "./openapi.js";
import { type HealthSources, registerRoutes } from "./routes.js";

export interface AppOptions {
  readonly context: ServeContext;
  readonly health: HealthSources;
  readonly bodyLimitBytes: number;
  /** The server's pino logger; null logs nothing (tests). */
  readonly logger: FastifyBaseLogger | null;
}

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { context } = options;
  const { logger } = options;
  const app = Fastify({
    ...(logger === null ? { logger: false } : { loggerInstance: logger }),
    bodyLimit: options.bodyLimitBytes,
    // One line per request is too much at hundreds of requests a second; debug turns it on.
    logController: new LogController({
      disableRequestLogging: logger === null || !["debug", "trace"].includes(logger.level),
    }),
    // Errors fastify raises before routing (a bad URL…) get the same coded responses.
    frameworkErrors: handleError,
    // Request ids may come from clients; the rank body's requestId is separate and seeds decisions.
    requestIdHeader: false,
  });
  // JSON only: anything else is UNSUPPORTED_MEDIA_TYPE. Plain JSON.parse, ~25% cheaper than the
  // default secure-json-parse on large bodies: it never touches prototypes (a "__proto__" key
  // becomes an own property, refused as an unknown field), and no handler merges request
  // objects into others.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(new MtfError("MALFORMED_JSON", "the request body is not valid JSON", { cause: error }), undefined);
    }
  });
  installErrorHandling(app);
  app.addHook("onResponse", async (request, reply) => {
    const route = request.routeOptions.url ?? "unmatched";
    context.metrics.requestSeconds.observe(
      { route, status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });
  await app.register(fastifySwagger, {
    mode: "static",
    specification: { document: openApiDocument(context) as never },
  });
  await app.register(fastifySwaggerUi, { routePrefix: "/docs" });
  registerRoutes(app, context, options.health);
  return app;
}
