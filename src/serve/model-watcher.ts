/**
 * Hot reload: polls the registry pointer and swaps the serving models when it moves. A version
 * is loaded and checked completely before the swap, and the swap replaces one immutable
 * snapshot, so a request in flight finishes with the models it started with. A version that
 * fails to load (corrupt, incompatible) is refused: what served before keeps serving, the
 * failure is reported (metrics, /readyz) and retried only after a while or when the pointer
 * moves again. No current version at all means the fallback α.
 */
import { isMtfError, MtfError } from "../core/errors.js";
import type { PolicyLoader } from "./policy-loaders.js";
import type { ModelRegistry } from "./registry.js";
import { fallbackModel, type ModelSettings, type ServingModel, servingModel } from "./serving-model.js";

export interface ServingModels {
  readonly current: ServingModel;
  /** A new version that a share of users (the canary layer's hash) gets before it becomes current. */
  readonly canary: { readonly model: ServingModel; readonly share: number } | null;
  readonly fallback: ServingModel;
}

export interface ReloadEvent {
  readonly role: "current" | "canary";
  readonly version: string;
  readonly result: "success" | "failure";
  readonly error: MtfError | null;
}

export interface WatcherStatus {
  readonly lastCheckAt: string | null;
  /** The last refused version's error, until a later check succeeds. */
  readonly lastError: string | null;
}

export interface ModelWatcherOptions {
  readonly registry: ModelRegistry;
  readonly loaders: Readonly<Record<string, PolicyLoader>>;
  readonly settings: ModelSettings;
  readonly pollMs: number;
  readonly onReload?: (event: ReloadEvent) => void;
}

/** Polls between retries of a refused pointer. */
const RETRY_POLLS = 10;

export class ModelWatcher {
  private readonly options: ModelWatcherOptions;
  private snapshot: ServingModels;
  private readonly cache = new Map<string, ServingModel>();
  private handledPointer: string | null = null;
  private retryAtMs = 0;
  private checking: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastCheckAt: string | null = null;
  private lastError: string | null = null;

  constructor(options: ModelWatcherOptions) {
    this.options = options;
    const fallback = fallbackModel(options.settings);
    this.snapshot = { current: fallback, canary: null, fallback };
  }

  /** The models to serve now; keep the reference for the whole request. */
  get models(): ServingModels {
    return this.snapshot;
  }

  get status(): WatcherStatus {
    return { lastCheckAt: this.lastCheckAt, lastError: this.lastError };
  }

  /** First check (awaited), then a poll every `pollMs`. */
  async start(): Promise<void> {
    await this.check();
    this.timer = setInterval(() => void this.check(), this.options.pollMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
  }

  /** Reads the pointer once and swaps models if it moved; concurrent calls share one check. */
  check(): Promise<void> {
    if (this.checking === null) {
      this.checking = this.checkOnce().finally(() => {
        this.checking = null;
      });
    }
    return this.checking;
  }

  private async checkOnce(): Promise<void> {
    this.lastCheckAt = new Date().toISOString();
    let pointer: Awaited<ReturnType<ModelRegistry["pointer"]>>;
    try {
      pointer = await this.options.registry.pointer();
    } catch (error) {
      this.lastError = (error as Error).message;
      return;
    }
    const key = JSON.stringify([pointer.current, pointer.canary]);
    if (key === this.handledPointer && Date.now() < this.retryAtMs) return;
    if (key === this.handledPointer && this.lastError === null) return;
    const errors: string[] = [];
    const { fallback } = this.snapshot;
    let current = this.snapshot.current;
    if (pointer.current === null) current = fallback;
    else if (pointer.current !== current.version) {
      current = (await this.load("current", pointer.current, errors)) ?? current;
    }
    let canary: ServingModels["canary"] = null;
    if (pointer.canary !== null && pointer.canary.version !== current.version) {
      const model = await this.load("canary", pointer.canary.version, errors);
      if (model !== null) canary = { model, share: pointer.canary.share };
    }
    this.snapshot = { current, canary, fallback };
    for (const version of this.cache.keys()) {
      if (version !== current.version && version !== canary?.model.version) this.cache.delete(version);
    }
    this.handledPointer = key;
    this.lastError = errors.length === 0 ? null : errors.join("; ");
    this.retryAtMs = Date.now() + RETRY_POLLS * this.options.pollMs;
  }

  private async load(
    role: ReloadEvent["role"],
    version: string,
    errors: string[],
  ): Promise<ServingModel | null> {
    const cached = this.cache.get(version);
    if (cached !== undefined) return cached;
    const { registry, loaders, settings } = this.options;
    try {
      const loaded = await registry.loadVersion(version, loaders, { bounds: settings.bounds });
      const model = servingModel(loaded.policy, loaded.manifest, settings);
      this.cache.set(version, model);
      this.options.onReload?.({ role, version, result: "success", error: null });
      return model;
    } catch (error) {
      const coded = isMtfError(error) ? error : new MtfError("INTERNAL", String(error), { cause: error });
      errors.push(`${role} ${version} refused: ${coded.message}`);
      this.options.onReload?.({ role, version, result: "failure", error: coded });
      return null;
    }
  }
}
