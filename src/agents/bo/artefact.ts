/**
 * The BO policy artefact: the tuned global action, one file in nn's checkpoint format (kind
 * `bo-policy`), loadable as a `FixedAlphaPolicy` (a core `Policy` that plays the same α in every
 * state, so it needs no normaliser). The action is stored bit-exactly as a float64 tensor; α, the
 * bounds and the run's provenance are in the JSON config for people reading it.
 */
import { z } from "zod";
import { type AlphaBounds, actionToAlpha, alphaBounds } from "../../core/action.js";
import { MtfError } from "../../core/errors.js";
import { ACTION_DIM } from "../../core/interfaces.js";
import { readCheckpoint, writeCheckpoint } from "../../nn/checkpoint.js";
import { FixedAlphaPolicy } from "../behaviour.js";
import { objectiveSchema } from "../common/objective.js";

export const BO_POLICY_KIND = "bo-policy";

const twelve = z.array(z.number()).length(ACTION_DIM);

export const boPolicyArtefactSchema = z.strictObject({
  /** α of every task, task order (readable copy of the action under the bounds). */
  alpha: twelve,
  bounds: z.strictObject({ low: twelve, high: twelve }),
  stateDim: z.number().int().positive(),
  objective: objectiveSchema,
  /** Posterior mean of the objective at the action. */
  posteriorMean: z.number(),
  evaluations: z.number().int().min(0),
  userDaysUsed: z.number().int().min(0),
  /** Hash of the run's resolved config. */
  configHash: z.string(),
  /** `sim__bo__seed__time`, when known. */
  runId: z.string().nullable(),
});

export type BoPolicyArtefact = z.output<typeof boPolicyArtefactSchema>;

export interface BoPolicyProvenance {
  readonly configHash: string;
  readonly runId?: string | null;
}

/** What the tuner hands to `saveBoPolicy`. */
export interface BoPolicyContent {
  /** Normalised action [12]. */
  readonly action: ArrayLike<number>;
  readonly bounds: AlphaBounds;
  readonly stateDim: number;
  readonly objective: z.output<typeof objectiveSchema>;
  readonly posteriorMean: number;
  readonly evaluations: number;
  readonly userDaysUsed: number;
}

/** Writes the tuned action as a `bo-policy` artefact (atomically). */
export async function saveBoPolicy(
  path: string,
  content: BoPolicyContent,
  provenance: BoPolicyProvenance,
): Promise<void> {
  const alpha = new Float64Array(ACTION_DIM);
  actionToAlpha(content.action, content.bounds, alpha);
  const config: BoPolicyArtefact = boPolicyArtefactSchema.parse({
    alpha: Array.from(alpha),
    bounds: { low: [...content.bounds.low], high: [...content.bounds.high] },
    stateDim: content.stateDim,
    objective: content.objective,
    posteriorMean: content.posteriorMean,
    evaluations: content.evaluations,
    userDaysUsed: content.userDaysUsed,
    configHash: provenance.configHash,
    runId: provenance.runId ?? null,
  });
  await writeCheckpoint(path, {
    kind: BO_POLICY_KIND,
    config,
    tensors: { action: { data: Float64Array.from(content.action), shape: [ACTION_DIM] } },
    step: content.evaluations,
    rngState: null,
    metadata: {},
  });
}

export interface LoadedBoPolicy {
  readonly policy: FixedAlphaPolicy;
  readonly artefact: BoPolicyArtefact;
  /** The stored normalised action [12]. */
  readonly action: Float64Array;
}

/** Loads a `bo-policy` artefact (coded errors: FILE_NOT_FOUND, CHECKPOINT_*). */
export async function loadBoPolicy(
  path: string,
  options: { readonly id?: string } = {},
): Promise<LoadedBoPolicy> {
  const checkpoint = await readCheckpoint(path, {
    expectedKind: BO_POLICY_KIND,
    expectedShapes: { action: [ACTION_DIM] },
  });
  const parsed = boPolicyArtefactSchema.safeParse(checkpoint.config);
  const action = checkpoint.tensors.action.data;
  if (!parsed.success || !(action instanceof Float64Array)) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${path}: the BO policy config or action is invalid`, {
      cause: parsed.error,
    });
  }
  const artefact = parsed.data;
  const bounds = alphaBounds(artefact.bounds.low, artefact.bounds.high);
  const alpha = new Float64Array(ACTION_DIM);
  actionToAlpha(action, bounds, alpha);
  const policy = new FixedAlphaPolicy(
    options.id ?? `bo@${artefact.runId ?? path}`,
    artefact.stateDim,
    alpha,
    bounds,
  );
  return { policy, artefact, action };
}
