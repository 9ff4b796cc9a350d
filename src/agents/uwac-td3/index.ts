/** UWAC+TD3 (Wu et al. 2021): TD3 with MC-dropout uncertainty down-weighting. Config, weights, trainer. */
export {
  UWAC_TD3_PRESET_VALUES,
  UWAC_TD3_PRESETS,
  type UwacTd3Config,
  type UwacTd3ConfigInput,
  type UwacTd3ConfigSection,
  uwacTd3Config,
  uwacTd3ConfigFromSection,
  uwacTd3ConfigSchema,
  uwacTd3ConfigSection,
} from "./config.js";
export { UWAC_TD3_CHECKPOINT_KIND, UWAC_TD3_VARIANT, UwacTd3Trainer, uwacWeighting } from "./trainer.js";
export { type UwacWeightParams, uwacWeights } from "./weights.js";
