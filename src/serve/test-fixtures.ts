/** Shared helpers of the serving tests: configs in temp folders, valid scores and bodies. */
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { saveBcqPolicy } from "../agents/bcq/artefact.js";
import { bcqConfig, bcqDims, policySamples } from "../agents/bcq/config.js";
import { createBcqNetworks } from "../agents/bcq/networks.js";
import { BcqPolicy } from "../agents/bcq/policy.js";
import { parseConfig } from "../core/config.js";
import { Rng } from "../core/rng.js";
import { STATE_ENCODER_VERSION, stateDim } from "../core/state-encoder.js";
import { N_TASKS, TASKS } from "../core/tasks.js";
import { type ServeRootConfig, type ServeRootConfigInput, serveRootSchema } from "./config.js";
import { type RunningServer, type StartOptions, startServer } from "./server.js";

export function tempDir(prefix: string): { readonly dir: string; readonly remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), `mtf-${prefix}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A resolved config serving from `dir` on a free port of 127.0.0.1. */
export function testConfig(dir: string, input: ServeRootConfigInput = {}): ServeRootConfig {
  return parseConfig(
    {
      ...input,
      serve: {
        registryDir: path.join(dir, "registry"),
        feedbackDir: path.join(dir, "feedback"),
        port: 0,
        reloadPollMs: 50,
        ...input.serve,
      },
    },
    serveRootSchema,
    "test config",
  );
}

export async function startTestServer(
  dir: string,
  input: ServeRootConfigInput = {},
  options: StartOptions = {},
): Promise<RunningServer> {
  return startServer(testConfig(dir, input), { silent: true, ...options });
}

/** [count x 12] valid MTL scores: probabilities in (0, 1), play_time in seconds. */
export function randomScores(rng: Rng, count: number): Float64Array {
  const scores = new Float64Array(count * N_TASKS);
  for (let c = 0; c < count; c++) {
    for (let t = 0; t < N_TASKS; t++) {
      scores[c * N_TASKS + t] =
        TASKS[t] === "play_time" ? rng.uniformIn(0, 120) : rng.uniformIn(0.001, 0.999);
    }
  }
  return scores;
}

export function itemIdsFor(count: number, prefix = "item"): string[] {
  return Array.from({ length: count }, (_, c) => `${prefix}-${c}`);
}

export type ShapeName = "objects" | "tasks" | "rows";

/** The candidates part of a rank body in one of the three layouts. */
export function candidatesBody(
  shape: ShapeName,
  itemIds: readonly string[],
  scores: Float64Array,
): Record<string, unknown> {
  const row = (c: number) => Array.from(scores.subarray(c * N_TASKS, (c + 1) * N_TASKS));
  switch (shape) {
    case "objects":
      return {
        candidates: itemIds.map((itemId, c) => ({
          itemId,
          scores: Object.fromEntries(TASKS.map((task, t) => [task, scores[c * N_TASKS + t]])),
        })),
      };
    case "tasks":
      return {
        itemIds,
        scores: Object.fromEntries(
          TASKS.map((task, t) => [task, itemIds.map((_, c) => scores[c * N_TASKS + t])]),
        ),
      };
    case "rows":
      return { itemIds, scores: itemIds.map((_, c) => row(c)) };
  }
}

export interface HttpResponse {
  readonly status: number;
  readonly text: string;
  json<T = Record<string, unknown>>(): T;
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

/** One request over real HTTP (node:http with keep-alive: much cheaper than fetch on Node 20). */
export function httpRequest(
  url: string,
  options: { readonly method?: string; readonly body?: string; readonly contentType?: string } = {},
): Promise<HttpResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = options.contentType ?? "application/json";
    const request = http.request(
      url,
      { method: options.method ?? (options.body === undefined ? "GET" : "POST"), agent, headers },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, text, json: <T>() => JSON.parse(text) as T });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(options.body);
  });
}

/** Writes an untrained BCQ serving artefact (quick preset sizes) for states with `profileDim` profile features. */
export async function saveTestBcqArtefact(file: string, profileDim: number, seed: number): Promise<void> {
  const config = bcqConfig({ preset: "quick" });
  const dims = bcqDims(config, stateDim(profileDim), N_TASKS);
  const rng = new Rng(seed);
  const { decoder, actor, critic1 } = createBcqNetworks(config, dims, rng);
  const mean = Array.from({ length: dims.stateDim }, () => rng.uniformIn(-0.5, 0.5));
  const std = Array.from({ length: dims.stateDim }, () => rng.uniformIn(0.5, 2));
  const policy = new BcqPolicy({
    id: "test-bcq",
    networks: { decoder, actor, critic1 },
    normaliser: { mean, std },
    dims,
    rho: config.rho,
    samples: policySamples(config),
    latentClip: config.latentClip,
  });
  await saveBcqPolicy(file, policy, {
    stateEncoderVersion: STATE_ENCODER_VERSION,
    trainedSteps: 0,
    configHash: "test",
  });
}
