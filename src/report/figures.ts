/**
 * The report's figures as Vega-Lite specs: pure functions of the `ReportInput`, each returning
 * null when the run has no data for it (so the report skips it). Paper figures: Fig. 5 (Q
 * estimates over training), Fig. 6-7 (distributions of the chosen fusion weights), Fig. 8
 * (sensitivity to ρ and to the critic learning rate η); beyond the paper, the per-segment view.
 * Every number drawn comes from the input; the only computation here is binning α values into
 * histograms.
 */
import type { TopLevelSpec } from "vega-lite";
import { TASKS } from "../core/tasks.js";
import { formatPercent } from "./format.js";
import type { ReportInput, WeightDistribution } from "./types.js";

/** The font every figure uses; the PNG rasteriser loads it from the dejavu-fonts-ttf package. */
export const FIGURE_FONT = "DejaVu Sans";

export interface FigureSpec {
  /** File stem under figures/ ("fig5-q-estimates"). */
  readonly id: string;
  /** Caption under the figure in the report. */
  readonly caption: string;
  readonly spec: TopLevelSpec;
}

/** The weights the paper plots in Figs. 6-7 (play time, finish, exit, positive behaviour ≈ like). */
export const PAPER_WEIGHT_TASKS = ["play_time", "finish", "exit", "like"] as const;

/** Name of the behaviour policy's logged data among the weight distributions' sources. */
export const BEHAVIOUR_SOURCE = "behaviour data";

/** Histogram bins per (source, task) in Figs. 6-7. */
export const WEIGHT_BINS = 24;

const CONFIG = {
  font: FIGURE_FONT,
  background: "white",
  padding: 12,
  title: { fontSize: 15, anchor: "start", subtitleFontSize: 12, subtitleColor: "#444", offset: 10 },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", gridColor: "#e6e6e6" },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: "normal", labelLimit: 260 },
  header: { labelFontSize: 12, titleFontSize: 12 },
  view: { stroke: "#cccccc" },
} as const;

/** A colour for every method / data source, fixed across figures (Tableau 10, then grey). */
const PALETTE = [
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
];

/** Every method and source name in the input, behaviour data first, in first-seen order. */
export function seriesNames(input: ReportInput): string[] {
  const names = new Set<string>();
  if (input.weightDistributions.some((d) => d.source === BEHAVIOUR_SOURCE)) names.add(BEHAVIOUR_SOURCE);
  for (const m of input.methods) names.add(m.method);
  for (const c of input.qCurves) names.add(c.method);
  for (const d of input.weightDistributions) names.add(d.source);
  return [...names];
}

/** The colour scale of `names` (a subset of `seriesNames`), consistent across figures. */
function colourScale(input: ReportInput, names: readonly string[]) {
  const all = seriesNames(input);
  return {
    domain: [...names],
    range: names.map((n) => (n === BEHAVIOUR_SOURCE ? "#555555" : PALETTE[all.indexOf(n) % PALETTE.length])),
  };
}

function top(spec: Record<string, unknown>, title: string, subtitle?: string): TopLevelSpec {
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: subtitle === undefined ? { text: title } : { text: title, subtitle },
    config: CONFIG,
    ...spec,
  } as TopLevelSpec;
}

/**
 * Whether a symmetric-log y axis reads better: when one series dwarfs the rest by more than 50x
 * (TD3's exploding Q in the paper's Fig. 5), a linear axis flattens every other curve.
 */
export function needsSymlog(seriesMaxima: readonly number[]): boolean {
  const sorted = seriesMaxima.filter((v) => v > 0).sort((a, b) => a - b);
  if (sorted.length < 2) return false;
  const median = sorted[Math.floor((sorted.length - 1) / 2)];
  return sorted[sorted.length - 1] > 50 * median;
}

/** Tick values 0, ±1, ±2, ±5, ±10, ±20, … within [low, high] (Vega's own symlog ticks are sparse). */
export function symlogTicks(low: number, high: number): number[] {
  const ticks = low <= 0 && high >= 0 ? [0] : [];
  for (let decade = 1; decade <= Math.max(Math.abs(low), Math.abs(high)); decade *= 10)
    for (const m of [1, 2, 5]) {
      const t = m * decade;
      if (t >= low && t <= high) ticks.push(t);
      if (-t >= low && -t <= high) ticks.push(-t);
    }
  return ticks.sort((a, b) => a - b);
}

