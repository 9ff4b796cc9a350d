/**
 * The BCQ serving artefact: exactly what Eq. 4 needs (the decoder D_θ2, the perturbation net
 * P_ω and Q1), plus the state normaliser and the state-encoder version of the data it was
 * trained on, so serving computes the same state the model saw (DESIGN.md "MDP"). One file in
 * nn's checkpoint format, kind `bcq-policy`, loadable into a `BcqPolicy` (a core `Policy`).
 *
 * The encoder, the second critic, the target networks and the optimisers stay in the training
 * checkpoint; the artefact is a fraction of its size.
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
import { BcqPolicy } from "./policy.js";

export const BCQ_POLICY_KIND = "bcq-policy";

const positiveInt = z.number().int().positive();
const sizes = z.array(positiveInt).min(2);

/** The artefact's JSON config: dimensions, Eq. 4's constants, layer sizes and provenance. */
export const bcqPolicyArtefactSchema = z.strictObject({
  dims: z.strictObject({ stateDim: positiveInt, actionDim: positiveInt, latentDim: positiveInt }),
  /** ρ of P_ω(s, a, ρ). */
  rho: z.number().min(0),
  /** n of Eq. 4. */
  samples: positiveInt,
  /** |z| clip of the prior latents. */
  latentClip: z.number().positive(),
  decoderSizes: sizes,
  actorSizes: sizes,
  criticSizes: sizes,
  ...artefactProvenanceShape,
});

export type BcqPolicyArtefact = z.output<typeof bcqPolicyArtefactSchema>;

/** Writes `policy` as a serving artefact (atomically). */
export async function saveBcqPolicy(
  path: string,
  policy: BcqPolicy,
  provenance: ArtefactProvenance,
): Promise<void> {
  const { decoder, actor, critic1 } = policy.networks;
  const config: BcqPolicyArtefact = bcqPolicyArtefactSchema.parse({
    dims: { ...policy.dims },
    rho: policy.rho,
    samples: policy.samples,
    latentClip: policy.latentClip,
    decoderSizes: decoder.config.sizes,
    actorSizes: actor.config.sizes,
    criticSizes: critic1.config.sizes,
    ...artefactProvenanceFields(provenance),
  });
  await saveAgentCheckpoint(path, {
    kind: BCQ_POLICY_KIND,
    config,
    networks: { decoder, actor, critic1 },
    normaliser: policy.normaliser,
    step: provenance.trainedSteps,
    metadata: { policyId: policy.id },
  });
}

export interface LoadBcqPolicyOptions {
  /** Policy id; default `bcq@<runId or file>`. */
  readonly id?: string;
  readonly kernels?: Kernels;
  /** Refuse artefacts trained on another state-encoder version (serving passes core's STATE_ENCODER_VERSION). */
  readonly expectedStateEncoderVersion?: number;
}

export interface LoadedBcqPolicy {
  readonly policy: BcqPolicy;
  readonly artefact: BcqPolicyArtefact;
}

/** Loads a serving artefact into a `BcqPolicy` (coded errors: FILE_NOT_FOUND, CHECKPOINT_*, DATASET_MISMATCH). */
export async function loadBcqPolicy(
  path: string,
  options: LoadBcqPolicyOptions = {},
): Promise<LoadedBcqPolicy> {
  const checkpoint = await readAgentCheckpoint(path, BCQ_POLICY_KIND);
  const artefact = parseArtefactConfig(
    path,
    checkpoint,
    bcqPolicyArtefactSchema,
    "BCQ",
    options.expectedStateEncoderVersion,
  );
  const { stateDim: S, actionDim: A, latentDim: Z } = artefact.dims;
  const build = (
    what: string,
    layerSizes: readonly number[],
    inDim: number,
    outDim: number,
    out: "tanh" | "identity",
  ) => {
    if (layerSizes[0] !== inDim || layerSizes[layerSizes.length - 1] !== outDim) {
      throw new MtfError(
        "CHECKPOINT_CORRUPT",
        `${path}: ${what} sizes [${layerSizes.join(", ")}] do not fit the dims`,
      );
    }
    return new Mlp(
      {
        sizes: layerSizes,
        hiddenActivation: "relu",
        outputActivation: out,
        maxBatch: 1,
        ...(options.kernels ? { kernels: options.kernels } : {}),
      },
      new Rng(0), // overwritten from the file
    );
  };
  const networks = {
    decoder: build("decoder", artefact.decoderSizes, S + Z, A, "tanh"),
    actor: build("actor", artefact.actorSizes, S + A, A, "tanh"),
    critic1: build("critic", artefact.criticSizes, S + A, 1, "identity"),
  };
  restoreAgentState(checkpoint, networks);
  const normaliser = checkpointNormaliser(checkpoint, S);
  if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
  const policy = new BcqPolicy({
    id: options.id ?? `bcq@${artefact.runId ?? path}`,
    networks,
    normaliser,
    dims: artefact.dims,
    rho: artefact.rho,
    samples: artefact.samples,
    latentClip: artefact.latentClip,
  });
  return { policy, artefact };
}
