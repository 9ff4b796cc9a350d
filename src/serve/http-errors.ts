/**
 * The one place where error codes become HTTP statuses, and the one error handler that turns any
 * error (an `MtfError`, a framework error, a bug) into a JSON response
 * `{ error: { code, message, details } }`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { type ErrorCode, isMtfError, MtfError } from "../core/errors.js";

const STATUS: Partial<Readonly<Record<ErrorCode, number>>> = {
  MALFORMED_JSON: 400,
  MALFORMED_REQUEST: 400,
  MISSING_FIELD: 400,
  UNKNOWN_FIELD: 400,
  WRONG_TYPE: 400,
  INVALID_VALUE: 400,
  INVALID_ARGUMENT: 400,
  ROUTE_NOT_FOUND: 404,
  DUPLICATE_REQUEST: 409,
  EVENT_IN_FLIGHT: 409,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NON_FINITE_SCORE: 422,
  SCORE_OUT_OF_RANGE: 422,
  UNKNOWN_TASK: 422,
  SHAPE_MISMATCH: 422,
  TOO_MANY_CANDIDATES: 422,
  TOO_MANY_EVENTS: 422,
  DUPLICATE_ITEM: 422,
  PROFILE_MISMATCH: 422,
  UNKNOWN_REQUEST: 422,
  ITEM_NOT_SERVED: 422,
  USER_MISMATCH: 422,
  STATE_STORE_UNAVAILABLE: 503,
  FEEDBACK_LOG_UNAVAILABLE: 503,
};

/** HTTP status of an error code: the table above; anything else is a server fault (500). */
export function httpStatus(code: ErrorCode): number {
  return STATUS[code] ?? 500;
}

/** Framework errors that are the client's fault, as domain codes. */
const FRAMEWORK_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: "BODY_TOO_LARGE",
  FST_ERR_CTP_INVALID_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
};

const FRAMEWORK_MESSAGES: Partial<Readonly<Record<ErrorCode, string>>> = {
  BODY_TOO_LARGE: "the request body is larger than the server accepts (serve.bodyLimitBytes)",
  UNSUPPORTED_MEDIA_TYPE: "send the body as application/json",
};

export interface ErrorBody {
  readonly error: {
    readonly code: ErrorCode;
    readonly message: string;
    readonly details: Readonly<Record<string, unknown>>;
  };
}

/** The domain error an arbitrary thrown value stands for. */
export function toMtfError(error: unknown): MtfError {
  if (isMtfError(error)) return error;
  const code = (error as Partial<FastifyError> | null)?.code;
  const mapped = code === undefined ? undefined : FRAMEWORK_CODES[code];
  if (mapped !== undefined) {
    return new MtfError(mapped, FRAMEWORK_MESSAGES[mapped] ?? mapped, { cause: error });
  }
  // Any other client error the framework detects (bad URL, content length…) is the request's fault.
  const status = (error as Partial<FastifyError> | null)?.statusCode;
  if (code?.startsWith("FST_") && status !== undefined && status >= 400 && status < 500) {
    return new MtfError("MALFORMED_REQUEST", (error as Error).message, {
      cause: error,
      details: { framework: code },
    });
  }
  return new MtfError("INTERNAL", "internal server error", { cause: error });
}

export function errorBody(error: MtfError): ErrorBody {
  return { error: { code: error.code, message: error.message, details: error.details } };
}

/** The single error handler: any error → its coded JSON response. */
export function handleError(raw: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const error = toMtfError(raw);
  const status = httpStatus(error.code);
  if (status >= 500) request.log.error({ err: raw }, "request failed");
  else request.log.debug({ code: error.code }, error.message);
  return reply.status(status).send(errorBody(error));
}

/** Installs the error handler (framework errors that bypass it go to `handleError` too) and the JSON 404. */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(handleError);
  app.setNotFoundHandler((request, reply) => {
    const error = new MtfError("ROUTE_NOT_FOUND", `no route ${request.method} ${request.url.split("?")[0]}`);
    return reply.status(httpStatus(error.code)).send(errorBody(error));
  });
}
