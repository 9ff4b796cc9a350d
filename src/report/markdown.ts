/** Renders the report's blocks as GitHub-flavoured Markdown; figures link to figures/<id>.png. */
import type { Block } from "./document.js";
import type { TextTable } from "./table1.js";

/** Escapes what Markdown would read as markup in a table cell or paragraph. */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\|*<]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

export function markdownTable(table: TextTable): string {
  const row = (cells: readonly string[]) => `| ${cells.map(escapeMarkdown).join(" | ")} |`;
  const rule = `|${table.numeric.map((n) => (n ? " ---: " : " --- ")).join("|")}|`;
  return [row(table.header), rule, ...table.rows.map(row)].join("\n");
}

function blockMarkdown(b: Block): string {
  switch (b.kind) {
    case "heading":
      return `${"#".repeat(b.level)} ${escapeMarkdown(b.text)}`;
    case "paragraph":
      return escapeMarkdown(b.text);
    case "table":
      return markdownTable(b.table);
    case "list":
      return b.items.map((item) => `- ${escapeMarkdown(item)}`).join("\n");
    case "figure":
      return `![${escapeMarkdown(b.id)}](figures/${b.id}.png)\n\n_${escapeMarkdown(b.caption)}_ (vector: [figures/${b.id}.svg](figures/${b.id}.svg))`;
  }
}

export function renderMarkdown(blocks: readonly Block[]): string {
  return `${blocks.map(blockMarkdown).join("\n\n")}\n`;
}