/** Axis labels in thousands past 1,000: 2500 → "2.5k", -20000 → "-20k", 5 → "5". */
const THOUSANDS =
  "abs(datum.value) >= 1000 ? format(datum.value / 1000, '~g') + 'k' : format(datum.value, '~g')";

/** Fig. 5: estimated Q (mean line, ± std band) over training steps, one colour per RL method. */
export function qCurveSpec(input: ReportInput): FigureSpec | null {
  const curves = input.qCurves.filter((c) => c.points.length > 0);
  if (curves.length === 0) return null;
  const rows = curves.flatMap((c) =>
    c.points.map((p) => ({
      method: c.method,
      step: p.step,
      mean: p.mean,
      low: p.mean - p.std,
      high: p.mean + p.std,
    })),
  );
  const maxima = curves.map((c) => Math.max(...c.points.map((p) => Math.abs(p.mean) + p.std)));
  const symlog = needsSymlog(maxima);
  const methods = curves.map((c) => c.method);
  const lows = rows.map((r) => r.low);
  const highs = rows.map((r) => r.high);
  const y = {
    type: "quantitative",
    title: symlog ? "estimated Q (symmetric log scale)" : "estimated Q",
    scale: symlog ? { type: "symlog" } : { zero: false },
    axis: symlog ? { values: symlogTicks(Math.min(...lows), Math.max(...highs)), labelExpr: THOUSANDS } : {},
  };
  const spec = top(
    {
      width: 560,
      height: 320,
      data: { values: rows },
      encoding: {
        x: { field: "step", type: "quantitative", title: "training step", axis: { labelExpr: THOUSANDS } },
        color: {
          field: "method",
          type: "nominal",
          scale: colourScale(input, methods),
          legend: {
            title: "method",
            orient: "right",
            symbolType: "stroke",
            symbolStrokeWidth: 3,
            symbolOpacity: 1,
          },
        },
      },
      layer: [
        {
          mark: { type: "area", opacity: 0.18 },
          encoding: { y: { field: "low", ...y }, y2: { field: "high" } },
        },
        { mark: { type: "line", strokeWidth: 2 }, encoding: { y: { field: "mean", ...y } } },
      ],
    },
    "Fig. 5 — Estimated Q over training",
    "line: mean estimated Q over a training batch; band: ± one standard deviation",
  );
  return {
    id: "fig5-q-estimates",
    caption:
      "Fig. 5. Estimated Q over training steps for each RL method (line: mean, band: ± 1 std). A curve that keeps rising signals extrapolation error: the critic overrates actions the data do not contain.",
    spec,
  };
}

/** Task names present in `distributions`, the paper's four first, then in the action's order. */
export function orderedTasks(distributions: readonly WeightDistribution[]): string[] {
  const present = new Set(distributions.map((d) => d.task));
  const order = [
    ...PAPER_WEIGHT_TASKS,
    ...TASKS.filter((t) => !(PAPER_WEIGHT_TASKS as readonly string[]).includes(t)),
  ];
  return [
    ...order.filter((t) => present.has(t)),
    ...[...present].filter((t) => !(order as string[]).includes(t)).sort(),
  ];
}

export interface WeightBin {
  readonly source: string;
  readonly task: string;
  readonly x0: number;
  readonly x1: number;
  /** Fraction of the source's values for this task that fall in [x0, x1) (last bin closed). */
  readonly share: number;
}

/**
 * Histograms of α per (source, task) on a common grid per task (the range of all sources'
 * values for that task), every bin listed, empty ones with share 0.
 */
