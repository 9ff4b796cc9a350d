/**
 * Calibration of the simulator against real data (docs/simulator.md, "Calibration").
 *
 * 1. Random exposure vs the KuaiRand-1K excerpt (KuaiRand, Gao et al., CIKM 2022, CC BY-SA 4.0;
 *    ../shared/data/kuairand-1k): click, long view, finish (known durations only), skip
 *    (play < 3 s) and mean play time. The excerpt's figures come with 95% bootstrap intervals that
 *    resample users (a user's plays are not independent); a simulated figure passes when it lies in
 *    [lo − 0.2·|point|, hi + 0.2·|point|].
 * 2. Rare behaviours vs KuaiRand's published figures (±50% relative): positive interactions under
 *    random exposure; like, comment, follow, forward and hate under a good recommender (here the
 *    behaviour policy).
 * 3. Funnel: the behaviour policy's lift over random exposure of long view, finish and positive
 *    interaction must lie in [2.5, 5] (KuaiRand: 8.5% → 32%, 3.3% → 14.3%, 0.56% → 2.1%).
 * 4. Return: the next-visit gap distribution (share of returns after 1, 2, 3 days) under the
 *    behaviour policy vs KuaiRand's 62%, 17%, 8% (±30% relative).
 */
import { MtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import type { Policy } from "../core/interfaces.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { type RunUser, Simulator } from "./engine.js";
import { bootstrapInterval } from "./stats.js";
import { freshUserIds, type SimWorld } from "./world.js";

/** Where the excerpt lives, relative to this file (the repository's ../shared). */
export const DEFAULT_EXCERPT_URL = new URL(
  "../../../shared/data/kuairand-1k/log_random_sample.csv",
  import.meta.url,
);

export const EXCERPT_ATTRIBUTION =
  'KuaiRand-1K excerpt: Chongming Gao et al., "KuaiRand: An Unbiased Sequential Recommendation Dataset with ' +
  'Randomly Exposed Videos", CIKM 2022, https://kuairand.com — CC BY-SA 4.0';

/** One play of the excerpt (the columns calibration needs). */
export interface ExcerptRow {
  readonly userId: string;
  readonly click: number;
  readonly longView: number;
  readonly playTimeMs: number;
  readonly durationMs: number;
}

/** Parses the excerpt CSV by plain line splitting (it has no quoted fields). */
export function parseExcerpt(text: string): ExcerptRow[] {
  const lines = text.split("\n").filter((line) => line.length > 0);
  const header = lines[0].split(",");
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new MtfError("BAD_ROW", `the excerpt has no "${name}" column`);
    return i;
  };
  const [user, click, longView, play, duration] = [
    col("user_id"),
    col("is_click"),
    col("long_view"),
    col("play_time_ms"),
    col("duration_ms"),
  ];
  return lines.slice(1).map((line, i) => {
    const f = line.split(",");
    const row = {
      userId: f[user],
      click: Number(f[click]),
      longView: Number(f[longView]),
      playTimeMs: Number(f[play]),
      durationMs: Number(f[duration]),
    };
    if (![row.click, row.longView, row.playTimeMs, row.durationMs].every(Number.isFinite)) {
      throw new MtfError("BAD_ROW", `excerpt line ${i + 2} has a non-numeric value`);
    }
    return row;
  });
}

export const RANDOM_FIGURES = ["click", "long_view", "finish", "skip", "mean_play_time_s"] as const;
export type RandomFigure = (typeof RANDOM_FIGURES)[number];

/** Per-play sums of the random-exposure figures over a set of plays. */
interface PlaySums {
  plays: number;
  click: number;
  longView: number;
  knownDuration: number;
  finish: number;
  skip: number;
  playTimeS: number;
}

function emptySums(): PlaySums {
  return { plays: 0, click: 0, longView: 0, knownDuration: 0, finish: 0, skip: 0, playTimeS: 0 };
}

