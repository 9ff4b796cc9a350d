/**
 * Checkpoint I/O shared by every agent, in nn's one checkpoint format (one self-describing file:
 * kind, config, tensors, optimiser state, step, RNG state, checksum). An agent is a set of named
 * networks and named Adam optimisers; a training checkpoint adds the step, the trainer's RNG
 * state, the `BatchSource` position and the state normaliser, which together are everything a
 * resumed run needs to continue bit-identically.
 *
 * Tensor names: network `name` → `${name}.layers.${l}.weight|bias` (nn's `mlpTensors`), its
 * optimiser → `${name}.adam.m|v|step`, the normaliser → `normaliser.mean|std`. JSON metadata
 * keeps the batch source state under `batchSource` and anything the agent adds.
 */
import { z } from "zod";
import { MtfError } from "../../core/errors.js";
import type { BatchSourceState } from "../../core/interfaces.js";
import type { RngState } from "../../core/rng.js";
import type { Adam } from "../../nn/adam.js";
import {
  adamTensors,
  type Checkpoint,
  mlpTensors,
  readCheckpoint,
  restoreAdam,
  restoreMlp,
  type Tensor,
  writeCheckpoint,
} from "../../nn/checkpoint.js";
import type { Mlp } from "../../nn/mlp.js";
import { normaliserTensors, restoreNormaliser, type StateNormaliser } from "./normaliser.js";

const NORMALISER = "normaliser";

/** What one agent checkpoint holds. */
export interface AgentCheckpointContent {
  /** e.g. "bcq" (training state) or "bcq-policy" (serving artefact). */
  readonly kind: string;
  /** The agent's resolved config plus the dimensions it was built for (JSON). */
  readonly config: unknown;
  readonly networks: Readonly<Record<string, Mlp>>;
  readonly optimisers?: Readonly<Record<string, Adam>>;
  readonly normaliser?: StateNormaliser | null;
  readonly step: number;
  readonly rngState?: RngState | null;
  /** The data position (`BatchSource.saveState()`), for exact resume. */
  readonly batchSourceState?: BatchSourceState | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

/** Writes an agent checkpoint atomically (temp file, fsync, rename). */
export async function saveAgentCheckpoint(path: string, content: AgentCheckpointContent): Promise<void> {
  const tensors: Record<string, Tensor> = {};
  for (const [name, network] of Object.entries(content.networks))
    Object.assign(tensors, mlpTensors(name, network));
  for (const [name, adam] of Object.entries(content.optimisers ?? {}))
    Object.assign(tensors, adamTensors(name, adam));
  if (content.normaliser) Object.assign(tensors, normaliserTensors(NORMALISER, content.normaliser));
  await writeCheckpoint(path, {
    kind: content.kind,
    config: content.config,
    tensors,
    step: content.step,
    rngState: content.rngState ?? null,
    metadata: { ...(content.metadata ?? {}), batchSource: content.batchSourceState ?? null },
  });
}

/** Reads and validates an agent checkpoint of `kind` (coded errors: FILE_NOT_FOUND, CHECKPOINT_*). */
export async function readAgentCheckpoint(path: string, kind: string): Promise<Checkpoint> {
  return readCheckpoint(path, { expectedKind: kind });
}

/**
 * Copies the checkpoint's parameters and optimiser states into already-built networks and
 * optimisers of the same names (shapes are checked: CHECKPOINT_SHAPE_MISMATCH).
 */
export function restoreAgentState(
  checkpoint: Checkpoint,
  networks: Readonly<Record<string, Mlp>>,
  optimisers: Readonly<Record<string, Adam>> = {},
): void {
  for (const [name, network] of Object.entries(networks)) restoreMlp(checkpoint, name, network);
  for (const [name, adam] of Object.entries(optimisers)) restoreAdam(checkpoint, name, adam);
}

/** The normaliser saved with the checkpoint, or null when none was. */
export function checkpointNormaliser(checkpoint: Checkpoint, dim: number): StateNormaliser | null {
  if (checkpoint.tensors[`${NORMALISER}.mean`] === undefined) return null;
  return restoreNormaliser(checkpoint, NORMALISER, dim);
}

/** The batch source position saved with the checkpoint, or null. */
export function checkpointBatchSourceState(checkpoint: Checkpoint): BatchSourceState | null {
  const state = checkpoint.metadata.batchSource;
  if (state === undefined || state === null) return null;
  if (typeof state !== "object" || Array.isArray(state)) {
    throw new MtfError("CHECKPOINT_CORRUPT", "checkpoint metadata.batchSource must be an object or null");
  }
  return state as BatchSourceState;
}

// ---------------------------------------------------------------------------------------------
// Serving artefacts

/** What every serving artefact's config records about the run that trained it (zod fields). */
export const artefactProvenanceShape = {
  /** STATE_ENCODER_VERSION of the dataset the model was trained on; serving refuses other versions. */
  stateEncoderVersion: z.number().int().min(0),
  /** Training steps behind the weights. */
  trainedSteps: z.number().int().min(0),
  /** Hash of the training run's resolved config. */
  configHash: z.string(),
  /** Dataset the model was trained on (id or path), when known. */
  dataset: z.string().nullable(),
  /** The run that produced it (`dataset__algo__seed__time`), when known. */
  runId: z.string().nullable(),
};

/** Provenance the caller supplies when exporting an artefact. */
export interface ArtefactProvenance {
  readonly stateEncoderVersion: number;
  readonly trainedSteps: number;
  readonly configHash: string;
  readonly dataset?: string | null;
  readonly runId?: string | null;
}

/** The provenance fields of an artefact config, unknowns as null. */
export function artefactProvenanceFields(provenance: ArtefactProvenance) {
  return {
    stateEncoderVersion: provenance.stateEncoderVersion,
    trainedSteps: provenance.trainedSteps,
    configHash: provenance.configHash,
    dataset: provenance.dataset ?? null,
    runId: provenance.runId ?? null,
  };
}

/**
 * An artefact's config validated with `schema` (CHECKPOINT_CORRUPT naming `what`), refused with
 * DATASET_MISMATCH when it was trained on another state-encoder version than `expectedVersion`.
 */
export function parseArtefactConfig<Schema extends z.ZodType<{ stateEncoderVersion: number }>>(
  path: string,
  checkpoint: Checkpoint,
  schema: Schema,
  what: string,
  expectedVersion: number | undefined,
): z.output<Schema> {
  const parsed = schema.safeParse(checkpoint.config);
  if (!parsed.success) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${path}: the ${what} policy config is invalid: ${parsed.error.message}`,
      {
        cause: parsed.error,
      },
    );
  }
  const artefact = parsed.data;
  if (expectedVersion !== undefined && artefact.stateEncoderVersion !== expectedVersion) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `${path} was trained on states of encoder version ${artefact.stateEncoderVersion}, but this server encodes version ${expectedVersion}; retrain on a dataset built with the current encoder`,
      { details: { expected: expectedVersion, found: artefact.stateEncoderVersion } },
    );
  }
  return artefact;
}
