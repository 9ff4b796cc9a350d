/** The public API of `serve`: what the CLI, the pipeline (daily retrain) and benchmarks use. */
export { buildApp } from "./app.js";
export { type ServeConfig, type ServeRootConfig, serveConfigSection, serveRootSchema } from "./config.js";
export { FeedbackLog } from "./feedback-log.js";
export type { DecisionLogEntry, FeedbackRecord } from "./feedback-records.js";
export { listSegments, loadFeedbackSegments, readSegment, storedEventIds } from "./feedback-segments.js";
export { ModelWatcher, type ServingModels } from "./model-watcher.js";
export {
  artefactKind,
  FIXED_ALPHA_KIND,
  type LoadedPolicy,
  POLICY_LOADERS,
  type PolicyLoader,
  saveFixedAlphaPolicy,
} from "./policy-loaders.js";
export { replayDecision } from "./rank-service.js";
export { ModelRegistry, type OpeFigures, type RegistryPointer, type VersionManifest } from "./registry.js";
export { type RunningServer, type StartOptions, startServer } from "./server.js";
export { fallbackModel, type ServingModel, servingModel } from "./serving-model.js";
