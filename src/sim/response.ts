/**
 * True responses of a user to a video (docs/simulator.md, "Responses"). For user u and video v
 * with affinity A = A_{u, category(v)}, quality q, click-bait strength b, polarising strength π,
 * duration d:
 *
 *   click        p_c = σ(c0 + c_u + c_A·A + c_q·q + c_b·b)
 *   watch        after a click the user completes the video with probability
 *                π = σ(k0 + k_A·A + k_q·q − k_b·b) (play = d); otherwise W = w0 + Y, ln Y ~ N(μ, σ_w²),
 *                μ = m0 + m_u + m_A·A + m_q·q − m_b·b + ρ_u·ln(d / d_ref);  play = min(W, L·d)
 *   preview      without a click play = min(X, 0.95·d), ln X ~ N(ln x̃, σ_x²)
 *   long view    click and (completed or W ≥ min(18 s, 0.95·d));  finish: click and (completed or
 *                W ≥ d);  skip: play < 3 s
 *   interaction  j ∈ {like, comment, follow, forward, profile_enter}, engagement level E ∈
 *                {no click, click without long view, long view}:
 *                P(j | E) = min(p_max, exp(a_j + ι_u + i_A·A + a_jq·q + a_jπ·π + λ_E)),  λ_0 = 0
 *   hate         P = min(p_max, exp(h0 − h_A·A + h_π·π + h_b·b − h_q·q))
 *   exit         from the session's patience (session.ts): P(P − 1 + Δ ≤ 0) + P(P − 1 + Δ > 0)·h_u
 *
 * `long_view`, `finish`, `skip` and `play_time` follow from the watch model, so the 12 true
 * task values of a candidate are closed-form (`candidateTruth`); the played item's feedback is
 * sampled from the same model (`samplePlay`) with a fixed number of uniform draws per play, so
 * random streams stay aligned across A/B arms (common random numbers).
 */
import { N_TASKS, taskIndex } from "../core/tasks.js";
import type { Catalogue } from "./catalogue.js";
import type { SimConfig } from "./config.js";
import { normalCdf, normalCdfFast, normalQuantile, sigmoidFast } from "./math.js";
import type { Population } from "./population.js";

export const INTERACTIONS = ["like", "comment", "follow", "forward", "profile_enter"] as const;
const N_INTERACTIONS = INTERACTIONS.length;
/** Positions in `INTERACTIONS` of the positive interactions (UPIRate; DESIGN.md). */
const POSITIVE = [0, 1, 2, 3];

/** Index of each task in a 12-task row. */
export const TASK_SLOTS = {
  click: taskIndex("click"),
  longView: taskIndex("long_view"),
  finish: taskIndex("finish"),
  playTime: taskIndex("play_time"),
  skip: taskIndex("skip"),
  interactions: INTERACTIONS.map((name) => taskIndex(name)),
  hate: taskIndex("hate"),
  exit: taskIndex("exit"),
} as const;
const T = TASK_SLOTS;

/**
 * Per-video terms of the response model, interleaved: row v of `items` [videos x ITEM_STRIDE]
 * holds everything the scoring of video v reads, so a candidate costs two cache lines, not one
 * miss per column (candidates are scattered over the catalogue).
 */
export const ITEM = {
  /** c_q·q + c_b·b */
  click: 0,
  /** k0 + k_q·q − k_b·b */
  complete: 1,
  /** m_q·q − m_b·b */
  attention: 2,
  /** ln(d / d_ref) */
  logDuration: 3,
  duration: 4,
  /** ln(d − w0): the watch beyond the click floor needed to finish (−∞ when d ≤ w0) */
  logFinishExcess: 5,
  /** ln(min(18 s, 0.95 d) − w0), the same for a long view */
  logLongViewExcess: 6,
  /** L·d, the longest play */
  playCap: 7,
  /** ln(L·d − w0) (−∞ when L·d ≤ w0) */
  logCapExcess: 8,
  /** E[min(X, 0.95 d)] of a preview */
  previewMean: 9,
  /** P(min(X, 0.95 d) < skip threshold) */
  previewSkip: 10,
  bait: 11,
  /** exp(h0 + h_π·π + h_b·b − h_q·q) */
  hate: 12,
  category: 13,
  /** exp(a_j + a_jq·q + a_jπ·π), j in `INTERACTIONS` order (5 values) */
  interaction: 14,
} as const;
export const ITEM_STRIDE = 20;

