/**
 * The BatchRL-MTF policy (paper Eq. 4, Figure 2): for each state, n actions sampled from the
 * VAE's decoder with latents from the clipped prior, each perturbed by P_ω(s, â, ρ), and the
 * candidate with the largest Q1 chosen:
 *
 *   π(s) = argmax_{â_i + ξ_i} Q1(s, â_i + ξ_i),  â_i = D(s, z_i), z_i ~ clip(N(0, I), ±c), ξ_i = ρ·tanh(P(s, â_i))
 *
 * Batched over states. It acts on RAW states and applies its own normaliser (the training
 * dataset's). Eq. 4 is stochastic through the latents (DESIGN.md errata): `act` draws them only
 * from the injected `Rng`, and `actWithLatents` takes them explicitly, so any decision replays
 * from its seed or its logged latents.
 */
import { MtfError } from "../../core/errors.js";
import type { Policy } from "../../core/interfaces.js";
import type { Rng } from "../../core/rng.js";
import type { NumArray } from "../../nn/kernels.js";
import { allocate } from "../../nn/tensor.js";
import { concatColumns, repeatRows, setColumns } from "../common/batch.js";
import { checkNormaliser, normaliseStates, type StateNormaliser } from "../common/normaliser.js";
import type { BcqDims } from "./config.js";
import { perturb, sampleLatents, selectBestCandidates } from "./math.js";
import type { BcqPolicyNetworks } from "./networks.js";

export interface BcqPolicyArgs {
  readonly id: string;
  /** Decoder D_θ2, perturbation net P_ω and Q1 (owned by the policy from now on). */
  readonly networks: BcqPolicyNetworks;
  readonly normaliser: StateNormaliser;
  readonly dims: BcqDims;
  /** ρ of P_ω(s, a, ρ). */
  readonly rho: number;
  /** n of Eq. 4. */
  readonly samples: number;
  /** |z| clip of the prior latents (0.5 in the original BCQ code). */
  readonly latentClip: number;
  /** States processed per chunk (buffers hold chunk·n rows); default 256. */
  readonly chunkRows?: number;
}

export class BcqPolicy implements Policy {
  readonly id: string;
  readonly stateDim: number;
  readonly stochastic = true;
  readonly dims: BcqDims;
  readonly rho: number;
  readonly samples: number;
  readonly latentClip: number;
  readonly normaliser: StateNormaliser;
  readonly networks: BcqPolicyNetworks;
  private readonly chunkRows: number;
  // [chunk, S], [chunk*n, S], [chunk*n, S+Z], [chunk*n, A], [chunk*n, S+A], [chunk*n, A], [chunk*n]
  private readonly states: NumArray;
  private readonly repeated: NumArray;
  private readonly decoderIn: NumArray;
  private readonly sampled: NumArray;
  private readonly stateAction: NumArray;
  private readonly candidates: NumArray;
  private readonly q: NumArray;
  private readonly best: Int32Array;
  private readonly chosen: NumArray;
  private readonly latentScratch: NumArray;

  constructor(args: BcqPolicyArgs) {
    const { dims, networks } = args;
    const { stateDim: S, actionDim: A, latentDim: Z } = dims;
    checkNormaliser(args.normaliser, S, `BCQ policy ${args.id} normaliser`);
    const expect = (what: string, found: number, want: number) => {
      if (found !== want) {
        throw new MtfError("SHAPE_MISMATCH", `BCQ policy ${args.id}: ${what} is ${found}, expected ${want}`);
      }
    };
    expect("decoder input", networks.decoder.inDim, S + Z);
    expect("decoder output", networks.decoder.outDim, A);
    expect("actor input", networks.actor.inDim, S + A);
    expect("actor output", networks.actor.outDim, A);
    expect("critic input", networks.critic1.inDim, S + A);
    expect("critic output", networks.critic1.outDim, 1);
    if (!(Number.isInteger(args.samples) && args.samples >= 1)) {
      throw new MtfError(
        "INVALID_ARGUMENT",
        `BCQ policy samples (n of Eq. 4) must be a positive integer, got ${args.samples}`,
      );
    }
    this.id = args.id;
    this.stateDim = S;
    this.dims = dims;
    this.rho = args.rho;
    this.samples = args.samples;
    this.latentClip = args.latentClip;
    this.normaliser = args.normaliser;
    this.networks = networks;
    this.chunkRows = args.chunkRows ?? 256;
    const dtype = networks.decoder.dtype;
    const rows = this.chunkRows * this.samples;
    this.states = allocate(dtype, this.chunkRows * S);
    this.repeated = allocate(dtype, rows * S);
    this.decoderIn = allocate(dtype, rows * (S + Z));
    this.sampled = allocate(dtype, rows * A);
    this.stateAction = allocate(dtype, rows * (S + A));
    this.candidates = allocate(dtype, rows * A);
    this.q = allocate(dtype, rows);
    this.best = new Int32Array(this.chunkRows);
    this.chosen = allocate(dtype, this.chunkRows * A);
    this.latentScratch = allocate(dtype, rows * Z);
  }

