import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { isMtfError } from "../../core/errors.js";
import { Rng } from "../../core/rng.js";
import { Mlp } from "../../nn/mlp.js";
import { saveAgentCheckpoint } from "../common/checkpoint.js";
import { loadTd3Policy, saveTd3Policy, TD3_POLICY_KIND, UWAC_TD3_POLICY_KIND } from "./artefact.js";
import { Td3Policy } from "./policy.js";

const dir = mkdtempSync(join(tmpdir(), "mtf-td3-artefact-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function policy(): Td3Policy {
  const actor = new Mlp(
    { sizes: [3, 8, 2], hiddenActivation: "relu", outputActivation: "tanh", maxBatch: 4 },
    new Rng(1),
  );
  return new Td3Policy({ id: "p", actor, normaliser: { mean: [0.5, 0, -1], std: [2, 1, 0.5] } });
}

const provenance = { stateEncoderVersion: 3, trainedSteps: 12, configHash: "abc", dataset: "d", runId: "r" };

describe("TD3 policy artefact", () => {
  for (const [algorithm, kind] of [
    ["td3", TD3_POLICY_KIND],
    ["uwac-td3", UWAC_TD3_POLICY_KIND],
  ] as const) {
    it(`round-trips a ${kind}: same actions, normaliser and provenance`, async () => {
      const original = policy();
      const path = join(dir, `${algorithm}.ckpt`);
      await saveTd3Policy(path, original, algorithm, provenance);
      const loaded = await loadTd3Policy(path, { expectedStateEncoderVersion: 3 });
      assert.equal(loaded.kind, kind);
      assert.equal(loaded.artefact.algorithm, algorithm);
      assert.equal(loaded.policy.id, `${algorithm}@r`);
      assert.deepEqual(loaded.policy.normaliser, original.normaliser);
      const states = Float32Array.of(0.1, 0.2, 0.3, -1, 2, 0);
      const a = new Float32Array(4);
      const b = new Float32Array(4);
      original.act(states, 2, a);
      loaded.policy.act(states, 2, b);
      assert.deepEqual(b, a);
      assert.ok(a.every((x) => x >= -1 && x <= 1));
    });
  }

  it("refuses another encoder version and another kind", async () => {
    const path = join(dir, "td3.ckpt");
    await saveTd3Policy(path, policy(), "td3", provenance);
    await assert.rejects(loadTd3Policy(path, { expectedStateEncoderVersion: 4 }), (e) =>
      isMtfError(e, "DATASET_MISMATCH"),
    );
    const other = join(dir, "other.ckpt");
    await saveAgentCheckpoint(other, { kind: "bcq-policy", config: {}, networks: {}, step: 0 });
    await assert.rejects(loadTd3Policy(other), (e) => isMtfError(e, "CHECKPOINT_WRONG_KIND"));
  });
});
