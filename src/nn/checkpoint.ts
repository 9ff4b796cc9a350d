/**
 * THE checkpoint format of mtf: one self-describing file per trainable thing (an Mlp, a BCQ
 * agent, an FQE evaluator…), validated on load and refused with a coded error.
 *
 * Layout (little-endian):
 *   [0, 8)        magic "MTFCKPT\0"
 *   [8, 12)       uint32 format version
 *   [12, 16)      uint32 byte length H of the header
 *   [16, 16 + H)  header: UTF-8 JSON { kind, step, config, rngState, metadata, tensors }
 *                 where each tensor is { name, dtype, shape, offset, byteLength }
 *   zero padding to a multiple of 64, where the data section starts; each tensor's raw bytes
 *                 lie at its `offset` within it (a multiple of 64, so absolute offsets are too)
 *   last 32 bytes SHA-256 of every byte before them
 * The magic, version field and trailing checksum stay put in every future version, so any
 * version's file is checked for damage before its version is judged. Tensors are stored as raw
 * bytes, so round trips are bit-exact. JSON parts must be JSON-serialisable (NaN and ±Infinity
 * become null).
 *
 * The format and its file I/O come first; helpers for Mlp and Adam state are at the end.
 */
import { createHash } from "node:crypto";
import { open, readFile, rename, rm } from "node:fs/promises";
import { endianness } from "node:os";
import { basename, dirname, join } from "node:path";
import { MtfError } from "../core/errors.js";
import { Rng, type RngState } from "../core/rng.js";
import { Adam, type AdamOptions } from "./adam.js";
import type { Kernels } from "./kernels.js";
import { Mlp, type MlpConfig } from "./mlp.js";

export const CHECKPOINT_MAGIC = "MTFCKPT\0";
export const CHECKPOINT_FORMAT_VERSION = 1;

const PREFIX_BYTES = 16;
const CHECKSUM_BYTES = 32;
const ALIGNMENT = 64;

export type TensorDType = "float32" | "float64" | "int32" | "uint8";
export type TensorData = Float32Array | Float64Array | Int32Array | Uint8Array;

export interface Tensor {
  readonly data: TensorData;
  /** Row-major; the product of the dimensions equals data.length. */
  readonly shape: readonly number[];
}

export interface CheckpointContent {
  /** What the file holds, e.g. "mlp", "bcq", "fqe"; `readCheckpoint` refuses other kinds. */
  readonly kind: string;
  /** The resolved config of the thing saved (JSON); validate it when loading. */
  readonly config: unknown;
  readonly tensors: Readonly<Record<string, Tensor>>;
  /** Training steps taken. */
  readonly step: number;
  /** The training RNG's state, so a resumed run draws what the uninterrupted one would have. */
  readonly rngState: RngState | null;
  /** Anything else worth recording (JSON): versions, backend, dataset ids, metrics. */
  readonly metadata: Readonly<Record<string, unknown>>;
}

export interface Checkpoint extends CheckpointContent {
  readonly formatVersion: number;
  /** Hex SHA-256 stored in the file (over everything before it). */
  readonly checksum: string;
}

export interface ReadCheckpointOptions {
  readonly expectedKind: string;
  /** Tensors that must be present with exactly these shapes. */
  readonly expectedShapes?: Readonly<Record<string, readonly number[]>>;
}

interface TensorEntry {
  readonly name: string;
  readonly dtype: TensorDType;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly byteLength: number;
}

const BYTES_PER_ELEMENT: Readonly<Record<TensorDType, number>> = {
  float32: 4,
  float64: 8,
  int32: 4,
  uint8: 1,
};

function tensorDType(data: TensorData): TensorDType {
  if (data instanceof Float32Array) return "float32";
  if (data instanceof Float64Array) return "float64";
  if (data instanceof Int32Array) return "int32";
  return "uint8";
}

function tensorFromBytes(dtype: TensorDType, bytes: ArrayBuffer): TensorData {
  switch (dtype) {
    case "float32":
      return new Float32Array(bytes);
    case "float64":
      return new Float64Array(bytes);
    case "int32":
      return new Int32Array(bytes);
    case "uint8":
      return new Uint8Array(bytes);
  }
}

