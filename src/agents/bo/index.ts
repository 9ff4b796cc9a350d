/**
 * BO baseline (paper Sec. 4.4.1): one global fusion action by GP regression (Matérn 5/2,
 * marginal-likelihood hyper-parameters) and batch GP-UCB, evaluated online through an
 * `Environment`; plus the objective and online loop the ES baseline shares.
 */

export {
  type GroupMetrics,
  groupMetrics,
  OBJECTIVE_KINDS,
  type ObjectiveConfig,
  type ObjectiveKind,
  objectiveSchema,
  objectiveValue,
} from "../common/objective.js";
export {
  candidatesAffordable,
  type OnlineLoopOptions,
  type OnlineLoopResult,
  type OnlineTuner,
  runOnlineLoop,
} from "../common/online-loop.js";
export { type AcquisitionChoice, gpUcbBeta, maximiseUcb, selectUcbBatch, ucb } from "./acquisition.js";
export {
  BO_POLICY_KIND,
  type BoPolicyArtefact,
  type BoPolicyContent,
  type BoPolicyProvenance,
  boPolicyArtefactSchema,
  type LoadedBoPolicy,
  loadBoPolicy,
  saveBoPolicy,
} from "./artefact.js";
export { type BoConfig, type BoConfigInput, boConfig, boConfigSchema, boConfigSection } from "./config.js";
export {
  fitGp,
  type GpModel,
  type GpPrediction,
  gpPosterior,
  gpPosteriorWithGradient,
  logMarginalLikelihood,
} from "./gp.js";
export { fitHyperparameters, type HyperparameterFit, type HyperparameterSearch } from "./hyperparameters.js";
export { type GpHyperparameters, maternKernel } from "./kernel.js";
export { minimiseLbfgs } from "./lbfgs.js";
export {
  BayesOptimizer,
  type BayesOptimizerArgs,
  type BoOptimizerState,
  type BoProposal,
  type BoRecommendation,
  latinHypercube,
} from "./optimizer.js";
export {
  BO_CHECKPOINT_KIND,
  type BoBudget,
  BoTuner,
  type BoTunerArgs,
  behaviourAction,
  boBudget,
} from "./tuner.js";