/** Static tables of the response model (depend on the catalogue and config only). */
export interface ResponseModel {
  readonly config: SimConfig;
  readonly catalogue: Catalogue;
  /** [videos x ITEM_STRIDE], see `ITEM`. */
  readonly items: Float32Array;
  /** σ_w and e^{σ_w²/2} (the lognormal mean factor). */
  readonly watchSd: number;
  readonly watchMeanFactor: number;
  /** exp(λ_1), exp(λ_2) */
  readonly engagedLift: number;
  readonly longViewLift: number;
}

/** Lognormal partial expectation: E[min(X, c)] for ln X ~ N(mu, s²). */
function cappedLognormalMean(mu: number, s: number, c: number): number {
  const lc = Math.log(c);
  const mean = Math.exp(mu + 0.5 * s * s);
  return mean * normalCdf((lc - mu - s * s) / s) + c * (1 - normalCdf((lc - mu) / s));
}

export function buildResponseModel(config: SimConfig, catalogue: Catalogue): ResponseModel {
  const r = config.response;
  const n = catalogue.size;
  const items = new Float32Array(n * ITEM_STRIDE);
  const params = [r.like, r.comment, r.follow, r.forward, r.profileEnter];
  const muX = Math.log(r.previewMedianS);
  for (let v = 0; v < n; v++) {
    const q = catalogue.quality[v];
    const b = catalogue.bait[v];
    const pi = catalogue.polarising[v];
    const d = catalogue.durationS[v];
    const row = v * ITEM_STRIDE;
    items[row + ITEM.click] = r.clickQuality * q + r.clickBait * b;
    items[row + ITEM.complete] = r.completeIntercept + r.completeQuality * q - r.completeBait * b;
    items[row + ITEM.attention] = r.attentionQuality * q - r.attentionBait * b;
    items[row + ITEM.logDuration] = catalogue.logDurationRatio[v];
    items[row + ITEM.duration] = d;
    items[row + ITEM.logFinishExcess] = Math.log(Math.max(0, d - r.clickFloorS));
    items[row + ITEM.logLongViewExcess] = Math.log(
      Math.max(0, Math.min(r.longViewS, r.longViewFraction * d) - r.clickFloorS),
    );
    items[row + ITEM.playCap] = r.loopCap * d;
    items[row + ITEM.logCapExcess] = Math.log(Math.max(0, r.loopCap * d - r.clickFloorS));
    const previewCap = 0.95 * d;
    items[row + ITEM.previewMean] = cappedLognormalMean(muX, r.previewLogSd, previewCap);
    items[row + ITEM.previewSkip] =
      previewCap < r.skipS ? 1 : normalCdf((Math.log(r.skipS) - muX) / r.previewLogSd);
    items[row + ITEM.bait] = b;
    items[row + ITEM.hate] = Math.exp(
      r.hateIntercept + r.hatePolarising * pi + r.hateBait * b - r.hateQuality * q,
    );
    items[row + ITEM.category] = catalogue.category[v];
    for (let j = 0; j < N_INTERACTIONS; j++) {
      const a = params[j];
      items[row + ITEM.interaction + j] = Math.exp(a.intercept + a.quality * q + a.polarising * pi);
    }
  }
  return {
    config,
    catalogue,
    items,
    watchSd: r.watchLogSd,
    watchMeanFactor: Math.exp(0.5 * r.watchLogSd * r.watchLogSd),
    engagedLift: Math.exp(r.engagedLift),
    longViewLift: Math.exp(r.longViewLift),
  };
}