function alignUp(offset: number): number {
  return Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

function requireLittleEndian(): void {
  if (endianness() !== "LE") {
    throw new MtfError(
      "INTERNAL",
      "mtf checkpoints store raw little-endian bytes; big-endian hosts are not supported",
    );
  }
}

function corrupt(source: string, why: string, details: Record<string, unknown> = {}): MtfError {
  return new MtfError("CHECKPOINT_CORRUPT", `checkpoint ${source} is corrupt: ${why}`, {
    details: { source, ...details },
  });
}

/** Serialises a checkpoint to bytes (pure; `writeCheckpoint` adds the atomic file write). */
export function encodeCheckpoint(content: CheckpointContent): Buffer {
  requireLittleEndian();
  if (typeof content.kind !== "string" || content.kind === "") {
    throw new MtfError("INVALID_ARGUMENT", 'checkpoint kind must be a non-empty string such as "mlp"');
  }
  if (!Number.isInteger(content.step) || content.step < 0) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `checkpoint step must be a non-negative integer, got ${content.step}`,
    );
  }
  const entries: TensorEntry[] = [];
  const datas: TensorData[] = [];
  for (const [name, tensor] of Object.entries(content.tensors)) {
    const { data, shape } = tensor;
    if (!shape.every((d) => Number.isInteger(d) && d >= 0) || product(shape) !== data.length) {
      throw new MtfError(
        "SHAPE_MISMATCH",
        `checkpoint tensor "${name}" has ${data.length} entries but shape ${formatShape(shape)}`,
      );
    }
    const dtype = tensorDType(data);
    entries.push({ name, dtype, shape: [...shape], offset: 0, byteLength: data.byteLength });
    datas.push(data);
  }
  // Offsets count from the start of the data section, so the header does not depend on its own length.
  let dataBytes = 0;
  const placed = entries.map((entry) => {
    const offset = alignUp(dataBytes);
    dataBytes = offset + entry.byteLength;
    return { ...entry, offset };
  });
  const headerBytes = Buffer.from(
    JSON.stringify({
      kind: content.kind,
      step: content.step,
      config: content.config ?? null,
      rngState: content.rngState,
      metadata: content.metadata,
      tensors: placed,
    }),
    "utf8",
  );
  const dataStart = alignUp(PREFIX_BYTES + headerBytes.length);
  const dataEnd = dataStart + dataBytes;
  const bytes = Buffer.alloc(dataEnd + CHECKSUM_BYTES);
  bytes.write(CHECKPOINT_MAGIC, 0, "latin1");
  bytes.writeUInt32LE(CHECKPOINT_FORMAT_VERSION, 8);
  bytes.writeUInt32LE(headerBytes.length, 12);
  headerBytes.copy(bytes, PREFIX_BYTES);
  placed.forEach((entry, i) => {
    const data = datas[i];
    Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(bytes, dataStart + entry.offset);
  });
  createHash("sha256").update(bytes.subarray(0, dataEnd)).digest().copy(bytes, dataEnd);
  return bytes;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isRngState(value: unknown): value is RngState {
  return (
    isObject(value) &&
    typeof value.seed === "number" &&
    Array.isArray(value.s) &&
    value.s.length === 4 &&
    value.s.every((word) => typeof word === "number") &&
    (value.spareNormal === null || typeof value.spareNormal === "number")
  );
}

function parseTensorEntry(value: unknown, dataBytes: number, source: string): TensorEntry {
  if (
    !isObject(value) ||
    typeof value.name !== "string" ||
    typeof value.dtype !== "string" ||
    !(value.dtype in BYTES_PER_ELEMENT) ||
    !Array.isArray(value.shape) ||
    !value.shape.every((d) => Number.isInteger(d) && d >= 0) ||
    !Number.isInteger(value.offset) ||
    !Number.isInteger(value.byteLength)
  ) {
    throw corrupt(source, `malformed tensor entry ${JSON.stringify(value)}`);
  }
  const entry = value as unknown as TensorEntry;
  const expectedBytes = product(entry.shape) * BYTES_PER_ELEMENT[entry.dtype];
  if (
    entry.byteLength !== expectedBytes ||
    entry.offset % ALIGNMENT !== 0 ||
    entry.offset < 0 ||
    entry.offset + entry.byteLength > dataBytes
  ) {
    throw corrupt(
      source,
      `tensor "${entry.name}" does not fit the file (offset ${entry.offset}, ${entry.byteLength} bytes)`,
    );
  }
  return entry;
}

