/**
 * Renders a Vega-Lite spec headless: Vega-Lite → Vega → SVG through Vega's View with no DOM
 * (renderer "none"), then SVG → PNG with resvg at 2x. The only font is DejaVu Sans from the
 * dejavu-fonts-ttf package (system fonts are not loaded), so the PNGs are the same on every
 * machine and nothing is fetched at run time.
 */
import { createRequire } from "node:module";
import { Resvg } from "@resvg/resvg-js";
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { MtfError } from "../core/errors.js";
import { FIGURE_FONT } from "./figures.js";
import { type FontMetrics, loadFontMetrics, textWidth } from "./font-metrics.js";

const require = createRequire(import.meta.url);

/** The TTF files resvg gets: DejaVu Sans regular and bold (titles), from node_modules. */
export function fontFiles(): string[] {
  return ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((file) =>
    require.resolve(`dejavu-fonts-ttf/ttf/${file}`),
  );
}

interface TextItem {
  readonly fontSize?: number | string;
  readonly fontWeight?: number | string;
  readonly limit?: number;
}

/** Vega's text measurer: exported by vega-scenegraph (re-exported by vega), absent from its typings. */
const textMetrics = (vega as unknown as { textMetrics: { width: (item: TextItem, text: unknown) => number } })
  .textMetrics;

let metrics: { regular: FontMetrics; bold: FontMetrics } | undefined;

/**
 * Makes Vega measure text with DejaVu Sans's real advance widths (once per process); a label
 * longer than its `limit` is truncated by Vega to at most that width.
 */
function useFontMetrics(): void {
  if (metrics !== undefined) return;
  const [regular, bold] = fontFiles().map(loadFontMetrics);
  metrics = { regular, bold };
  const fonts = metrics;
  textMetrics.width = (item: TextItem, text: unknown) => {
    const line = text == null ? "" : String(text).trim();
    const size = item.fontSize == null ? 11 : Number(item.fontSize) || 0;
    const weight = item.fontWeight;
    const isBold = weight === "bold" || weight === "bolder" || Number(weight) >= 600;
    const width = textWidth(isBold ? fonts.bold : fonts.regular, line, size);
    return item.limit !== undefined && item.limit > 0 ? Math.min(width, item.limit) : width;
  };
}

/** The PNG scale factor: 2 device pixels per SVG pixel. */
export const PNG_SCALE = 2;

/** Compiles `spec` and renders it to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  let view: vega.View | undefined;
  useFontMetrics();
  try {
    const vegaSpec = compile(spec).spec;
    view = new vega.View(vega.parse(vegaSpec), { renderer: "none" });
    return await view.toSVG();
  } catch (error) {
    throw new MtfError("INTERNAL", `could not render a figure: ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    view?.finalize();
  }
}

/** Rasterises an SVG to PNG bytes at `scale` x, with the bundled font only. */
export function svgToPng(svg: string, scale = PNG_SCALE): Buffer {
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: { fontFiles: fontFiles(), loadSystemFonts: false, defaultFontFamily: FIGURE_FONT },
  });
  return resvg.render().asPng();
}

/**
 * Makes an SVG safe to inline next to others in one HTML page: every id (clip paths, gradients)
 * gets `prefix`, and the references to it follow.
 */
export function prefixSvgIds(svg: string, prefix: string): string {
  const ids = new Set([...svg.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1]));
  if (ids.size === 0) return svg;
  return svg
    .replace(/\sid="([^"]+)"/g, (_, id: string) => ` id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (whole, id: string) => (ids.has(id) ? `url(#${prefix}${id})` : whole))
    .replace(/href="#([^"]+)"/g, (whole, id: string) => (ids.has(id) ? `href="#${prefix}${id}"` : whole));
}