export function binWeights(distributions: readonly WeightDistribution[], bins = WEIGHT_BINS): WeightBin[] {
  const out: WeightBin[] = [];
  for (const task of orderedTasks(distributions)) {
    const ofTask = distributions.filter((d) => d.task === task && d.values.length > 0);
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const d of ofTask)
      for (const v of d.values) {
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
    if (ofTask.length === 0) continue;
    if (hi - lo < 1e-9) {
      lo -= 0.5;
      hi += 0.5;
    }
    const width = (hi - lo) / bins;
    for (const d of ofTask) {
      const counts = new Array<number>(bins).fill(0);
      for (const v of d.values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))] += 1;
      for (let b = 0; b < bins; b++)
        out.push({
          source: d.source,
          task,
          x0: lo + b * width,
          x1: lo + (b + 1) * width,
          share: counts[b] / d.values.length,
        });
    }
  }
  return out;
}

/** Distributions shown in Fig. 6: behaviour data and every RL method except random-exploration (-RE) ones. */
export function fig6Sources(input: ReportInput): string[] {
  return sourcesOf(input).filter((s) => !isRandomExplorationSource(s));
}

/**
 * Distributions shown in Fig. 7: behaviour data, each "-RE" source and the method it varies
 * ("BatchRL-MTF-RE" → "BatchRL-MTF"); empty when no -RE source is present.
 */
export function fig7Sources(input: ReportInput): string[] {
  const sources = sourcesOf(input);
  const re = sources.filter(isRandomExplorationSource);
  if (re.length === 0) return [];
  const keep = new Set([BEHAVIOUR_SOURCE, ...re, ...re.map((s) => s.slice(0, -"-RE".length))]);
  return sources.filter((s) => keep.has(s));
}

function isRandomExplorationSource(source: string): boolean {
  return source.endsWith("-RE");
}

function sourcesOf(input: ReportInput): string[] {
  return seriesNames(input).filter((n) =>
    input.weightDistributions.some((d) => d.source === n && d.values.length > 0),
  );
}

/** One column per task (up to 4 per row of panels), one row per source: histograms of α. */
function weightGridSpec(
  input: ReportInput,
  sources: readonly string[],
  title: string,
  subtitle: string,
): TopLevelSpec | null {
  const chosen = input.weightDistributions.filter((d) => sources.includes(d.source));
  const bins = binWeights(chosen);
  if (bins.length === 0) return null;
  const tasks = orderedTasks(chosen);
  const colour = colourScale(input, sources);
  const panel = (task: string, first: boolean) => ({
    title: { text: task, fontSize: 13, anchor: "middle", baseline: "bottom", offset: 8 },
    data: { values: bins.filter((b) => b.task === task) },
    facet: {
      row: {
        field: "source",
        type: "nominal",
        sort: [...sources],
        header: first
          ? {
              title: null,
              labelAngle: 0,
              labelAlign: "left",
              labelOrient: "left",
              labelLimit: 170,
              labelFontSize: 12,
            }
          : { title: null, labels: false },
      },
    },
    spacing: 14,
    spec: {
      width: 150,
      height: 60,
      mark: { type: "bar", binSpacing: 0 },
      encoding: {
        x: {
          field: "x0",
          type: "quantitative",
          bin: "binned",
          title: `α (${task})`,
          axis: { tickCount: 4, format: "~g" },
        },
        x2: { field: "x1" },
        y: {
          field: "share",
          type: "quantitative",
          title: first ? "share" : null,
          axis: { format: ".0%", tickCount: 2 },
        },
        color: { field: "source", type: "nominal", scale: colour, legend: null },
      },
    },
  });
  const rows: string[][] = [];
  for (let i = 0; i < tasks.length; i += 4) rows.push(tasks.slice(i, i + 4));
  return top(
    {
      vconcat: rows.map((row) => ({ hconcat: row.map((task, i) => panel(task, i === 0)), spacing: 14 })),
      spacing: 24,
    },
    title,
    subtitle,
  );
}

/** Fig. 6: α distributions of the behaviour data and each RL method. */
export function weightDistributionSpec(input: ReportInput): FigureSpec | null {
  const sources = fig6Sources(input);
  const spec = weightGridSpec(
    input,
    sources,
    "Fig. 6 — Distributions of the fusion weights chosen",
    "share of states (per source) in each bin of α; behaviour data = the logged actions",
  );
  return spec === null
    ? null
    : {
        id: "fig6-weight-distributions",
        caption:
          "Fig. 6. Distributions of the fusion weights α for play_time, finish, exit and like (and any other task present): the logged behaviour data and each RL method's choices on the test split's states. Mass outside the behaviour data's range is out-of-distribution action.",
        spec,
      };
}

