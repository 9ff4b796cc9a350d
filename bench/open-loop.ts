/**
 * An open-loop HTTP load generator: request i is sent at start + i/rate whatever happened to the
 * requests before it (arrivals do not wait for responses, as real traffic does not), over a pool
 * of keep-alive connections. Latency runs from the scheduled send time to the end of the response,
 * so a request that waited for a free connection counts its wait (no coordinated omission).
 * Closed-loop generators that fire each connection's per-second quota back to back measure
 * bursts instead: 16 requests arriving together queue behind each other on a 1 ms handler.
 */
import http from "node:http";

export interface OpenLoopResult {
  /** Latency percentiles in milliseconds (sub-millisecond resolution). */
  readonly p50: number;
  readonly p99: number;
  /** Responses per second achieved over the run. */
  readonly rate: number;
  /** Failed requests and non-2xx responses. */
  readonly errors: number;
}

export async function openLoopLoad(options: {
  readonly url: string;
  readonly body: string;
  readonly rate: number;
  readonly seconds: number;
  readonly connections: number;
}): Promise<OpenLoopResult> {
  const target = new URL(options.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.connections });
  const payload = Buffer.from(options.body);
  const total = Math.max(1, Math.round(options.rate * options.seconds));
  const latencies = new Float64Array(total);
  const interval = 1000 / options.rate;
  let errors = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    let done = 0;
    const finish = (i: number, ok: boolean, scheduled: number): void => {
      latencies[i] = performance.now() - scheduled;
      if (!ok) errors += 1;
      done += 1;
      if (done === total) resolve();
    };
    const fire = (i: number): void => {
      const scheduled = start + i * interval;
      const request = http.request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: "POST",
          agent,
          headers: { "content-type": "application/json", "content-length": payload.length },
        },
        (response) => {
          response.resume();
          response.on("end", () => finish(i, (response.statusCode ?? 0) < 300, scheduled));
          response.on("error", () => finish(i, false, scheduled));
        },
      );
      request.on("error", () => finish(i, false, scheduled));
      request.end(payload);
    };
    const tick = (): void => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) fire(sent++);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()));
    };
    tick();
  });
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { p50: at(0.5), p99: at(0.99), rate: total / seconds, errors };
}
