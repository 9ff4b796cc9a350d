/**
 * The ES policy artefact: the network θ and the state normaliser estimated online, one file in
 * nn's checkpoint format (kind `es-policy`, written with the agents' shared checkpoint I/O),
 * loadable into an `EsPolicy` that acts on raw states like every policy.
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";
import { ACTION_DIM } from "../../core/interfaces.js";
import { Rng } from "../../core/rng.js";
import type { Kernels } from "../../nn/kernels.js";
import { Mlp } from "../../nn/mlp.js";
import {
  checkpointNormaliser,
  readAgentCheckpoint,
  restoreAgentState,
  saveAgentCheckpoint,
} from "../common/checkpoint.js";
import { objectiveSchema } from "../common/objective.js";
import { EsPolicy } from "./policy.js";

export const ES_POLICY_KIND = "es-policy";

const NETWORK = "policy";

export const esPolicyArtefactSchema = z.strictObject({
  /** Layer widths [stateDim, …hidden, 12] (tanh hidden and output units). */
  sizes: z.array(z.number().int().positive()).min(2),
  observationClip: z.number().positive(),
  objective: objectiveSchema,
  generations: z.number().int().min(0),
  userDaysUsed: z.number().int().min(0),
  /** Hash of the run's resolved config. */
  configHash: z.string(),
  /** `sim__es__seed__time`, when known. */
  runId: z.string().nullable(),
});

export type EsPolicyArtefact = z.output<typeof esPolicyArtefactSchema>;

/** The run's figures the artefact records besides the policy. */
export interface EsPolicyProvenance {
  readonly objective: z.output<typeof objectiveSchema>;
  readonly generations: number;
  readonly userDaysUsed: number;
  readonly configHash: string;
  readonly runId?: string | null;
}

/** Writes `policy` as an `es-policy` artefact (atomically). */
export async function saveEsPolicy(
  path: string,
  policy: EsPolicy,
  provenance: EsPolicyProvenance,
): Promise<void> {
  const config: EsPolicyArtefact = esPolicyArtefactSchema.parse({
    sizes: policy.network.config.sizes,
    observationClip: policy.observationClip,
    objective: provenance.objective,
    generations: provenance.generations,
    userDaysUsed: provenance.userDaysUsed,
    configHash: provenance.configHash,
    runId: provenance.runId ?? null,
  });
  await saveAgentCheckpoint(path, {
    kind: ES_POLICY_KIND,
    config,
    networks: { [NETWORK]: policy.network },
    normaliser: policy.normaliser,
    step: provenance.generations,
    metadata: { policyId: policy.id },
  });
}

export interface LoadedEsPolicy {
  readonly policy: EsPolicy;
  readonly artefact: EsPolicyArtefact;
}

/** Loads an `es-policy` artefact (coded errors: FILE_NOT_FOUND, CHECKPOINT_*). */
export async function loadEsPolicy(
  path: string,
  options: { readonly id?: string; readonly kernels?: Kernels } = {},
): Promise<LoadedEsPolicy> {
  const checkpoint = await readAgentCheckpoint(path, ES_POLICY_KIND);
  const parsed = esPolicyArtefactSchema.safeParse(checkpoint.config);
  if (!parsed.success || parsed.data.sizes.at(-1) !== ACTION_DIM) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${path}: the ES policy config is invalid`, {
      cause: parsed.error,
    });
  }
  const artefact = parsed.data;
  const network = new Mlp(
    {
      sizes: artefact.sizes,
      hiddenActivation: "tanh",
      outputActivation: "tanh",
      maxBatch: 256,
      ...(options.kernels ? { kernels: options.kernels } : {}),
    },
    new Rng(0), // overwritten from the file
  );
  restoreAgentState(checkpoint, { [NETWORK]: network });
  const normaliser = checkpointNormaliser(checkpoint, artefact.sizes[0]);
  if (normaliser === null) throw new MtfError("CHECKPOINT_CORRUPT", `${path} holds no state normaliser`);
  const policy = new EsPolicy({
    id: options.id ?? `es@${artefact.runId ?? path}`,
    network,
    normaliser,
    observationClip: artefact.observationClip,
  });
  return { policy, artefact };
}
