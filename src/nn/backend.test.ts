// The backend is chosen once per process, so each case runs in a fresh child process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

const WARNING = "mtf: native kernels unavailable";
const backendUrl = new URL("./backend.ts", import.meta.url).href;

function runChild(env: Record<string, string | undefined>): {
  stdout: string;
  stderr: string;
  status: number | null;
} {
  const script = `
    const { kernels, backendInfo } = await import(${JSON.stringify(backendUrl)});
    try {
      kernels();
      kernels();
      console.log(JSON.stringify(backendInfo()));
    } catch (error) {
      console.log(JSON.stringify({ code: error.code, message: error.message }));
    }`;
  const childEnv = { ...process.env, ...env };
  for (const [key, value] of Object.entries(env)) if (value === undefined) delete childEnv[key];
  const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
    env: childEnv,
    encoding: "utf8",
  });
  return { stdout: result.stdout, stderr: result.stderr, status: result.status };
}

test("MTF_BACKEND=reference selects the reference kernels silently", () => {
  const { stdout, stderr, status } = runChild({ MTF_BACKEND: "reference" });
  assert.equal(status, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { name: "reference", threads: 1, reason: "MTF_BACKEND=reference" });
  assert.ok(!stderr.includes(WARNING), stderr);
});

test("an unknown MTF_BACKEND is a config error that lists the choices", () => {
  const { stdout } = runChild({ MTF_BACKEND: "cuda" });
  const result = JSON.parse(stdout);
  assert.equal(result.code, "INVALID_CONFIG");
  assert.match(result.message, /use "native", "reference", or leave it unset/);
});

test("the automatic choice warns at most once, and only when falling back to the reference", () => {
  const { stdout, stderr, status } = runChild({ MTF_BACKEND: undefined });
  assert.equal(status, 0, stderr);
  const info = JSON.parse(stdout);
  const warnings = stderr.split(WARNING).length - 1;
  if (info.name === "reference") {
    assert.equal(warnings, 1, stderr);
    assert.match(stderr, /using the pure-TypeScript reference backend \(much slower\)\. Run `npm run build`/);
    assert.equal(typeof info.reason, "string");
  } else {
    assert.equal(warnings, 0, stderr);
    assert.equal(info.reason, null);
    assert.ok(info.threads >= 1);
  }
});