/** Parses and validates checkpoint bytes; `source` names them in error messages. */
export function decodeCheckpoint(
  bytes: Uint8Array,
  options: ReadCheckpointOptions,
  source = "<bytes>",
): Checkpoint {
  requireLittleEndian();
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buffer.length < PREFIX_BYTES + CHECKSUM_BYTES) {
    throw corrupt(source, `truncated: ${buffer.length} bytes is shorter than any checkpoint`);
  }
  const magic = buffer.toString("latin1", 0, 8);
  if (magic !== CHECKPOINT_MAGIC) {
    throw corrupt(source, `not an mtf checkpoint (expected magic "MTFCKPT", found ${JSON.stringify(magic)})`);
  }
  const dataEnd = buffer.length - CHECKSUM_BYTES;
  const stored = buffer.subarray(dataEnd).toString("hex");
  const actual = createHash("sha256").update(buffer.subarray(0, dataEnd)).digest("hex");
  if (stored !== actual) {
    throw corrupt(source, "SHA-256 checksum mismatch (the file is damaged or truncated)", {
      expected: stored,
      found: actual,
    });
  }
  const formatVersion = buffer.readUInt32LE(8);
  if (formatVersion !== CHECKPOINT_FORMAT_VERSION) {
    throw new MtfError(
      "CHECKPOINT_WRONG_VERSION",
      `checkpoint ${source} has format version ${formatVersion}; this mtf reads version ${CHECKPOINT_FORMAT_VERSION}`,
      { details: { source, expected: CHECKPOINT_FORMAT_VERSION, found: formatVersion } },
    );
  }
  const headerLength = buffer.readUInt32LE(12);
  if (alignUp(PREFIX_BYTES + headerLength) > dataEnd) {
    throw corrupt(source, `header length ${headerLength} runs past the end of the file`);
  }
  let header: unknown;
  try {
    header = JSON.parse(buffer.toString("utf8", PREFIX_BYTES, PREFIX_BYTES + headerLength));
  } catch (error) {
    throw corrupt(source, "the header is not valid JSON", { cause: String(error) });
  }
  if (
    !isObject(header) ||
    typeof header.kind !== "string" ||
    !(Number.isInteger(header.step) && (header.step as number) >= 0) ||
    !Array.isArray(header.tensors) ||
    !isObject(header.metadata) ||
    !(header.rngState === null || isRngState(header.rngState))
  ) {
    throw corrupt(source, "the header lacks kind, step, tensors, metadata or a valid rngState");
  }
  if (header.kind !== options.expectedKind) {
    throw new MtfError(
      "CHECKPOINT_WRONG_KIND",
      `checkpoint ${source} holds a "${header.kind}", expected a "${options.expectedKind}"`,
      { details: { source, expected: options.expectedKind, found: header.kind } },
    );
  }
  const dataStart = alignUp(PREFIX_BYTES + headerLength);
  const tensors = new Map<string, Tensor>();
  for (const value of header.tensors) {
    const entry = parseTensorEntry(value, dataEnd - dataStart, source);
    if (tensors.has(entry.name)) throw corrupt(source, `tensor "${entry.name}" appears twice`);
    const start = dataStart + entry.offset;
    // A copy, so the tensor owns an aligned buffer of its own.
    const own = new Uint8Array(buffer.subarray(start, start + entry.byteLength));
    const data = tensorFromBytes(entry.dtype, own.buffer);
    tensors.set(entry.name, { data, shape: entry.shape });
  }
  for (const [name, shape] of Object.entries(options.expectedShapes ?? {})) {
    const found = tensors.get(name);
    if (found === undefined || found.shape.join(",") !== shape.join(",")) {
      const what =
        found === undefined
          ? `no such tensor (it has ${[...tensors.keys()].join(", ") || "none"})`
          : formatShape(found.shape);
      throw new MtfError(
        "CHECKPOINT_SHAPE_MISMATCH",
        `checkpoint ${source}: tensor "${name}" should have shape ${formatShape(shape)}, found ${what}`,
        { details: { source, tensor: name, expected: shape, found: found?.shape ?? null } },
      );
    }
  }
  return {
    formatVersion,
    checksum: actual,
    kind: header.kind,
    step: header.step as number,
    config: header.config ?? null,
    rngState: header.rngState as RngState | null,
    metadata: header.metadata,
    // fromEntries defines own properties, so even a tensor named "__proto__" stays a tensor.
    tensors: Object.fromEntries(tensors),
  };
}

