/**
 * The run folder of `mtf pipeline` / `mtf experiment table1`: atomic JSON writes and the
 * stage-done markers (`stages/<stage>.done.json`) that let `--resume` skip finished stages.
 * A marker is written last, after every output of its stage, so a killed stage is rerun.
 */
import fs from "node:fs";
import path from "node:path";
import { MtfError } from "../../core/errors.js";

/** What a finished stage records in its marker. */
export interface StageMarker {
  readonly stage: string;
  readonly seconds: number;
  /** CPU seconds of the process over the stage (all threads): with `seconds`, how loaded the machine was. */
  readonly cpuSeconds: number;
  /** The stage's one-line summary. */
  readonly detail: string;
  readonly finishedAt: string;
}

/** Writes `value` as pretty JSON to `file` atomically (temp file + rename). */
export function writeJsonAtomic(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  fs.renameSync(tmp, file);
}

/** Writes text to `file` atomically. */
export function writeTextAtomic(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

export function readJson<T>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new MtfError("FILE_NOT_FOUND", `${file} not found; rerun the stage that writes it`, {
      cause: error,
      details: { path: file },
    });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new MtfError("CHECKPOINT_CORRUPT", `${file} is not valid JSON`, { cause: error });
  }
}

/** Paths inside one run folder. */
export class RunFolder {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  path(...parts: string[]): string {
    return path.join(this.dir, ...parts);
  }

  private markerPath(stage: string): string {
    return this.path("stages", `${stage}.done.json`);
  }

  isDone(stage: string): boolean {
    return fs.existsSync(this.markerPath(stage));
  }

  marker(stage: string): StageMarker | null {
    return this.isDone(stage) ? readJson<StageMarker>(this.markerPath(stage)) : null;
  }

  markDone(stage: string, seconds: number, cpuSeconds: number, detail: string): StageMarker {
    const marker: StageMarker = { stage, seconds, cpuSeconds, detail, finishedAt: new Date().toISOString() };
    writeJsonAtomic(this.markerPath(stage), marker);
    return marker;
  }

  /** True when any stage has finished here (the folder holds a run). */
  hasRun(): boolean {
    const dir = this.path("stages");
    return fs.existsSync(dir) && fs.readdirSync(dir).some((f) => f.endsWith(".done.json"));
  }
}
