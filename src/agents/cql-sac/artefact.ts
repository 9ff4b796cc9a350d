/**
 * The CQL+SAC serving artefact: the actor π_ψ (which serving runs deterministically, a = tanh(μ))
 * with the state normaliser and the state-encoder version of its training data. One file in nn's
 * checkpoint format, kind `cql-sac-policy`, loadable into a `CqlSacPolicy` (a core `Policy`);
 * the critics, targets, temperature and optimisers stay in the training checkpoint.
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import {
  type ArtefactProvenance,
  artefactProvenanceFields,
  artefactProvenanceShape,
  checkpointNormaliser,
  parseArtefactConfig,
  readAgentCheckpoint,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { CqlSacPolicy } from "./policy.js";

export const CQL_SAC_POLICY_KIND = "cql-sac-policy";

const positiveInt = z.number().int().positive();

export const cqlSacPolicyArtefactSchema = z.strictObject({
  dims: z.strictObject({ stateDim: positiveInt, actionDim: positiveInt }),
  /** Layer sizes of the actor: [S, …hidden, 2A]. */
  actorSizes: z.array(positiveInt).min(2),
  /** How serving acts: tanh of the Gaussian mean. */
  serving: z.literal("deterministic-tanh-mean"),
  ...artefactProvenanceShape,
});

export type CqlSacPolicyArtefact = z.output<typeof cqlSacPolicyArtefactSchema>;

/** Writes `policy` as a serving artefact (atomically). */
export async function saveCqlSacPolicy(
  path: string,
  policy: CqlSacPolicy,
  provenance: ArtefactProvenance,
): Promise<void> {
  const config: CqlSacPolicyArtefact = cqlSacPolicyArtefactSchema.parse({
    dims: { ...policy.dims },
    actorSizes: policy.actor.config.sizes,
    serving: "deterministic-tanh-mean",
    ...artefactProvenanceFields(provenance),
  });
  await saveAgentCheckpoint(path, {
    kind: CQL_SAC_POLICY_KIND,
    config,
    networks: { actor: policy.actor },
    normaliser: policy.normaliser,
    step: provenance.trainedSteps,
    metadata: { policyId: policy.id },
  });
}

export interface LoadCqlSacPolicyOptions {
  /** Policy id; default `cql-sac@<runId or file>`. */
  readonly id?: string;
  readonly kernels?: Kernels;
  /** Refuse artefacts trained on another state-encoder version. */
  readonly expectedStateEncoderVersion?: number;
}

export interface LoadedCqlSacPolicy {
  readonly policy: CqlSacPolicy;
  readonly artefact: CqlSacPolicyArtefact;
}

/** Loads a serving artefact (coded errors: FILE_NOT_FOUND, CHECKPOINT_*, DATASET_MISMATCH). */
export async function loadCqlSacPolicy(
  path: string,
  options: LoadCqlSacPolicyOptions = {},
): Promise<LoadedCqlSacPolicy> {
  const checkpoint = await readAgentCheckpoint(path, CQL_SAC_POLICY_KIND);
  const artefact = parseArtefactConfig(
    path,
    checkpoint,
    cqlSacPolicyArtefactSchema,
    "CQL+SAC",
    options.expectedStateEncoderVersion,
  );
  const { stateDim: S, actionDim: A } = artefact.dims;
  const sizes = artefact.actorSizes;
  if (sizes[0] !== S || sizes[sizes.length - 1] !== 2 * A) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${path}: actor sizes [${sizes.join(", ")}] do not fit the dims`,
    );
  }
  const actor = new Mlp(
    {
      sizes,
      hiddenActivation: "relu",
      outputActivation: "identity",
      maxBatch: 1,
      ...(options.kernels ? { kernels: options.kernels } : {}),
    },
    new Rng(0), // overwritten from the file
  );
  restoreAgentState(checkpoint, { actor });
  const normaliser = checkpointNormaliser(checkpoint, S);
  if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
  const policy = new CqlSacPolicy({
    id: options.id ?? `cql-sac@${artefact.runId ?? path}`,
    actor,
    normaliser,
    dims: artefact.dims,
  });
  return { policy, artefact };
}