/** Per-user tables over categories, computed once per user (traits are static). */
export interface UserResponse {
  readonly durationPref: number;
  readonly baitTolerance: number;
  readonly interactionDrive: number;
  readonly exitHazard: number;
  /** A_k, per category */
  readonly affinity: Float32Array;
  /** c0 + c_u + c_A·A_k */
  readonly click: Float32Array;
  /** m0 + m_u + m_A·A_k */
  readonly attention: Float32Array;
  /** k_A·A_k */
  readonly complete: Float32Array;
  /** exp(ι_u + i_A·A_k) */
  readonly interaction: Float32Array;
  /** exp(−h_A·A_k) */
  readonly hate: Float32Array;
}

export function userResponse(config: SimConfig, pop: Population, u: number): UserResponse {
  const r = config.response;
  const K = pop.categories;
  const affinity = pop.affinity.slice(u * K, (u + 1) * K);
  const click = new Float32Array(K);
  const attention = new Float32Array(K);
  const complete = new Float32Array(K);
  const interaction = new Float32Array(K);
  const hate = new Float32Array(K);
  const iota = r.interactionPropensity * pop.interactionPropensity[u];
  for (let k = 0; k < K; k++) {
    const a = affinity[k];
    click[k] = r.clickIntercept + pop.clickBias[u] + r.clickAffinity * a;
    attention[k] = r.attentionIntercept + pop.attentionBias[u] + r.attentionAffinity * a;
    complete[k] = r.completeAffinity * a;
    interaction[k] = Math.exp(iota + r.interactionAffinity * a);
    hate[k] = Math.exp(-r.hateAffinity * a);
  }
  return {
    durationPref: pop.durationPref[u],
    baitTolerance: pop.baitTolerance[u],
    interactionDrive: pop.interactionDrive[u],
    exitHazard: pop.exitHazard[u],
    affinity,
    click,
    attention,
    complete,
    interaction,
    hate,
  };
}

/** The patience state that the exit task depends on. */
export interface PatienceState {
  readonly patience: number;
  /** True when the next play is the session's last allowed one (max plays). */
  readonly lastAllowed: boolean;
}

/**
 * Writes the 12 true task values of `candidates[0..count)` into `out` [count x 12] (task order;
 * play_time in seconds). Closed-form from the model in the module comment.
 */
