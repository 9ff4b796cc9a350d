/**
 * The closed loop of the paper's online half (Sec. 3.3-3.4, Fig. 3-4) on one machine: `mtf serve`
 * over real HTTP on 127.0.0.1, the simulator as its client (closed-loop-client.ts, a worker),
 * and the daily retrain between simulated days:
 *
 *   day d: every request  rank (server: state store → policy → exploration → Eq. 1) → play (sim)
 *                         → feedback (server: join with the decision → fsync'd log → user history)
 *   first request of day d+1: the day's segment is closed, `retrain` (pipeline/retrain.ts) builds
 *                         from the last N days, trains, evaluates, gates and publishes; the
 *                         server hot-reloads the new version before it serves day d+1.
 *
 * The server's clock is the simulated one (the latest timestamp seen, held within the day being
 * served), so the feedback log's day folders are the simulated days.
 */
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { parseConfig, timeZoneOffsetMinutes } from "../core/config.js";
import { isMtfError, MtfError } from "../core/errors.js";
import { serveRootSchema } from "../serve/config.js";
import { localDay, storedEventIds } from "../serve/feedback-segments.js";
import { startServer } from "../serve/server.js";
import type { SimConfigInput, SimPreset } from "../sim/config.js";
import { simPreset } from "../sim/config.js";
import { createWorld } from "../sim/world.js";
import {
  BRIDGE_HEADER_BYTES,
  type BridgeReply,
  type ClientData,
  type ClientMessage,
} from "./closed-loop-client.js";
import { type RetrainDecision, retrain } from "./retrain.js";
import type { RetrainRootConfig } from "./retrain-config.js";

const DAY_MS = 86_400_000;

export interface ClosedLoopOptions {
  /** Folder of the run: registry/, feedback/, retrain-<d>/. */
  readonly dir: string;
  readonly users: number;
  readonly days: number;
  readonly seed: number;
  readonly preset?: SimPreset;
  readonly simOverrides?: SimConfigInput;
  /** Share of users the server explores (the retrain trains on explored traffic). */
  readonly explorationShare: number;
  /**
   * The nightly retrain's config (its serve section is replaced by the loop's dirs); null runs
   * the loop without retraining (a control: the fallback α serves every day).
   */
  readonly retrain: RetrainRootConfig | null;
  /** Called after each simulated day with its report (the retrain that followed comes with the next). */
  readonly onDay?: (report: DayReport) => void;
  readonly onRetrain?: (retrain: NightlyRetrain) => void;
}

export interface DayReport {
  readonly day: number;
  /** Rank requests served. */
  readonly requests: number;
  /** Feedback requests (each carries the plays of a lockstep step) and the events they carried. */
  readonly feedbackRequests: number;
  readonly events: number;
  /** Rank responses per policy version that served them. */
  readonly versions: Readonly<Record<string, number>>;
  /** Served traffic's play time on the day ÷ users of the run (ADTime, seconds). */
  readonly adTimeS: number;
}

export interface NightlyRetrain {
  /** The simulated day it followed. */
  readonly afterDay: number;
  readonly decision: RetrainDecision;
  /** Events acknowledged into the log's day folders of its window: what it had to load. */
  readonly expectedEvents: number;
}

/** A night whose retrain found too little data (EMPTY_DATASET): the current model kept serving. */
export interface SkippedRetrain {
  readonly afterDay: number;
  readonly reason: string;
}

export interface ClosedLoopResult {
  readonly days: readonly DayReport[];
  readonly retrains: readonly NightlyRetrain[];
  readonly skippedRetrains: readonly SkippedRetrain[];
  readonly eventsSent: number;
  /** Events acknowledged as stored by POST /v1/feedback. */
  readonly eventsAcknowledged: number;
  /** Events found in the feedback log's segments after the server closed. */
  readonly eventsStored: number;
  /** The simulator's own per-day app time of all users, seconds (must match the served traffic). */
  readonly simDailyAppTimeS: readonly number[];
}

function post(
  agent: http.Agent,
  url: string,
  body: unknown,
): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json" } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
        });
        response.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end(JSON.stringify(body));
  });
}

