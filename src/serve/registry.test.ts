import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { BEHAVIOUR_ALPHA } from "../agents/behaviour.js";
import { DEFAULT_ALPHA_BOUNDS } from "../core/action.js";
import { isMtfError } from "../core/errors.js";
import { Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";
import type { DecisionLogEntry } from "./feedback-records.js";
import { listSegments, readSegment } from "./feedback-segments.js";
import { FIXED_ALPHA_KIND, POLICY_LOADERS, saveFixedAlphaPolicy } from "./policy-loaders.js";
import { replayDecision } from "./rank-service.js";
import { ModelRegistry } from "./registry.js";
import type { RunningServer } from "./server.js";
import { servingModel } from "./serving-model.js";
import {
  candidatesBody,
  httpRequest,
  itemIdsFor,
  randomScores,
  saveTestBcqArtefact,
  startTestServer,
  tempDir,
  testConfig,
} from "./test-fixtures.js";

const CONTEXT = { bounds: DEFAULT_ALPHA_BOUNDS };
const TUNED_ALPHA = [1, 1, 1, 1.5, -1, 0.5, 0.5, 0.5, 0.5, 0.5, -1, -1];

interface RankBody {
  policyVersion: string;
  fallback: boolean;
  explorationGroup: string;
  alpha: Record<string, number>;
}

describe("model registry and hot reload", () => {
  const temp = tempDir("registry");
  const registry = new ModelRegistry(path.join(temp.dir, "registry"));
  let server: RunningServer;
  const body = (userId: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      userId,
      ...extra,
      ...candidatesBody("rows", itemIdsFor(20), randomScores(new Rng(userId.length), 20)),
    });
  const rank = async (userId: string, extra: Record<string, unknown> = {}) => {
    const response = await httpRequest(`${server.url}/v1/rank`, { body: body(userId, extra) });
    assert.equal(response.status, 200, response.text);
    return response.json<RankBody>();
  };

  before(async () => {
    await saveFixedAlphaPolicy(path.join(temp.dir, "tuned.ckpt"), TUNED_ALPHA);
    await saveTestBcqArtefact(path.join(temp.dir, "bcq.ckpt"), 3, 11);
    server = await startTestServer(temp.dir, { exploration: { mode: "none" } });
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  it("publishes immutable versions with checksum, encoder version, sizes, normaliser and OPE figures", async () => {
    const v1 = await registry.publish(path.join(temp.dir, "tuned.ckpt"), POLICY_LOADERS, CONTEXT, {
      note: "tuned α",
    });
    const v2 = await registry.publish(path.join(temp.dir, "bcq.ckpt"), POLICY_LOADERS, CONTEXT, {
      config: { bcq: { preset: "quick" } },
      ope: { value: 1.25, low: 1.1, high: 1.4, details: { penaltyAlpha: 0.0005 } },
    });
    assert.equal(v1.version, "v0001");
    assert.equal(v1.policyKind, FIXED_ALPHA_KIND);
    assert.equal(v1.normaliser, null);
    assert.equal(v2.version, "v0002");
    assert.equal(v2.policyKind, "bcq-policy");
    assert.equal(v2.profileDim, 3);
    assert.equal(v2.normaliser?.mean.length, v2.stateDim);
    assert.equal(v2.ope?.value, 1.25);
    assert.match(v2.artefact.sha256, /^[0-9a-f]{64}$/);
    const listing = await registry.list();
    assert.deepEqual(
      listing.map((l) => [l.version, l.problem]),
      [
        ["v0001", null],
        ["v0002", null],
      ],
    );
  });

  it("refuses to publish an artefact trained on another state-encoder version", async () => {
    const file = path.join(temp.dir, "old-encoder.ckpt");
    const { writeCheckpoint } = await import("../nn/checkpoint.js");
    await writeCheckpoint(file, {
      kind: FIXED_ALPHA_KIND,
      config: { alpha: TUNED_ALPHA, profileDim: 0, stateEncoderVersion: 999 },
      tensors: {},
      step: 0,
      rngState: null,
      metadata: {},
    });
    await assert.rejects(registry.publish(file, POLICY_LOADERS, CONTEXT), (error) =>
      isMtfError(error, "MODEL_INCOMPATIBLE"),
    );
  });

  it("hot-reloads a new current version", async () => {
    assert.equal((await rank("a")).policyVersion, "fallback");
    await registry.setCurrent("v0001");
    await server.watcher.check();
    const ranked = await rank("a");
    assert.equal(ranked.policyVersion, "v0001");
    assert.equal(ranked.fallback, false);
    // The fixed α comes back through the float32 normalised action: equal up to rounding.
    for (const [t, task] of TASKS.entries())
      assert.ok(Math.abs(ranked.alpha[task] - TUNED_ALPHA[t]) < 1e-6, task);
    const ready = await httpRequest(`${server.url}/readyz`);
    assert.equal(ready.json<{ model: { version: string; fallback: boolean } }>().model.version, "v0001");
  });

  it("switches versions under concurrent load without failing a request", async () => {
    const seen = new Set<string>();
    let failures = 0;
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const response = await httpRequest(`${server.url}/v1/rank`, { body: body(`load-${w}-${i}`) });
        if (response.status !== 200) failures += 1;
        else seen.add(response.json<RankBody>().policyVersion);
      }
    };
    const workers = Array.from({ length: 6 }, (_, w) => worker(w));
    for (const version of ["v0002", "v0001", "v0002", "v0001", "v0002"]) {
      await registry.setCurrent(version);
      await server.watcher.check();
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
    running = false;
    await Promise.all(workers);
    assert.equal(failures, 0);
    assert.deepEqual([...seen].sort(), ["v0001", "v0002"]);
  });

  it("checks the profile size a model expects", async () => {
    assert.equal((await rank("p", { profile: [0.1, 0.2, 0.3] })).policyVersion, "v0002");
    const response = await httpRequest(`${server.url}/v1/rank`, { body: body("p", { profile: [1] }) });
    assert.equal(response.status, 422);
    assert.equal(response.json<{ error: { code: string } }>().error.code, "PROFILE_MISMATCH");
  });

  it("refuses a corrupt version, keeps the old one serving and reports it", async () => {
    const v3 = await registry.publish(path.join(temp.dir, "tuned.ckpt"), POLICY_LOADERS, CONTEXT);
    const artefact = registry.artefactPath(v3);
    const bytes = readFileSync(artefact);
    bytes[bytes.length - 40] ^= 0xff;
    writeFileSync(artefact, bytes);
    await registry.setCurrent(v3.version);
    await server.watcher.check();
    assert.equal((await rank("c")).policyVersion, "v0002");
    const ready = await httpRequest(`${server.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(ready.json<{ reload: { lastError: string } }>().reload.lastError, /v0003 refused/);
    const metrics = await httpRequest(`${server.url}/metrics`);
    assert.match(metrics.text, /mtf_model_reloads_total\{role="current",result="failure"\} [1-9]/);
    await assert.rejects(registry.loadVersion("v0003", POLICY_LOADERS, CONTEXT), (error) =>
      isMtfError(error, "REGISTRY_CORRUPT"),
    );
  });

  it("refuses a version whose manifest names another encoder version", async () => {
    const v4 = await registry.publish(path.join(temp.dir, "tuned.ckpt"), POLICY_LOADERS, CONTEXT);
    const file = path.join(registry.dir, "versions", v4.version, "manifest.json");
    writeFileSync(file, JSON.stringify({ ...v4, stateEncoderVersion: 999 }));
    await assert.rejects(registry.loadVersion(v4.version, POLICY_LOADERS, CONTEXT), (error) =>
      isMtfError(error, "MODEL_INCOMPATIBLE"),
    );
  });

  it("rolls back to the version current before", async () => {
    const pointer = await registry.rollback();
    assert.equal(pointer.current, "v0002");
    assert.equal(pointer.history.at(-1)?.action, "rollback");
    await server.watcher.check();
    assert.equal((await rank("r")).policyVersion, "v0002");
    assert.equal(
      (await httpRequest(`${server.url}/readyz`)).json<{ reload: { lastError: null } }>().reload.lastError,
      null,
    );
  });

  it("routes the canary share of users to a new version, then promotes it", async () => {
    await registry.setCanary("v0001", 0.3);
    await server.watcher.check();
    let canary = 0;
    const users = 300;
    for (let u = 0; u < users; u++) if ((await rank(`canary-${u}`)).policyVersion === "v0001") canary += 1;
    assert.ok(Math.abs(canary / users - 0.3) < 0.09, `canary share ${canary / users}`);
    // Stable per user.
    const again = await rank("canary-0");
    assert.equal(again.policyVersion, (await rank("canary-0")).policyVersion);
    const pointer = await registry.promoteCanary();
    assert.deepEqual([pointer.current, pointer.canary], ["v0001", null]);
  });

  it("replays stochastic decisions of the log (BCQ latents, exploration noise) from their seed and state", async () => {
    await registry.setCurrent("v0002");
    // Default exploration this time (Mixed, 20% explored), so the log holds every group.
    await server.close();
    server = await startTestServer(temp.dir);
    for (let u = 0; u < 30; u++) await rank(`replay-${u}`, { requestId: `replay-${u}` });
    await server.close();
    const decisions: DecisionLogEntry[] = [];
    for (const segment of await listSegments(server.feedbackLog.dir)) {
      for await (const record of readSegment(segment.path)) {
        if (record.type === "decision" && record.decision.requestId.startsWith("replay-")) {
          decisions.push(record.decision);
        }
      }
    }
    assert.equal(decisions.length, 30);
    assert.deepEqual([...new Set(decisions.map((d) => d.explorationGroup))].sort(), [
      "action_noise",
      "random",
      "target",
    ]);
    const loaded = await registry.loadVersion("v0002", POLICY_LOADERS, CONTEXT);
    const model = servingModel(loaded.policy, loaded.manifest, {
      exploration: testConfig(temp.dir).exploration,
      bounds: DEFAULT_ALPHA_BOUNDS,
      fallbackAlpha: TASKS.map((task) => BEHAVIOUR_ALPHA[task]),
    });
    for (const decision of decisions) {
      assert.deepEqual(Array.from(replayDecision(decision, model)), decision.action, decision.requestId);
    }
    server = await startTestServer(temp.dir);
  });
});