export function candidateTruth(
  model: ResponseModel,
  user: UserResponse,
  state: PatienceState,
  candidates: Int32Array,
  count: number,
  out: Float32Array,
): void {
  // Everything the loop reads is hoisted into locals (a hot loop: C candidates per request).
  const items = model.items;
  const userClick = user.click;
  const userAttention = user.attention;
  const userComplete = user.complete;
  const userInteraction = user.interaction;
  const userHate = user.hate;
  const r = model.config.response;
  const floor = r.clickFloorS;
  const skipS = r.skipS;
  const maxRate = r.maxRate;
  const lift1 = model.engagedLift;
  const lift2 = model.longViewLift;
  const rho = user.durationPref;
  const sd = model.watchSd;
  const invSd = 1 / sd;
  const sd2 = sd * sd;
  const meanFactor = model.watchMeanFactor;
  const skipAfterClick = floor < skipS;
  const logSkipExcess = Math.log(Math.max(0, skipS - floor));
  // Exit: the patience left after the play for each engagement class (interactions and hate,
  // rare, are left out); the session ends at ≤ 0, else by the hazard h.
  const s = model.config.session;
  const p = state.patience - 1;
  const h = user.exitHazard;
  const forced = state.lastAllowed;
  const exitNoClick = forced || p <= 0 ? 1 : h;
  const annoyance = s.baitLoss * (1 - user.baitTolerance);
  const clickGain = s.clickGain;
  const longViewGain = s.longViewGain;
  const finishGain = s.finishGain;
  const slots = T.interactions;

  for (let c = 0; c < count; c++) {
    const row = candidates[c] * ITEM_STRIDE;
    const k = items[row + ITEM.category];
    const pc = sigmoidFast(userClick[k] + items[row + ITEM.click]);
    const mu = userAttention[k] + items[row + ITEM.attention] + rho * items[row + ITEM.logDuration];
    const pi = sigmoidFast(userComplete[k] + items[row + ITEM.complete]);
    const rest = 1 - pi;
    // P(Y ≥ x) = Φ((μ − ln x) / σ_w); ln x = −∞ gives Φ(∞) = 1.
    const finishGivenClick = pi + rest * normalCdfFast((mu - items[row + ITEM.logFinishExcess]) * invSd);
    const longViewGivenClick = pi + rest * normalCdfFast((mu - items[row + ITEM.logLongViewExcess]) * invSd);
    const cap = items[row + ITEM.playCap];
    const lc = items[row + ITEM.logCapExcess];
    // E[min(W, L·d)] = w0 + E[min(Y, L·d − w0)], the lognormal partial expectation.
    const watched =
      cap <= floor
        ? cap
        : floor +
          Math.exp(mu) * meanFactor * normalCdfFast((lc - mu - sd2) * invSd) +
          (cap - floor) * normalCdfFast((mu - lc) * invSd);
    const playGivenClick = pi * items[row + ITEM.duration] + rest * watched;
    const noClick = 1 - pc;
    const engaged = pc * (1 - longViewGivenClick);
    const longView = pc * longViewGivenClick;
    const finish = pc * finishGivenClick;
    const o = c * N_TASKS;
    out[o + T.click] = pc;
    out[o + T.longView] = longView;
    out[o + T.finish] = finish;
    out[o + T.playTime] = pc * playGivenClick + noClick * items[row + ITEM.previewMean];
    const clickSkip = skipAfterClick
      ? rest * (cap < skipS ? 1 : normalCdfFast((logSkipExcess - mu) * invSd))
      : 0;
    out[o + T.skip] = noClick * items[row + ITEM.previewSkip] + pc * clickSkip;
    const userItem = userInteraction[k];
    for (let j = 0; j < N_INTERACTIONS; j++) {
      const base = userItem * items[row + ITEM.interaction + j];
      const r0 = Math.min(base, maxRate);
      const r1 = Math.min(base * lift1, maxRate);
      const r2 = Math.min(base * lift2, maxRate);
      out[o + slots[j]] = noClick * r0 + engaged * r1 + longView * r2;
    }
    const hate = userHate[k] * items[row + ITEM.hate];
    out[o + T.hate] = Math.min(hate, maxRate);
    const afterClick = p + clickGain - annoyance * items[row + ITEM.bait];
    const exitClick = forced || afterClick <= 0 ? 1 : h;
    const exitLongView = forced || afterClick + longViewGain <= 0 ? 1 : h;
    const exitFinish = forced || afterClick + longViewGain + finishGain <= 0 ? 1 : h;
    out[o + T.exit] =
      noClick * exitNoClick + engaged * exitClick + (longView - finish) * exitLongView + finish * exitFinish;
  }
}

/** Uniform draws consumed by one play (fixed, for common random numbers across arms). */
export const DRAWS_PER_PLAY = 11;

/** The sampled feedback of one play. */
export interface PlayResult {
  clicked: boolean;
  longView: boolean;
  finish: boolean;
  skip: boolean;
  playTimeS: number;
  /** 0/1 per `INTERACTIONS` entry. */
  readonly interactions: Uint8Array;
  positive: number;
  hate: boolean;
  /** Satisfaction s of the play (drives return). */
  satisfaction: number;
  /** Patience change Δ of the play (before the unit cost). */
  engagement: number;
  /** The hazard draw, in [0, 1): the session ends by hazard when it is below h_u. */
  exitDraw: number;
}

export function newPlayResult(): PlayResult {
  return {
    clicked: false,
    longView: false,
    finish: false,
    skip: false,
    playTimeS: 0,
    interactions: new Uint8Array(N_INTERACTIONS),
    positive: 0,
    hate: false,
    satisfaction: 0,
    engagement: 0,
    exitDraw: 0,
  };
}

