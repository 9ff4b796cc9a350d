/**
 * Progress for long steps: a live bar (cli-progress) when stderr is a terminal, otherwise a
 * plain line at most every `intervalMs`, so logs of CI and background runs stay readable.
 */
import cliProgress from "cli-progress";

export interface Progress {
  /** Sets the absolute position and optional named figures shown after the bar (e.g. loss). */
  update(done: number, figures?: Readonly<Record<string, string | number>>): void;
  stop(): void;
}

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  readonly unit?: string;
  readonly stream?: NodeJS.WriteStream;
  readonly intervalMs?: number;
}

function formatFigures(figures: Readonly<Record<string, string | number>>): string {
  return Object.entries(figures)
    .map(([k, v]) => `${k} ${typeof v === "number" ? formatNumber(v) : v}`)
    .join("  ");
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  const abs = Math.abs(v);
  return abs !== 0 && (abs < 1e-3 || abs >= 1e5) ? v.toExponential(3) : v.toFixed(4);
}

export function startProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const unit = options.unit ?? "";
  const started = Date.now();
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        stream,
        format: `${options.label} [{bar}] {percentage}% {value}/{total}${unit ? ` ${unit}` : ""} | {rate}/s | ETA {eta_formatted} | {figures}`,
        hideCursor: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(options.total, 0, { rate: "0", figures: "" });
    return {
      update(done, figures = {}) {
        const seconds = (Date.now() - started) / 1000;
        bar.update(done, {
          rate: seconds > 0 ? formatNumber(done / seconds) : "0",
          figures: formatFigures(figures),
        });
      },
      stop() {
        bar.stop();
      },
    };
  }
  const interval = options.intervalMs ?? 10_000;
  let lastPrint = 0;
  const print = (done: number, figures: Readonly<Record<string, string | number>>) => {
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? done / seconds : 0;
    const eta = rate > 0 ? Math.round((options.total - done) / rate) : 0;
    const pct = options.total > 0 ? ((100 * done) / options.total).toFixed(1) : "100";
    stream.write(
      `${options.label}: ${done}/${options.total}${unit ? ` ${unit}` : ""} (${pct}%), ${formatNumber(rate)}/s, ETA ${eta}s ${formatFigures(figures)}\n`,
    );
  };
  let last: { done: number; figures: Readonly<Record<string, string | number>> } = { done: 0, figures: {} };
  return {
    update(done, figures = {}) {
      last = { done, figures };
      const now = Date.now();
      if (now - lastPrint >= interval) {
        lastPrint = now;
        print(done, figures);
      }
    },
    stop() {
      print(last.done, last.figures);
    },
  };
}
