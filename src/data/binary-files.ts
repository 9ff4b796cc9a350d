/**
 * Little-endian typed-array files for datasets: a streaming writer that hashes (SHA-256) what it
 * writes, and a reader that checks size and checksum before handing out the array.
 */
import { createHash, type Hash } from "node:crypto";
import fs from "node:fs";
import { MtfError } from "../core/errors.js";

export const DTYPES = ["float32", "int32", "uint8"] as const;
export type Dtype = (typeof DTYPES)[number];

type ArrayOf<D extends Dtype> = D extends "float32"
  ? Float32Array
  : D extends "int32"
    ? Int32Array
    : Uint8Array;

const BYTES: Readonly<Record<Dtype, number>> = { float32: 4, int32: 4, uint8: 1 };

function allocate<D extends Dtype>(dtype: D, length: number): ArrayOf<D> {
  switch (dtype) {
    case "float32":
      return new Float32Array(length) as ArrayOf<D>;
    case "int32":
      return new Int32Array(length) as ArrayOf<D>;
    default:
      return new Uint8Array(length) as ArrayOf<D>;
  }
}

/** What dataset.json records about one binary file. */
export interface BinaryFileInfo {
  readonly file: string;
  readonly dtype: Dtype;
  /** [rows] or [rows, columns]. */
  readonly shape: readonly number[];
  readonly bytes: number;
  readonly sha256: string;
}

const STAGING_BYTES = 1 << 20;

/** Appends values of one dtype to a file through a 1 MiB staging buffer, hashing as it goes. */
export class BinaryFileWriter<D extends Dtype> {
  readonly dtype: D;
  private readonly fd: number;
  private readonly file: string;
  private readonly staging: ArrayOf<D>;
  private readonly bytes: Uint8Array;
  private readonly hash: Hash = createHash("sha256");
  private used = 0;
  private written = 0;

  constructor(path: string, dtype: D) {
    this.dtype = dtype;
    this.file = path;
    this.fd = fs.openSync(path, "w");
    this.staging = allocate(dtype, STAGING_BYTES / BYTES[dtype]);
    this.bytes = new Uint8Array(this.staging.buffer);
  }

  /** Values written so far. */
  get length(): number {
    return this.written + this.used;
  }

  push(value: number): void {
    if (this.used === this.staging.length) this.flush();
    this.staging[this.used++] = value;
  }

  pushAll(values: ArrayLike<number>): void {
    const n = values.length;
    if (this.used + n <= this.staging.length && ArrayBuffer.isView(values)) {
      this.staging.set(values as ArrayLike<number> & ArrayBufferView, this.used); // typed: one copy
      this.used += n;
      return;
    }
    for (let i = 0; i < n; i++) this.push(values[i]);
  }

  /** Flushes, closes the file and describes it (`columns` > 0 makes the shape 2-D). */
  close(name: string, columns = 0): BinaryFileInfo {
    this.flush();
    fs.closeSync(this.fd);
    const rows = columns > 0 ? this.written / columns : this.written;
    if (!Number.isInteger(rows)) {
      throw new MtfError("INTERNAL", `${this.file}: ${this.written} values are not whole rows of ${columns}`);
    }
    return {
      file: name,
      dtype: this.dtype,
      shape: columns > 0 ? [rows, columns] : [rows],
      bytes: this.written * BYTES[this.dtype],
      sha256: this.hash.digest("hex"),
    };
  }

  private flush(): void {
    if (this.used === 0) return;
    const chunk = this.bytes.subarray(0, this.used * BYTES[this.dtype]);
    let offset = 0;
    while (offset < chunk.length) offset += fs.writeSync(this.fd, chunk, offset, chunk.length - offset);
    this.hash.update(chunk);
    this.written += this.used;
    this.used = 0;
  }
}

/** Writes a whole array as one file and describes it. */
export function writeBinaryFile<D extends Dtype>(
  path: string,
  name: string,
  dtype: D,
  values: ArrayLike<number>,
  columns = 0,
): BinaryFileInfo {
  const writer = new BinaryFileWriter(path, dtype);
  writer.pushAll(values);
  return writer.close(name, columns);
}

const READ_CHUNK = 1 << 28;

/**
 * Reads a file described by `info`, refusing it (CHECKPOINT_CORRUPT, naming the file) when its
 * size or SHA-256 differs from the description; `verify: false` skips the hash.
 */
export function readBinaryFile<D extends Dtype>(
  path: string,
  info: BinaryFileInfo,
  dtype: D,
  verify = true,
): ArrayOf<D> {
  if (info.dtype !== dtype) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${info.file}: recorded dtype ${info.dtype}, expected ${dtype}`);
  }
  const length = info.shape.reduce((a, b) => a * b, 1);
  if (!Number.isSafeInteger(length) || length * BYTES[dtype] !== info.bytes) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${info.file}: shape [${info.shape.join(", ")}] does not match ${info.bytes} bytes of ${dtype}`,
    );
  }
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch (error) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${info.file} is missing from the dataset`, { cause: error });
  }
  if (size !== info.bytes) {
    throw new MtfError(
      "CHECKPOINT_CORRUPT",
      `${info.file} holds ${size} bytes, dataset.json says ${info.bytes}`,
      {
        details: { file: info.file, expected: info.bytes, actual: size },
      },
    );
  }
  const values = allocate(dtype, length);
  const bytes = new Uint8Array(values.buffer);
  const hash = createHash("sha256");
  const fd = fs.openSync(path, "r");
  try {
    let offset = 0;
    while (offset < bytes.length) {
      const n = fs.readSync(fd, bytes, offset, Math.min(READ_CHUNK, bytes.length - offset), offset);
      if (n === 0) break;
      if (verify) hash.update(bytes.subarray(offset, offset + n));
      offset += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  if (verify) {
    const actual = hash.digest("hex");
    if (actual !== info.sha256) {
      throw new MtfError(
        "CHECKPOINT_CORRUPT",
        `${info.file}: SHA-256 ${actual} does not match dataset.json (${info.sha256})`,
        {
          details: { file: info.file, expected: info.sha256, actual },
        },
      );
    }
  }
  return values;
}