/** Fig. 7: BatchRL-MTF vs BatchRL-MTF-RE (random exploration only) and the behaviour data. */
export function explorationComparisonSpec(input: ReportInput): FigureSpec | null {
  const sources = fig7Sources(input);
  if (sources.length === 0) return null;
  const spec = weightGridSpec(
    input,
    sources,
    "Fig. 7 — Mixed multi-exploration vs random exploration",
    "α chosen by the policy trained on each dataset; share of states in each bin",
  );
  return spec === null
    ? null
    : {
        id: "fig7-exploration-comparison",
        caption:
          "Fig. 7. Fusion weights chosen by BatchRL-MTF (trained on mixed multi-exploration data) and BatchRL-MTF-RE (random exploration only), with the behaviour data for reference.",
        spec,
      };
}

const PARAMETER_TITLES: Readonly<Record<string, string>> = {
  rho: "perturbation bound ρ",
  critic_lr: "critic learning rate η",
};

/** Fig. 8: long-term value vs each swept hyper-parameter, with intervals; best value starred. */
export function sensitivitySpec(input: ReportInput): FigureSpec | null {
  if (input.sweeps.length === 0) return null;
  const parameters = [...new Set(input.sweeps.map((s) => s.parameter))];
  const metricTitle = input.sweepMetric ?? "long-term value";
  const panel = (parameter: string) => {
    const points = input.sweeps.filter((s) => s.parameter === parameter).sort((a, b) => a.value - b.value);
    const best = points.reduce((a, b) => (b.metric > a.metric ? b : a));
    const values = points.map((p) => ({ ...p, best: p === best }));
    const positive = points.every((p) => p.value > 0);
    const logX = positive && points[points.length - 1].value / points[0].value >= 10;
    const x = {
      field: "value",
      type: "quantitative",
      title: PARAMETER_TITLES[parameter] ?? parameter,
      scale: logX ? { type: "log", nice: false, padding: 16 } : { zero: false, padding: 16 },
      axis: { values: points.map((p) => p.value), format: ".3~g", labelAngle: logX ? -30 : 0 },
    };
    const y = { type: "quantitative", title: metricTitle, scale: { zero: false } };
    return {
      width: 300,
      height: 240,
      data: { values },
      layer: [
        { mark: { type: "line", color: "#4c78a8" }, encoding: { x, y: { field: "metric", ...y } } },
        {
          mark: { type: "rule", color: "#4c78a8", strokeWidth: 1.5 },
          encoding: { x, y: { field: "low", ...y }, y2: { field: "high" } },
        },
        {
          mark: { type: "point", filled: true, size: 50, color: "#4c78a8" },
          encoding: { x, y: { field: "metric", ...y } },
        },
        {
          transform: [{ filter: "datum.best" }],
          mark: { type: "point", shape: "diamond", filled: true, size: 160, color: "#d62728" },
          encoding: { x, y: { field: "metric", ...y } },
        },
      ],
    };
  };
  const spec = top(
    { hconcat: parameters.map(panel), spacing: 36 },
    "Fig. 8 — Sensitivity to ρ and to the critic learning rate",
    `${metricTitle}: point and interval per setting; the best setting in red`,
  );
  return {
    id: "fig8-sensitivity",
    caption: `Fig. 8. ${metricTitle} against each swept hyper-parameter (points with intervals; the best setting in red).`,
    spec,
  };
}

