import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { isMtfError } from "../core/errors.js";
import { fixtureReportInput } from "./fixtures.js";
import { formatPercent, formatValue } from "./format.js";
import { parseReportInput, reportFromResultsFile } from "./schema.js";
import type { ReportInput } from "./types.js";
import { type WrittenReport, writeReport } from "./write.js";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

let dir: string;
let written: WrittenReport;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "mtf-report-"));
  written = await writeReport(fixtureReportInput(), join(dir, "report"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

test("writeReport writes report.html, report.md, table1.csv and an SVG + PNG per figure, no temp files", async () => {
  const out = join(dir, "report");
  assert.equal(written.html, join(out, "report.html"));
  assert.equal(written.markdown, join(out, "report.md"));
  assert.equal(written.csv, join(out, "table1.csv"));
  assert.equal(written.figures.length, 12);
  assert.deepEqual((await readdir(out)).sort(), ["figures", "report.html", "report.md", "table1.csv"]);
  assert.deepEqual(
    (await readdir(join(out, "figures"))).sort(),
    written.figures.map((p) => p.slice(join(out, "figures").length + 1)).sort(),
  );
  const markdown = await readFile(written.markdown, "utf8");
  for (const f of written.figures.filter((p) => p.endsWith(".png")))
    assert.ok(markdown.includes(`](figures/${f.split("/").pop()})`), `report.md links ${f}`);
});

test("each PNG is a valid PNG at twice its SVG's size", async () => {
  for (const png of written.figures.filter((p) => p.endsWith(".png"))) {
    const bytes = await readFile(png);
    assert.deepEqual([...bytes.subarray(0, 8)], PNG_SIGNATURE, png);
    assert.equal(bytes.subarray(12, 16).toString("ascii"), "IHDR");
    const width = bytes.readUInt32BE(16);
    const height = bytes.readUInt32BE(20);
    const svg = await readFile(png.replace(/\.png$/, ".svg"), "utf8");
    const [, w, h] = /<svg[^>]* width="(\d+(?:\.\d+)?)" height="(\d+(?:\.\d+)?)"/.exec(svg)!;
    assert.equal(width, Math.round(2 * Number(w)), png);
    assert.equal(height, Math.round(2 * Number(h)), png);
    assert.ok(width >= 600 && width <= 4000 && height >= 200 && height <= 3000, `${png}: ${width}x${height}`);
    assert.ok(bytes.length > 10_000, `${png} is ${bytes.length} bytes: nearly blank?`);
  }
});

test("the HTML is self-contained: figures inline, no script, no external reference", async () => {
  const html = await readFile(written.html, "utf8");
  assert.equal(html.match(/<svg\b/g)?.length, 6);
  assert.ok(!/<script|<link|<img|<iframe|@import/i.test(html));
  const references = html.match(/https?:\/\/[^"'\s)]*/g) ?? [];
  // The only URLs are XML namespace names, which a browser never fetches.
  assert.deepEqual([...new Set(references)].sort(), [
    "http://www.w3.org/1999/xlink",
    "http://www.w3.org/2000/svg",
  ]);
  for (const ref of references)
    assert.ok(html.includes(`xmlns="${ref}"`) || html.includes(`xmlns:xlink="${ref}"`));
  const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]);
  assert.equal(new Set(ids).size, ids.length, "element ids are unique across the inlined figures");
  const input = fixtureReportInput();
  assert.ok(html.includes(formatValue(input.methods[5].ope!.value)));
  assert.ok(html.includes(formatPercent(input.methods[5].abTest!.adTime!.relativeChange)));
});

test("reportFromResultsFile renders a valid results.json and names the bad field of an invalid one", async () => {
  const input: ReportInput = {
    ...fixtureReportInput(),
    qCurves: [],
    weightDistributions: [],
    sweeps: [],
    segments: [],
  };
  const good = join(dir, "results.json");
  await writeFile(good, JSON.stringify(input));
  const result = await reportFromResultsFile(good, join(dir, "from-file"));
  assert.deepEqual(result.figures, []);
  assert.equal(await readFile(result.csv, "utf8"), await readFile(written.csv, "utf8"));

  const broken = structuredClone(input) as unknown as { methods: { ope: { low: unknown } }[] };
  broken.methods[2].ope.low = "low";
  const bad = join(dir, "bad.json");
  await writeFile(bad, JSON.stringify(broken));
  await assert.rejects(
    reportFromResultsFile(bad, join(dir, "bad")),
    (e) => isMtfError(e, "RESULT_INVALID") && e.message.includes("methods.2.ope.low"),
  );
  await assert.rejects(reportFromResultsFile(join(dir, "missing.json"), join(dir, "x")), (e) =>
    isMtfError(e, "FILE_NOT_FOUND"),
  );
  await writeFile(bad, "{ not json");
  await assert.rejects(reportFromResultsFile(bad, join(dir, "x")), (e) => isMtfError(e, "RESULT_INVALID"));
});

test("the schema rejects unknown keys and bad values by path, and accepts the fixture as is", () => {
  const input = fixtureReportInput();
  assert.deepEqual(parseReportInput(JSON.parse(JSON.stringify(input))), JSON.parse(JSON.stringify(input)));
  const reject = (json: unknown, field: string) =>
    assert.throws(
      () => parseReportInput(json),
      (e) => isMtfError(e, "RESULT_INVALID") && e.details.field === field,
      field,
    );
  reject({ ...input, colour: "red" }, "(root)");
  reject({ ...input, kind: "sweep" }, "kind");
  reject({ ...input, segments: [{ ...input.segments[0], users: -1 }] }, "segments.0.users");
  reject(
    {
      ...input,
      methods: [
        {
          ...input.methods[1],
          abTest: { adTime: null, upiRate: { ...input.methods[1].abTest!.upiRate!, pValue: 2 } },
        },
      ],
    },
    "methods.0.abTest.upiRate.pValue",
  );
});
