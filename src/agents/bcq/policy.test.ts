import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import type { Policy } from "../../core/interfaces.js";
import { deriveSeed, Rng } from "../../core/rng.js";
import { readCheckpoint } from "../../nn/checkpoint.js";
import { identityNormaliser } from "../common/normaliser.js";
import { ArrayBatchSource, generateNarrowData, narrowDataMdp } from "../fixtures/narrow-data.js";
import { BCQ_POLICY_KIND, loadBcqPolicy, saveBcqPolicy } from "./artefact.js";
import { bcqConfig } from "./config.js";
import { BcqPolicy } from "./policy.js";
import { BcqTrainer } from "./trainer.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-bcq-policy-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const mdp = narrowDataMdp({ actionDim: 3 });
const data = generateNarrowData(mdp, { sessions: 100, seed: 1 });
const normaliser = { mean: [0.1, 0.4], std: [0.5, 0.3] };
const config = bcqConfig({
  preset: "quick",
  vaeHidden: [12, 12],
  actorHidden: [10],
  criticHidden: [10, 8],
  batchSize: 8,
  nActionSamples: 5,
});

function trainedPolicy(chunkRows?: number): BcqPolicy {
  const trainer = new BcqTrainer({
    config,
    source: new ArrayBatchSource(data, 8, new Rng(1)),
    normaliser,
    seed: 2,
  });
  for (let i = 0; i < 5; i++) trainer.update();
  const policy = trainer.policy("test");
  return chunkRows === undefined ? policy : new BcqPolicy({ ...policy, id: "chunked", chunkRows });
}

function randomStates(rows: number, seed: number): Float32Array {
  const states = new Float32Array(rows * 2);
  new Rng(seed).fillUniform(states, -1, 1);
  return states;
}

describe("BcqPolicy (Eq. 4)", () => {
  it("is a core Policy whose decisions replay from their seed", () => {
    const policy: Policy = trainedPolicy();
    assert.equal(policy.stochastic, true);
    assert.equal(policy.stateDim, 2);
    const states = randomStates(7, 3);
    const a = new Float32Array(7 * 3);
    const b = new Float32Array(7 * 3);
    const c = new Float32Array(7 * 3);
    policy.act(states, 7, a, new Rng(deriveSeed(42, "request-17")));
    policy.act(states, 7, b, new Rng(deriveSeed(42, "request-17")));
    policy.act(states, 7, c, new Rng(deriveSeed(42, "request-18")));
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    assert.ok(
      a.every((x) => x >= -1 && x <= 1),
      "actions stay in the normalised box",
    );
  });

  it("acting with the drawn latents equals acting with the RNG, across chunk boundaries", () => {
    const policy = trainedPolicy(4); // 10 states = chunks of 4, 4, 2
    const rows = 10;
    const states = randomStates(rows, 4);
    const fromRng = new Float32Array(rows * 3);
    policy.act(states, rows, fromRng, new Rng(9));
    const latents = new Float32Array(policy.latentCount(rows));
    policy.drawLatents(new Rng(9), rows, latents);
    assert.ok(
      latents.every((z) => Math.abs(z) <= 0.5),
      "prior latents are clipped to ±0.5",
    );
    const fromLatents = new Float32Array(rows * 3);
    policy.actWithLatents(states, rows, latents, fromLatents);
    assert.deepEqual(fromLatents, fromRng);
    // One state alone, with its own slice of the latents, decides the same.
    const single = new Float32Array(3);
    const per = policy.samples * policy.dims.latentDim;
    policy.actWithLatents(states.subarray(2 * 6, 2 * 7), 1, latents.subarray(6 * per, 7 * per), single);
    assert.deepEqual(single, fromRng.subarray(18, 21));
  });

  it("chooses the candidate with the largest Q1 among the n perturbed VAE samples", () => {
    const policy = trainedPolicy();
    const { decoder, actor, critic1 } = policy.networks;
    const rows = 3;
    const states = randomStates(rows, 5);
    const latents = new Float32Array(policy.latentCount(rows));
    policy.drawLatents(new Rng(6), rows, latents);
    const out = new Float32Array(rows * 3);
    const values = new Float32Array(rows);
    policy.actWithLatents(states, rows, latents, out, values);
    const { latentDim: Z } = policy.dims;
    for (let r = 0; r < rows; r++) {
      const s = [(states[2 * r] - 0.1) / 0.5, (states[2 * r + 1] - 0.4) / 0.3]; // the normaliser
      let bestQ = Number.NEGATIVE_INFINITY;
      let best: number[] = [];
      for (let j = 0; j < policy.samples; j++) {
        const z = latents.subarray((r * policy.samples + j) * Z, (r * policy.samples + j + 1) * Z);
        const ahat = Array.from(decoder.forward(Float32Array.from([...s, ...z]), 1).subarray(0, 3));
        const raw = Array.from(actor.forward(Float32Array.from([...s, ...ahat]), 1).subarray(0, 3));
        const cand = ahat.map((h, k) => Math.min(1, Math.max(-1, h + 0.15 * raw[k])));
        const q = critic1.forward(Float32Array.from([...s, ...cand]), 1)[0];
        if (q > bestQ) {
          bestQ = q;
          best = cand;
        }
      }
      for (const [k, v] of best.entries())
        assert.ok(Math.abs(out[r * 3 + k] - v) < 1e-6, `state ${r} action ${k}`);
      assert.ok(Math.abs(values[r] - bestQ) < 1e-5, `state ${r} value ${values[r]} vs ${bestQ}`);
    }
  });

  it("applies its own normaliser to raw states", () => {
    const policy = trainedPolicy();
    const raw = randomStates(4, 8);
    const pre = raw.map((x, i) => (x - normaliser.mean[i % 2]) / normaliser.std[i % 2]);
    const plain = new BcqPolicy({ ...policy, id: "identity", normaliser: identityNormaliser(2) });
    const a = new Float32Array(12);
    const b = new Float32Array(12);
    policy.act(raw, 4, a, new Rng(1));
    plain.act(pre, 4, b, new Rng(1));
    assert.deepEqual(a, b);
  });
});

