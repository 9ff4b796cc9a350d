/** TD3 (Fujimoto et al. 2018) trained offline, the Table 1 baseline: config, networks, math, trainer, policy, artefact. */
export {
  type LoadedTd3Policy,
  type LoadTd3PolicyOptions,
  loadTd3Policy,
  saveTd3Policy,
  TD3_POLICY_KIND,
  TD3_POLICY_KINDS,
  type Td3PolicyArtefact,
  td3PolicyArtefactSchema,
  UWAC_TD3_POLICY_KIND,
} from "./artefact.js";
export {
  TD3_PRESET_VALUES,
  TD3_PRESETS,
  type Td3Config,
  type Td3ConfigInput,
  type Td3ConfigSection,
  type Td3Dims,
  type Td3Preset,
  td3Config,
  td3ConfigFromSection,
  td3ConfigSchema,
  td3ConfigSection,
  td3Dims,
} from "./config.js";
export * from "./math.js";
export {
  createTd3Networks,
  createTd3Optimisers,
  type Td3Networks,
  type Td3Optimisers,
  td3NetworkSizes,
} from "./networks.js";
export { Td3Policy, type Td3PolicyArgs } from "./policy.js";
export {
  resumeTd3Trainer,
  TD3_CHECKPOINT_KIND,
  TD3_VARIANT,
  type Td3CheckpointConfig,
  type Td3ResumeArgs,
  Td3Trainer,
  type Td3TrainerArgs,
  type Td3Variant,
  type UncertaintyWeighting,
} from "./trainer.js";