function addPlay(s: PlaySums, click: number, longView: number, playTimeMs: number, durationMs: number): void {
  s.plays += 1;
  s.click += click;
  s.longView += longView;
  if (durationMs > 0) {
    s.knownDuration += 1;
    s.finish += playTimeMs >= durationMs ? 1 : 0;
  }
  s.skip += playTimeMs < 3000 ? 1 : 0;
  s.playTimeS += playTimeMs / 1000;
}

function figureOf(s: PlaySums, figure: RandomFigure): number {
  switch (figure) {
    case "click":
      return s.click / s.plays;
    case "long_view":
      return s.longView / s.plays;
    case "finish":
      return s.finish / s.knownDuration;
    case "skip":
      return s.skip / s.plays;
    case "mean_play_time_s":
      return s.playTimeS / s.plays;
  }
}

export interface ExcerptFigure {
  readonly figure: RandomFigure;
  readonly point: number;
  readonly low: number;
  readonly high: number;
}

/** The excerpt's random-exposure figures with 95% user-bootstrap intervals. */
export function excerptFigures(rows: readonly ExcerptRow[], rng: Rng, replicates = 2000): ExcerptFigure[] {
  const byUser = new Map<string, PlaySums>();
  for (const r of rows) {
    const s = byUser.get(r.userId) ?? emptySums();
    addPlay(s, r.click, r.longView, r.playTimeMs, r.durationMs);
    byUser.set(r.userId, s);
  }
  const users = [...byUser.values()];
  const pooled = (indices: ArrayLike<number>) => {
    const total = emptySums();
    for (let k = 0; k < indices.length; k++) {
      const u = users[indices[k]];
      total.plays += u.plays;
      total.click += u.click;
      total.longView += u.longView;
      total.knownDuration += u.knownDuration;
      total.finish += u.finish;
      total.skip += u.skip;
      total.playTimeS += u.playTimeS;
    }
    return total;
  };
  const all = pooled(Array.from(users.keys()));
  return RANDOM_FIGURES.map((figure) => {
    const interval = bootstrapInterval(users.length, (idx) => figureOf(pooled(idx), figure), rng, replicates);
    return { figure, point: figureOf(all, figure), ...interval };
  });
}

/** KuaiRand's published figures (per play), the targets of the rare behaviours and the funnel. */
export const KUAIRAND_PUBLISHED = {
  random: { longView: 0.085, finish: 0.033, positive: 0.0056 },
  recommended: {
    longView: 0.32,
    finish: 0.143,
    positive: 0.021,
    like: 0.0185,
    comment: 0.0026,
    follow: 0.0011,
    forward: 0.001,
    hate: 0.0005,
  },
  /** Share of next visits after 1, 2 and 3 days. */
  returnGaps: [0.62, 0.17, 0.08],
} as const;

/** Rates of simulated plays. */
export interface SimRates {
  readonly plays: number;
  readonly click: number;
  readonly longView: number;
  readonly finish: number;
  readonly skip: number;
  readonly meanPlayTimeS: number;
  readonly positive: number;
  readonly like: number;
  readonly comment: number;
  readonly follow: number;
  readonly forward: number;
  readonly hate: number;
}

/** Accumulates rates from a stream of simulated events. */
export class RateCounter {
  private readonly sums = emptySums();
  private positive = 0;
  private like = 0;
  private comment = 0;
  private follow = 0;
  private forward = 0;
  private hate = 0;

  readonly add = (events: readonly PlayEvent[]): void => {
    for (const e of events) {
      const o = e.outcomes;
      addPlay(this.sums, o.click ?? 0, o.long_view ?? 0, e.playTimeMs, e.durationMs ?? 0);
      this.positive += o.like || o.comment || o.follow || o.forward ? 1 : 0;
      this.like += o.like ?? 0;
      this.comment += o.comment ?? 0;
      this.follow += o.follow ?? 0;
      this.forward += o.forward ?? 0;
      this.hate += o.hate ?? 0;
    }
  };

  rates(): SimRates {
    const s = this.sums;
    const n = Math.max(s.plays, 1);
    return {
      plays: s.plays,
      click: figureOf(s, "click"),
      longView: figureOf(s, "long_view"),
      finish: figureOf(s, "finish"),
      skip: figureOf(s, "skip"),
      meanPlayTimeS: figureOf(s, "mean_play_time_s"),
      positive: this.positive / n,
      like: this.like / n,
      comment: this.comment / n,
      follow: this.follow / n,
      forward: this.forward / n,
      hate: this.hate / n,
    };
  }
}

