/**
 * A policy ready to serve: its version, the profile size its states need, and its exploration
 * layer (random exploration around the behaviour baseline, action noise around this policy).
 */
import { FixedAlphaPolicy } from "../agents/behaviour.js";
import { type ExplorationConfig, ExplorationLayer } from "../agents/exploration.js";
import { type AlphaBounds, alphaToActionChecked } from "../core/action.js";
import type { Policy } from "../core/interfaces.js";
import { stateDim } from "../core/state-encoder.js";
import { N_TASKS } from "../core/tasks.js";
import type { VersionManifest } from "./registry.js";

export const FALLBACK_VERSION = "fallback";

export interface ServingModel {
  /** Registry version, or "fallback". */
  readonly version: string;
  readonly fallback: boolean;
  readonly policy: Policy;
  /** Profile features its states start with (0 for the fallback, which ignores states). */
  readonly profileDim: number;
  readonly exploration: ExplorationLayer;
  readonly manifest: VersionManifest | null;
}

/** What every model of one server shares: exploration settings and the behaviour baseline. */
export interface ModelSettings {
  readonly exploration: ExplorationConfig;
  readonly bounds: AlphaBounds;
  /** The fallback α (task order): served without a model, and the centre of random exploration. */
  readonly fallbackAlpha: readonly number[];
}

function baselineAction(settings: ModelSettings): Float32Array {
  const action = new Float64Array(N_TASKS);
  alphaToActionChecked(settings.fallbackAlpha, settings.bounds, action);
  return Float32Array.from(action);
}

export function servingModel(
  policy: Policy,
  manifest: VersionManifest,
  settings: ModelSettings,
): ServingModel {
  return {
    version: manifest.version,
    fallback: false,
    policy,
    profileDim: manifest.profileDim,
    exploration: new ExplorationLayer(settings.exploration, policy, baselineAction(settings)),
    manifest,
  };
}

export function fallbackModel(settings: ModelSettings): ServingModel {
  const policy = new FixedAlphaPolicy(FALLBACK_VERSION, stateDim(0), settings.fallbackAlpha, settings.bounds);
  return {
    version: FALLBACK_VERSION,
    fallback: true,
    policy,
    profileDim: 0,
    exploration: new ExplorationLayer(settings.exploration, policy, baselineAction(settings)),
    manifest: null,
  };
}
