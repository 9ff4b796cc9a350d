/**
 * Writes a report folder: report.html (self-contained), report.md, table1.csv and
 * figures/<id>.svg + .png. Every file is written to a temporary name and renamed into place,
 * and report.html comes last, so a reader never sees a half-written file and an existing
 * report.html means the whole report is there.
 */
import { mkdir, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { reportBlocks } from "./document.js";
import { reportFigures } from "./figures.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import { renderSvg, svgToPng } from "./render.js";
import { table1Csv } from "./table1.js";
import type { ReportInput } from "./types.js";

export interface WrittenReport {
  readonly html: string;
  readonly markdown: string;
  readonly csv: string;
  /** Paths of the figure files, an .svg and a .png per figure, in report order. */
  readonly figures: string[];
}

let tempCounter = 0;

/** Writes `data` to `path` through a temporary file in the same folder and a rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  tempCounter += 1;
  const temp = `${path}.${process.pid}.${tempCounter}.tmp`;
  try {
    await writeFile(temp, data);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

export async function writeReport(input: ReportInput, outDir: string): Promise<WrittenReport> {
  const figureDir = join(outDir, "figures");
  await mkdir(figureDir, { recursive: true });
  const figures = reportFigures(input);
  const svgs = new Map<string, string>();
  const figurePaths: string[] = [];
  for (const figure of figures) {
    const svg = await renderSvg(figure.spec);
    svgs.set(figure.id, svg);
    const svgPath = join(figureDir, `${figure.id}.svg`);
    const pngPath = join(figureDir, `${figure.id}.png`);
    await writeFileAtomic(svgPath, svg);
    await writeFileAtomic(pngPath, svgToPng(svg));
    figurePaths.push(svgPath, pngPath);
  }
  const blocks = reportBlocks(input, figures);
  const paths = {
    csv: join(outDir, "table1.csv"),
    markdown: join(outDir, "report.md"),
    html: join(outDir, "report.html"),
  };
  await writeFileAtomic(paths.csv, table1Csv(input));
  await writeFileAtomic(paths.markdown, renderMarkdown(blocks));
  await writeFileAtomic(paths.html, renderHtml(input.title, blocks, svgs));
  return { ...paths, figures: figurePaths };
}