describe("BCQ serving artefact", () => {
  it("round-trips decoder, P_ω, Q1, normaliser and provenance into an identical policy", async () => {
    const policy = trainedPolicy();
    const path = join(dir, "policy.ckpt");
    await saveBcqPolicy(path, policy, {
      stateEncoderVersion: 7,
      trainedSteps: 5,
      configHash: "abc",
      runId: "r1",
    });
    const stored = await readCheckpoint(path, { expectedKind: BCQ_POLICY_KIND });
    assert.deepEqual(
      Object.keys(stored.tensors)
        .map((name) => name.split(".")[0])
        .filter((v, i, all) => all.indexOf(v) === i)
        .sort(),
      ["actor", "critic1", "decoder", "normaliser"],
      "only what Eq. 4 needs, plus the normaliser",
    );
    const { policy: loaded, artefact } = await loadBcqPolicy(path, { expectedStateEncoderVersion: 7 });
    assert.equal(artefact.trainedSteps, 5);
    assert.equal(artefact.runId, "r1");
    assert.equal(loaded.samples, 5);
    assert.deepEqual(loaded.normaliser, normaliser);
    const states = randomStates(6, 2);
    const a = new Float32Array(18);
    const b = new Float32Array(18);
    policy.act(states, 6, a, new Rng(3));
    loaded.act(states, 6, b, new Rng(3));
    assert.deepEqual(b, a);
    await assert.rejects(loadBcqPolicy(path, { expectedStateEncoderVersion: 8 }), (e) =>
      isMtfError(e, "DATASET_MISMATCH"),
    );
  });

  it("refuses training checkpoints and damaged files with coded errors", async () => {
    const trainer = new BcqTrainer({
      config,
      source: new ArrayBatchSource(data, 8, new Rng(1)),
      normaliser,
      seed: 2,
    });
    const training = join(dir, "training.ckpt");
    await trainer.saveCheckpoint(training);
    await assert.rejects(loadBcqPolicy(training), (e) => isMtfError(e, "CHECKPOINT_WRONG_KIND"));
    await assert.rejects(loadBcqPolicy(join(dir, "none.ckpt")), (e) => isMtfError(e, "FILE_NOT_FOUND"));
  });
});
