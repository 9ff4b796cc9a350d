/**
 * The one catalogue of domain error codes. Every thrown domain error is an `MtfError` with a
 * code from this list; only the HTTP layer maps codes to statuses, in one place.
 */
export const ERROR_CODES = [
  // input validation
  "INVALID_ARGUMENT",
  "INVALID_CONFIG",
  "UNKNOWN_CONFIG_KEY",
  "NON_FINITE_SCORE",
  "SCORE_OUT_OF_RANGE",
  "ALPHA_OUT_OF_BOUNDS",
  "SHAPE_MISMATCH",
  "UNKNOWN_TASK",
  // files and formats
  "FILE_NOT_FOUND",
  "BAD_ROW",
  "CHECKPOINT_CORRUPT",
  "CHECKPOINT_WRONG_KIND",
  "CHECKPOINT_WRONG_VERSION",
  "CHECKPOINT_SHAPE_MISMATCH",
  "DATASET_MISMATCH",
  "RESULT_INVALID",
  "STORE_LOCKED",
  "STORE_UNREADABLE",
  "STORE_SCHEMA_MISMATCH",
  // data
  "NO_LOGGED_ACTIONS",
  "EMPTY_DATASET",
  // serving: request validation (src/serve maps every code to an HTTP status in one place)
  "MALFORMED_JSON",
  "MALFORMED_REQUEST",
  "BODY_TOO_LARGE",
  "UNSUPPORTED_MEDIA_TYPE",
  "MISSING_FIELD",
  "UNKNOWN_FIELD",
  "WRONG_TYPE",
  "INVALID_VALUE",
  "TOO_MANY_CANDIDATES",
  "TOO_MANY_EVENTS",
  "DUPLICATE_ITEM",
  "DUPLICATE_REQUEST",
  "PROFILE_MISMATCH",
  "ROUTE_NOT_FOUND",
  // serving: feedback and state
  "UNKNOWN_REQUEST",
  "ITEM_NOT_SERVED",
  "USER_MISMATCH",
  "EVENT_IN_FLIGHT",
  "STATE_STORE_UNAVAILABLE",
  "FEEDBACK_LOG_UNAVAILABLE",
  "FEEDBACK_LOG_CORRUPT",
  // serving: model registry
  "REGISTRY_VERSION_NOT_FOUND",
  "REGISTRY_CORRUPT",
  "MODEL_INCOMPATIBLE",
  "NO_ROLLBACK_TARGET",
  // runtime
  "BACKEND_UNAVAILABLE",
  "NOT_IMPLEMENTED_FOR_DTYPE",
  "TRAINING_DIVERGED",
  "INTERNAL",
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface MtfErrorOptions {
  /** The lower-level error that caused this one. */
  readonly cause?: unknown;
  /** Machine-readable facts about the failure (field name, line, candidate index…). */
  readonly details?: Readonly<Record<string, unknown>>;
}

export class MtfError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: MtfErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "MtfError";
    this.code = code;
    this.details = options.details ?? {};
  }
}

export function isMtfError(value: unknown, code?: ErrorCode): value is MtfError {
  return value instanceof MtfError && (code === undefined || value.code === code);
}
