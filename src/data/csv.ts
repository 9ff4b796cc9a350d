/**
 * Line-by-line reading of delimited text: files are streamed (never read into one string) and
 * each line keeps its 1-based number for error messages.
 */
import fs from "node:fs";
import readline from "node:readline";

export interface NumberedLine {
  /** 1-based line number in the file. */
  readonly lineNo: number;
  readonly text: string;
  /** Bytes of the file read so far (for progress). */
  readonly bytesRead: number;
}

/** Streams a text file's lines (without line ends); a trailing "\r" is dropped. */
export async function* readLines(file: string): AsyncGenerator<NumberedLine> {
  const stream = fs.createReadStream(file, { encoding: "utf8" });
  const lines = readline.createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNo = 0;
  try {
    for await (const line of lines) {
      lineNo++;
      yield { lineNo, text: line.endsWith("\r") ? line.slice(0, -1) : line, bytesRead: stream.bytesRead };
    }
  } finally {
    lines.close();
    stream.destroy();
  }
}

/**
 * Splits one CSV line (RFC 4180 quoting: `"a,b"`, `""` for a quote). Returns null when a quote
 * is left open: fields spanning lines are not supported.
 */
export function splitCsvLine(line: string): string[] | null {
  if (!line.includes('"')) return line.split(",");
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch !== '"') field += ch;
      else if (line[i + 1] === '"') {
        field += '"';
        i++;
      } else quoted = false;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") {
      fields.push(field);
      field = "";
    } else field += ch;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Parses a decimal number as written in CSV; NaN for anything else ("0x10", "inf", "1,5"). */
export function parseDecimal(text: string): number {
  const trimmed = text.trim();
  return DECIMAL.test(trimmed) ? Number(trimmed) : Number.NaN;
}
