/**
 * The serving artefact of TD3 and UWAC+TD3: the actor π_φ, the state normaliser and the
 * state-encoder version of the training data, in nn's checkpoint format. Kind `td3-policy` or
 * `uwac-td3-policy` (same content; the kind says which algorithm trained it); both load into a
 * `Td3Policy` (a core `Policy`). Critics, targets and optimisers stay in the training checkpoint.
 */
import { z } from "zod";
import { isMtfError, MtfError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import {
  type ArtefactProvenance,
  artefactProvenanceFields,
  artefactProvenanceShape,
  checkpointNormaliser,
  parseArtefactConfig,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { Td3Policy } from "./policy.js";

export const TD3_POLICY_KIND = "td3-policy";
export const UWAC_TD3_POLICY_KIND = "uwac-td3-policy";
/** Every artefact kind `loadTd3Policy` reads. */
export const TD3_POLICY_KINDS: readonly string[] = [TD3_POLICY_KIND, UWAC_TD3_POLICY_KIND];

const positiveInt = z.number().int().positive();

export const td3PolicyArtefactSchema = z.strictObject({
  /** "td3" or "uwac-td3". */
  algorithm: z.string(),
  dims: z.strictObject({ stateDim: positiveInt, actionDim: positiveInt }),
  actorSizes: z.array(positiveInt).min(2),
  ...artefactProvenanceShape,
});

export type Td3PolicyArtefact = z.output<typeof td3PolicyArtefactSchema>;

/** Writes `policy` as a serving artefact of `algorithm` ("td3" or "uwac-td3"), atomically. */
export async function saveTd3Policy(
  path: string,
  policy: Td3Policy,
  algorithm: "td3" | "uwac-td3",
  provenance: ArtefactProvenance,
): Promise<void> {
  const config: Td3PolicyArtefact = td3PolicyArtefactSchema.parse({
    algorithm,
    dims: { stateDim: policy.stateDim, actionDim: policy.actionDim },
    actorSizes: policy.actor.config.sizes,
    ...artefactProvenanceFields(provenance),
  });
  await saveAgentCheckpoint(path, {
    kind: algorithm === "td3" ? TD3_POLICY_KIND : UWAC_TD3_POLICY_KIND,
    config,
    networks: { actor: policy.actor },
    normaliser: policy.normaliser,
    step: provenance.trainedSteps,
    metadata: { policyId: policy.id },
  });
}

export interface LoadTd3PolicyOptions {
  /** Policy id; default `<algorithm>@<runId or file>`. */
  readonly id?: string;
  readonly kernels?: Kernels;
  /** Refuse artefacts trained on another state-encoder version. */
  readonly expectedStateEncoderVersion?: number;
}

export interface LoadedTd3Policy {
  readonly policy: Td3Policy;
  readonly artefact: Td3PolicyArtefact;
  readonly kind: string;
}

/** Loads a `td3-policy` or `uwac-td3-policy` artefact (coded errors: FILE_NOT_FOUND, CHECKPOINT_*, DATASET_MISMATCH). */
export async function loadTd3Policy(
  path: string,
  options: LoadTd3PolicyOptions = {},
): Promise<LoadedTd3Policy> {
  const checkpoint = await readCheckpoint(path, { expectedKind: TD3_POLICY_KIND }).catch((error: unknown) => {
    if (isMtfError(error, "CHECKPOINT_WRONG_KIND") && error.details.found === UWAC_TD3_POLICY_KIND) {
      return readCheckpoint(path, { expectedKind: UWAC_TD3_POLICY_KIND });
    }
    throw error;
  });
  const artefact = parseArtefactConfig(
    path,
    checkpoint,
    td3PolicyArtefactSchema,
    "TD3",
    options.expectedStateEncoderVersion,
  );
  const { stateDim: S, actionDim: A } = artefact.dims;
  const sizes = artefact.actorSizes;
  if (sizes[0] !== S || sizes[sizes.length - 1] !== A) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${path}: actor sizes [${sizes.join(", ")}] do not fit the dims`,
    );
  }
  const actor = new Mlp(
    {
      sizes,
      hiddenActivation: "relu",
      outputActivation: "tanh",
      maxBatch: 1,
      ...(options.kernels ? { kernels: options.kernels } : {}),
    },
    new Rng(0), // overwritten from the file
  );
  restoreAgentState(checkpoint, { actor });
  const normaliser = checkpointNormaliser(checkpoint, S);
  if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
  const policy = new Td3Policy({
    id: options.id ?? `${artefact.algorithm}@${artefact.runId ?? path}`,
    actor,
    normaliser,
  });
  return { policy, artefact, kind: checkpoint.kind };
}