let tempCounter = 0;

/**
 * A fresh name for the temp file a write to `path` goes through: hidden, in the same directory
 * (so the rename is atomic), never the final name, distinct per process and per call.
 */
export function temporaryPathFor(path: string): string {
  tempCounter += 1;
  return join(dirname(path), `.${basename(path)}.${process.pid}.${tempCounter}.tmp`);
}

/**
 * Writes `bytes` to `path` atomically: into a temp file in the same directory, fsync, then
 * rename over `path`. Readers see the old file or the new one, never a partial one; on failure
 * the temp file is removed.
 */
async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const directory = dirname(path);
  const temp = temporaryPathFor(path);
  try {
    const handle = await open(temp, "w");
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  // Make the rename itself durable; not every platform can fsync a directory, hence best effort.
  try {
    const dir = await open(directory, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  } catch {
    // best effort only
  }
}

/** Encodes `content` and writes it to `path` atomically. */
export async function writeCheckpoint(path: string, content: CheckpointContent): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(content));
}

/** Reads and validates the checkpoint at `path` (see `decodeCheckpoint` for the checks). */
export async function readCheckpoint(path: string, options: ReadCheckpointOptions): Promise<Checkpoint> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if (isObject(error) && error.code === "ENOENT") {
      throw new MtfError("FILE_NOT_FOUND", `checkpoint ${path} does not exist`, { cause: error });
    }
    throw error;
  }
  return decodeCheckpoint(bytes, options, path);
}

// ---------------------------------------------------------------------------------------------
// Mlp and Adam state. A network `name` is stored as tensors `${name}.layers.${l}.weight`
// [in, out] and `${name}.layers.${l}.bias` [out]; its Adam state as `${name}.adam.m` and
// `${name}.adam.v` (flat, like Mlp.params) and `${name}.adam.step` (float64 [1]). Agents that
// hold several networks put them all in one checkpoint under different names.

export const MLP_KIND = "mlp";

/** The tensors of one network's parameters. */
export function mlpTensors(name: string, mlp: Mlp): Record<string, Tensor> {
  const tensors: Record<string, Tensor> = {};
  mlp.layers.forEach((layer, l) => {
    tensors[`${name}.layers.${l}.weight`] = { data: layer.weight, shape: [layer.inDim, layer.outDim] };
    tensors[`${name}.layers.${l}.bias`] = { data: layer.bias, shape: [layer.outDim] };
  });
  return tensors;
}

/** The tensors of an Adam optimiser's state. */
export function adamTensors(name: string, adam: Adam): Record<string, Tensor> {
  const state = adam.exportState();
  return {
    [`${name}.adam.m`]: { data: state.m, shape: [state.m.length] },
    [`${name}.adam.v`]: { data: state.v, shape: [state.v.length] },
    [`${name}.adam.step`]: { data: Float64Array.of(state.step), shape: [1] },
  };
}

/** The shapes `mlpTensors(name, mlp)` produces, for `expectedShapes`. */
export function mlpShapes(name: string, mlp: Mlp): Record<string, readonly number[]> {
  return Object.fromEntries(Object.entries(mlpTensors(name, mlp)).map(([key, t]) => [key, t.shape]));
}

function floatTensor(
  checkpoint: Checkpoint,
  name: string,
  shape: readonly number[],
): Float32Array | Float64Array {
  const tensor = Object.hasOwn(checkpoint.tensors, name) ? checkpoint.tensors[name] : undefined;
  if (tensor === undefined || tensor.shape.join(",") !== shape.join(",")) {
    throw new MtfError(
      "CHECKPOINT_SHAPE_MISMATCH",
      `checkpoint tensor "${name}" should have shape ${formatShape(shape)}, found ${tensor === undefined ? "none" : formatShape(tensor.shape)}`,
      { details: { tensor: name, expected: shape, found: tensor?.shape ?? null } },
    );
  }
  if (!(tensor.data instanceof Float32Array || tensor.data instanceof Float64Array)) {
    throw new MtfError(
      "CHECKPOINT_SHAPE_MISMATCH",
      `checkpoint tensor "${name}" is ${tensorDType(tensor.data)}, expected floats`,
    );
  }
  return tensor.data;
}