export interface CalibrationOptions {
  readonly seed: number;
  /** Users under random exposure (the issue asks for ≥ 10,000). */
  readonly randomUsers?: number;
  /** Plays per random-exposure user (each user plays a few requests). */
  readonly randomPlays?: number;
  /** Users served by the behaviour policy for one day (rare behaviours, funnel). */
  readonly rankedUsers?: number;
  /** Users and days of the return-gap run. */
  readonly returnUsers?: number;
  readonly returnDays?: number;
}

export interface CalibrationRow {
  readonly figure: string;
  readonly simulated: number;
  readonly target: number;
  /** The target's interval (excerpt bootstrap), when it has one. */
  readonly interval: readonly [number, number] | null;
  /** The range the simulated figure must lie in. */
  readonly accept: readonly [number, number];
  readonly pass: boolean;
  readonly source: string;
}

export interface CalibrationResult {
  readonly configHash: string;
  readonly seed: number;
  readonly rows: readonly CalibrationRow[];
  readonly pass: boolean;
  readonly random: SimRates;
  readonly ranked: SimRates;
  /** Share of next visits after 1, 2, 3 and more days. */
  readonly returnGaps: readonly number[];
}

function assign(policy: Policy) {
  return { policy, group: null, noiseScale: null, arm: null };
}

/** Runs the simulator under random exposure and the behaviour policy and compares with the targets. */
export function calibrate(
  world: SimWorld,
  behaviour: Policy,
  excerpt: readonly ExcerptFigure[],
  options: CalibrationOptions,
): CalibrationResult {
  const seed = options.seed;
  const randomCounter = new RateCounter();
  new Simulator(world, {
    exposure: "random",
    sessionPlayLimit: options.randomPlays ?? 5,
    onEvents: randomCounter.add,
  }).runDays(
    freshUserIds(seed, 0, options.randomUsers ?? 10_000).map(
      (id): RunUser => ({ id, assignment: assign(behaviour) }),
    ),
    { days: 1, seed },
  );
  const rankedCounter = new RateCounter();
  new Simulator(world, { onEvents: rankedCounter.add }).runDays(
    freshUserIds(seed, 1, options.rankedUsers ?? 4_000).map(
      (id): RunUser => ({ id, assignment: assign(behaviour) }),
    ),
    { days: 1, seed },
  );
  const returnDays = options.returnDays ?? 14;
  const outcomes = new Simulator(world, {}).runDays(
    freshUserIds(seed, 2, options.returnUsers ?? 2_000).map(
      (id): RunUser => ({ id, assignment: assign(behaviour) }),
    ),
    { days: returnDays, seed },
  );
  const gapCounts = new Float64Array(4);
  for (const o of outcomes) {
    let last = -1;
    for (let d = 0; d < returnDays; d++) {
      if (o.dailySessions[d] === 0) continue;
      if (last >= 0) gapCounts[Math.min(d - last, 4) - 1] += 1;
      last = d;
    }
  }
  const totalGaps = gapCounts.reduce((a, b) => a + b, 0);
  const returnGaps = Array.from(gapCounts, (g) => g / Math.max(totalGaps, 1));
  const random = randomCounter.rates();
  const ranked = rankedCounter.rates();

  const rows: CalibrationRow[] = [];
  const excerptSource = "KuaiRand-1K excerpt, random exposure (95% user bootstrap)";
  const simRandom: Readonly<Record<string, number>> = {
    click: random.click,
    long_view: random.longView,
    finish: random.finish,
    skip: random.skip,
    mean_play_time_s: random.meanPlayTimeS,
  };
  for (const f of excerpt) {
    const slack = 0.2 * Math.abs(f.point);
    const accept: [number, number] = [f.low - slack, f.high + slack];
    const simulated = simRandom[f.figure];
    rows.push({
      figure: `random: ${f.figure}`,
      simulated,
      target: f.point,
      interval: [f.low, f.high],
      accept,
      pass: simulated >= accept[0] && simulated <= accept[1],
      source: excerptSource,
    });
  }
  const relative = (figure: string, simulated: number, target: number, tolerance: number, source: string) => {
    const accept: [number, number] = [target * (1 - tolerance), target * (1 + tolerance)];
    rows.push({
      figure,
      simulated,
      target,
      interval: null,
      accept,
      pass: simulated >= accept[0] && simulated <= accept[1],
      source,
    });
  };
  const published = "KuaiRand published (±50%)";
  const rec = KUAIRAND_PUBLISHED.recommended;
  relative(
    "random: positive interaction",
    random.positive,
    KUAIRAND_PUBLISHED.random.positive,
    0.5,
    published,
  );
  relative("behaviour: like", ranked.like, rec.like, 0.5, published);
  relative("behaviour: comment", ranked.comment, rec.comment, 0.5, published);
  relative("behaviour: follow", ranked.follow, rec.follow, 0.5, published);
  relative("behaviour: forward", ranked.forward, rec.forward, 0.5, published);
  relative("behaviour: hate", ranked.hate, rec.hate, 0.5, published);
  const lift = (figure: string, simulated: number, kuairand: number) => {
    rows.push({
      figure: `lift: ${figure}`,
      simulated,
      target: kuairand,
      interval: null,
      accept: [2.5, 5],
      pass: simulated >= 2.5 && simulated <= 5,
      source: "behaviour / random; KuaiRand's lift as target, 2.5x-5x accepted",
    });
  };
  const pub = KUAIRAND_PUBLISHED;
  lift("long view", ranked.longView / random.longView, pub.recommended.longView / pub.random.longView);
  lift("finish", ranked.finish / random.finish, pub.recommended.finish / pub.random.finish);
  lift(
    "positive interaction",
    ranked.positive / random.positive,
    pub.recommended.positive / pub.random.positive,
  );
  pub.returnGaps.forEach((target, g) => {
    relative(
      `return: next visit after ${g + 1} day${g === 0 ? "" : "s"}`,
      returnGaps[g],
      target,
      0.3,
      "KuaiRand (±30%)",
    );
  });
  return {
    configHash: world.configHash,
    seed,
    rows,
    pass: rows.every((r) => r.pass),
    random,
    ranked,
    returnGaps,
  };
}

