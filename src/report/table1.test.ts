import assert from "node:assert/strict";
import { test } from "node:test";
import { reportBlocks } from "./document.js";
import { fixtureReportInput } from "./fixtures.js";
import { formatMetricValue, formatPercent, formatPValue, formatValue } from "./format.js";
import { renderHtml } from "./html.js";
import { renderMarkdown } from "./markdown.js";
import {
  CONTROL_MARK,
  csvField,
  OWN_REWARD_MARK,
  parseCsv,
  TABLE1_CSV_COLUMNS,
  table1Cells,
  table1Csv,
} from "./table1.js";
import type { MethodResult, ReportInput } from "./types.js";

type Column = (typeof TABLE1_CSV_COLUMNS)[number];

/** Every number of a method's Table 1 row: CSV column, raw value (in the column's unit), text. */
function numbersOf(m: MethodResult): { column: Column; value: number; text: string; tolerance: number }[] {
  const out: { column: Column; value: number; text: string; tolerance: number }[] = [];
  const value = (column: Column, v: number) =>
    out.push({ column, value: v, text: formatValue(v), tolerance: 5e-4 });
  const pct = (column: Column, v: number) =>
    out.push({ column, value: v * 100, text: formatPercent(v), tolerance: 5e-4 });
  if (m.ope) {
    value("ope_value", m.ope.value);
    value("ope_low", m.ope.low);
    value("ope_high", m.ope.high);
  }
  for (const [key, prefix] of [
    ["adTime", "adtime"],
    ["upiRate", "upirate"],
  ] as const) {
    const c = m.abTest?.[key];
    if (!c) continue;
    pct(`${prefix}_change_pct` as Column, c.relativeChange);
    pct(`${prefix}_low_pct` as Column, c.low);
    pct(`${prefix}_high_pct` as Column, c.high);
    out.push({
      column: `${prefix}_p` as Column,
      value: c.pValue,
      text: formatPValue(c.pValue),
      tolerance: 0.05 * c.pValue, // half a unit in the 2nd significant digit
    });
  }
  if (m.trueValue) {
    value("true_value", m.trueValue.value);
    value("true_low", m.trueValue.low);
    value("true_high", m.trueValue.high);
  }
  if (m.online) {
    for (const [column, v] of [
      ["online_adtime", m.online.adTime],
      ["online_upirate", m.online.upiRate],
      ["online_plays_per_user_day", m.online.playsPerUserDay],
      ["online_return_rate", m.online.returnRate],
    ] as const)
      out.push({ column, value: v, text: formatMetricValue(v), tolerance: 5e-4 * Math.abs(v) });
  }
  return out;
}

function documents(input: ReportInput) {
  const blocks = reportBlocks(input, []);
  return {
    markdown: renderMarkdown(blocks),
    html: renderHtml(input.title, blocks, new Map()),
    csv: table1Csv(input),
  };
}

/** The lines (Markdown) or <tr> rows (HTML) of a document that belong to `method`. */
function rowsOf(markdown: string, html: string, method: string) {
  const md = markdown
    .split("\n")
    .filter((l) => l.startsWith(`| ${method} |`) || l.startsWith(`| ${method} (control) |`));
  const tr = html
    .split("\n")
    .filter((l) => l.includes(`<td>${method}</td>`) || l.includes(`<td>${method} (control)</td>`));
  return { md: md.join("\n"), tr: tr.join("\n") };
}

test("every number of Table 1 appears, as formatted, in its method's rows of the Markdown, HTML and CSV", () => {
  const input = fixtureReportInput();
  const { markdown, html, csv } = documents(input);
  const rows = parseCsv(csv);
  assert.deepEqual(rows[0], [...TABLE1_CSV_COLUMNS]);
  assert.equal(rows.length, input.methods.length + 1);
  let checked = 0;
  for (const [i, m] of input.methods.entries()) {
    const { md, tr } = rowsOf(markdown, html, m.method);
    const csvRow = Object.fromEntries(TABLE1_CSV_COLUMNS.map((c, j) => [c, rows[i + 1][j]]));
    assert.equal(csvRow.method, m.method);
    for (const n of numbersOf(m)) {
      assert.ok(md.includes(n.text), `${m.method} ${n.column}: ${n.text} missing from the Markdown row`);
      assert.ok(tr.includes(n.text), `${m.method} ${n.column}: ${n.text} missing from the HTML row`);
      assert.equal(csvRow[n.column], n.text, `${m.method} ${n.column}`);
      const parsed = Number(csvRow[n.column]);
      assert.ok(
        Math.abs(parsed - n.value) <= n.tolerance,
        `${m.method} ${n.column}: ${parsed} vs ${n.value}`,
      );
      checked += 1;
    }
    for (const column of TABLE1_CSV_COLUMNS.slice(4))
      if (!numbersOf(m).some((n) => n.column === column))
        assert.equal(csvRow[column], "", `${m.method} ${column}`);
  }
  assert.ok(checked > 150, `only ${checked} numbers checked`);
});

test("V̂ under another reward is marked; the control arm is marked and has no change", () => {
  const input = fixtureReportInput();
  const table = table1Cells(input);
  for (const [i, m] of input.methods.entries()) {
    const row = table.rows[i];
    assert.equal(row[0], m.method);
    assert.equal(row[2].includes(OWN_REWARD_MARK), m.reward !== "default" && m.ope !== null, m.method);
    assert.equal(row[3] === CONTROL_MARK, m.method === input.control, m.method);
  }
  const csv = parseCsv(table1Csv(input));
  const own = csv
    .slice(1)
    .filter((r) => r[3] === "true")
    .map((r) => r[0]);
  assert.deepEqual(own, ["BatchRL-MTF-Rtime", "BatchRL-MTF-Rintegrity", "BatchRL-MTF-Rinteraction"]);
  assert.deepEqual(
    csv
      .slice(1)
      .filter((r) => r[2] === "true")
      .map((r) => r[0]),
    ["BO"],
  );
});

test("CSV fields with commas, quotes and line breaks survive a round trip", () => {
  const input = fixtureReportInput();
  const odd = 'Batch, "RL"\nMTF';
  const methods = [{ ...input.methods[5], method: odd }];
  const rows = parseCsv(table1Csv({ ...input, methods }));
  assert.equal(rows.length, 2);
  assert.equal(rows[1][0], odd);
  assert.equal(rows[1].length, TABLE1_CSV_COLUMNS.length);
  assert.equal(csvField("plain"), "plain");
  assert.equal(csvField('a"b'), '"a""b"');
});

test("the header block carries hashes, seed, data sizes, runtime, stage timings, notes and A/B setup", () => {
  const input = fixtureReportInput();
  const { markdown, html } = documents(input);
  for (const text of [
    input.configHash,
    input.simConfigHash,
    input.abTestSetup,
    input.runtime.backend,
    "180,412",
    "151.2",
    "775.1", // total of the stage timings
    "How to read Table 1",
  ]) {
    assert.ok(markdown.includes(text), `Markdown lacks ${text}`);
    assert.ok(html.includes(text), `HTML lacks ${text}`);
  }
  assert.ok(markdown.includes(`| seed | ${input.seed} |`));
  assert.ok(html.includes("&#60; 0.5%") && !html.includes("< 0.5%"), "notes are HTML-escaped");
});
