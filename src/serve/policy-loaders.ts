/**
 * Policy artefacts the registry can hold, by checkpoint kind, and how each becomes a core
 * `Policy`. A kind is served only if it has a loader here:
 *
 * - `bcq-policy`: BatchRL-MTF's serving artefact (agents/bcq/artefact.ts), normaliser inside.
 * - `fixed-alpha-policy`: one α for every state (e.g. the behaviour baseline or a tuned global
 *   α), in the same checkpoint format so it is checksummed and versioned like any model.
 */
import { BCQ_POLICY_KIND, loadBcqPolicy } from "../agents/bcq/artefact.js";
import { FixedAlphaPolicy } from "../agents/behaviour.js";
import type { AlphaBounds } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import type { Policy } from "../core/interfaces.js";
import { STATE_ENCODER_VERSION, stateDim } from "../core/state-encoder.js";
import { N_TASKS } from "../core/tasks.js";
import { readCheckpoint, writeCheckpoint } from "../nn/checkpoint.js";

export const FIXED_ALPHA_KIND = "fixed-alpha-policy";

export interface StateNormaliserValues {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

export interface LoadedPolicy {
  readonly policy: Policy;
  /** STATE_ENCODER_VERSION of the states the policy was trained on. */
  readonly stateEncoderVersion: number;
  /** The normaliser inside the artefact, when the policy has one. */
  readonly normaliser: StateNormaliserValues | null;
  readonly configHash: string | null;
}

export interface LoaderContext {
  /** α bounds of the fusion config (a fixed α is checked against them). */
  readonly bounds: AlphaBounds;
  /** Policy id to give the loaded policy (the registry version). */
  readonly id: string;
}

export type PolicyLoader = (file: string, context: LoaderContext) => Promise<LoadedPolicy>;

async function loadBcq(file: string, context: LoaderContext): Promise<LoadedPolicy> {
  const { policy, artefact } = await loadBcqPolicy(file, { id: context.id });
  return {
    policy,
    stateEncoderVersion: artefact.stateEncoderVersion,
    normaliser: { mean: Array.from(policy.normaliser.mean), std: Array.from(policy.normaliser.std) },
    configHash: artefact.configHash,
  };
}

interface FixedAlphaConfig {
  readonly alpha: readonly number[];
  readonly profileDim: number;
  readonly stateEncoderVersion: number;
}

function isFixedAlphaConfig(value: unknown): value is FixedAlphaConfig {
  const config = value as Partial<FixedAlphaConfig> | null;
  return (
    typeof config === "object" &&
    config !== null &&
    Array.isArray(config.alpha) &&
    config.alpha.length === N_TASKS &&
    config.alpha.every((a) => typeof a === "number" && Number.isFinite(a)) &&
    Number.isInteger(config.profileDim) &&
    (config.profileDim as number) >= 0 &&
    Number.isInteger(config.stateEncoderVersion)
  );
}

async function loadFixedAlpha(file: string, context: LoaderContext): Promise<LoadedPolicy> {
  const checkpoint = await readCheckpoint(file, { expectedKind: FIXED_ALPHA_KIND });
  if (!isFixedAlphaConfig(checkpoint.config)) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${file}: a fixed-α artefact needs alpha [12], profileDim and stateEncoderVersion`,
    );
  }
  const { alpha, profileDim, stateEncoderVersion } = checkpoint.config;
  return {
    policy: new FixedAlphaPolicy(context.id, stateDim(profileDim), alpha, context.bounds),
    stateEncoderVersion,
    normaliser: null,
    configHash: null,
  };
}

/** Writes a fixed-α artefact (atomically), for users with `profileDim` profile features. */
export async function saveFixedAlphaPolicy(
  file: string,
  alpha: readonly number[],
  profileDim = 0,
): Promise<void> {
  const config: FixedAlphaConfig = {
    alpha: [...alpha],
    profileDim,
    stateEncoderVersion: STATE_ENCODER_VERSION,
  };
  if (!isFixedAlphaConfig(config)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `a fixed α needs ${N_TASKS} finite values and a non-negative profileDim`,
    );
  }
  await writeCheckpoint(file, {
    kind: FIXED_ALPHA_KIND,
    config,
    tensors: {},
    step: 0,
    rngState: null,
    metadata: {},
  });
}

export const POLICY_LOADERS: Readonly<Record<string, PolicyLoader>> = Object.freeze({
  [BCQ_POLICY_KIND]: loadBcq,
  [FIXED_ALPHA_KIND]: loadFixedAlpha,
});

/** The checkpoint kind of an artefact file (its checksum is verified on the way). */
export async function artefactKind(file: string): Promise<string> {
  try {
    await readCheckpoint(file, { expectedKind: "\u0000probe" });
  } catch (error) {
    if (error instanceof MtfError && error.code === "CHECKPOINT_WRONG_KIND")
      return String(error.details.found);
    throw error;
  }
  throw new MtfError("CHECKPOINT_CORRUPT", `${file}: cannot tell the artefact's kind`);
}
