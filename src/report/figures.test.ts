import assert from "node:assert/strict";
import { test } from "node:test";
import * as vega from "vega";
import { compile } from "vega-lite";
import {
  BEHAVIOUR_SOURCE,
  binWeights,
  FIGURE_FONT,
  fig6Sources,
  fig7Sources,
  needsSymlog,
  orderedTasks,
  reportFigures,
  symlogTicks,
} from "./figures.js";
import { fixtureReportInput } from "./fixtures.js";
import { loadFontMetrics, textWidth } from "./font-metrics.js";
import { fontFiles } from "./render.js";
import type { ReportInput } from "./types.js";

test("every figure's spec compiles to Vega and parses, with the bundled font", () => {
  const figures = reportFigures(fixtureReportInput());
  assert.deepEqual(
    figures.map((f) => f.id),
    [
      "fig5-q-estimates",
      "fig6-weight-distributions",
      "fig7-exploration-comparison",
      "fig8-sensitivity",
      "segments-alpha",
      "segments-adtime",
    ],
  );
  for (const f of figures) {
    const warnings: string[] = [];
    const logger = {
      level: () => logger,
      warn: (...args: unknown[]) => {
        warnings.push(args.join(" "));
        return logger;
      },
      info: () => logger,
      debug: () => logger,
      error: (...args: unknown[]) => {
        throw new Error(args.join(" "));
      },
    };
    const { spec } = compile(f.spec, { logger: logger as never });
    assert.deepEqual(warnings, [], `${f.id}: Vega-Lite warnings`);
    assert.doesNotThrow(() => vega.parse(spec), f.id);
    assert.equal((f.spec as { config: { font: string } }).config.font, FIGURE_FONT);
  }
});

test("a figure without data is skipped, not drawn empty", () => {
  const full = fixtureReportInput();
  const empty: ReportInput = { ...full, qCurves: [], weightDistributions: [], sweeps: [], segments: [] };
  assert.deepEqual(reportFigures(empty), []);
  const noRe: ReportInput = {
    ...full,
    qCurves: [{ method: "BatchRL-MTF", points: [] }],
    weightDistributions: full.weightDistributions.filter((d) => d.source !== "BatchRL-MTF-RE"),
    segments: full.segments.map((s) => ({ ...s, adTimeChange: null })),
  };
  assert.deepEqual(
    reportFigures(noRe).map((f) => f.id),
    ["fig6-weight-distributions", "fig8-sensitivity", "segments-alpha"],
  );
});

test("Fig. 6 shows behaviour data and RL methods; Fig. 7 behaviour data, BatchRL-MTF and -RE", () => {
  const input = fixtureReportInput();
  assert.deepEqual(fig6Sources(input), [BEHAVIOUR_SOURCE, "TD3", "UWAC+TD3", "CQL+SAC", "BatchRL-MTF"]);
  assert.deepEqual(fig7Sources(input), [BEHAVIOUR_SOURCE, "BatchRL-MTF", "BatchRL-MTF-RE"]);
});

test("weight histograms: a common grid per task, shares summing to 1, extremes in the end bins", () => {
  const bins = binWeights(
    [
      { source: "a", task: "exit", values: [-2, -1, 0, 0] },
      { source: "b", task: "exit", values: [-0.5] },
      { source: "a", task: "click", values: [0.3, 0.3] },
    ],
    4,
  );
  const exitA = bins.filter((b) => b.source === "a" && b.task === "exit");
  assert.deepEqual(
    exitA.map((b) => [b.x0, b.x1, b.share]),
    [
      [-2, -1.5, 0.25],
      [-1.5, -1, 0],
      [-1, -0.5, 0.25],
      [-0.5, 0, 0.5],
    ],
  );
  const exitB = bins.filter((b) => b.source === "b");
  assert.deepEqual(
    exitB.map((b) => b.share),
    [0, 0, 0, 1],
  );
  const click = bins.filter((b) => b.task === "click");
  assert.deepEqual(
    click.map((b) => [b.x0, b.x1, b.share]),
    [
      [-0.2, 0.04999999999999999, 0],
      [0.04999999999999999, 0.3, 0],
      [0.3, 0.55, 1],
      [0.55, 0.8, 0],
    ],
  );
  assert.deepEqual(
    orderedTasks([
      { source: "a", task: "click", values: [] },
      { source: "a", task: "exit", values: [] },
    ]),
    ["exit", "click"],
  );
});

test("symlog axis: chosen when one curve dwarfs the others; ticks 1-2-5 per decade", () => {
  assert.equal(needsSymlog([5, 6, 4, 7000]), true);
  assert.equal(needsSymlog([5, 6, 4, 70]), false);
  assert.equal(needsSymlog([5]), false);
  assert.deepEqual(symlogTicks(-3, 60), [-2, -1, 0, 1, 2, 5, 10, 20, 50]);
  assert.deepEqual(symlogTicks(1.5, 30), [2, 5, 10, 20]);
});

test("text widths come from DejaVu Sans's advance widths", () => {
  const [regular, bold] = fontFiles().map(loadFontMetrics);
  assert.equal(regular.unitsPerEm, 2048);
  // DejaVu Sans digits are tabular, 1303/2048 em; the space is 651/2048 em.
  assert.equal(textWidth(regular, "10", 12), (2 * 1303 * 12) / 2048);
  assert.equal(textWidth(regular, "1 0", 10), ((2 * 1303 + 651) * 10) / 2048);
  assert.ok(textWidth(bold, "play_time", 12) > textWidth(regular, "play_time", 12));
  assert.ok(textWidth(regular, "W", 12) > 2 * textWidth(regular, "i", 12));
});