/** Per-segment view (a): the mean α BatchRL-MTF chose for each segment's states, per task. */
export function segmentAlphaSpec(input: ReportInput): FigureSpec | null {
  const segments = input.segments.filter((s) => Object.keys(s.meanAlpha).length > 0);
  if (segments.length === 0) return null;
  const tasks = orderedTasks(
    segments.flatMap((s) =>
      Object.keys(s.meanAlpha).map((task) => ({ source: s.segment, task, values: [] })),
    ),
  );
  const label = (s: (typeof segments)[number]) => `${s.segment} (${s.users.toLocaleString("en-US")} users)`;
  const rows = segments.flatMap((s) =>
    Object.entries(s.meanAlpha).map(([task, alpha]) => ({ segment: label(s), task, alpha })),
  );
  const extent = Math.max(1e-9, ...rows.map((r) => Math.abs(r.alpha)));
  const spec = top(
    {
      width: Math.max(240, 52 * tasks.length),
      height: 30 * segments.length,
      data: { values: rows },
      encoding: {
        x: { field: "task", type: "nominal", sort: tasks, title: "task", axis: { labelAngle: -40 } },
        y: {
          field: "segment",
          type: "nominal",
          sort: segments.map(label),
          title: null,
          axis: { labelLimit: 260 },
        },
      },
      layer: [
        {
          mark: { type: "rect" },
          encoding: {
            color: {
              field: "alpha",
              type: "quantitative",
              title: "mean α",
              scale: { scheme: "redblue", domain: [-extent, extent] },
              legend: { orient: "right", gradientLength: 120 },
            },
          },
        },
        {
          mark: { type: "text", fontSize: 10 },
          encoding: {
            text: { field: "alpha", type: "quantitative", format: ".2f" },
            color: {
              condition: { test: `abs(datum.alpha) > ${0.6 * extent}`, value: "white" },
              value: "black",
            },
          },
        },
      ],
    },
    "Which users get which α — BatchRL-MTF per segment",
    "mean fusion weight chosen for each segment's states (blue: up-weighted, red: down-weighted)",
  );
  return {
    id: "segments-alpha",
    caption:
      "Per-segment view (a). Mean fusion weight α that BatchRL-MTF chose for the states of each user segment, per task. Rows that differ show personalisation.",
    spec,
  };
}

/** Per-segment view (b): ADTime relative change of BatchRL-MTF vs control within each segment. */
export function segmentAdTimeSpec(input: ReportInput): FigureSpec | null {
  const segments = input.segments.filter((s) => s.adTimeChange !== null);
  if (segments.length === 0) return null;
  const label = (s: (typeof segments)[number]) => `${s.segment} (${s.users.toLocaleString("en-US")} users)`;
  const rows = segments.map((s) => {
    const c = s.adTimeChange!;
    return {
      segment: label(s),
      change: c.relativeChange * 100,
      low: c.low * 100,
      high: c.high * 100,
      text: `${formatPercent(c.relativeChange)}%`,
    };
  });
  const x = {
    type: "quantitative",
    title: `ADTime change vs ${input.control} (%)`,
    scale: { zero: true, padding: 14 },
    axis: { tickCount: 6, format: "~g" },
  };
  const y = {
    field: "segment",
    type: "nominal",
    sort: rows.map((r) => r.segment),
    title: null,
    axis: { labelLimit: 260 },
  };
  const spec = top(
    {
      width: 420,
      height: 30 * rows.length,
      data: { values: rows },
      layer: [
        { mark: { type: "rule", color: "#999", strokeDash: [4, 3] }, encoding: { x: { datum: 0, ...x } } },
        {
          mark: { type: "rule", color: "#4c78a8", strokeWidth: 2 },
          encoding: { x: { field: "low", ...x }, x2: { field: "high" }, y },
        },
        {
          mark: { type: "point", filled: true, size: 60, color: "#4c78a8" },
          encoding: { x: { field: "change", ...x }, y },
        },
        {
          mark: { type: "text", dy: -10, fontSize: 10, color: "#333" },
          encoding: { x: { field: "change", ...x }, y, text: { field: "text" } },
        },
      ],
    },
    "How each segment's ADTime moved — BatchRL-MTF vs control",
    "relative change with its 95% interval; dashed line: no change",
  );
  return {
    id: "segments-adtime",
    caption: `Per-segment view (b). ADTime relative change of BatchRL-MTF against ${input.control} within each user segment, with 95% intervals.`,
    spec,
  };
}

/** Every figure the input has data for, in report order. */
export function reportFigures(input: ReportInput): FigureSpec[] {
  return [
    qCurveSpec(input),
    weightDistributionSpec(input),
    explorationComparisonSpec(input),
    sensitivitySpec(input),
    segmentAlphaSpec(input),
    segmentAdTimeSpec(input),
  ].filter((f): f is FigureSpec => f !== null);
}
