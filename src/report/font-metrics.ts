/**
 * Text widths from the TrueType font the PNGs are drawn with. Headless Vega has no canvas to
 * measure text, and its fallback guess (0.8 em per character) is a third too wide for DejaVu
 * Sans, which misplaces right-aligned labels and wastes space. Vega lets a caller replace
 * `textMetrics.width`; this module reads each glyph's advance width from the font's own tables
 * (cmap format 4, hmtx), so layout and rasterisation agree. Kerning is ignored (under 1%).
 */
import { readFileSync } from "node:fs";
import { MtfError } from "../core/errors.js";

export interface FontMetrics {
  readonly unitsPerEm: number;
  /** Advance width, in font units, of the glyph for `codePoint`. */
  advance(codePoint: number): number;
}

function tableOffsets(font: DataView): Map<string, number> {
  const tables = new Map<string, number>();
  const count = font.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(
      font.getUint8(record),
      font.getUint8(record + 1),
      font.getUint8(record + 2),
      font.getUint8(record + 3),
    );
    tables.set(tag, font.getUint32(record + 8));
  }
  return tables;
}

/** The glyph index lookup of a cmap format-4 subtable (the BMP), as a function. */
function format4Lookup(font: DataView, offset: number): (codePoint: number) => number {
  const segments = font.getUint16(offset + 6) / 2;
  const ends = offset + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (codePoint) => {
    if (codePoint > 0xffff) return 0;
    for (let s = 0; s < segments; s++) {
      if (codePoint > font.getUint16(ends + 2 * s)) continue;
      const start = font.getUint16(starts + 2 * s);
      if (codePoint < start) return 0;
      const delta = font.getInt16(deltas + 2 * s);
      const rangeOffset = font.getUint16(rangeOffsets + 2 * s);
      if (rangeOffset === 0) return (codePoint + delta) & 0xffff;
      const glyph = font.getUint16(rangeOffsets + 2 * s + rangeOffset + 2 * (codePoint - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

/** Parses the advance widths of a TrueType font (a Windows-Unicode BMP cmap is required). */
export function parseFontMetrics(bytes: Uint8Array, name = "font"): FontMetrics {
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const tables = tableOffsets(font);
  const head = tables.get("head");
  const hhea = tables.get("hhea");
  const hmtx = tables.get("hmtx");
  const cmap = tables.get("cmap");
  if (head === undefined || hhea === undefined || hmtx === undefined || cmap === undefined)
    throw new MtfError(
      "INVALID_ARGUMENT",
      `${name} is not a TrueType font with head, hhea, hmtx and cmap tables`,
    );
  const unitsPerEm = font.getUint16(head + 18);
  const hMetrics = font.getUint16(hhea + 34);
  let lookup: ((codePoint: number) => number) | undefined;
  for (let i = 0; i < font.getUint16(cmap + 2); i++) {
    const record = cmap + 4 + 8 * i;
    const platform = font.getUint16(record);
    const encoding = font.getUint16(record + 2);
    const subtable = cmap + font.getUint32(record + 4);
    if ((platform === 3 && encoding === 1) || platform === 0) {
      if (font.getUint16(subtable) === 4) {
        lookup = format4Lookup(font, subtable);
        break;
      }
    }
  }
  if (lookup === undefined)
    throw new MtfError("INVALID_ARGUMENT", `${name} has no Unicode BMP (format 4) cmap`);
  const glyphOf = lookup;
  const cache = new Map<number, number>();
  return {
    unitsPerEm,
    advance(codePoint) {
      let width = cache.get(codePoint);
      if (width === undefined) {
        const glyph = glyphOf(codePoint);
        width = font.getUint16(hmtx + 4 * Math.min(glyph, hMetrics - 1));
        cache.set(codePoint, width);
      }
      return width;
    },
  };
}

export function loadFontMetrics(path: string): FontMetrics {
  return parseFontMetrics(readFileSync(path), path);
}

/** Width in pixels of `text` set in `metrics` at `fontSize` px. */
export function textWidth(metrics: FontMetrics, text: string, fontSize: number): number {
  let units = 0;
  for (const char of text) units += metrics.advance(char.codePointAt(0)!);
  return (units * fontSize) / metrics.unitsPerEm;
}
