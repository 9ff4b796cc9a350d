/**
 * The zod schema of `ReportInput` (results.json), and `reportFromResultsFile`, which validates
 * a results file and renders it. Objects are strict: a misspelt or unknown key is an error that
 * names its path, as for configs. The compile-time checks at the bottom keep this schema and
 * types.ts in step.
 */
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { MtfError } from "../core/errors.js";
import type { ReportInput } from "./types.js";
import { type WrittenReport, writeReport } from "./write.js";

const finite = z.number();
const interval = z.strictObject({ value: finite, low: finite, high: finite });
const relativeChange = z.strictObject({
  relativeChange: finite,
  low: finite,
  high: finite,
  pValue: z.number().min(0).max(1),
});

const methodResult = z.strictObject({
  method: z.string().min(1),
  reward: z.string().min(1),
  ope: interval.nullable(),
  abTest: z
    .strictObject({ adTime: relativeChange.nullable(), upiRate: relativeChange.nullable() })
    .nullable(),
  trueValue: interval.nullable(),
  online: z
    .strictObject({ adTime: finite, upiRate: finite, playsPerUserDay: finite, returnRate: finite })
    .nullable(),
});

export const reportInputSchema = z.strictObject({
  title: z.string(),
  kind: z.enum(["pipeline", "table1"]),
  createdAt: z.string(),
  seed: z.number().int(),
  simConfigHash: z.string(),
  configHash: z.string(),
  runtime: z.record(z.string(), z.string()),
  dataSizes: z.record(z.string(), finite),
  control: z.string(),
  abTestSetup: z.string(),
  methods: z.array(methodResult),
  qCurves: z.array(
    z.strictObject({
      method: z.string(),
      points: z.array(z.strictObject({ step: finite, mean: finite, std: z.number().min(0) })),
    }),
  ),
  weightDistributions: z.array(
    z.strictObject({ source: z.string(), task: z.string(), values: z.array(finite) }),
  ),
  sweeps: z.array(
    z.strictObject({ parameter: z.string(), value: finite, metric: finite, low: finite, high: finite }),
  ),
  sweepMetric: z.string().optional(),
  segments: z.array(
    z.strictObject({
      segment: z.string(),
      users: z.number().int().min(0),
      meanAlpha: z.record(z.string(), finite),
      adTimeChange: relativeChange.nullable(),
    }),
  ),
  stages: z.array(z.strictObject({ stage: z.string(), seconds: z.number().min(0), detail: z.string() })),
  notes: z.array(z.string()),
});

/** Validates parsed JSON as a `ReportInput`; RESULT_INVALID names the first bad field by its path. */
export function parseReportInput(json: unknown, source = "results"): ReportInput {
  const parsed = reportInputSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.map(String).join(".") || "(root)";
    throw new MtfError("RESULT_INVALID", `${source} is not a valid report input: ${path}: ${issue.message}`, {
      cause: parsed.error,
      details: { field: path },
    });
  }
  return parsed.data;
}

/** Reads a results.json, validates it and writes its report into `outDir`. */
export async function reportFromResultsFile(resultsJson: string, outDir: string): Promise<WrittenReport> {
  let text: string;
  try {
    text = await readFile(resultsJson, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new MtfError("FILE_NOT_FOUND", `results file ${resultsJson} does not exist`, { cause: error });
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new MtfError("RESULT_INVALID", `results file ${resultsJson} is not valid JSON`, { cause: error });
  }
  return writeReport(parseReportInput(json, resultsJson), outDir);
}

// Compile-time: the schema's output is a ReportInput, and every ReportInput passes the schema's type.
type Writable<T> = T extends readonly (infer U)[]
  ? Writable<U>[]
  : T extends object
    ? { -readonly [K in keyof T]: Writable<T[K]> }
    : T;
const schemaOutputIsReportInput = (v: z.output<typeof reportInputSchema>): ReportInput => v;
const reportInputIsSchemaInput = (v: Writable<ReportInput>): z.input<typeof reportInputSchema> => v;
void schemaOutputIsReportInput;
void reportInputIsSchemaInput;