  /** Latent values one call for `rows` states draws: rows·n·Z. */
  latentCount(rows: number): number {
    return rows * this.samples * this.dims.latentDim;
  }

  /** Draws the latents [rows·n, Z] (clipped prior) that `act` would draw from `rng`, in the same order. */
  drawLatents(rng: Rng, rows: number, out: NumArray): void {
    sampleLatents(rng, out, this.latentCount(rows), this.latentClip);
  }

  /** Eq. 4 for `rows` raw states [rows, S] into `out` [rows, A], latents drawn from `rng` only. */
  act(states: Float32Array, rows: number, out: Float32Array, rng: Rng): void {
    this.actWithValues(states, rows, out, rng, null);
  }

  /** As `act`, and writes Q1(s, π(s)) of each chosen action into `values` [rows] when given. */
  actWithValues(states: Float32Array, rows: number, out: NumArray, rng: Rng, values: NumArray | null): void {
    this.checkRows(states, rows, out, values);
    // Chunk by chunk: the draws happen in the same order as one draw of all rows·n·Z latents.
    for (let start = 0; start < rows; start += this.chunkRows) {
      const chunk = Math.min(this.chunkRows, rows - start);
      const latents = this.latentScratch;
      sampleLatents(rng, latents, this.latentCount(chunk), this.latentClip);
      this.decide(states, start, chunk, latents, 0, out, values);
    }
  }

  /**
   * Eq. 4 with the latents given: `latents` [rows·n, Z] (state r's candidates use rows r·n … r·n + n − 1),
   * e.g. re-derived from a logged seed or stored with the decision.
   */
  actWithLatents(
    states: Float32Array,
    rows: number,
    latents: NumArray,
    out: NumArray,
    values: NumArray | null = null,
  ): void {
    this.checkRows(states, rows, out, values);
    if (latents.length < this.latentCount(rows)) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `BCQ policy needs ${this.latentCount(rows)} latents for ${rows} states, got ${latents.length}`,
      );
    }
    for (let start = 0; start < rows; start += this.chunkRows) {
      const chunk = Math.min(this.chunkRows, rows - start);
      this.decide(states, start, chunk, latents, start * this.samples * this.dims.latentDim, out, values);
    }
  }

  private checkRows(states: Float32Array, rows: number, out: NumArray, values: NumArray | null): void {
    const { stateDim: S, actionDim: A } = this.dims;
    if (!Number.isInteger(rows) || rows < 0) {
      throw new MtfError("INVALID_ARGUMENT", `rows must be a non-negative integer, got ${rows}`);
    }
    if (states.length < rows * S || out.length < rows * A || (values !== null && values.length < rows)) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `BCQ policy: ${rows} rows need states of ${rows * S} (got ${states.length}), out of ${rows * A} (got ${out.length})${values === null ? "" : ` and values of ${rows} (got ${values.length})`}`,
      );
    }
  }

  /** One chunk of `rows` states starting at state `start`; latents start at `latentOffset`. */
  private decide(
    states: Float32Array,
    start: number,
    rows: number,
    latents: NumArray,
    latentOffset: number,
    out: NumArray,
    values: NumArray | null,
  ): void {
    const { stateDim: S, actionDim: A, latentDim: Z } = this.dims;
    const n = this.samples;
    const Rn = rows * n;
    const { decoder, actor, critic1 } = this.networks;
    normaliseStates(this.normaliser, states.subarray(start * S, (start + rows) * S), rows, S, this.states);
    repeatRows(this.states, rows, S, n, this.repeated); // [rows, S] -> [rows*n, S]
    const z = latentOffset === 0 ? latents : latents.subarray(latentOffset, latentOffset + Rn * Z);
    concatColumns(this.repeated, S, z, Z, Rn, this.decoderIn); // -> [rows*n, S+Z]
    const sampled = decoder.forward(this.decoderIn, Rn); // -> [rows*n, A]
    for (let i = 0; i < Rn * A; i++) this.sampled[i] = sampled[i];
    concatColumns(this.repeated, S, this.sampled, A, Rn, this.stateAction); // -> [rows*n, S+A]
    const raw = actor.forward(this.stateAction, Rn); // -> [rows*n, A]
    perturb(this.sampled, raw, this.rho, Rn * A, this.candidates);
    setColumns(this.candidates, A, this.stateAction, S + A, S, Rn); // [s, â] -> [s, â + ξ]
    const q = critic1.forward(this.stateAction, Rn); // -> [rows*n, 1]
    for (let i = 0; i < Rn; i++) this.q[i] = q[i];
    selectBestCandidates(this.q, this.candidates, rows, n, A, this.chosen, this.best); // -> [rows, A]
    for (let i = 0; i < rows * A; i++) out[start * A + i] = this.chosen[i];
    if (values !== null) for (let r = 0; r < rows; r++) values[start + r] = this.q[r * n + this.best[r]];
  }
}
