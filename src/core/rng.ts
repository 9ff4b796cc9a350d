/**
 * The project's one seeded random number generator: xoshiro128** (Blackman & Vigna), seeded
 * through splitmix32. Every random thing takes an `Rng` as a parameter, so a run reproduces
 * from config + seed. Its whole state (including the spare normal deviate) can be saved and
 * restored, so training resumes bit-identically.
 */
import { MtfError } from "./errors.js";

export interface RngState {
  /** The 32-bit seed material the stream started from; `derive` keys sub-streams on it. */
  readonly seed: number;
  /** The four 32-bit words of xoshiro128**. */
  readonly s: readonly [number, number, number, number];
  /** The second Box-Muller deviate, when one is pending. */
  readonly spareNormal: number | null;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;

function splitmix32(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** A 32-bit hash of a string (FNV-1a), used to derive named sub-streams. */
export function hashString32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * A 32-bit seed for a named sub-stream of `seed`: stable whatever else was drawn, so e.g. the
 * latents of a served decision can be re-derived from (seed, request id).
 */
export function deriveSeed(seed: number, label: string): number {
  const next = splitmix32((seed >>> 0) ^ hashString32(label));
  next();
  return next();
}

export class Rng {
  private seedMaterial = 0;
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spare: number | null = null;

  /** `seed` is any finite number; its integer part (mod 2^32, and the high bits) seeds the stream. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) {
      throw new MtfError("INVALID_ARGUMENT", `RNG seed must be a finite number, got ${seed}`);
    }
    const low = seed >>> 0;
    const high = Math.floor(Math.abs(seed) / TWO_POW_32) >>> 0;
    this.seedMaterial = (low ^ Math.imul(high, 0x9e3779b1)) >>> 0;
    const next = splitmix32(this.seedMaterial);
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** An independent stream keyed on this generator's seed and a label (not on its position). */
  derive(label: string): Rng {
    return new Rng(deriveSeed(this.seedMaterial, label));
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ this.s1) >>> 0;
    this.s1 = (this.s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform double in [0, 1) with 53 random bits. */
  uniform(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / TWO_POW_53;
  }

  /** Uniform double in [low, high). */
  uniformIn(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** Uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) {
      throw new MtfError("INVALID_ARGUMENT", `Rng.int needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** Standard normal deviate (Box-Muller, polar form; the second deviate is kept as spare). */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    let u = 0;
    let v = 0;
    let s = 0;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const factor = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * factor;
    return u * factor;
  }

  /** Fills `out` with N(mean, std²) deviates. */
  fillNormal(out: Float32Array | Float64Array, mean = 0, std = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
  }

  /** Fills `out` with U[low, high) deviates. */
  fillUniform(out: Float32Array | Float64Array, low = 0, high = 1): void {
    for (let i = 0; i < out.length; i++) out[i] = low + (high - low) * this.uniform();
  }

  /** Bernoulli(p) draw. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /** Index drawn with probability proportional to the non-negative `weights`. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) {
        throw new MtfError(
          "INVALID_ARGUMENT",
          `categorical weight ${i} is ${w}; weights must be finite and >= 0`,
        );
      }
      total += w;
    }
    if (total <= 0) throw new MtfError("INVALID_ARGUMENT", "categorical weights sum to zero");
    let target = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i];
      if (target < 0) return i;
    }
    // Rounding can leave target at ~0 after the loop: return the last positive weight.
    for (let i = weights.length - 1; i >= 0; i--) if (weights[i] > 0) return i;
    return weights.length - 1;
  }

  /** In-place Fisher-Yates shuffle. */
  shuffle<T>(items: T[] | Int32Array | Uint32Array | Float32Array): void {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
  }

  getState(): RngState {
    return { seed: this.seedMaterial, s: [this.s0, this.s1, this.s2, this.s3], spareNormal: this.spare };
  }

  /** Restores a state from `getState` (possibly through JSON, where a null spare may be absent). */
  setState(state: RngState): void {
    if (!Array.isArray(state.s) || state.s.length !== 4) {
      throw new MtfError("INVALID_ARGUMENT", "RNG state must hold exactly 4 words");
    }
    const [a, b, c, d] = state.s;
    for (const word of state.s) {
      if (!Number.isInteger(word) || word < 0 || word >= TWO_POW_32) {
        throw new MtfError("INVALID_ARGUMENT", `RNG state word ${word} is not a 32-bit unsigned integer`);
      }
    }
    if ((a | b | c | d) === 0) throw new MtfError("INVALID_ARGUMENT", "RNG state is all zeros");
    const spare = state.spareNormal ?? null;
    if (spare !== null && !Number.isFinite(spare)) {
      throw new MtfError("INVALID_ARGUMENT", `RNG spare normal must be finite or null, got ${spare}`);
    }
    this.seedMaterial = state.seed >>> 0;
    this.s0 = a;
    this.s1 = b;
    this.s2 = c;
    this.s3 = d;
    this.spare = spare;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
