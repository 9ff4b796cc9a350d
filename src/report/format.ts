/**
 * How the report writes numbers. One function per kind of number, used by the Markdown, CSV and
 * HTML outputs alike, so a number reads the same everywhere it appears (docs/report.md lists
 * the rules):
 *
 * - values (V̂, true value, their interval ends): fixed 3 decimals, as in the paper's Table 1;
 * - relative changes (ADTime, UPIRate vs control): percent, 3 decimals, explicit sign (+2.216);
 * - p-values: 2 significant digits, scientific notation below 0.001 (4.5e-7), "0" for an
 *   underflowed 0;
 * - absolute online metrics: 4 significant digits;
 * - seconds: 1 decimal; counts: integers with thousands separators (text only, never in CSV).
 *
 * Every string these return except `formatCount`'s parses back with `Number()`, so the CSV can
 * carry the same strings as the tables.
 */

export const VALUE_DECIMALS = 3;
export const PERCENT_DECIMALS = 3;
export const P_VALUE_DIGITS = 2;
export const METRIC_DIGITS = 4;

/** Shown where a number is absent (a null in the input): an en dash, as the paper's "-". */
export const MISSING = "–";

/** Removes the minus sign of a negative zero ("-0.000" → "0.000"). */
function unsignZero(text: string): string {
  return /^-0(\.0*)?$/.test(text) ? text.slice(1) : text;
}

/** A value in reward units (V̂, true value): fixed 3 decimals. */
export function formatValue(value: number): string {
  return unsignZero(value.toFixed(VALUE_DECIMALS));
}

/** A relative change (a fraction) in percent, 3 decimals, signed: 0.02216 → "+2.216". */
export function formatPercent(fraction: number): string {
  const text = unsignZero((fraction * 100).toFixed(PERCENT_DECIMALS));
  return text.startsWith("-") || /^0(\.0*)?$/.test(text) ? text : `+${text}`;
}

/** A p-value: 2 significant digits; below 0.001 in scientific notation ("4.5e-7"). */
export function formatPValue(p: number): string {
  if (p === 0) return "0";
  if (p < 1e-3) {
    const [mantissa, exponent] = p.toExponential(P_VALUE_DIGITS - 1).split("e");
    return `${mantissa}e${Number(exponent)}`;
  }
  return Number(p.toPrecision(P_VALUE_DIGITS)).toString();
}

/** An absolute online metric (ADTime, UPIRate, plays per user-day, return rate). */
export function formatMetricValue(value: number): string {
  if (value !== 0 && (Math.abs(value) >= 1e6 || Math.abs(value) < 1e-3)) {
    const [mantissa, exponent] = value.toExponential(METRIC_DIGITS - 1).split("e");
    return `${mantissa}e${Number(exponent)}`;
  }
  return unsignZero(Number(value.toPrecision(METRIC_DIGITS)).toString());
}

/** A duration of a pipeline stage: 1 decimal ("12.3"). */
export function formatSeconds(seconds: number): string {
  return seconds.toFixed(1);
}

/** A count with thousands separators ("180,412"); for prose and tables, not for the CSV. */
export function formatCount(value: number): string {
  return Number.isInteger(value) ? value.toLocaleString("en-US") : formatMetricValue(value);
}

/** "v [low, high]" with `format` applied to each number. */
export function formatWithInterval(
  point: { readonly value: number; readonly low: number; readonly high: number },
  format: (value: number) => string = formatValue,
): string {
  return `${format(point.value)} [${format(point.low)}, ${format(point.high)}]`;
}
