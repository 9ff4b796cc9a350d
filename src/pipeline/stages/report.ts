/**
 * Stage 7, the report: `results.json` (the `ReportInput`, assembled from the stages' outputs by
 * results.ts) and the rendered report beside it (src/report: Markdown, CSV, figures and one
 * self-contained HTML file). `--report-only` reruns just the rendering from `results.json`.
 */
import fs from "node:fs";
import path from "node:path";
import { MtfError } from "../../core/errors.js";
import { reportFromResultsFile, writeReport } from "../../report/index.js";
import type { ReportInput } from "../../report/types.js";
import { readJson, writeJsonAtomic } from "./run-folder.js";

export const RESULTS_FILE = "results.json";
export const REPORT_DIR = "report";

export function writeResults(runDir: string, results: ReportInput): string {
  const file = path.join(runDir, RESULTS_FILE);
  writeJsonAtomic(file, results);
  return file;
}

export function readResults(runDir: string): ReportInput {
  const file = path.join(runDir, RESULTS_FILE);
  if (!fs.existsSync(file)) {
    throw new MtfError(
      "FILE_NOT_FOUND",
      `${file} not found: run mtf pipeline --out ${runDir} (or --resume) first`,
    );
  }
  return readJson<ReportInput>(file);
}

/** Renders the report of `results` into `<runDir>/report/`; returns the HTML report's path. */
export async function renderReport(runDir: string, results: ReportInput): Promise<string> {
  return (await writeReport(results, path.join(runDir, REPORT_DIR))).html;
}

/** `--report-only`: validates `<runDir>/results.json` and renders it again; returns the HTML report's path. */
export async function rerenderReport(runDir: string): Promise<string> {
  const file = path.join(runDir, RESULTS_FILE);
  if (!fs.existsSync(file)) {
    throw new MtfError(
      "FILE_NOT_FOUND",
      `${file} not found: run mtf pipeline --out ${runDir} (or --resume) first`,
    );
  }
  return (await reportFromResultsFile(file, path.join(runDir, REPORT_DIR))).html;
}
