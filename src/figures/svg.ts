/**
 * Small helpers to write SVG by hand: escaping, numbers, text and the document wrapper. The figures
 * (heat maps in heatmap.ts, line charts in line_chart.ts) are built from these, with no dependency.
 *
 * @module
 */

/**
 * Escapes text for XML character data and attribute values.
 *
 * @param text Any text.
 * @returns The text with `&`, `<`, `>`, `"` and `'` replaced by entities.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { escapeXml } from "./svg.ts";
 * assert(escapeXml("a < b & c") === "a &lt; b &amp; c");
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

/**
 * Formats a coordinate compactly: at most 2 decimals, no trailing zeros.
 *
 * @param value The number.
 * @returns Its shortest form to 0.01.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fmt } from "./svg.ts";
 * assert(fmt(1.5) === "1.5" && fmt(2) === "2" && fmt(1 / 3) === "0.33");
 * ```
 */
export function fmt(value: number): string {
  const rounded = Math.round(value * 100) / 100;
  return String(Object.is(rounded, -0) ? 0 : rounded);
}

/** Options of {@linkcode svgText}. */
export interface TextOptions {
  /** Font size in px (default 12). */
  readonly size?: number;
  /** `start` (default), `middle` or `end`. */
  readonly anchor?: "start" | "middle" | "end";
  /** Bold text. */
  readonly bold?: boolean;
  /** Rotation in degrees about the anchor point. */
  readonly rotate?: number;
  /** Fill colour (default `#222`). */
  readonly fill?: string;
}

/**
 * A `<text>` element, its content escaped.
 *
 * @param x The anchor's x.
 * @param y The baseline's y.
 * @param content The text.
 * @param options Size, anchor, weight, rotation, colour.
 * @returns The element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgText } from "./svg.ts";
 * assert(svgText(10, 20, "N × T").startsWith('<text x="10" y="20"'));
 * ```
 */
export function svgText(x: number, y: number, content: string, options: TextOptions = {}): string {
  const attrs = [`x="${fmt(x)}"`, `y="${fmt(y)}"`, `font-size="${options.size ?? 12}"`];
  if (options.anchor && options.anchor !== "start") attrs.push(`text-anchor="${options.anchor}"`);
  if (options.bold) attrs.push(`font-weight="bold"`);
  if (options.rotate) attrs.push(`transform="rotate(${fmt(options.rotate)} ${fmt(x)} ${fmt(y)})"`);
  if (options.fill) attrs.push(`fill="${escapeXml(options.fill)}"`);
  return `<text ${attrs.join(" ")}>${escapeXml(content)}</text>`;
}

/**
 * Wraps SVG elements into a standalone document with a `viewBox`, a white background and a sans-serif
 * font.
 *
 * @param width The width in px.
 * @param height The height in px.
 * @param body The elements.
 * @param title A `<title>` for the document.
 * @returns The document, starting with an XML declaration.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { svgDocument } from "./svg.ts";
 * const svg = svgDocument(100, 50, '<circle cx="50" cy="25" r="20"/>', "A circle");
 * assert(svg.includes('viewBox="0 0 100 50"'));
 * ```
 */
export function svgDocument(width: number, height: number, body: string, title: string): string {
  const w = fmt(Math.ceil(width)), h = fmt(Math.ceil(height));
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" ` +
    `font-family="Helvetica, Arial, sans-serif">`,
    `<title>${escapeXml(title)}</title>`,
    `<rect width="${w}" height="${h}" fill="#fff"/>`,
    body,
    `</svg>`,
    "",
  ].join("\n");
}