/** The excerpt's figures from its CSV text (plain parsing, user bootstrap seeded from `seed`). */
export function excerptFiguresFromText(text: string, seed: number): ExcerptFigure[] {
  return excerptFigures(parseExcerpt(text), new Rng(deriveSeed(seed, "excerpt-bootstrap")));
}

function fmt(x: number): string {
  if (x === 0) return "0";
  const abs = Math.abs(x);
  return abs >= 100 ? x.toFixed(1) : abs >= 1 ? x.toFixed(3) : x.toPrecision(3);
}

/** The calibration table: figure, simulator, target, interval, accepted range, pass/fail. */
export function formatCalibration(result: CalibrationResult): string {
  const header = ["figure", "simulator", "target", "interval", "accepted", "result"];
  const rows = result.rows.map((r) => [
    r.figure,
    fmt(r.simulated),
    fmt(r.target),
    r.interval === null ? "—" : `[${fmt(r.interval[0])}, ${fmt(r.interval[1])}]`,
    `[${fmt(r.accept[0])}, ${fmt(r.accept[1])}]`,
    r.pass ? "pass" : "FAIL",
  ]);
  const widths = header.map((h, k) => Math.max(h.length, ...rows.map((r) => r[k].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, k) => c.padEnd(widths[k]))
      .join("  ")
      .trimEnd();
  return [
    `calibration, config ${result.configHash}, seed ${result.seed}: ${result.pass ? "PASS" : "FAIL"}`,
    line(header),
    line(widths.map((w) => "-".repeat(w))),
    ...rows.map(line),
    `data: ${EXCERPT_ATTRIBUTION}`,
  ].join("\n");
}
