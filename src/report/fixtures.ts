/**
 * A realistic `ReportInput` for tests and for looking at the figures: the methods and ordering
 * of the paper's Table 1 at the magnitudes the simulator produces (session returns about 5),
 * with a seeded, deterministic draw for the curves and weight distributions.
 */

import { Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";
import type {
  MethodResult,
  QCurve,
  ReportInput,
  SegmentResult,
  SweepPoint,
  WeightDistribution,
} from "./types.js";

function change(relativeChange: number, halfWidth: number, pValue: number) {
  return { relativeChange, low: relativeChange - halfWidth, high: relativeChange + halfWidth, pValue };
}

function interval(value: number, halfWidth: number) {
  return { value, low: value - halfWidth, high: value + halfWidth };
}

const METHODS: MethodResult[] = [
  {
    method: "BO",
    reward: "default",
    ope: null,
    abTest: null,
    trueValue: interval(4.8123, 0.0517),
    online: { adTime: 1843.27, upiRate: 0.041236, playsPerUserDay: 38.412, returnRate: 0.81234 },
  },
  {
    method: "ES",
    reward: "default",
    ope: null,
    abTest: { adTime: change(0.00376, 0.00412, 0.0731), upiRate: change(0.00402, 0.0051, 0.121) },
    trueValue: interval(4.8391, 0.0502),
    online: { adTime: 1850.2, upiRate: 0.041402, playsPerUserDay: 38.51, returnRate: 0.81377 },
  },
  {
    method: "TD3",
    reward: "default",
    ope: { value: -648.162, low: -702.514, high: -590.337 },
    abTest: null,
    trueValue: interval(3.9012, 0.0611),
    online: null,
  },
  {
    method: "UWAC+TD3",
    reward: "default",
    ope: { value: -297.053, low: -321.4, high: -270.91 },
    abTest: { adTime: change(-0.00513, 0.0031, 0.00124), upiRate: change(0.16061, 0.0212, 3.2e-14) },
    trueValue: interval(4.6012, 0.0548),
    online: { adTime: 1833.82, upiRate: 0.047859, playsPerUserDay: 37.9, returnRate: 0.80812 },
  },
  {
    method: "CQL+SAC",
    reward: "default",
    ope: { value: 5.194, low: 5.0123, high: 5.3671 },
    abTest: { adTime: change(0.02322, 0.0041, 4.1e-9), upiRate: change(0.10258, 0.0188, 2.2e-10) },
    trueValue: interval(5.0831, 0.0498),
    online: { adTime: 1886.07, upiRate: 0.045466, playsPerUserDay: 39.31, returnRate: 0.82455 },
  },
  {
    method: "BatchRL-MTF",
    reward: "default",
    ope: { value: 4.126, low: 4.0012, high: 4.2519 },
    abTest: { adTime: change(0.02216, 0.0039, 1.3e-8), upiRate: change(0.09118, 0.0176, 0) },
    trueValue: interval(5.0412, 0.0493),
    online: { adTime: 1884.12, upiRate: 0.044996, playsPerUserDay: 39.22, returnRate: 0.82301 },
  },
  {
    method: "BatchRL-MTF-RE",
    reward: "default",
    ope: { value: 3.023, low: 2.8812, high: 3.1573 },
    abTest: { adTime: change(0.00862, 0.0038, 0.0241), upiRate: change(-0.01282, 0.0101, 0.0125) },
    trueValue: interval(4.9015, 0.0511),
    online: { adTime: 1859.16, upiRate: 0.040707, playsPerUserDay: 38.72, returnRate: 0.81601 },
  },
  {
    method: "BatchRL-MTF-Rtime",
    reward: "time",
    ope: { value: 6.4121, low: 6.2104, high: 6.6012 },
    abTest: { adTime: change(0.02254, 0.004, 2.1e-8), upiRate: change(0.08877, 0.0171, 1.9e-12) },
    trueValue: interval(5.0233, 0.0501),
    online: { adTime: 1884.82, upiRate: 0.044897, playsPerUserDay: 39.28, returnRate: 0.8229 },
  },
  {
    method: "BatchRL-MTF-Rintegrity",
    reward: "integrity",
    ope: { value: 3.5518, low: 3.4402, high: 3.6627 },
    abTest: { adTime: change(0.01996, 0.0041, 6.6e-7), upiRate: change(0.09464, 0.018, 8.1e-13) },
    trueValue: interval(5.0101, 0.05),
    online: { adTime: 1880.06, upiRate: 0.045139, playsPerUserDay: 39.15, returnRate: 0.82211 },
  },
  {
    method: "BatchRL-MTF-Rinteraction",
    reward: "interaction",
    ope: { value: 2.8734, low: 2.7711, high: 2.9802 },
    abTest: { adTime: change(0.0255, 0.0042, 3.4e-10), upiRate: change(0.09651, 0.0179, 4.4e-13) },
    trueValue: interval(5.0623, 0.0497),
    online: { adTime: 1890.27, upiRate: 0.045216, playsPerUserDay: 39.4, returnRate: 0.82512 },
  },
];

/** Q curves shaped like the paper's Fig. 5: TD3 explodes, UWAC drifts, CQL wobbles, BCQ settles. */
function qCurves(rng: Rng): QCurve[] {
  const steps = Array.from({ length: 40 }, (_, i) => (i + 1) * 2500);
  const curve = (method: string, mean: (t: number) => number, std: (t: number) => number): QCurve => ({
    method,
    points: steps.map((step) => {
      const t = step / 100_000;
      return { step, mean: mean(t) + 0.05 * rng.normal(), std: std(t) };
    }),
  });
  return [
    curve(
      "TD3",
      (t) => 5 * Math.exp(7 * t),
      (t) => 2 + 0.3 * 5 * Math.exp(7 * t),
    ),
    curve(
      "UWAC+TD3",
      (t) => 5 + 120 * t * t,
      (t) => 1 + 20 * t,
    ),
    curve(
      "CQL+SAC",
      (t) => 5.2 - 2 * Math.exp(-8 * t) + 0.4 * Math.sin(20 * t),
      () => 0.9,
    ),
    curve(
      "BatchRL-MTF",
      (t) => 4.1 - 2.5 * Math.exp(-12 * t),
      () => 0.5,
    ),
  ];
}

/** Weight samples per (source, task): behaviour broad, TD3 at the bounds, BCQ concentrated. */
function weightDistributions(rng: Rng): WeightDistribution[] {
  const centre: Record<string, number> = { play_time: 0.9, finish: 0.6, exit: -0.8, like: 0.5 };
  const bounds: Record<string, [number, number]> = {
    play_time: [0, 2],
    finish: [0, 2],
    exit: [-2, 0],
    like: [0, 2],
  };
  const spread: Record<string, number> = {
    "behaviour data": 0.35,
    "BatchRL-MTF": 0.12,
    TD3: 0.9,
    "UWAC+TD3": 0.5,
    "CQL+SAC": 0.22,
    "BatchRL-MTF-RE": 0.3,
  };
  const out: WeightDistribution[] = [];
  for (const [source, std] of Object.entries(spread))
    for (const task of Object.keys(centre)) {
      const [lo, hi] = bounds[task];
      const shift =
        source === "BatchRL-MTF" || source === "CQL+SAC" ? 0.15 : source === "BatchRL-MTF-RE" ? -0.2 : 0;
      const values = Array.from({ length: 400 }, () => {
        const v =
          source === "TD3" && rng.uniform() < 0.6
            ? rng.uniform() < 0.5
              ? lo
              : hi
            : centre[task] + shift + std * rng.normal();
        return Math.min(hi, Math.max(lo, v));
      });
      out.push({ source, task, values });
    }
  return out;
}

const SWEEPS: SweepPoint[] = [
  { parameter: "rho", value: 0.05, metric: 4.912, low: 4.861, high: 4.963 },
  { parameter: "rho", value: 0.1, metric: 4.987, low: 4.935, high: 5.039 },
  { parameter: "rho", value: 0.15, metric: 5.041, low: 4.991, high: 5.091 },
  { parameter: "rho", value: 0.2, metric: 5.003, low: 4.948, high: 5.058 },
  { parameter: "rho", value: 0.3, metric: 4.874, low: 4.801, high: 4.947 },
  { parameter: "critic_lr", value: 5e-5, metric: 4.951, low: 4.9, high: 5.002 },
  { parameter: "critic_lr", value: 1e-4, metric: 5.012, low: 4.962, high: 5.062 },
  { parameter: "critic_lr", value: 2e-4, metric: 5.038, low: 4.989, high: 5.087 },
  { parameter: "critic_lr", value: 5e-4, metric: 4.979, low: 4.922, high: 5.036 },
  { parameter: "critic_lr", value: 1e-3, metric: 4.893, low: 4.822, high: 4.964 },
];

function segments(rng: Rng): SegmentResult[] {
  const names: [string, number, number][] = [
    ["activity: high", 612, 0.031],
    ["activity: low", 588, 0.012],
    ["prefers long videos", 401, 0.028],
    ["prefers short videos", 399, 0.009],
  ];
  return names.map(([segment, users, adTime], i) => ({
    segment,
    users,
    meanAlpha: Object.fromEntries(
      TASKS.map((task) => {
        const negative = task === "skip" || task === "hate" || task === "exit";
        const base = negative ? -0.6 : 0.7;
        const tilt = task === "play_time" ? (i === 2 ? 0.6 : i === 3 ? -0.4 : 0) : 0;
        return [task, Math.round((base + tilt + 0.15 * rng.normal()) * 1000) / 1000];
      }),
    ),
    adTimeChange: change(adTime, 0.008 + 0.002 * i, i === 3 ? 0.31 : 0.001),
  }));
}

/** The fixture: a Table 1 run at a scaled-down size. */
export function fixtureReportInput(): ReportInput {
  const rng = new Rng(20220814);
  return {
    title: "Table 1 — BatchRL-MTF and baselines (simulation, scaled)",
    kind: "table1",
    createdAt: "2026-12-02T16:00:00.000Z",
    seed: 7,
    simConfigHash: "3f9a1c0e8b2d4f61",
    configHash: "a41be07c9d2e55f0",
    runtime: { backend: "native-avx2, 2 threads", node: "v20.20.2", mtf: "0.1.0" },
    dataSizes: {
      users: 2000,
      days: 7,
      events: 180412,
      sessions: 21877,
      "transitions (train)": 162371,
      "transitions (test)": 18041,
    },
    control: "BO",
    abTestSetup: "unpaired: 6,000 fresh users split into 8 disjoint arms by a salted hash, 5 days",
    methods: METHODS,
    qCurves: qCurves(rng.derive("q")),
    weightDistributions: weightDistributions(rng.derive("weights")),
    sweeps: SWEEPS,
    sweepMetric: "true value",
    segments: segments(rng.derive("segments")),
    stages: [
      { stage: "simulate + collect", seconds: 151.2, detail: "2,000 users x 7 days, 180,412 events" },
      { stage: "fit reward + build", seconds: 41.7, detail: "21,877 sessions, 180,412 transitions" },
      { stage: "train BatchRL-MTF", seconds: 283.9, detail: "quick preset, 20,000 steps" },
      { stage: "tune BO", seconds: 112.4, detail: "14,000 user-days" },
      { stage: "OPE", seconds: 97.3, detail: "α = 0.5e-3, 1,000 bootstrap resamples" },
      { stage: "A/B + report", seconds: 88.6, detail: "6,000 users x 5 days" },
    ],
    notes: [
      "CQL+SAC's true value is above BatchRL-MTF's, as in the paper's V̂ column; its ADTime change is within BatchRL-MTF's interval.",
      "Scaled-down run: 2,000 users instead of the paper's platform; differences of < 0.5% are within noise.",
    ],
  };
}
