/** BCQ / BatchRL-MTF (paper Sec. 3.2, Algorithm 1, Eq. 3-7): config, networks, update math, trainer, policy, artefact. */

export {
  BCQ_POLICY_KIND,
  type BcqPolicyArtefact,
  bcqPolicyArtefactSchema,
  type LoadBcqPolicyOptions,
  type LoadedBcqPolicy,
  loadBcqPolicy,
  saveBcqPolicy,
} from "./artefact.js";
export {
  BCQ_PRESET_VALUES,
  BCQ_PRESETS,
  BCQ_UPDATE_ORDERS,
  type BcqConfig,
  type BcqConfigInput,
  type BcqConfigSection,
  type BcqDims,
  type BcqPreset,
  type BcqUpdateOrder,
  bcqConfig,
  bcqConfigFromSection,
  bcqConfigSchema,
  bcqConfigSection,
  bcqDims,
  policySamples,
} from "./config.js";
export * from "./math.js";
export {
  type BcqNetworks,
  type BcqOptimisers,
  type BcqPolicyNetworks,
  bcqNetworkSizes,
  createBcqNetworks,
  createBcqOptimisers,
} from "./networks.js";
export { BcqPolicy, type BcqPolicyArgs } from "./policy.js";
export { BCQ_CHECKPOINT_KIND, type BcqCheckpointConfig, BcqTrainer, type BcqTrainerArgs } from "./trainer.js";
export {
  actorLossAndGrads,
  type BcqWorkspace,
  computeCriticTarget,
  createWorkspace,
  criticLossAndGrads,
  type TargetParams,
  vaeLossAndGrads,
} from "./update.js";
