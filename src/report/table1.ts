/**
 * Table 1 (paper Sec. 4.5-4.6): per method the offline Conservative-OPE V̂, the online A/B
 * result against the control arm (ADTime and UPIRate relative change with 95% intervals and
 * p-values) and, beyond the paper, the Monte-Carlo true value under the default reward. Built
 * once as rows of formatted cells; Markdown, CSV and HTML render the same strings.
 */
import {
  formatMetricValue,
  formatPercent,
  formatPValue,
  formatValue,
  formatWithInterval,
  MISSING,
} from "./format.js";
import type { MethodResult, RelativeChange, ReportInput } from "./types.js";

/** The reward preset whose V̂ is comparable across methods; others are "under own reward". */
export const DEFAULT_REWARD = "default";

export const OWN_REWARD_MARK = "(under own reward)";
export const CONTROL_MARK = "* (control)";

export function isUnderOwnReward(method: MethodResult): boolean {
  return method.reward !== DEFAULT_REWARD;
}

export function isControl(method: MethodResult, input: Pick<ReportInput, "control">): boolean {
  return method.method === input.control;
}

/** The cell of a relative change: "+2.216 [+1.100, +3.300]" (percent). */
export function formatChange(change: RelativeChange): string {
  return formatWithInterval(
    { value: change.relativeChange, low: change.low, high: change.high },
    formatPercent,
  );
}

export interface TextTable {
  readonly header: readonly string[];
  /** Which columns hold numbers (right-aligned). */
  readonly numeric: readonly boolean[];
  readonly rows: readonly (readonly string[])[];
}

function changeCells(method: MethodResult, input: ReportInput, pick: "adTime" | "upiRate"): [string, string] {
  if (isControl(method, input)) return [CONTROL_MARK, MISSING];
  const change = method.abTest?.[pick] ?? null;
  return change === null ? [MISSING, MISSING] : [formatChange(change), formatPValue(change.pValue)];
}

/** Table 1 as formatted cells, in the input's method order. */
export function table1Cells(input: ReportInput): TextTable {
  const header = [
    "Method",
    "Reward",
    "V̂ [interval]",
    `ADTime Δ% vs ${input.control} [95% CI]`,
    "p (ADTime)",
    `UPIRate Δ% vs ${input.control} [95% CI]`,
    "p (UPIRate)",
    "True value [95% CI]",
  ];
  const rows = input.methods.map((m) => {
    const ope =
      m.ope === null
        ? MISSING
        : `${formatWithInterval(m.ope)}${isUnderOwnReward(m) ? ` ${OWN_REWARD_MARK}` : ""}`;
    const [adTime, adTimeP] = changeCells(m, input, "adTime");
    const [upiRate, upiRateP] = changeCells(m, input, "upiRate");
    const truth = m.trueValue === null ? MISSING : formatWithInterval(m.trueValue);
    return [m.method, m.reward, ope, adTime, adTimeP, upiRate, upiRateP, truth];
  });
  return { header, numeric: [false, false, true, true, true, true, true, true], rows };
}

/** The absolute per-arm metrics of the A/B test (rows only for methods that have them). */
export function onlineArmCells(input: ReportInput): TextTable {
  const header = ["Arm", "ADTime", "UPIRate", "plays per user-day", "return rate"];
  const rows = input.methods.flatMap((m) =>
    m.online === null
      ? []
      : [
          [
            isControl(m, input) ? `${m.method} (control)` : m.method,
            formatMetricValue(m.online.adTime),
            formatMetricValue(m.online.upiRate),
            formatMetricValue(m.online.playsPerUserDay),
            formatMetricValue(m.online.returnRate),
          ],
        ],
  );
  return { header, numeric: [false, true, true, true, true], rows };
}

/** The CSV columns of Table 1, in order; percent columns are relative changes × 100. */
export const TABLE1_CSV_COLUMNS = [
  "method",
  "reward",
  "is_control",
  "ope_under_own_reward",
  "ope_value",
  "ope_low",
  "ope_high",
  "adtime_change_pct",
  "adtime_low_pct",
  "adtime_high_pct",
  "adtime_p",
  "upirate_change_pct",
  "upirate_low_pct",
  "upirate_high_pct",
  "upirate_p",
  "true_value",
  "true_low",
  "true_high",
  "online_adtime",
  "online_upirate",
  "online_plays_per_user_day",
  "online_return_rate",
] as const;

function changeCsv(change: RelativeChange | null | undefined): string[] {
  if (change == null) return ["", "", "", ""];
  return [
    formatPercent(change.relativeChange),
    formatPercent(change.low),
    formatPercent(change.high),
    formatPValue(change.pValue),
  ];
}

function intervalCsv(point: { value: number; low: number; high: number } | null): string[] {
  return point === null
    ? ["", "", ""]
    : [formatValue(point.value), formatValue(point.low), formatValue(point.high)];
}

/** Quotes a CSV field when it needs it (RFC 4180). */
export function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Table 1 as CSV (RFC 4180, "\n" line ends): the same formatted numbers as the tables, without
 * units or % signs; an empty field where the table shows "–".
 */
export function table1Csv(input: ReportInput): string {
  const lines = [TABLE1_CSV_COLUMNS.join(",")];
  for (const m of input.methods) {
    const online = m.online;
    const fields = [
      m.method,
      m.reward,
      String(isControl(m, input)),
      String(m.ope !== null && isUnderOwnReward(m)),
      ...intervalCsv(m.ope),
      ...changeCsv(m.abTest?.adTime),
      ...changeCsv(m.abTest?.upiRate),
      ...intervalCsv(m.trueValue),
      ...(online === null
        ? ["", "", "", ""]
        : [online.adTime, online.upiRate, online.playsPerUserDay, online.returnRate].map(formatMetricValue)),
    ];
    lines.push(fields.map(csvField).join(","));
  }
  return `${lines.join("\n")}\n`;
}

/** Parses RFC 4180 CSV (quoted fields, doubled quotes) into rows of fields. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(field);
      field = "";
    } else if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = "";
    } else field += c;
  }
  if (field !== "" || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/** "How to read Table 1", as plain-text paragraphs (the Markdown and HTML share them). */
export function howToReadTable1(input: ReportInput): string[] {
  return [
    `Each row is one method. V̂ is the Conservative-OPE estimate of the expected discounted return of one session on the test split, with its bootstrap interval over sessions (95% unless the run was configured otherwise); it is comparable across methods only under the same reward, so rows trained under another reward preset are marked "${OWN_REWARD_MARK}". BO and ES are tuned online and have no V̂.`,
    `The A/B columns give the relative change of the arm against the control arm ${input.control} (marked "*"), in percent: +2.216 means the arm's ADTime was 2.216% higher than the control's. The interval is the 95% confidence interval of that change and p the two-sided p-value of "no change"; an interval that excludes 0 (p < 0.05) is a significant change. ADTime is the average app dwell time per user-day; UPIRate the share of plays with a positive interaction.`,
    "The true value is the Monte-Carlo estimate, from the simulator, of each policy's expected discounted session return under the default reward, with a 95% interval: what V̂ tries to estimate, and the column to compare V̂ against. It exists only because the users are simulated.",
    `Numbers: values with 3 decimals, changes in percent with 3 decimals and a sign, p-values with 2 significant digits (scientific below 0.001); "${MISSING}" means not measured.`,
  ];
}
