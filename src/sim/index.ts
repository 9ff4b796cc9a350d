/** The public API of `sim`: the simulated short-video platform (docs/simulator.md). */
export {
  type AbArm,
  type AbTestOptions,
  type AbTestResult,
  armOf,
  formatAbTest,
  runAbTest,
} from "./abtest.js";
export {
  type CalibrationResult,
  calibrate,
  DEFAULT_EXCERPT_URL,
  EXCERPT_ATTRIBUTION,
  excerptFiguresFromText,
  formatCalibration,
} from "./calibration.js";
export {
  PRESET_SIZES,
  parseSimConfig,
  resolveSimConfig,
  SIM_PRESETS,
  type SimConfig,
  type SimPreset,
  simConfigHash,
  simConfigSection,
  simPreset,
} from "./config.js";
export {
  DEFAULT_FUSION,
  type Exposure,
  type FusionParams,
  type RunUser,
  type SessionSummary,
  SIM_STATE_DIM,
  Simulator,
  videoId,
} from "./engine.js";
export { SimEnvironment, type SimGroupOutcome } from "./environment.js";
export { type GroupMetrics, groupMetrics } from "./metrics.js";
export { PROFILE_DIM, PROFILE_FEATURES } from "./population.js";
export { longTermCheck, pairedRuns, personalisationCheck } from "./properties.js";
export {
  type PolicyValue,
  policyValue,
  type RecordedStart,
  type RolloutStart,
  type SessionValue,
  SnapshotRecorder,
  sessionValues,
  snapshotKey,
} from "./rollout.js";
export { bootstrapComparison, type Comparison, deltaComparison } from "./stats.js";
export type { Assignment, SessionSnapshot, SimUserOutcome, UserEffect } from "./user-state.js";
export { createWorld, freshUserIds, type SimWorld } from "./world.js";
