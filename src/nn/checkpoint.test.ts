import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { after, test } from "node:test";
import { type ErrorCode, isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { Adam } from "./adam.js";
import {
  type CheckpointContent,
  decodeCheckpoint,
  encodeCheckpoint,
  loadMlp,
  MLP_KIND,
  mlpShapes,
  readCheckpoint,
  restoreMlp,
  saveMlp,
  temporaryPathFor,
  writeCheckpoint,
} from "./checkpoint.js";
import { mseLoss } from "./losses.js";
import { Mlp } from "./mlp.js";
import { referenceKernels } from "./reference-kernels.js";

const dir = await mkdtemp(join(tmpdir(), "mtf-checkpoint-"));
after(() => rm(dir, { recursive: true, force: true }));

function bytesOf(array: ArrayBufferView): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function rejectsWith(code: ErrorCode, pattern?: RegExp) {
  return (error: unknown): boolean => {
    assert.ok(isMtfError(error), `expected an MtfError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

/** A float32 network with a few Adam steps behind it, and an RNG with a spare normal pending. */
function trainedNetwork() {
  const rng = new Rng(61);
  const mlp = new Mlp(
    {
      sizes: [3, 7, 2],
      hiddenActivation: "relu",
      outputActivation: "tanh",
      kernels: referenceKernels,
      maxBatch: 4,
    },
    rng,
  );
  const adam = new Adam(mlp, { lr: 1e-2, beta2: 0.99 });
  const x = new Float32Array(12);
  const target = new Float32Array(8);
  const dOut = new Float32Array(8);
  for (let step = 0; step < 5; step++) {
    rng.fillUniform(x, -1, 1);
    rng.fillUniform(target, -1, 1);
    mseLoss(mlp.forward(x, 4), target, 8, dOut);
    mlp.backward(dOut, 4);
    adam.update();
  }
  rng.normal();
  return { mlp, adam, rng, x };
}

async function savedMlpFile(name: string): Promise<string> {
  const { mlp, adam, rng } = trainedNetwork();
  const path = join(dir, name);
  await saveMlp(path, mlp, { adam, step: 5, rngState: rng.getState(), metadata: { note: "test" } });
  return path;
}

test("an Mlp with its Adam state, step, RNG state and config round-trips bit-exactly", async () => {
  const { mlp, adam, rng, x } = trainedNetwork();
  const path = join(dir, "roundtrip.ckpt");
  const metadata = { backend: "reference", tags: ["a", "b"], nested: { value: 0.1 } };
  await saveMlp(path, mlp, { adam, step: 5, rngState: rng.getState(), metadata });

  const loaded = await loadMlp(path, { kernels: referenceKernels });
  assert.deepEqual(bytesOf(loaded.mlp.params), bytesOf(mlp.params));
  assert.ok(loaded.adam !== null);
  const [saved, restored] = [adam.exportState(), loaded.adam.exportState()];
  assert.equal(restored.step, saved.step);
  assert.deepEqual(bytesOf(restored.m), bytesOf(saved.m));
  assert.deepEqual(bytesOf(restored.v), bytesOf(saved.v));
  assert.deepEqual(loaded.adam.options, adam.options);
  assert.equal(loaded.step, 5);
  assert.deepEqual(loaded.rngState, rng.getState());
  assert.deepEqual(loaded.config.mlp, mlp.config);
  assert.deepEqual(loaded.metadata, metadata);

  // Training resumes identically: same draws, same update.
  const resumedRng = Rng.fromState(loaded.rngState ?? assert.fail("no RNG state"));
  assert.equal(resumedRng.normal(), rng.normal());
  for (const [net, opt] of [
    [mlp, adam],
    [loaded.mlp, loaded.adam],
  ] as const) {
    const dOut = Float32Array.from(net.forward(x, 4).subarray(0, 8));
    net.backward(dOut, 4);
    opt.update();
  }
  assert.deepEqual(bytesOf(loaded.mlp.params), bytesOf(mlp.params));
});

test("float64, int32 and uint8 tensors, scalars and empty tensors round-trip", async () => {
  const content: CheckpointContent = {
    kind: "misc",
    config: { sizes: [1, 2], name: "x" },
    tensors: {
      doubles: { data: Float64Array.of(Math.PI, -0, Number.MIN_VALUE, 1e300), shape: [2, 2] },
      ints: { data: Int32Array.of(-1, 2 ** 31 - 1, 0), shape: [3] },
      bytes: { data: Uint8Array.of(0, 255, 7), shape: [3, 1] },
      scalar: { data: Float32Array.of(Number.NaN), shape: [] },
      empty: { data: new Float32Array(0), shape: [0, 5] },
    },
    step: 123456789,
    rngState: null,
    metadata: {},
  };
  const path = join(dir, "misc.ckpt");
  await writeCheckpoint(path, content);
  const loaded = await readCheckpoint(path, {
    expectedKind: "misc",
    expectedShapes: { doubles: [2, 2], empty: [0, 5] },
  });
  assert.equal(loaded.formatVersion, 1);
  assert.equal(loaded.step, content.step);
  assert.deepEqual(loaded.config, content.config);
  for (const [name, tensor] of Object.entries(content.tensors)) {
    const found = loaded.tensors[name];
    assert.equal(found.data.constructor, tensor.data.constructor, name);
    assert.deepEqual(found.shape, tensor.shape, name);
    assert.deepEqual(bytesOf(found.data), bytesOf(tensor.data), name);
    assert.equal(found.data.byteOffset % 8, 0);
  }
  assert.equal(
    loaded.checksum,
    createHash("sha256")
      .update((await readFile(path)).subarray(0, -32))
      .digest("hex"),
  );
});

test("a flipped byte anywhere makes the file CHECKPOINT_CORRUPT", async () => {
  const bytes = await readFile(await savedMlpFile("flip.ckpt"));
  for (const position of [0, 9, 20, Math.floor(bytes.length / 2), bytes.length - 40, bytes.length - 1]) {
    const damaged = Buffer.from(bytes);
    damaged[position] ^= 0x10;
    assert.throws(
      () => decodeCheckpoint(damaged, { expectedKind: MLP_KIND }),
      rejectsWith("CHECKPOINT_CORRUPT"),
      `byte ${position}`,
    );
  }
});

test("a truncated file is CHECKPOINT_CORRUPT", async () => {
  const path = await savedMlpFile("truncated.ckpt");
  const bytes = await readFile(path);
  for (const length of [0, 10, 47, Math.floor(bytes.length / 2), bytes.length - 1]) {
    await writeFile(path, bytes.subarray(0, length));
    await assert.rejects(
      readCheckpoint(path, { expectedKind: MLP_KIND }),
      rejectsWith("CHECKPOINT_CORRUPT"),
      `length ${length}`,
    );
  }
});

test("something that is not a checkpoint is refused with a clear message", () => {
  const text = Buffer.from("sizes,activation\n3,relu\n".repeat(4));
  assert.throws(
    () => decodeCheckpoint(text, { expectedKind: MLP_KIND }),
    rejectsWith("CHECKPOINT_CORRUPT", /not an mtf checkpoint/),
  );
});

test("the wrong kind is refused with CHECKPOINT_WRONG_KIND naming both kinds", async () => {
  const path = await savedMlpFile("kind.ckpt");
  await assert.rejects(
    readCheckpoint(path, { expectedKind: "bcq" }),
    rejectsWith("CHECKPOINT_WRONG_KIND", /holds a "mlp", expected a "bcq"/),
  );
});

test("wrong or missing shapes are refused with CHECKPOINT_SHAPE_MISMATCH", async () => {
  const path = await savedMlpFile("shape.ckpt");
  await assert.rejects(
    readCheckpoint(path, { expectedKind: MLP_KIND, expectedShapes: { "net.layers.0.weight": [3, 8] } }),
    rejectsWith("CHECKPOINT_SHAPE_MISMATCH", /should have shape \[3, 8\], found \[3, 7\]/),
  );
  await assert.rejects(
    readCheckpoint(path, { expectedKind: MLP_KIND, expectedShapes: { "critic.layers.0.weight": [3, 7] } }),
    rejectsWith("CHECKPOINT_SHAPE_MISMATCH", /no such tensor/),
  );
  const other = new Mlp(
    {
      sizes: [3, 8, 2],
      hiddenActivation: "relu",
      outputActivation: "tanh",
      kernels: referenceKernels,
      maxBatch: 1,
    },
    new Rng(1),
  );
  const checkpoint = await readCheckpoint(path, { expectedKind: MLP_KIND });
  assert.throws(() => restoreMlp(checkpoint, "net", other), rejectsWith("CHECKPOINT_SHAPE_MISMATCH"));
  const same = new Mlp({ ...other.config, sizes: [3, 7, 2], kernels: referenceKernels }, new Rng(1));
  await readCheckpoint(path, { expectedKind: MLP_KIND, expectedShapes: mlpShapes("net", same) });
});

test("another format version is refused with CHECKPOINT_WRONG_VERSION", async () => {
  const bytes = Buffer.from(await readFile(await savedMlpFile("version.ckpt")));
  bytes.writeUInt32LE(2, 8);
  createHash("sha256")
    .update(bytes.subarray(0, -32))
    .digest()
    .copy(bytes, bytes.length - 32);
  assert.throws(
    () => decodeCheckpoint(bytes, { expectedKind: MLP_KIND }),
    rejectsWith("CHECKPOINT_WRONG_VERSION", /format version 2; this mtf reads version 1/),
  );
});

test("a missing file is FILE_NOT_FOUND", async () => {
  await assert.rejects(
    readCheckpoint(join(dir, "nope.ckpt"), { expectedKind: MLP_KIND }),
    rejectsWith("FILE_NOT_FOUND"),
  );
});

test("writes go through a hidden temp file in the same directory, under another name", () => {
  const path = join(dir, "model.ckpt");
  const first = temporaryPathFor(path);
  assert.equal(dirname(first), dir);
  assert.notEqual(first, path);
  assert.ok(basename(first).startsWith(".model.ckpt.") && first.endsWith(".tmp"));
  assert.notEqual(temporaryPathFor(path), first, "concurrent writers get distinct temp files");
});

test("writes are atomic: nothing partial left on failure, the old file intact", async () => {
  const sub = join(dir, "atomic");
  await mkdir(sub);
  const path = join(sub, "model.ckpt");
  const good: CheckpointContent = {
    kind: "misc",
    config: null,
    tensors: { w: { data: Float32Array.of(1, 2, 3), shape: [3] } },
    step: 1,
    rngState: null,
    metadata: {},
  };
  await writeCheckpoint(path, good);
  assert.deepEqual(await readdir(sub), ["model.ckpt"]);
  const before = await readFile(path);

  // Failure before any byte is written (a bad tensor) leaves the old file as it was.
  const bad = { ...good, tensors: { w: { data: Float32Array.of(1, 2), shape: [3] } } };
  await assert.rejects(writeCheckpoint(path, bad), rejectsWith("SHAPE_MISMATCH"));
  assert.deepEqual(await readFile(path), before);

  // Failure at the rename (the target is a directory) removes the temp file.
  const blocked = join(sub, "blocked.ckpt");
  await mkdir(blocked);
  await assert.rejects(writeCheckpoint(blocked, good));
  assert.deepEqual((await readdir(sub)).sort(), ["blocked.ckpt", "model.ckpt"]);

  // The bytes on disk are exactly what encodeCheckpoint produces.
  await writeCheckpoint(path, { ...good, step: 2 });
  assert.deepEqual(await readFile(path), encodeCheckpoint({ ...good, step: 2 }));
  assert.deepEqual(await readdir(sub), ["blocked.ckpt", "model.ckpt"].sort());
});
