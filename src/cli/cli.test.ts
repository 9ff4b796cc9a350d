import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const BIN = fileURLToPath(new URL("../../bin/mtf.js", import.meta.url));

function mtf(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, ...env } });
}

test("mtf --help describes the tool and its options", () => {
  const result = mtf(["--help"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /Usage: mtf/);
  assert.match(result.stdout, /--version/);
});

test("mtf --version reports the package version and the numeric backend", () => {
  const result = mtf(["--version"]);
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /^mtf \d+\.\d+\.\d+ \(node v\d+/);
  assert.match(result.stdout, /numeric backend (native-avx512|native-avx2|native-generic|reference)/);
});

test("mtf --version under MTF_BACKEND=reference names the reference backend without a warning", () => {
  const result = mtf(["--version"], { MTF_BACKEND: "reference" });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /numeric backend reference, 1 thread \(MTF_BACKEND=reference\)/);
  assert.equal(result.stderr, "");
});

test("an unknown command fails with a usage error, not a stack trace", () => {
  const result = mtf(["no-such-command"]);
  assert.notEqual(result.status, 0);
  assert.match(result.stderr, /unknown command/);
  assert.doesNotMatch(result.stderr, /at .*\.ts:\d+/);
});
