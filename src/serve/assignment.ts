/**
 * Traffic layers. Each is a stable hash of (layer salt, user id) onto [0, 1), so a user always
 * lands in the same group of a layer, and layers with different salts are independent of each
 * other (orthogonal): who is in an A/B arm says nothing about who explores or gets the canary.
 *
 * - experiment arms (`serve.experiments`): consecutive slices of [0, 1) by share, in config
 *   order; users past the last slice are in no arm and get the current model;
 * - canary: units below the canary share get the canary version;
 * - exploration (agents/exploration.ts, salt `exploration.salt`): target / random /
 *   action-noise, Mixed = the explored share split equally between random and action noise.
 */
import { saltedUnit } from "../agents/exploration.js";
import type { ArmModel } from "./config.js";
import type { ServingModels } from "./model-watcher.js";
import type { ServingModel } from "./serving-model.js";

export interface ExperimentArm {
  readonly name: string;
  readonly share: number;
  readonly model: ArmModel;
}

export interface ArmAssignment {
  readonly arm: string | null;
  readonly model: ArmModel;
}

const NO_ARM: ArmAssignment = { arm: null, model: "current" };

export function assignArm(salt: string, arms: readonly ExperimentArm[], userId: string): ArmAssignment {
  if (arms.length === 0) return NO_ARM;
  const unit = saltedUnit(salt, userId);
  let upper = 0;
  for (const arm of arms) {
    upper += arm.share;
    if (unit < upper) return { arm: arm.name, model: arm.model };
  }
  return NO_ARM;
}

export interface ModelChoice {
  readonly model: ServingModel;
  /** The canary layer picked this user and a canary is live. */
  readonly canary: boolean;
}

/** The model a user gets: the arm's fallback, else the canary for the canary share, else current. */
export function chooseModel(
  models: ServingModels,
  arm: ArmAssignment,
  canarySalt: string,
  userId: string,
): ModelChoice {
  if (arm.model === "fallback") return { model: models.fallback, canary: false };
  const canary = models.canary;
  if (canary !== null && saltedUnit(canarySalt, userId) < canary.share)
    return { model: canary.model, canary: true };
  return { model: models.current, canary: false };
}
