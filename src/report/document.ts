/**
 * The report as a list of blocks (headings, paragraphs, tables, lists, figures), built once from
 * the `ReportInput`; `markdown.ts` and `html.ts` render the same blocks, so both documents carry
 * the same strings. Order: header block (run facts, runtime, data sizes, stage timings, notes,
 * A/B setup), Table 1 with how to read it, the A/B arms' absolute metrics, then the figures.
 */
import type { FigureSpec } from "./figures.js";
import { formatCount, formatSeconds } from "./format.js";
import { howToReadTable1, onlineArmCells, type TextTable, table1Cells } from "./table1.js";
import type { ReportInput } from "./types.js";

export type Block =
  | { readonly kind: "heading"; readonly level: 1 | 2 | 3; readonly text: string }
  | { readonly kind: "paragraph"; readonly text: string }
  | { readonly kind: "table"; readonly table: TextTable }
  | { readonly kind: "list"; readonly items: readonly string[] }
  | { readonly kind: "figure"; readonly id: string; readonly caption: string };

function keyValueTable(header: [string, string], entries: readonly (readonly [string, string])[]): TextTable {
  return { header, numeric: [false, false], rows: entries.map(([k, v]) => [k, v]) };
}

/** Run facts: what identifies the run and lets it be reproduced. */
export function runFacts(input: ReportInput): TextTable {
  return keyValueTable(
    ["", ""],
    [
      ["run kind", input.kind],
      ["created", input.createdAt],
      ["seed", String(input.seed)],
      ["config hash", input.configHash],
      ["simulator config hash", input.simConfigHash],
      ["control arm", input.control],
      ["A/B setup", input.abTestSetup],
    ],
  );
}

/** Stage timings with a total row. */
export function stageTable(input: ReportInput): TextTable {
  const total = input.stages.reduce((sum, s) => sum + s.seconds, 0);
  return {
    header: ["stage", "seconds", "what it produced"],
    numeric: [false, true, false],
    rows: [
      ...input.stages.map((s) => [s.stage, formatSeconds(s.seconds), s.detail]),
      ["total", formatSeconds(total), ""],
    ],
  };
}

export function reportBlocks(
  input: ReportInput,
  figures: readonly Pick<FigureSpec, "id" | "caption">[],
): Block[] {
  const blocks: Block[] = [
    { kind: "heading", level: 1, text: input.title },
    { kind: "table", table: runFacts(input) },
  ];
  const runtime = Object.entries(input.runtime);
  if (runtime.length > 0)
    blocks.push(
      { kind: "heading", level: 3, text: "Runtime" },
      { kind: "table", table: keyValueTable(["", ""], runtime) },
    );
  const sizes = Object.entries(input.dataSizes);
  if (sizes.length > 0)
    blocks.push(
      { kind: "heading", level: 3, text: "Data sizes" },
      {
        kind: "table",
        table: {
          header: ["quantity", "count"],
          numeric: [false, true],
          rows: sizes.map(([k, v]) => [k, formatCount(v)]),
        },
      },
    );
  if (input.stages.length > 0)
    blocks.push(
      { kind: "heading", level: 3, text: "Stage timings" },
      { kind: "table", table: stageTable(input) },
    );
  if (input.notes.length > 0)
    blocks.push({ kind: "heading", level: 3, text: "Notes" }, { kind: "list", items: input.notes });

  blocks.push(
    { kind: "heading", level: 2, text: "Table 1 — offline and online results" },
    { kind: "table", table: table1Cells(input) },
    { kind: "heading", level: 3, text: "How to read Table 1" },
    ...howToReadTable1(input).map((text): Block => ({ kind: "paragraph", text })),
  );
  const arms = onlineArmCells(input);
  if (arms.rows.length > 0)
    blocks.push(
      { kind: "heading", level: 3, text: "A/B test arms (absolute metrics)" },
      {
        kind: "paragraph",
        text: `${input.abTestSetup}. ADTime: app time in seconds per assigned user-day; UPIRate: share of plays with a positive interaction; return rate: share of user-days after the first on which the user was active. 4 significant digits.`,
      },
      { kind: "table", table: arms },
    );
  if (figures.length > 0) {
    blocks.push({ kind: "heading", level: 2, text: "Figures" });
    for (const f of figures) blocks.push({ kind: "figure", id: f.id, caption: f.caption });
  }
  return blocks;
}
