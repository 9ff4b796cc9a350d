/**
 * What the feedback log holds, one record per line: `<crc32 as 8 hex digits> <JSON>\n`. The CRC
 * tells a torn tail (a write cut by a crash, never acknowledged) from a complete line.
 *
 * - `event`: a play (core's `PlayEvent`, the log store's schema), with the served decision's α,
 *   action, scores, policy version, exploration group, noise scale, seed and arm joined in.
 * - `decision`: every served decision, with its layer assignments, the seed of its random draws
 *   and the raw state, so it can be audited and replayed (`replayDecision`).
 */
import { crc32 } from "node:zlib";
import type { ExplorationGroup, PlayEvent } from "../core/events.js";

export interface DecisionLogEntry {
  readonly requestId: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly timestampMs: number;
  readonly positionInSession: number;
  readonly policyVersion: string;
  readonly fallback: boolean;
  /** Served by the canary version (the canary layer's hash picked this user). */
  readonly canary: boolean;
  readonly explorationGroup: ExplorationGroup;
  readonly noiseScale: number | null;
  readonly experimentArm: string | null;
  readonly decisionSeed: number;
  /** [12] */
  readonly alpha: readonly number[];
  /** [12] normalised action. */
  readonly action: readonly number[];
  /** [stateDim] the raw encoded state the policy saw. */
  readonly state: readonly number[];
  readonly candidateCount: number;
  /** Served item ids, best first. */
  readonly items: readonly string[];
}

export type FeedbackRecord =
  | { readonly type: "event"; readonly event: PlayEvent }
  | { readonly type: "decision"; readonly decision: DecisionLogEntry };

function checksum(json: string): string {
  return crc32(json).toString(16).padStart(8, "0");
}

export function encodeRecord(record: FeedbackRecord): string {
  const json = JSON.stringify(record);
  return `${checksum(json)} ${json}\n`;
}

/** The record of one line (without its newline), or null when the line is torn or damaged. */
export function decodeRecord(line: string): FeedbackRecord | null {
  if (line.length < 10 || line[8] !== " ") return null;
  const json = line.slice(9);
  if (checksum(json) !== line.slice(0, 8)) return null;
  try {
    const record = JSON.parse(json) as { type?: unknown };
    return record.type === "event" || record.type === "decision" ? (record as FeedbackRecord) : null;
  } catch {
    return null;
  }
}
