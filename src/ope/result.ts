/**
 * The JSON result of `mtf evaluate`: V̂ of one policy on one dataset's test split, per α, with
 * what it evaluated recorded by checksum (the policy artefact's SHA-256, the dataset's files),
 * the resolved config and its hash, seeds and backend. Validated with zod on read, so results
 * reload and compare safely; comparing results of different datasets is refused.
 */
import { readFile, rename, writeFile } from "node:fs/promises";
import { z } from "zod";
import { MtfError } from "../core/errors.js";
import { opeConfigShape } from "./config.js";

export const OPE_RESULT_FORMAT = "mtf-ope-result";
export const OPE_RESULT_VERSION = 1;

/** What the bootstrap interval covers, written into every result. */
export const INTERVAL_NOTE =
  "interval: percentile bootstrap over test-split sessions (session sampling only); seedSpread: spread of V̂ over refits (Q̂-fitting variance)";

const count = z.number().int().min(0);

const estimateSchema = z.strictObject({
  /** α of Eq. 10 (0 = plain FQE). */
  alpha: z.number().min(0),
  /** V̂(π_e) of Eq. 9, averaged over seeds. */
  value: z.number(),
  interval: z.strictObject({
    low: z.number(),
    high: z.number(),
    confidence: z.number().gt(0).lt(1),
    resamples: count,
  }),
  seedValues: z.array(z.number()).min(1),
  seedSpread: z.strictObject({ mean: z.number(), std: z.number(), min: z.number(), max: z.number() }),
  initialStates: count,
  /** Metrics of the last logged iterations (JSON writes NaN as null). */
  finalMetrics: z.record(z.string(), z.number().nullable()),
});

export const opeResultSchema = z.strictObject({
  format: z.literal(OPE_RESULT_FORMAT),
  version: z.literal(OPE_RESULT_VERSION),
  /** `dataset__conservative-ope__seed__time`. */
  runId: z.string(),
  createdAt: z.string(),
  policy: z.strictObject({
    id: z.string(),
    /** The artefact file, or the built-in policy's name. */
    source: z.string(),
    /** SHA-256 of the artefact file (of the built-in's description for built-ins). */
    sha256: z.string(),
    stochastic: z.boolean(),
    /** Decisions per state actually used (1 for a deterministic policy). */
    decisionSamples: count,
  }),
  dataset: z.strictObject({
    path: z.string(),
    /** SHA-256 over the dataset's file checksums: equal datasets, equal checksums. */
    checksum: z.string(),
    split: z.literal("test"),
    transitions: count,
    sessions: count,
    states: count,
  }),
  /** γ (the root config's). */
  gamma: z.number(),
  /** The resolved `ope` section (its `alpha` is the default; each estimate has its own). */
  config: z.strictObject(opeConfigShape),
  configHash: z.string(),
  seed: count,
  seeds: count,
  backend: z.string(),
  mtfVersion: z.string(),
  note: z.string(),
  estimates: z.array(estimateSchema).min(1),
});

export type OpeResult = z.output<typeof opeResultSchema>;
export type OpeResultEstimate = OpeResult["estimates"][number];

/** Writes `result` as indented JSON (to a temporary file, then renamed over `path`). */
export async function writeOpeResult(path: string, result: OpeResult): Promise<void> {
  const checked = opeResultSchema.parse(result);
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(checked, null, 2)}\n`);
  await rename(temp, path);
}

/** Reads and validates a result file (FILE_NOT_FOUND, RESULT_INVALID naming the bad field). */
export async function readOpeResult(path: string): Promise<OpeResult> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      throw new MtfError("FILE_NOT_FOUND", `OPE result ${path} does not exist`, { cause: error });
    }
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MtfError("RESULT_INVALID", `OPE result ${path} is not valid JSON`, { cause: error });
  }
  const parsed = opeResultSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MtfError(
      "RESULT_INVALID",
      `OPE result ${path} is not an mtf OPE result v${OPE_RESULT_VERSION}: ${issue.path.join(".") || "(root)"}: ${issue.message}`,
      { cause: parsed.error },
    );
  }
  return parsed.data;
}

export interface EstimateComparison {
  readonly alpha: number;
  readonly baseline: number;
  readonly candidate: number;
  /** candidate − baseline. */
  readonly difference: number;
  /** Whether the two session-bootstrap intervals overlap (a rough check, not a test). */
  readonly intervalsOverlap: boolean;
}

export interface ResultComparison {
  readonly baselinePolicy: string;
  readonly candidatePolicy: string;
  /** Per α present in both results. */
  readonly estimates: readonly EstimateComparison[];
  /** Whether both used the same resolved `ope` config (hash) and γ. */
  readonly sameConfig: boolean;
}

/**
 * Compares two results of the SAME dataset (DATASET_MISMATCH otherwise: V̂ on different test
 * splits are not comparable) α by α.
 */
export function compareOpeResults(baseline: OpeResult, candidate: OpeResult): ResultComparison {
  if (baseline.dataset.checksum !== candidate.dataset.checksum) {
    throw new MtfError(
      "DATASET_MISMATCH",
      `cannot compare V̂ across datasets: ${baseline.policy.id} was evaluated on ${baseline.dataset.path} (${baseline.dataset.checksum.slice(0, 12)}), ${candidate.policy.id} on ${candidate.dataset.path} (${candidate.dataset.checksum.slice(0, 12)})`,
    );
  }
  const estimates: EstimateComparison[] = [];
  for (const b of baseline.estimates) {
    const c = candidate.estimates.find((e) => e.alpha === b.alpha);
    if (c === undefined) continue;
    estimates.push({
      alpha: b.alpha,
      baseline: b.value,
      candidate: c.value,
      difference: c.value - b.value,
      intervalsOverlap: b.interval.low <= c.interval.high && c.interval.low <= b.interval.high,
    });
  }
  return {
    baselinePolicy: baseline.policy.id,
    candidatePolicy: candidate.policy.id,
    estimates,
    sameConfig: baseline.configHash === candidate.configHash && baseline.gamma === candidate.gamma,
  };
}
