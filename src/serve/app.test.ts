import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DEFAULT_BETA } from "../core/action.js";
import { fusionScores, topK } from "../core/fusion.js";
import { Rng } from "../core/rng.js";
import { N_TASKS, TASKS } from "../core/tasks.js";
import type { RunningServer } from "./server.js";
import {
  candidatesBody,
  itemIdsFor,
  randomScores,
  type ShapeName,
  startTestServer,
  tempDir,
} from "./test-fixtures.js";

interface RankBody {
  requestId: string;
  items: { itemId: string; score: number }[];
  alpha: Record<string, number>;
  policyVersion: string;
  fallback: boolean;
  explorationGroup: string;
  noiseScale: number | null;
  decisionSeed: number;
}

const SHAPES: readonly ShapeName[] = ["objects", "tasks", "rows"];

/** Core's ranking of `scores` under the response's α: ids and fusion scores, best first. */
function coreRanking(
  itemIds: readonly string[],
  scores: Float64Array,
  alpha: Record<string, number>,
  k: number,
) {
  const a = TASKS.map((task) => alpha[task]);
  const fusion = new Float64Array(itemIds.length);
  fusionScores(scores, itemIds.length, a, DEFAULT_BETA, fusion);
  return Array.from(topK(fusion, itemIds.length, k), (c) => ({ itemId: itemIds[c], score: fusion[c] }));
}

