import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { storedEventIds } from "./feedback-segments.js";
import { httpRequest, tempDir } from "./test-fixtures.js";

const CHILD = fileURLToPath(new URL("./child-server.ts", import.meta.url));

/** Starts the child server and resolves with it and its URL once it listens. */
function startChild(config: unknown): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, JSON.stringify(config)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    let errors = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /READY (\S+)/.exec(output);
      if (match !== null) resolve({ child, url: match[1] });
    });
    child.stderr?.on("data", (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.on("exit", (code) => reject(new Error(`child server exited with ${code}: ${errors}`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once("exit", () => resolve());
  });
}

function feedbackBody(ids: readonly string[]): string {
  return JSON.stringify({
    events: ids.map((eventId) => ({
      eventId,
      requestId: `r-${eventId}`,
      itemId: "item",
      userId: `user-${eventId.length % 7}`,
      playTimeMs: 4000,
    })),
  });
}

describe("feedback durability", () => {
  it("keeps every acknowledged event when the server is killed with SIGKILL during a burst", async () => {
    const temp = tempDir("crash");
    const config = {
      serve: {
        host: "127.0.0.1",
        port: 0,
        feedbackDir: path.join(temp.dir, "feedback"),
        registryDir: path.join(temp.dir, "registry"),
      },
    };
    const first = await startChild(config);
    const acknowledged = new Set<string>();
    let sent = 0;
    let stop = false;
    const worker = async (w: number) => {
      for (let batch = 0; !stop; batch++) {
        const ids = Array.from({ length: 1 + (batch % 4) }, (_, i) => `w${w}-b${batch}-e${i}`);
        sent += ids.length;
        try {
          const response = await httpRequest(`${first.url}/v1/feedback`, { body: feedbackBody(ids) });
          if (response.status === 200) for (const id of ids) acknowledged.add(id);
        } catch {
          return; // the connection died with the server: not acknowledged
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    while (acknowledged.size < 300) await new Promise((resolve) => setTimeout(resolve, 10));
    first.child.kill("SIGKILL");
    stop = true;
    await Promise.all(workers);
    await exited(first.child);

    const second = await startChild(config); // recovers the segment the kill left open
    const stored = new Set(await storedEventIds(config.serve.feedbackDir));
    const lost = [...acknowledged].filter((id) => !stored.has(id));
    assert.deepEqual(lost, [], `acknowledged ${acknowledged.size} of ${sent} sent; stored ${stored.size}`);
    assert.ok(stored.size <= sent);

    // Retried after the restart, acknowledged events are recognised as stored: no double count.
    const retry = await httpRequest(`${second.url}/v1/feedback`, {
      body: feedbackBody([...acknowledged].slice(0, 200)),
    });
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.json<{ stored: number; duplicates: number }>().stored, 0);
    second.child.kill("SIGTERM");
    await exited(second.child);
    temp.remove();
  });
});
