/** The public API of ope: the Conservative Offline Policy Estimator (Sec. 4.3.1, Eq. 9-10, Algorithm 2) and FQE (α = 0). */

export {
  type LoadedConservativeOpe,
  loadConservativeOpe,
  OPE_CHECKPOINT_KIND,
  saveConservativeOpe,
} from "./checkpoint.js";
export {
  type OpeConfig,
  type OpeConfigInput,
  type OpeOptions,
  opeConfigSection,
  opeConfigShape,
} from "./config.js";
export { numStates, numTransitions, type OpeData, opeDataFingerprint, validateOpeData } from "./data.js";
export {
  checkDecisionsFit,
  decisionsFingerprint,
  type EvaluatedPolicy,
  explicitDecisions,
  type PolicyDecisions,
  precomputeDecisions,
} from "./decisions.js";
export { ConservativeOpe, type ConservativeOpeArgs, type ConservativeOpeProgress } from "./estimator.js";
export { type EstimateRun, estimatePolicyValue, type FitId, type PolicyEstimate } from "./evaluate.js";
export { conservativePenalty, expectedDecisionValue, fqeTarget, tdLoss } from "./objective.js";
export {
  compareOpeResults,
  type EstimateComparison,
  INTERVAL_NOTE,
  OPE_RESULT_FORMAT,
  OPE_RESULT_VERSION,
  type OpeResult,
  type OpeResultEstimate,
  opeResultSchema,
  type ResultComparison,
  readOpeResult,
  writeOpeResult,
} from "./result.js";
export { opeDataFromTransitions, type StoredTransitions } from "./split-data.js";
export { fitStandardiser, type Standardiser, standardise } from "./standardiser.js";
export {
  bootstrapInterval,
  conservativeValue,
  type Interval,
  type Spread,
  sampleInitialStates,
  spread,
} from "./value.js";
