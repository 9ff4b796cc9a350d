/** The public API of nn: kernels and backend choice, layers, losses, Adam, checkpoints, gradient checks. */

export { Adam, type AdamOptions, type AdamState, type Parameterised, softUpdate } from "./adam.js";
export { type BackendInfo, backendInfo, kernels } from "./backend.js";
export {
  adamTensors,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_MAGIC,
  type Checkpoint,
  type CheckpointContent,
  decodeCheckpoint,
  encodeCheckpoint,
  type LoadedMlp,
  type LoadMlpOptions,
  loadMlp,
  MLP_KIND,
  type MlpCheckpointConfig,
  mlpShapes,
  mlpTensors,
  type ReadCheckpointOptions,
  readCheckpoint,
  restoreAdam,
  restoreMlp,
  type SaveMlpOptions,
  saveMlp,
  type Tensor,
  type TensorData,
  type TensorDType,
  temporaryPathFor,
  writeCheckpoint,
} from "./checkpoint.js";
export {
  applyDropout,
  Dropout,
  DropoutMlp,
  type DropoutMlpArgs,
  dropoutBackward,
  sampleDropoutMask,
  sampleMoments,
} from "./dropout.js";
export { type GradCheckOptions, type GradCheckResult, gradCheck } from "./gradcheck.js";
export type { Activation, Kernels, NumArray } from "./kernels.js";
export { Linear, type LinearArgs, type ParamGradMode } from "./linear.js";
export {
  clamp,
  clampBackward,
  klToStandardNormal,
  LOG_STD_MAX,
  LOG_STD_MIN,
  mseLoss,
  reparameterize,
  reparameterizeBackward,
} from "./losses.js";
export { Mlp, type MlpArgs, type MlpBackwardOptions, type MlpConfig } from "./mlp.js";
export { getNativeThreads, setNativeThreads } from "./native-kernels.js";
export { referenceKernels } from "./reference-kernels.js";
export {
  clampLogStd,
  tanhGaussianBackward,
  tanhGaussianMode,
  tanhGaussianSample,
} from "./tanh-gaussian.js";
export {
  allocate,
  assertLength,
  assertMinLength,
  copyColumns,
  DTYPES,
  type DType,
  dtypeOf,
  l2Norm,
  relativeError,
} from "./tensor.js";