/** The client worker: the sibling file of this one, compiled (dist/) or TypeScript through tsx. */
function startClient(data: ClientData): Worker {
  const extension = path.extname(fileURLToPath(import.meta.url));
  const url = new URL(`./closed-loop-client${extension}`, import.meta.url);
  if (extension !== ".ts") return new Worker(url, { workerData: data });
  // Node 20 workers do not inherit tsx's loader hooks: the worker registers them itself.
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then(({ register }) => { register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { eval: true, workerData: data });
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new MtfError("INTERNAL", `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Runs the loop (file header) and returns what was sent, stored and served, day by day. */
export async function runClosedLoop(options: ClosedLoopOptions): Promise<ClosedLoopResult> {
  const preset = options.preset ?? "small";
  const overrides = options.simOverrides ?? {};
  const timeZone = options.retrain?.timeZone ?? "+08:00";
  const world = createWorld(simPreset(preset, overrides), options.seed, { timeZone });
  const registryDir = path.join(options.dir, "registry");
  const feedbackDir = path.join(options.dir, "feedback");
  const config = parseConfig(
    {
      seed: options.seed,
      timeZone,
      exploration: { share: options.explorationShare },
      serve: { port: 0, registryDir, feedbackDir, reloadPollMs: 50, logLevel: "silent" },
    },
    serveRootSchema,
    "closed loop",
  );
  const retrainConfig: RetrainRootConfig | null =
    options.retrain === null
      ? null
      : { ...options.retrain, serve: { ...options.retrain.serve, registryDir, feedbackDir } };
  const utcOffsetMinutes = timeZoneOffsetMinutes(timeZone);
  let agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  let clock = world.startMs;
  const server = await startServer(config, { silent: true, now: () => clock });

  const shared = new SharedArrayBuffer(BRIDGE_HEADER_BYTES + (1 << 20));
  const control = new Int32Array(shared, 0, 2);
  const payload = new Uint8Array(shared, BRIDGE_HEADER_BYTES);
  const reply = (value: BridgeReply) => {
    let text = JSON.stringify(value);
    if (Buffer.byteLength(text) > payload.length)
      text = JSON.stringify({
        seq: value.seq,
        error: `a reply of ${Buffer.byteLength(text)} bytes overflows the bridge`,
      });
    const { written } = new TextEncoder().encodeInto(text, payload);
    control[1] = written;
    Atomics.store(control, 0, 1);
    Atomics.notify(control, 0);
  };

  const reports: {
    requests: number;
    feedbackRequests: number;
    events: number;
    playMs: number;
    versions: Record<string, number>;
  }[] = Array.from({ length: options.days }, () => ({
    requests: 0,
    feedbackRequests: 0,
    events: 0,
    playMs: 0,
    versions: {},
  }));
  const retrains: NightlyRetrain[] = [];
  const skipped: SkippedRetrain[] = [];
  /** Events acknowledged, by the day folder of the log they went to (the server's day at the time). */
  const loggedByDay = new Map<string, number>();
  let servingDay = 0;
  let eventsSent = 0;
  let eventsAcknowledged = 0;

  const report = (day: number): DayReport => ({
    day,
    requests: reports[day].requests,
    feedbackRequests: reports[day].feedbackRequests,
    events: reports[day].events,
    versions: reports[day].versions,
    adTimeS: reports[day].playMs / 1000 / options.users,
  });

  /**
   * The server's clock: the latest timestamp seen, held within the simulated day being served.
   * The simulator steps its users in lockstep, not in time order, so one user's session running
   * past midnight must not move the day (and the feedback log's day folder) for everyone else.
   */
  const advanceClock = (day: number, timestampMs: number) => {
    const dayStart = world.startMs + day * DAY_MS;
    clock = Math.max(clock, Math.min(Math.max(timestampMs, dayStart), dayStart + DAY_MS - 1));
  };

  /** Between simulated days: close the day's segment, retrain, and wait for the reload. */
  const nightlyJob = async (day: number): Promise<void> => {
    options.onDay?.(report(day));
    await server.feedbackLog.closeIfDayChanged();
    if (retrainConfig === null) return;
    let decision: RetrainDecision;
    try {
      decision = await retrain({
        config: retrainConfig,
        feedbackDir,
        registryDir,
        outDir: path.join(options.dir, `retrain-${day}`),
      });
    } catch (error) {
      // As in production: a night without enough data keeps the current model serving.
      if (!isMtfError(error, "EMPTY_DATASET")) throw error;
      skipped.push({ afterDay: day, reason: error.message });
      return;
    }
    const { fromDay, toDay } = decision.window;
    const expectedEvents = [...loggedByDay]
      .filter(([logDay]) => logDay >= fromDay && logDay <= toDay)
      .reduce((sum, [, n]) => sum + n, 0);
    const nightly = { afterDay: day, decision, expectedEvents };
    retrains.push(nightly);
    options.onRetrain?.(nightly);
    const published = decision.published;
    if (published !== null && published.role === "current") {
      await waitFor(
        () => server.watcher.models.current.version === published.version,
        `the server to load ${published.version}`,
      );
    }
  };

  const handle = async (message: ClientMessage): Promise<Record<string, unknown>> => {
    if (message.type === "done") return {};
    const timestampMs = message.body.timestampMs;
    if (message.type === "rank") {
      advanceClock(message.day, Number(timestampMs));
      while (servingDay < message.day) {
        advanceClock(servingDay + 1, 0);
        await nightlyJob(servingDay);
        servingDay += 1;
        // The server may have closed the idle keep-alive sockets during a long retrain.
        agent.destroy();
        agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      }
      const response = await post(agent, `${server.url}/v1/rank`, message.body);
      if (response.status !== 200)
        throw new MtfError("INTERNAL", `rank: HTTP ${response.status}: ${JSON.stringify(response.json)}`);
      const day = reports[message.day];
      day.requests += 1;
      const version = String(response.json.policyVersion);
      day.versions[version] = (day.versions[version] ?? 0) + 1;
      return response.json;
    }
    const events = message.body.events as { timestampMs: number; playTimeMs: number }[];
    for (const event of events) advanceClock(message.day, event.timestampMs);
    const response = await post(agent, `${server.url}/v1/feedback`, message.body);
    if (response.status !== 200)
      throw new MtfError("INTERNAL", `feedback: HTTP ${response.status}: ${JSON.stringify(response.json)}`);
    eventsSent += events.length;
    const stored = Number(response.json.stored);
    eventsAcknowledged += stored;
    const logDay = localDay(clock, utcOffsetMinutes);
    loggedByDay.set(logDay, (loggedByDay.get(logDay) ?? 0) + stored);
    const day = reports[message.day];
    day.feedbackRequests += 1;
    day.events += events.length;
    for (const event of events) day.playMs += event.playTimeMs;
    return response.json;
  };

  const data: ClientData = {
    shared,
    preset,
    overrides,
    worldSeed: options.seed,
    runSeed: options.seed,
    users: options.users,
    days: options.days,
    timeZone,
  };
  let simDailyAppTimeS: readonly number[] = [];
  try {
    const worker = startClient(data);
    await new Promise<void>((resolve, reject) => {
      worker.on("error", reject);
      worker.on("exit", (code) =>
        code === 0 ? resolve() : reject(new MtfError("INTERNAL", `the client exited with ${code}`)),
      );
      worker.on("message", (message: ClientMessage) => {
        if (message.type === "done") {
          simDailyAppTimeS = message.dailyAppTimeS;
          return;
        }
        const { seq } = message;
        handle(message).then(
          (value) => reply({ seq, value }),
          (error: unknown) => reply({ seq, error: error instanceof Error ? error.message : String(error) }),
        );
      });
    });
    options.onDay?.(report(options.days - 1));
  } finally {
    agent.destroy();
    await server.close();
  }
  const eventsStored = (await storedEventIds(feedbackDir)).length;
  return {
    days: reports.map((_, d) => report(d)),
    retrains,
    skippedRetrains: skipped,
    eventsSent,
    eventsAcknowledged,
    eventsStored,
    simDailyAppTimeS,
  };
}

function figure(x: number): string {
  return Math.abs(x) >= 1e4 || (x !== 0 && Math.abs(x) < 1e-3) ? x.toExponential(3) : x.toFixed(3);
}

/** One line per simulated day (ADTime of the served traffic, who served it) and per nightly retrain. */
export function formatClosedLoop(result: ClosedLoopResult): string {
  const lines: string[] = [];
  for (const day of result.days) {
    const versions = Object.entries(day.versions)
      .map(([version, n]) => `${version} ${n}`)
      .join(", ");
    lines.push(
      `day ${day.day}: ADTime ${day.adTimeS.toFixed(1)} s/user; ${day.requests} rank requests served by ${versions}; ${day.events} events in ${day.feedbackRequests} feedback requests`,
    );
    const skipped = result.skippedRetrains.find((r) => r.afterDay === day.day);
    if (skipped !== undefined) lines.push(`  retrain skipped: ${skipped.reason}`);
    const nightly = result.retrains.find((r) => r.afterDay === day.day);
    if (nightly !== undefined) {
      const d = nightly.decision;
      lines.push(
        `  retrain ${d.window.fromDay}..${d.window.toDay}: ${d.window.events} events, ${d.dataset.trainTransitions} train transitions; ` +
          `V̂ new ${figure(d.candidate.value)} vs ${d.current.version} ${figure(d.current.value)}; gate ${d.gate.rule} ${d.gate.passed ? "passed" : "refused"}` +
          (d.published === null ? "" : ` → ${d.published.version}`),
      );
    }
  }
  lines.push(
    `events: ${result.eventsSent} sent, ${result.eventsAcknowledged} acknowledged, ${result.eventsStored} in the feedback log`,
  );
  return lines.join("\n");
}