describe("serve app (in-process, app.inject)", () => {
  const temp = tempDir("app");
  let server: RunningServer;
  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    server.app.inject({
      method: "POST",
      url,
      headers: { "content-type": "application/json", ...headers },
      payload: typeof payload === "string" ? payload : JSON.stringify(payload),
    });

  before(async () => {
    server = await startTestServer(temp.dir, {
      serve: { maxCandidates: 50, maxFeedbackEvents: 20, bodyLimitBytes: 64 * 1024 },
    });
  });
  after(async () => {
    await server.close();
    temp.remove();
  });

  it("ranks by core's fusion (Eq. 1) on the α it reports, for all three body shapes", async () => {
    const rng = new Rng(1);
    for (let trial = 0; trial < 12; trial++) {
      const count = 1 + rng.int(40);
      const itemIds = itemIdsFor(count);
      const scores = randomScores(rng, count);
      const shape = SHAPES[trial % 3];
      const k = trial % 2 === 0 ? undefined : 1 + rng.int(count);
      const response = await post("/v1/rank", {
        userId: `u${trial}`,
        k,
        ...candidatesBody(shape, itemIds, scores),
      });
      assert.equal(response.statusCode, 200, response.body);
      const body = response.json() as RankBody;
      assert.deepEqual(body.items, coreRanking(itemIds, scores, body.alpha, k ?? count));
      assert.equal(body.policyVersion, "fallback");
      assert.equal(body.fallback, true);
    }
  });

  it("gives one user the same ranking whichever body shape carries the same candidates", async () => {
    const rng = new Rng(2);
    const itemIds = itemIdsFor(30);
    const scores = randomScores(rng, 30);
    // A user of the target group gets the deterministic fallback α.
    const rankings = [];
    for (const shape of SHAPES) {
      for (let u = 0; ; u++) {
        const response = await post("/v1/rank", {
          userId: `same-${u}`,
          ...candidatesBody(shape, itemIds, scores),
        });
        const body = response.json() as RankBody;
        if (body.explorationGroup === "target") {
          rankings.push(body.items);
          break;
        }
      }
    }
    assert.deepEqual(rankings[1], rankings[0]);
    assert.deepEqual(rankings[2], rankings[0]);
  });

  const valid = () => ({
    userId: "u",
    ...candidatesBody("objects", ["a", "b"], randomScores(new Rng(3), 2)),
  });
  const validColumnar = () => ({
    userId: "u",
    ...candidatesBody("rows", ["a", "b"], randomScores(new Rng(3), 2)),
  });
  const withScore = (task: string, raw: string) =>
    JSON.stringify(valid()).replace(new RegExp(`("${task}":)[-0-9.e]+`), `$1${raw}`);

  const badInputs: readonly [string, () => unknown, string, number, Record<string, string>?][] = [
    ["malformed JSON", () => '{"userId": "u", ', "MALFORMED_JSON", 400],
    ["an empty JSON body", () => "", "MALFORMED_JSON", 400],
    [
      "a body that is not JSON",
      () => "userId=u",
      "UNSUPPORTED_MEDIA_TYPE",
      415,
      { "content-type": "text/plain" },
    ],
    ["a missing field", () => ({ ...valid(), userId: undefined }), "MISSING_FIELD", 400],
    ["missing candidates", () => ({ userId: "u" }), "MISSING_FIELD", 400],
    ["an extra field", () => ({ ...valid(), colour: "red" }), "UNKNOWN_FIELD", 400],
    ["both body shapes", () => ({ ...valid(), itemIds: ["a"] }), "UNKNOWN_FIELD", 400],
    ["a wrong type", () => ({ ...valid(), userId: 7 }), "WRONG_TYPE", 400],
    [
      "a score of the wrong type",
      () => JSON.stringify(valid()).replace(/("like":)[-0-9.e]+/, '$1"high"'),
      "WRONG_TYPE",
      400,
    ],
    ["a body that is an array", () => [valid()], "WRONG_TYPE", 400],
    [
      "a __proto__ key",
      () => JSON.stringify(valid()).replace("{", '{"__proto__":{"polluted":1},'),
      "UNKNOWN_FIELD",
      400,
    ],
    [
      "a __proto__ key among the scores",
      () => JSON.stringify(valid()).replace('"like":', '"__proto__":{"x":1},"like":'),
      "UNKNOWN_TASK",
      422,
    ],
    ["k = 0", () => ({ ...valid(), k: 0 }), "INVALID_VALUE", 400],
    ["a non-finite score", () => withScore("like", "1e999"), "NON_FINITE_SCORE", 422],
    [
      "a non-finite columnar score",
      () => JSON.stringify(validColumnar()).replace(/\[\[[-0-9.e]+/, "[[-1e999"),
      "NON_FINITE_SCORE",
      422,
    ],
    ["a score with o + β <= 0", () => withScore("skip", "-0.5"), "SCORE_OUT_OF_RANGE", 422],
    ["play_time below -β", () => withScore("play_time", "-1"), "SCORE_OUT_OF_RANGE", 422],
    ["an unknown task", () => JSON.stringify(valid()).replace('"like":', '"love":'), "UNKNOWN_TASK", 422],
    [
      "an unknown task in columnar scores",
      () => ({
        userId: "u",
        itemIds: ["a"],
        scores: {
          ...(candidatesBody("tasks", ["a"], randomScores(new Rng(4), 1)).scores as object),
          love: [0.1],
        },
      }),
      "UNKNOWN_TASK",
      422,
    ],
    ["a missing task", () => JSON.stringify(valid()).replace(/"like":[-0-9.e]+,/, ""), "MISSING_FIELD", 400],
    [
      "too many candidates",
      () => ({ userId: "u", ...candidatesBody("rows", itemIdsFor(51), randomScores(new Rng(5), 51)) }),
      "TOO_MANY_CANDIDATES",
      422,
    ],
    [
      "a row of 11 scores",
      () => ({ userId: "u", itemIds: ["a"], scores: [Array(11).fill(0.5)] }),
      "SHAPE_MISMATCH",
      422,
    ],
    [
      "fewer rows than items",
      () => ({ userId: "u", itemIds: ["a", "b"], scores: [Array(12).fill(0.5)] }),
      "SHAPE_MISMATCH",
      422,
    ],
    [
      "a duplicate item",
      () => ({ userId: "u", ...candidatesBody("objects", ["a", "a"], randomScores(new Rng(6), 2)) }),
      "DUPLICATE_ITEM",
      422,
    ],
    ["an oversized body", () => ({ userId: "u", padding: "x".repeat(70 * 1024) }), "BODY_TOO_LARGE", 413],
  ];

  for (const [name, make, code, status, headers] of badInputs) {
    it(`refuses ${name} with ${code} (${status})`, async () => {
      const response = await post("/v1/rank", make(), headers);
      assert.equal(response.statusCode, status, response.body);
      const body = response.json() as { error: { code: string; message: string } };
      assert.equal(body.error.code, code, body.error.message);
      assert.ok(body.error.message.length > 0);
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    });
  }

  it("answers an unknown route with ROUTE_NOT_FOUND (404)", async () => {
    const response = await server.app.inject({ method: "GET", url: "/v1/nothing" });
    assert.equal(response.statusCode, 404);
    assert.equal(response.json().error.code, "ROUTE_NOT_FOUND");
  });

  it("answers a request the framework cannot read with MALFORMED_REQUEST (400), not a 5xx", async () => {
    const response = await server.app.inject({ method: "GET", url: "/v1/%zz" });
    assert.equal(response.statusCode, 400, response.body);
    assert.equal(response.json().error.code, "MALFORMED_REQUEST");
  });

  it("refuses a reused request id with DUPLICATE_REQUEST (409)", async () => {
    const body = { ...valid(), requestId: "dup-1" };
    assert.equal((await post("/v1/rank", body)).statusCode, 200);
    const again = await post("/v1/rank", body);
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().error.code, "DUPLICATE_REQUEST");
  });

  it("stores feedback once per event id and joins it with the served decision", async () => {
    const rank = (
      await post("/v1/rank", { ...valid(), userId: "fb-user", requestId: "fb-1" })
    ).json() as RankBody;
    const event = {
      eventId: "e-1",
      requestId: "fb-1",
      itemId: rank.items[0].itemId,
      playTimeMs: 12_000,
      outcomes: { like: 1 },
    };
    const first = await post("/v1/feedback", { events: [event, { ...event }] });
    assert.equal(first.statusCode, 200, first.body);
    assert.deepEqual(first.json(), {
      stored: 1,
      duplicates: 1,
      results: [
        { eventId: "e-1", status: "stored", decisionFound: true },
        { eventId: "e-1", status: "duplicate", decisionFound: true },
      ],
    });
    const retry = await post("/v1/feedback", { events: [event] });
    assert.deepEqual(retry.json().results, [{ eventId: "e-1", status: "duplicate", decisionFound: true }]);
    const user = await server.store.loadUser("fb-user");
    assert.equal(user?.history.plays, 1);
  });

  const feedbackErrors: readonly [string, () => unknown, string, number][] = [
    [
      "an unknown request without userId",
      () => ({ events: [{ eventId: "x1", requestId: "nope", itemId: "a", playTimeMs: 1 }] }),
      "UNKNOWN_REQUEST",
      422,
    ],
    [
      "an item that was not served",
      () => ({ events: [{ eventId: "x2", requestId: "fb-1", itemId: "zzz", playTimeMs: 1 }] }),
      "ITEM_NOT_SERVED",
      422,
    ],
    [
      "another user's request",
      () => ({ events: [{ eventId: "x3", requestId: "fb-1", itemId: "a", userId: "else", playTimeMs: 1 }] }),
      "USER_MISMATCH",
      422,
    ],
    [
      "an outcome that is not a task",
      () => ({
        events: [{ eventId: "x4", requestId: "fb-1", itemId: "a", playTimeMs: 1, outcomes: { love: 1 } }],
      }),
      "UNKNOWN_TASK",
      422,
    ],
    [
      "an outcome other than 0/1",
      () => ({
        events: [{ eventId: "x5", requestId: "fb-1", itemId: "a", playTimeMs: 1, outcomes: { like: 2 } }],
      }),
      "INVALID_VALUE",
      400,
    ],
    [
      "a missing play time",
      () => ({ events: [{ eventId: "x6", requestId: "fb-1", itemId: "a" }] }),
      "MISSING_FIELD",
      400,
    ],
    [
      "too many events",
      () => ({
        events: Array.from({ length: 21 }, (_, i) => ({
          eventId: `m${i}`,
          requestId: "fb-1",
          itemId: "a",
          playTimeMs: 1,
        })),
      }),
      "TOO_MANY_EVENTS",
      422,
    ],
  ];
  for (const [name, make, code, status] of feedbackErrors) {
    it(`refuses feedback with ${name}: ${code} (${status})`, async () => {
      const response = await post("/v1/feedback", make());
      assert.equal(response.statusCode, status, response.body);
      assert.equal(response.json().error.code, code);
    });
  }

  it("stores an event of an unknown request when it names its user", async () => {
    const response = await post("/v1/feedback", {
      events: [
        { eventId: "late-1", requestId: "expired", itemId: "a", userId: "late-user", playTimeMs: 5000 },
      ],
    });
    assert.equal(response.statusCode, 200, response.body);
    assert.deepEqual(response.json().results, [
      { eventId: "late-1", status: "stored", decisionFound: false },
    ]);
  });

  it("says in /readyz and /metrics that the fallback α serves while the registry is empty", async () => {
    const ready = await server.app.inject({ method: "GET", url: "/readyz" });
    assert.equal(ready.statusCode, 200);
    assert.equal(ready.json().model.fallback, true);
    assert.match(ready.json().model.note, /fallback/);
    const metrics = await server.app.inject({ method: "GET", url: "/metrics" });
    assert.match(metrics.body, /^mtf_serving_fallback 1$/m);
    assert.match(metrics.body, /mtf_fallback_requests_total \d+/);
    assert.match(metrics.body, /mtf_rank_duration_seconds_bucket/);
    assert.match(metrics.body, /mtf_feedback_events_total\{status="stored"\} \d+/);
    assert.equal((await server.app.inject({ method: "GET", url: "/healthz" })).statusCode, 200);
  });

  it("serves the OpenAPI document and its UI at /docs", async () => {
    const doc = await server.app.inject({ method: "GET", url: "/docs/json" });
    assert.equal(doc.statusCode, 200);
    const paths = Object.keys(doc.json().paths);
    assert.deepEqual(paths.sort(), ["/healthz", "/metrics", "/readyz", "/v1/feedback", "/v1/rank"]);
    const ui = await server.app.inject({ method: "GET", url: "/docs/" });
    assert.equal(ui.statusCode, 200);
    assert.match(ui.body, /swagger/i);
  });

  it("logs every decision with its assignments, seed and state", async () => {
    await post("/v1/rank", { ...valid(), userId: "logged", requestId: "logged-1" });
    await server.close();
    const { listSegments, readSegment } = await import("./feedback-segments.js");
    const decisions = [];
    for (const segment of await listSegments(server.feedbackLog.dir)) {
      for await (const record of readSegment(segment.path))
        if (record.type === "decision") decisions.push(record.decision);
    }
    const entry = decisions.find((d) => d.requestId === "logged-1");
    assert.ok(entry);
    assert.equal(entry.policyVersion, "fallback");
    assert.ok(["target", "random", "action_noise"].includes(entry.explorationGroup));
    assert.equal(entry.alpha.length, N_TASKS);
    assert.ok(entry.state.length > 0);
    assert.equal(typeof entry.decisionSeed, "number");
  });
});
