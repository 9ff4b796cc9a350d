/**
 * Retrieval: the C candidates of a request. A share of them comes from the user's interests (a
 * category drawn with P(k) ∝ exp(A_k / T), then a uniform video of it), the rest uniformly from
 * the catalogue, as a mix of personalised and exploratory retrieval channels would. Candidates
 * may repeat across requests (the catalogue is large; no dedup against the history is modelled).
 */
import type { Rng } from "../core/rng.js";
import { type Catalogue, searchCumulative } from "./catalogue.js";

/** Cumulative interest weights over categories, for one user: cum_k = Σ_{j ≤ k} exp(A_j / T). */
export function interestCumulative(
  affinity: Float32Array,
  temperature: number,
  catalogue: Catalogue,
): Float64Array {
  const K = affinity.length;
  const cumulative = new Float64Array(K);
  let max = Number.NEGATIVE_INFINITY;
  for (let k = 0; k < K; k++) max = Math.max(max, affinity[k]);
  let total = 0;
  for (let k = 0; k < K; k++) {
    const empty = catalogue.categoryStart[k + 1] === catalogue.categoryStart[k];
    total += empty ? 0 : Math.exp((affinity[k] - max) / temperature);
    cumulative[k] = total;
  }
  return cumulative;
}

/** Fills `out[0..count)` with candidate video indices. */
export function retrieveCandidates(
  catalogue: Catalogue,
  cumulative: Float64Array,
  interestShare: number,
  rng: Rng,
  count: number,
  out: Int32Array,
): void {
  const total = cumulative[cumulative.length - 1];
  const interest = total > 0 ? interestShare : 0;
  for (let c = 0; c < count; c++) {
    // One uniform picks the channel and, rescaled, the category; a second picks the video.
    const channel = rng.uniform();
    const pick = rng.uniform();
    if (channel < interest) {
      const k = searchCumulative(cumulative, (channel / interest) * total);
      const start = catalogue.categoryStart[k];
      const size = catalogue.categoryStart[k + 1] - start;
      out[c] = catalogue.byCategory[start + Math.floor(pick * size)];
    } else {
      out[c] = Math.floor(pick * catalogue.size);
    }
  }
}
