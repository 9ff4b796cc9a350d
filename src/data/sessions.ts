/**
 * Sessions and per-play rows (DESIGN.md "MDP"). `sql/session-bounds.sql` decides, in one pass
 * over each user's plays, where sessions start and end (the log's session_id, else an
 * inactivity gap) and derives the exit outcome; `sql/sessions.sql` numbers the sessions on top
 * of it. Dataset builds apply the same rule to their sorted play stream in TypeScript
 * (play-stream.ts `SessionCutter`, held to this SQL by play-stream.test.ts); the SQL serves
 * inspection and portable use on other engines. States come from the
 * TypeScript state encoder streaming over these rows (no SQL twin).
 */
import fs from "node:fs";
import { MtfError } from "../core/errors.js";

/** Default inactivity gap that ends a session when the log has no session_id: 30 minutes. */
export const DEFAULT_INACTIVITY_MINUTES = 30;

function template(name: string): string {
  return fs.readFileSync(new URL(`./sql/${name}`, import.meta.url), "utf8");
}

const BOUNDS = template("session-bounds.sql");
const SESSIONS = template("sessions.sql");

/**
 * Per-play rows of `events` (the table name, or a parenthesised subquery) with session
 * boundaries and the exit outcome, unordered. Bind `$inactivity_ms` when running it.
 */
export function sessionBoundsSql(events = "events"): string {
  return BOUNDS.replace(/\$\{events\}/g, () => events);
}

/**
 * Per-play rows with numbered sessions and positions, ordered by (user_id, ts_ms, event_id).
 * Bind `$inactivity_ms` when running it.
 */
export function sessionsSql(events = "events"): string {
  return SESSIONS.replace(/\$\{bounds\}/g, () => `(${sessionBoundsSql(events)})`);
}

/** The `$inactivity_ms` parameter for a threshold in minutes (checked: positive, finite). */
export function inactivityMs(minutes: number): number {
  if (!(Number.isFinite(minutes) && minutes > 0)) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `inactivity threshold must be a positive number of minutes, got ${minutes}`,
    );
  }
  return Math.round(minutes * 60_000);
}
