/**
 * Renders the report's blocks as one self-contained HTML file: CSS inline, figures inline as
 * SVG (ids prefixed per figure so they cannot collide), no script, nothing loaded from elsewhere,
 * so it reads the same offline, attached to an e-mail or from a file share.
 */
import type { Block } from "./document.js";
import { prefixSvgIds } from "./render.js";
import type { TextTable } from "./table1.js";

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `
body { font-family: "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1a1a1a; margin: 0 auto;
  max-width: 1200px; padding: 24px 32px 64px; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.4em; }
h2 { font-size: 1.3em; margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.4em; }
table { border-collapse: collapse; margin: 0.6em 0 1em; font-size: 0.92em; }
th, td { border: 1px solid #d4d4d4; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f3f3f3; font-weight: 600; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.facts td:first-child { color: #555; white-space: nowrap; }
table.facts thead { display: none; }
figure { margin: 1.5em 0 2.5em; }
figure svg { max-width: 100%; height: auto; }
figure svg text { font-family: "DejaVu Sans", Verdana, "Helvetica Neue", Arial, sans-serif; }
figcaption { color: #444; font-size: 0.92em; max-width: 900px; }
p { max-width: 900px; }
`;

function htmlTable(table: TextTable): string {
  const facts = table.header.every((h) => h === "");
  const head = `<thead><tr>${table.header.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>`;
  const body = table.rows
    .map(
      (row) =>
        `<tr>${row.map((cell, i) => `<td${table.numeric[i] ? ' class="num"' : ""}>${escapeHtml(cell)}</td>`).join("")}</tr>`,
    )
    .join("\n");
  return `<table${facts ? ' class="facts"' : ""}>${head}<tbody>\n${body}\n</tbody></table>`;
}

function blockHtml(b: Block, svgs: ReadonlyMap<string, string>): string {
  switch (b.kind) {
    case "heading":
      return `<h${b.level}>${escapeHtml(b.text)}</h${b.level}>`;
    case "paragraph":
      return `<p>${escapeHtml(b.text)}</p>`;
    case "table":
      return htmlTable(b.table);
    case "list":
      return `<ul>${b.items.map((i) => `<li>${escapeHtml(i)}</li>`).join("")}</ul>`;
    case "figure": {
      const svg = svgs.get(b.id);
      if (svg === undefined) return "";
      return `<figure id="${escapeHtml(b.id)}">${prefixSvgIds(svg, `${b.id}-`)}<figcaption>${escapeHtml(b.caption)}</figcaption></figure>`;
    }
  }
}

/** `svgs` maps a figure id to its SVG markup; a figure without one is left out. */
export function renderHtml(
  title: string,
  blocks: readonly Block[],
  svgs: ReadonlyMap<string, string>,
): string {
  const body = blocks.map((b) => blockHtml(b, svgs));
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    ...body.filter((s) => s !== ""),
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
