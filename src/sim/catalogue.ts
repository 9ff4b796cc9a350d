/**
 * The video catalogue: per video a category (Zipf-sized categories), a heavy-tailed duration
 * (log-normal fitted to the KuaiRand excerpt, clipped to its range), a quality (part of it the
 * creator's), and click-bait and polarising strengths (0 for ordinary videos). Stored as
 * columns (typed arrays) so the per-candidate scoring reads them without allocation.
 */
import type { Rng } from "../core/rng.js";
import type { SimConfig } from "./config.js";

export interface Catalogue {
  readonly size: number;
  readonly categories: number;
  readonly category: Int32Array;
  readonly durationS: Float32Array;
  /** ln(duration / durationRefS), the ρ term of the attention model. */
  readonly logDurationRatio: Float32Array;
  readonly quality: Float32Array;
  readonly creator: Int32Array;
  /** Click-bait strength b ≥ 0 (0 = not click-bait). */
  readonly bait: Float32Array;
  /** Polarising strength π ≥ 0 (0 = not polarising). */
  readonly polarising: Float32Array;
  /** Video indices grouped by category: videos of category k are byCategory[start[k] .. start[k+1]). */
  readonly byCategory: Int32Array;
  readonly categoryStart: Int32Array;
}

/** Relative size of each category: (k + 1)^-s. */
export function categoryWeights(categories: number, zipf: number): Float64Array {
  const weights = new Float64Array(categories);
  for (let k = 0; k < categories; k++) weights[k] = (k + 1) ** -zipf;
  return weights;
}

export function generateCatalogue(config: SimConfig, rng: Rng): Catalogue {
  const c = config.catalogue;
  const size = config.videos;
  const creators = Math.max(1, Math.round(size / c.videosPerCreator));
  const creatorQuality = new Float32Array(creators);
  for (let i = 0; i < creators; i++) creatorQuality[i] = rng.normal();
  const weights = categoryWeights(c.categories, c.categoryZipf);
  const cumulative = new Float64Array(c.categories);
  let total = 0;
  for (let k = 0; k < c.categories; k++) cumulative[k] = total += weights[k];

  const category = new Int32Array(size);
  const durationS = new Float32Array(size);
  const logDurationRatio = new Float32Array(size);
  const quality = new Float32Array(size);
  const creator = new Int32Array(size);
  const bait = new Float32Array(size);
  const polarising = new Float32Array(size);
  const own = Math.sqrt(1 - c.creatorQualityShare);
  const shared = Math.sqrt(c.creatorQualityShare);
  const logRef = Math.log(config.response.durationRefS);
  for (let v = 0; v < size; v++) {
    category[v] = searchCumulative(cumulative, rng.uniform() * total);
    const duration = Math.exp(c.logDurationMean + c.logDurationSd * rng.normal());
    durationS[v] = Math.min(Math.max(duration, c.minDurationS), c.maxDurationS);
    logDurationRatio[v] = Math.log(durationS[v]) - logRef;
    creator[v] = rng.int(creators);
    quality[v] = own * rng.normal() + shared * creatorQuality[creator[v]];
    const baitDraw = rng.uniform();
    const baitStrength = rng.uniformIn(c.clickbaitStrength[0], c.clickbaitStrength[1]);
    bait[v] = baitDraw < c.clickbaitShare ? baitStrength : 0;
    const polarDraw = rng.uniform();
    const polarStrength = rng.uniformIn(c.polarisingStrength[0], c.polarisingStrength[1]);
    polarising[v] = polarDraw < c.polarisingShare ? polarStrength : 0;
  }

  const categoryStart = new Int32Array(c.categories + 1);
  for (let v = 0; v < size; v++) categoryStart[category[v] + 1] += 1;
  for (let k = 0; k < c.categories; k++) categoryStart[k + 1] += categoryStart[k];
  const fill = categoryStart.slice(0, c.categories);
  const byCategory = new Int32Array(size);
  for (let v = 0; v < size; v++) byCategory[fill[category[v]]++] = v;

  return {
    size,
    categories: c.categories,
    category,
    durationS,
    logDurationRatio,
    quality,
    creator,
    bait,
    polarising,
    byCategory,
    categoryStart,
  };
}

/** Index of the first cumulative weight above `target` (binary search). */
export function searchCumulative(cumulative: ArrayLike<number>, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
