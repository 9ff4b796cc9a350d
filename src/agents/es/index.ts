/**
 * ES baseline (paper Sec. 4.4.1): a state → fusion-action network trained online by natural
 * evolution strategies (antithetic sampling, centered-rank fitness shaping, Adam).
 */
export {
  ES_POLICY_KIND,
  type EsPolicyArtefact,
  type EsPolicyProvenance,
  esPolicyArtefactSchema,
  type LoadedEsPolicy,
  loadEsPolicy,
  saveEsPolicy,
} from "./artefact.js";
export { type EsConfig, type EsConfigInput, esConfig, esConfigSchema, esConfigSection } from "./config.js";
export { antitheticGradient, centeredRanks } from "./math.js";
export { createEsNetwork, type EsNetworkArgs, EsPolicy, type EsPolicyArgs } from "./policy.js";
export { type MomentsState, RunningMoments } from "./running-moments.js";
export { EvolutionStrategy, type EvolutionStrategyArgs } from "./strategy.js";
export { ES_CHECKPOINT_KIND, type EsBudget, EsTuner, type EsTunerArgs, esBudget } from "./tuner.js";
