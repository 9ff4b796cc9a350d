import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { DEFAULT_BETA } from "../core/action.js";
import { fusionScores, topK } from "../core/fusion.js";
import { Rng } from "../core/rng.js";
import { TASKS } from "../core/tasks.js";
import { anyPayload } from "./body-mutations.js";
import type { RunningServer } from "./server.js";
import {
  candidatesBody,
  httpRequest,
  itemIdsFor,
  randomScores,
  startTestServer,
  tempDir,
} from "./test-fixtures.js";

describe("serve over real HTTP on 127.0.0.1", () => {
  const temp = tempDir("http");
  let server: RunningServer;
  const post = (path: string, body: string, contentType = "application/json") =>
    httpRequest(`${server.url}${path}`, { body, contentType });

  before(async () => {
    server = await startTestServer(temp.dir, { serve: { host: "127.0.0.1", maxCandidates: 500 } });
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  it("ranks a columnar body of 500 candidates as core's fusion does, and takes its feedback", async () => {
    const rng = new Rng(9);
    const itemIds = itemIdsFor(500);
    const scores = randomScores(rng, 500);
    const response = await post(
      "/v1/rank",
      JSON.stringify({
        userId: "http-user",
        requestId: "http-1",
        k: 10,
        ...candidatesBody("rows", itemIds, scores),
      }),
    );
    assert.equal(response.status, 200);
    const body = response.json() as {
      items: { itemId: string; score: number }[];
      alpha: Record<string, number>;
    };
    const fusion = new Float64Array(500);
    fusionScores(
      scores,
      500,
      TASKS.map((task) => body.alpha[task]),
      DEFAULT_BETA,
      fusion,
    );
    assert.deepEqual(
      body.items,
      Array.from(topK(fusion, 500, 10), (c) => ({ itemId: itemIds[c], score: fusion[c] })),
    );
    const feedback = await post(
      "/v1/feedback",
      JSON.stringify({
        events: [
          { eventId: "http-e1", requestId: "http-1", itemId: body.items[3].itemId, playTimeMs: 40_000 },
        ],
      }),
    );
    assert.equal(feedback.status, 200);
    assert.equal(feedback.json<{ stored: number }>().stored, 1);
  });

  it("never answers thousands of random and mutated bodies with a 5xx, nor crashes", async () => {
    // Sampled up front and sent 16 at a time: the server also meets concurrent bad input.
    const payloads = fc.sample(anyPayload, { numRuns: 2500, seed: 7 });
    const statuses = new Map<number, number>();
    let next = 0;
    const worker = async () => {
      while (next < payloads.length) {
        const { text, contentType } = payloads[next++];
        const response = await post("/v1/rank", text, contentType);
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        assert.ok(response.status < 500, `${response.status} for ${text}: ${response.text}`);
        if (response.status !== 200)
          assert.equal(typeof response.json<{ error: { code: unknown } }>().error.code, "string");
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const health = await httpRequest(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    assert.ok((statuses.get(200) ?? 0) > 100, `valid bodies were ranked: ${JSON.stringify([...statuses])}`);
    assert.ok(statuses.size >= 4, `several kinds of refusal: ${JSON.stringify([...statuses])}`);
  });
});
