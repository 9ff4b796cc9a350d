/**
 * Output folders that appear whole or not at all: write into a temporary sibling folder, then
 * rename it into place (a rename within one file system is atomic). A process killed midway
 * leaves the target as it was, plus at most a `*.tmp-*` sibling.
 */
import { randomBytes } from "node:crypto";
import fs from "node:fs";

/** A fresh, unused sibling path of `target` for writing before `replaceDir`. */
export function tempSibling(target: string): string {
  return `${target}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Whether `dir` is missing or an empty folder (nothing a rename onto it would lose). */
export function isAbsentOrEmpty(dir: string): boolean {
  return !fs.existsSync(dir) || (fs.statSync(dir).isDirectory() && fs.readdirSync(dir).length === 0);
}

/** Moves the finished temporary folder onto `target`, replacing an existing one. */
export function replaceDir(tmp: string, target: string): void {
  if (fs.existsSync(target)) {
    const old = `${target}.old-${process.pid}-${randomBytes(4).toString("hex")}`;
    fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, target);
  }
}