/** Copies the parameters stored under `name` into `mlp` (converting float32/float64 if they differ). */
export function restoreMlp(checkpoint: Checkpoint, name: string, mlp: Mlp): void {
  mlp.layers.forEach((layer, l) => {
    layer.weight.set(floatTensor(checkpoint, `${name}.layers.${l}.weight`, [layer.inDim, layer.outDim]));
    layer.bias.set(floatTensor(checkpoint, `${name}.layers.${l}.bias`, [layer.outDim]));
  });
}

/** Restores the Adam state stored under `name` into `adam`. */
export function restoreAdam(checkpoint: Checkpoint, name: string, adam: Adam): void {
  const numParams = adam.numParams;
  adam.importState({
    m: floatTensor(checkpoint, `${name}.adam.m`, [numParams]),
    v: floatTensor(checkpoint, `${name}.adam.v`, [numParams]),
    step: floatTensor(checkpoint, `${name}.adam.step`, [1])[0],
  });
}

/** The config stored by `saveMlp`. */
export interface MlpCheckpointConfig {
  readonly mlp: Required<MlpConfig>;
  readonly adam: Required<AdamOptions> | null;
}

export interface SaveMlpOptions {
  readonly adam?: Adam;
  readonly step?: number;
  readonly rngState?: RngState | null;
  readonly metadata?: Readonly<Record<string, unknown>>;
}

const NETWORK = "net";

/** Saves one network (and optionally its Adam state) as a checkpoint of kind "mlp". */
export async function saveMlp(path: string, mlp: Mlp, options: SaveMlpOptions = {}): Promise<void> {
  const config: MlpCheckpointConfig = { mlp: mlp.config, adam: options.adam?.options ?? null };
  await writeCheckpoint(path, {
    kind: MLP_KIND,
    config,
    tensors: { ...mlpTensors(NETWORK, mlp), ...(options.adam ? adamTensors(NETWORK, options.adam) : {}) },
    step: options.step ?? 0,
    rngState: options.rngState ?? null,
    metadata: options.metadata ?? {},
  });
}

export interface LoadedMlp {
  readonly mlp: Mlp;
  /** The optimiser with its state restored, when one was saved. */
  readonly adam: Adam | null;
  readonly step: number;
  readonly rngState: RngState | null;
  readonly metadata: Readonly<Record<string, unknown>>;
  readonly config: MlpCheckpointConfig;
}

export interface LoadMlpOptions {
  /** Kernels for the restored network; default the process-wide backend. */
  readonly kernels?: Kernels;
}

/** Loads a checkpoint written by `saveMlp`: the network, its optimiser state, step and RNG state. */
export async function loadMlp(path: string, options: LoadMlpOptions = {}): Promise<LoadedMlp> {
  const checkpoint = await readCheckpoint(path, { expectedKind: MLP_KIND });
  const config = checkpoint.config;
  if (!isObject(config) || !isObject(config.mlp) || !(config.adam === null || isObject(config.adam))) {
    throw corrupt(path, "its config lacks the mlp and adam sections saveMlp writes");
  }
  const stored = config as unknown as MlpCheckpointConfig;
  // The parameters are overwritten from the file, so the init RNG's seed does not matter.
  const mlp = new Mlp(
    { ...stored.mlp, ...(options.kernels ? { kernels: options.kernels } : {}) },
    new Rng(0),
  );
  restoreMlp(checkpoint, NETWORK, mlp);
  let adam: Adam | null = null;
  if (stored.adam !== null) {
    adam = new Adam(mlp, stored.adam);
    restoreAdam(checkpoint, NETWORK, adam);
  }
  return {
    mlp,
    adam,
    step: checkpoint.step,
    rngState: checkpoint.rngState,
    metadata: checkpoint.metadata,
    config: stored,
  };
}
