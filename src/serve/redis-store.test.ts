import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { isMtfError } from "../core/errors.js";
import type { PlayEvent } from "../core/events.js";
import { Rng } from "../core/rng.js";
import { RedisStateStore } from "./redis-store.js";
import type { RunningServer } from "./server.js";
import {
  candidatesBody,
  httpRequest,
  itemIdsFor,
  randomScores,
  startTestServer,
  tempDir,
} from "./test-fixtures.js";
import { applyPlay } from "./user-session.js";

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server on a free port, or the reason none could start. */
async function startRedis(): Promise<{ readonly process: ChildProcess; readonly url: string } | string> {
  const port = await freePort();
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  return new Promise((resolve) => {
    let output = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      resolve(`redis-server did not report ready within 10 s: ${output.slice(-300)}`);
    }, 10_000);
    child.once("error", (error) => {
      clearTimeout(timer);
      resolve(`redis-server could not start (${error.message}); install the redis-server package`);
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (/Ready to accept connections/.test(output)) {
        clearTimeout(timer);
        resolve({ process: child, url: `redis://127.0.0.1:${port}/0` });
      }
    });
  });
}

const RULES = { inactivityMs: 30 * 60_000, utcOffsetMinutes: 480 };

function play(i: number): PlayEvent {
  return {
    eventId: `p${i}`,
    userId: "shared",
    itemId: `i${i}`,
    requestId: `r${i}`,
    sessionId: null,
    timestampMs: 1_700_000_000_000 + i * 1000,
    candidateSetId: null,
    candidateCount: null,
    position: null,
    scores: null,
    alpha: null,
    action: null,
    policyVersion: null,
    explorationGroup: null,
    noiseScale: null,
    propensity: null,
    decisionSeed: null,
    experimentArm: null,
    durationMs: 20_000,
    playTimeMs: 10_000,
    outcomes: {
      click: 1,
      long_view: 0,
      finish: 0,
      skip: null,
      like: i % 2,
      comment: 0,
      follow: 0,
      forward: 0,
      profile_enter: 0,
      hate: 0,
      exit: null,
    },
  };
}

describe("Redis state store (real redis-server)", () => {
  let redis: { readonly process: ChildProcess; readonly url: string } | string;
  const options = (url: string, keyPrefix: string) => ({
    url,
    keyPrefix,
    decisionTtlSeconds: 60,
    eventIdTtlSeconds: 60,
  });

  before(async () => {
    redis = await startRedis();
    if (typeof redis === "string") console.log(`# skipping the Redis tests: ${redis}`);
  });
  after(() => {
    if (typeof redis !== "string") redis.process.kill("SIGTERM");
  });

  it("never loses a concurrent update of one user from two stores (compare-and-set)", async (t) => {
    if (typeof redis === "string") return t.skip(redis);
    const a = await RedisStateStore.connect(options(redis.url, "cas:"));
    const b = await RedisStateStore.connect(options(redis.url, "cas:"));
    // Plays must be applied in time order; each store applies the next play the state lacks.
    const apply = (store: RedisStateStore) =>
      store.updateUser("shared", (state) => applyPlay(state, play(state?.history.plays ?? 0), RULES).state);
    await Promise.all(Array.from({ length: 40 }, (_, i) => apply(i % 2 === 0 ? a : b)));
    const state = await a.loadUser("shared");
    assert.equal(state?.history.plays, 40);
    assert.equal(state?.sessionPlays, 40);
    await a.close();
    await b.close();
  });

  it("saves a decision once per request id and claims event ids", async (t) => {
    if (typeof redis === "string") return t.skip(redis);
    const store = await RedisStateStore.connect(options(redis.url, "ops:"));
    const decision = {
      requestId: "req",
      userId: "u",
      sessionId: null,
      timestampMs: 1,
      policyVersion: "fallback",
      explorationGroup: "target" as const,
      noiseScale: null,
      experimentArm: null,
      decisionSeed: 5,
      alpha: Array(12).fill(0.5),
      action: Array(12).fill(0),
      candidateCount: 2,
      items: ["a"],
      scores: Array(12).fill(0.1),
    };
    assert.equal(await store.saveDecision(decision), true);
    assert.equal(await store.saveDecision(decision), false);
    assert.deepEqual(await store.loadDecision("req"), decision);
    assert.equal(await store.loadDecision("other"), null);
    assert.equal(await store.claimEvent("e"), "claimed");
    assert.equal(await store.claimEvent("e"), "in_flight");
    await store.settleEvent("e", false);
    assert.equal(await store.claimEvent("e"), "claimed");
    await store.settleEvent("e", true);
    assert.equal(await store.claimEvent("e"), "stored");
    await store.rememberStoredEvents(["f", "g"]);
    assert.equal(await store.claimEvent("g"), "stored");
    await store.close();
  });

  it("refuses to start against an unreachable Redis with STATE_STORE_UNAVAILABLE", async () => {
    const port = await freePort();
    await assert.rejects(RedisStateStore.connect(options(`redis://127.0.0.1:${port}`, "x:")), (error) =>
      isMtfError(error, "STATE_STORE_UNAVAILABLE"),
    );
  });

  it("lets two stateless servers share users, decisions and idempotency through Redis", async (t) => {
    if (typeof redis === "string") return t.skip(redis);
    const temp = tempDir("redis-servers");
    const servers: RunningServer[] = [];
    for (const name of ["a", "b"]) {
      servers.push(
        await startTestServer(
          temp.dir,
          { serve: { feedbackDir: path.join(temp.dir, `feedback-${name}`), redisKeyPrefix: "srv:" } },
          { stateStore: redis.url },
        ),
      );
    }
    const [a, b] = servers;
    const body = JSON.stringify({
      userId: "roamer",
      requestId: "shared-1",
      ...candidatesBody("tasks", itemIdsFor(5), randomScores(new Rng(3), 5)),
    });
    const ranked = await httpRequest(`${a.url}/v1/rank`, { body });
    assert.equal(ranked.status, 200, ranked.text);
    assert.equal((await httpRequest(`${b.url}/v1/rank`, { body })).status, 409, "request ids are shared");
    const itemId = ranked.json<{ items: { itemId: string }[] }>().items[0].itemId;
    const feedback = JSON.stringify({
      events: [{ eventId: "shared-e1", requestId: "shared-1", itemId, playTimeMs: 9000 }],
    });
    const stored = await httpRequest(`${b.url}/v1/feedback`, { body: feedback });
    assert.deepEqual(stored.json<{ results: unknown[] }>().results, [
      { eventId: "shared-e1", status: "stored", decisionFound: true },
    ]);
    const again = await httpRequest(`${a.url}/v1/feedback`, { body: feedback });
    assert.equal(again.json<{ duplicates: number }>().duplicates, 1);
    assert.equal((await a.store.loadUser("roamer"))?.history.plays, 1);
    const ready = await httpRequest(`${a.url}/readyz`);
    assert.equal(ready.json<{ stateStore: { kind: string } }>().stateStore.kind, "redis");
    for (const server of servers) await server.close();
    temp.remove();
  });
});
