/**
 * One ranking decision (paper Fig. 3-4): user state from the store through the state encoder,
 * the layer assignments (experiment arm → model, canary, exploration group), α from the policy
 * with random draws seeded by the request id, Eq. 1 over the candidates, top k. The decision is
 * saved for the feedback join and logged (with the state) so it can be audited and replayed.
 */
import { randomUUID } from "node:crypto";
import { actionToAlpha } from "../core/action.js";
import { MtfError } from "../core/errors.js";
import { fusionScores, topK, validateScores } from "../core/fusion.js";
import { deriveSeed, Rng } from "../core/rng.js";
import { N_TASKS, TASKS, type TaskName } from "../core/tasks.js";
import { assignArm, chooseModel } from "./assignment.js";
import type { ServeContext } from "./context.js";
import type { DecisionLogEntry } from "./feedback-records.js";
import type { RankRequest } from "./rank-request.js";
import type { ServingModel } from "./serving-model.js";
import { encodeRequestState } from "./user-session.js";

export interface RankResponse {
  readonly requestId: string;
  readonly userId: string;
  readonly items: readonly { readonly itemId: string; readonly score: number }[];
  readonly alpha: Readonly<Record<TaskName, number>>;
  readonly policyVersion: string;
  readonly fallback: boolean;
  readonly explorationGroup: DecisionLogEntry["explorationGroup"];
  readonly noiseScale: number | null;
  readonly experimentArm: string | null;
  readonly decisionSeed: number;
}

const EMPTY_PROFILE: readonly number[] = [];

function profileFor(model: ServingModel, request: RankRequest): readonly number[] {
  // The fallback α ignores the state; its logged state holds the history features only.
  if (model.fallback) return EMPTY_PROFILE;
  const profile = request.profile ?? new Array<number>(model.profileDim).fill(0);
  if (profile.length !== model.profileDim) {
    throw new MtfError(
      "PROFILE_MISMATCH",
      `profile: has ${profile.length} features, model ${model.version} expects ${model.profileDim}`,
      {
        details: {
          path: "profile",
          expected: model.profileDim,
          actual: profile.length,
          version: model.version,
        },
      },
    );
  }
  return profile;
}

/** The normalised action a model's exploration layer gives a user in a state, from a seed. */
export function decideAction(
  model: ServingModel,
  userId: string,
  state: Float32Array,
  decisionSeed: number,
): Float32Array {
  const action = new Float32Array(N_TASKS);
  model.exploration.assign(userId).policy.act(state, 1, action, new Rng(decisionSeed));
  return action;
}

/**
 * Recomputes a logged decision's action with the model that served it (the same version and
 * exploration settings): identical to the logged action when the serving stack is unchanged.
 */
export function replayDecision(entry: DecisionLogEntry, model: ServingModel): Float32Array {
  if (model.version !== entry.policyVersion) {
    throw new MtfError(
      "INVALID_ARGUMENT",
      `decision ${entry.requestId} was served by ${entry.policyVersion}, not ${model.version}`,
    );
  }
  return decideAction(model, entry.userId, Float32Array.from(entry.state), entry.decisionSeed);
}

export async function rank(ctx: ServeContext, request: RankRequest): Promise<RankResponse> {
  const started = performance.now();
  const { count, itemIds, scores } = request.candidates;
  validateScores(scores, count, ctx.beta);
  const requestId = request.requestId ?? randomUUID();
  const timestampMs = request.timestampMs ?? ctx.now();
  const { userId, sessionId } = request;

  const arm = assignArm(ctx.experimentSalt, ctx.arms, userId);
  const { model, canary } = chooseModel(ctx.models(), arm, ctx.canarySalt, userId);
  const exploration = model.exploration.assign(userId);
  const profile = profileFor(model, request);
  const state = new Float32Array(model.policy.stateDim);
  const position = encodeRequestState(
    await ctx.store.loadUser(userId),
    profile,
    timestampMs,
    sessionId,
    ctx.rules,
    state,
  );

  const decisionSeed = deriveSeed(ctx.seed, requestId);
  const action = decideAction(model, userId, state, decisionSeed);
  const alpha = new Float64Array(N_TASKS);
  actionToAlpha(action, ctx.bounds, alpha);
  const fusion = new Float64Array(count);
  fusionScores(scores, count, alpha, ctx.beta, fusion);
  const order = topK(fusion, count, Math.min(request.k ?? count, count));

  const served: string[] = new Array(order.length);
  const servedScores: number[] = new Array(order.length * N_TASKS);
  const items = new Array<{ itemId: string; score: number }>(order.length);
  for (let r = 0; r < order.length; r++) {
    const c = order[r];
    served[r] = itemIds[c];
    items[r] = { itemId: itemIds[c], score: fusion[c] };
    for (let t = 0; t < N_TASKS; t++) servedScores[r * N_TASKS + t] = scores[c * N_TASKS + t];
  }
  const alphaList = Array.from(alpha);
  const actionList = Array.from(action);
  const saved = await ctx.store.saveDecision({
    requestId,
    userId,
    sessionId,
    timestampMs,
    policyVersion: model.version,
    explorationGroup: exploration.group,
    noiseScale: exploration.noiseScale,
    experimentArm: arm.arm,
    decisionSeed,
    alpha: alphaList,
    action: actionList,
    candidateCount: count,
    items: served,
    scores: servedScores,
  });
  if (!saved) {
    throw new MtfError(
      "DUPLICATE_REQUEST",
      `requestId: "${requestId}" was already served; use a new request id`,
      {
        details: { path: "requestId", requestId },
      },
    );
  }
  ctx.feedback.appendLater({
    type: "decision",
    decision: {
      requestId,
      userId,
      sessionId,
      timestampMs,
      positionInSession: position,
      policyVersion: model.version,
      fallback: model.fallback,
      canary,
      explorationGroup: exploration.group,
      noiseScale: exploration.noiseScale,
      experimentArm: arm.arm,
      decisionSeed,
      alpha: alphaList,
      action: actionList,
      state: Array.from(state),
      candidateCount: count,
      items: served,
    },
  });

  const { metrics } = ctx;
  metrics.rankRequests.inc({ group: exploration.group, version: model.version, arm: arm.arm ?? "none" });
  metrics.candidates.observe(count);
  if (model.fallback) metrics.fallbackRequests.inc();
  metrics.rankSeconds.observe({ shape: request.shape }, (performance.now() - started) / 1000);
  return {
    requestId,
    userId,
    items,
    alpha: Object.fromEntries(TASKS.map((task, t) => [task, alpha[t]])) as Record<TaskName, number>,
    policyVersion: model.version,
    fallback: model.fallback,
    explorationGroup: exploration.group,
    noiseScale: exploration.noiseScale,
    experimentArm: arm.arm,
    decisionSeed,
  };
}
