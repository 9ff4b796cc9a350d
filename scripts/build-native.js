#!/usr/bin/env node
// Builds the native kernels (build/Release/mtf_native.node) with node-gyp. Run by `npm install`
// (where a failed build must not fail the install: mtf then uses its pure-TypeScript reference
// kernels) and by `npm run build` with --strict (where it must fail loudly).
// Uses the node-gyp that npm provides, and the local Node headers when they are installed, so
// nothing is downloaded.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const strict = process.argv.includes("--strict");
const logPath = join(root, "build", "native-build.log");

function findNodeGyp() {
  const candidates = [];
  if (process.env.npm_config_node_gyp) candidates.push(process.env.npm_config_node_gyp);
  const nodeDir = dirname(process.execPath);
  const prefix = dirname(nodeDir);
  candidates.push(
    join(prefix, "lib", "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
    join(nodeDir, "node_modules", "npm", "node_modules", "node-gyp", "bin", "node-gyp.js"),
  );
  try {
    candidates.push(createRequire(join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js"));
  } catch {
    // not installed locally
  }
  return candidates.find((path) => existsSync(path)) ?? null;
}

function gypArgs() {
  const args = ["rebuild"];
  // Headers of the running Node, when installed with it (distro packages, official tarballs).
  const prefix = dirname(dirname(process.execPath));
  if (!process.env.npm_config_nodedir && existsSync(join(prefix, "include", "node", "node_api.h"))) {
    args.push(`--nodedir=${prefix}`);
  }
  return args;
}

function fail(reason, output) {
  if (output) {
    try {
      mkdirSync(dirname(logPath), { recursive: true });
      writeFileSync(logPath, output);
    } catch {
      // the warning below is what matters
    }
  }
  if (strict) {
    if (output) process.stderr.write(output);
    console.error(`mtf: native kernels could not be built (${reason})`);
    process.exit(1);
  }
  console.warn(
    `mtf: native kernels could not be built (${reason}); falling back to the pure-TypeScript ` +
      "reference backend, which is much slower" +
      (output ? ` (build log: ${logPath})` : ""),
  );
  process.exit(0);
}

const nodeGyp = findNodeGyp();
if (nodeGyp === null) fail("node-gyp not found; it ships with npm", "");

const result = spawnSync(process.execPath, [nodeGyp, ...gypArgs()], {
  cwd: root,
  encoding: "utf8",
  maxBuffer: 64 * 1024 * 1024,
});
const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
if (result.error) fail(`could not run node-gyp: ${result.error.message}`, output);
if (result.status !== 0) {
  const firstError = output
    .split("\n")
    .find((line) => /error/i.test(line) && !/^gyp ERR! (stack|System|command|cwd|node|not ok)/.test(line));
  fail(firstError ? firstError.trim().slice(0, 200) : `node-gyp exited with ${result.status}`, output);
}
if (!existsSync(join(root, "build", "Release", "mtf_native.node"))) {
  fail("node-gyp succeeded but build/Release/mtf_native.node is missing", output);
}
const warnings = output.split("\n").filter((line) => line.includes("warning:"));
if (warnings.length > 0) console.warn(warnings.join("\n"));
console.log("mtf: native kernels built (build/Release/mtf_native.node)");