/**
 * Samples the feedback of user `user` to video `v` from `draws` [DRAWS_PER_PLAY] uniforms and
 * writes it into `out`. Satisfaction s (docs/simulator.md, "Satisfaction"):
 *   s = click·(s_A·A + s_q·q − s_b·b·(1 − τ_u)) + s_i·integrity + s_lv·long view + δ_u·#positive
 *       − s_skip·skip − s_hate·hate,   integrity = min(play / d, 1)
 * (the paper's Eq. 2 rewards play integrity for the same reason: abandoning videos midway leaves
 * users less satisfied than finishing them)
 * and the patience gain Δ = g_c·click + g_lv·long view + g_f·finish + g_i·#positive − g_h·hate
 * − g_b·b·(1 − τ_u)·click (click-bait annoys users who do not tolerate it: they leave sooner).
 */
export function samplePlay(
  model: ResponseModel,
  user: UserResponse,
  v: number,
  draws: ArrayLike<number>,
  out: PlayResult,
): void {
  const r = model.config.response;
  const sat = model.config.satisfaction;
  const ses = model.config.session;
  const catalogue = model.catalogue;
  const items = model.items;
  const row = v * ITEM_STRIDE;
  const k = items[row + ITEM.category];
  const d = items[row + ITEM.duration];
  const pc = 1 / (1 + Math.exp(-(user.click[k] + items[row + ITEM.click])));
  const clicked = draws[0] < pc;
  let watch = 0;
  let play: number;
  const completed =
    clicked && draws[10] < 1 / (1 + Math.exp(-(user.complete[k] + items[row + ITEM.complete])));
  if (completed) {
    watch = d;
    play = d;
  } else if (clicked) {
    const mu =
      user.attention[k] + items[row + ITEM.attention] + user.durationPref * items[row + ITEM.logDuration];
    watch = r.clickFloorS + Math.exp(mu + model.watchSd * normalQuantile(draws[1]));
    play = Math.min(watch, items[row + ITEM.playCap]);
  } else {
    const preview = Math.exp(Math.log(r.previewMedianS) + r.previewLogSd * normalQuantile(draws[2]));
    play = Math.min(preview, 0.95 * d);
  }
  const longView = clicked && watch >= Math.min(r.longViewS, r.longViewFraction * d);
  const finish = clicked && watch >= d;
  const skip = play < r.skipS;
  const lift = clicked ? (longView ? model.longViewLift : model.engagedLift) : 1;
  let positive = 0;
  for (let j = 0; j < N_INTERACTIONS; j++) {
    const rate = Math.min(r.maxRate, user.interaction[k] * items[row + ITEM.interaction + j] * lift);
    out.interactions[j] = draws[3 + j] < rate ? 1 : 0;
  }
  for (const j of POSITIVE) positive += out.interactions[j];
  const hate = draws[8] < Math.min(r.maxRate, user.hate[k] * items[row + ITEM.hate]);
  const a = user.affinity[k];
  const q = catalogue.quality[v];
  const b = items[row + ITEM.bait];
  out.clicked = clicked;
  out.longView = longView;
  out.finish = finish;
  out.skip = skip;
  out.playTimeS = play;
  out.positive = positive;
  out.hate = hate;
  out.satisfaction =
    (clicked ? sat.affinity * a + sat.quality * q - sat.bait * b * (1 - user.baitTolerance) : 0) +
    sat.integrity * Math.min(play / d, 1) +
    (longView ? sat.longView : 0) +
    user.interactionDrive * positive -
    (skip ? sat.skip : 0) -
    (hate ? sat.hate : 0);
  out.engagement =
    (clicked ? ses.clickGain : 0) +
    (longView ? ses.longViewGain : 0) +
    (finish ? ses.finishGain : 0) +
    ses.interactionGain * positive -
    (hate ? ses.hateLoss : 0) -
    (clicked ? ses.baitLoss * b * (1 - user.baitTolerance) : 0);
  out.exitDraw = draws[9];
}
