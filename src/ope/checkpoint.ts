/**
 * Saving and resuming a Conservative-OPE fit as one self-describing checkpoint (nn/checkpoint.ts
 * format, kind "conservative-ope"): the resolved options, Q_θ, the frozen copy Q_θ⁻, Adam's
 * state, the state standardiser, the iteration and the batch RNG, plus fingerprints of the
 * dataset and of the decisions it was fitted on (STYLE.md: record which policy an evaluator
 * evaluates). Loading against other data or other decisions is refused with DATASET_MISMATCH.
 */
import { z } from "zod";
import { MtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import {
  adamTensors,
  type Checkpoint,
  mlpTensors,
  readCheckpoint,
  restoreAdam,
  restoreMlp,
  writeCheckpoint,
} from "../nn/checkpoint.js";
import type { Kernels } from "../nn/kernels.js";
import { opeConfigShape } from "./config.js";
import { type OpeData, opeDataFingerprint } from "./data.js";
import { decisionsFingerprint, type PolicyDecisions } from "./decisions.js";
import { ConservativeOpe } from "./estimator.js";

export const OPE_CHECKPOINT_KIND = "conservative-ope";

const Q = "q";
const FROZEN = "frozen";

const storedConfigSchema = z.strictObject({
  options: z.strictObject({ ...opeConfigShape, gamma: z.number().min(0).lt(1) }),
  stateDim: z.number().int().positive(),
  actionDim: z.number().int().positive(),
  decisionSamples: z.number().int().positive(),
});

const storedMetadataSchema = z.looseObject({
  dataFingerprint: z.string(),
  decisionsFingerprint: z.string(),
});

/** Writes `estimator` to `path` atomically; `metadata` records e.g. the policy and dataset checksums. */
export async function saveConservativeOpe(
  path: string,
  estimator: ConservativeOpe,
  metadata: Readonly<Record<string, unknown>> = {},
): Promise<void> {
  const { data, decisions, standardiser } = estimator;
  const progress = estimator.progress();
  await writeCheckpoint(path, {
    kind: OPE_CHECKPOINT_KIND,
    config: {
      options: estimator.options,
      stateDim: data.stateDim,
      actionDim: data.actionDim,
      decisionSamples: decisions.samples,
    },
    tensors: {
      ...mlpTensors(Q, estimator.q),
      ...mlpTensors(FROZEN, estimator.frozen),
      ...adamTensors(Q, estimator.adam),
      "standardiser.mean": { data: standardiser.mean, shape: [data.stateDim] },
      "standardiser.std": { data: standardiser.std, shape: [data.stateDim] },
    },
    step: progress.iteration,
    rngState: progress.batchRng,
    metadata: {
      ...metadata,
      dataFingerprint: opeDataFingerprint(data),
      decisionsFingerprint: decisionsFingerprint(decisions),
    },
  });
}

function float32(checkpoint: Checkpoint, name: string, length: number): Float32Array {
  const tensor = checkpoint.tensors[name];
  if (tensor === undefined || !(tensor.data instanceof Float32Array) || tensor.data.length !== length) {
    throw new MtfError(
      "CHECKPOINT_SHAPE_MISMATCH",
      `OPE checkpoint tensor "${name}" should be float32 [${length}]`,
    );
  }
  return tensor.data;
}

export interface LoadedConservativeOpe {
  readonly estimator: ConservativeOpe;
  /** What the caller passed to `saveConservativeOpe`, with the fingerprints. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

/**
 * Restores a fit saved by `saveConservativeOpe` on the same dataset and decisions, ready to
 * continue (`fit`) or to evaluate (`policyValues`): a resumed fit draws the batches the
 * uninterrupted one would have.
 */
export async function loadConservativeOpe(
  path: string,
  data: OpeData,
  decisions: PolicyDecisions,
  options: { readonly kernels?: Kernels } = {},
): Promise<LoadedConservativeOpe> {
  const checkpoint = await readCheckpoint(path, { expectedKind: OPE_CHECKPOINT_KIND });
  const config = storedConfigSchema.safeParse(checkpoint.config);
  const metadata = storedMetadataSchema.safeParse(checkpoint.metadata);
  if (!config.success || !metadata.success || checkpoint.rngState === null) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `OPE checkpoint ${path} lacks its options, fingerprints or RNG state`,
      {
        cause: config.error ?? metadata.error,
      },
    );
  }
  if (metadata.data.dataFingerprint !== opeDataFingerprint(data)) {
    throw new MtfError("DATASET_MISMATCH", `OPE checkpoint ${path} was fitted on another dataset`, {
      details: { path },
    });
  }
  if (metadata.data.decisionsFingerprint !== decisionsFingerprint(decisions)) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `OPE checkpoint ${path} was fitted on other decisions of π_e (another policy, seed or sample count)`,
      { details: { path } },
    );
  }
  const { stateDim } = config.data;
  const estimator = new ConservativeOpe(
    {
      data,
      decisions,
      options: config.data.options,
      standardiser: {
        mean: float32(checkpoint, "standardiser.mean", stateDim),
        std: float32(checkpoint, "standardiser.std", stateDim),
      },
      kernels: options.kernels,
    },
    // Every parameter and the batch RNG are overwritten below, so this seed does not matter.
    new Rng(0),
  );
  // restoreMlp and restoreAdam check every shape (CHECKPOINT_SHAPE_MISMATCH).
  restoreMlp(checkpoint, Q, estimator.q);
  restoreMlp(checkpoint, FROZEN, estimator.frozen);
  restoreAdam(checkpoint, Q, estimator.adam);
  estimator.restoreProgress({ iteration: checkpoint.step, batchRng: checkpoint.rngState });
  return { estimator, metadata: metadata.data };
}
