/**
 * CQL+SAC, the offline baseline of Table 1: Soft Actor-Critic (Haarnoja et al., 2018) with the
 * CQL(H) regulariser (Kumar et al., 2020): config, networks, update math, trainer, policy, artefact.
 */

export {
  CQL_SAC_POLICY_KIND,
  type CqlSacPolicyArtefact,
  cqlSacPolicyArtefactSchema,
  type LoadCqlSacPolicyOptions,
  type LoadedCqlSacPolicy,
  loadCqlSacPolicy,
  saveCqlSacPolicy,
} from "./artefact.js";
export {
  CQL_SAC_PRESET_VALUES,
  CQL_SAC_PRESETS,
  type CqlSacConfig,
  type CqlSacConfigInput,
  type CqlSacConfigSection,
  type CqlSacDims,
  type CqlSacPreset,
  cqlSacConfig,
  cqlSacConfigFromSection,
  cqlSacConfigSchema,
  cqlSacConfigSection,
  cqlSacDims,
  targetEntropy,
} from "./config.js";
export * from "./math.js";
export {
  type CqlSacNetworks,
  type CqlSacOptimisers,
  cqlSacNetworkSizes,
  createCqlSacNetworks,
  createCqlSacOptimisers,
  LogScale,
} from "./networks.js";
export { CqlSacPolicy, type CqlSacPolicyArgs } from "./policy.js";
export {
  CQL_SAC_CHECKPOINT_KIND,
  type CqlSacCheckpointConfig,
  CqlSacTrainer,
  type CqlSacTrainerArgs,
} from "./trainer.js";
export * from "./update.js";
