/**
 * Heat maps in SVG, compact enough for thousands of cells: values are quantised to a few colour levels,
 * the lowest level is one background rectangle, and every other level is one `<path>` of unit squares
 * (horizontal runs of equal level merged), drawn in a group scaled to the cell size.
 *
 * @module
 */

import { escapeXml, fmt } from "./svg.ts";

/** Viridis at 0, ¼, ½, ¾ and 1 (the colours between are interpolated). */
const VIRIDIS: readonly (readonly [number, number, number])[] = [
  [0x44, 0x01, 0x54],
  [0x3b, 0x52, 0x8b],
  [0x21, 0x91, 0x8c],
  [0x5e, 0xc9, 0x62],
  [0xfd, 0xe7, 0x25],
];

/**
 * The colour of a value in [0, 1] on a viridis-like scale (dark purple → yellow).
 *
 * @param t The value; clamped to [0, 1] (NaN counts as 0).
 * @returns A `#rrggbb` colour.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { viridis } from "./heatmap.ts";
 * assert(viridis(0) === "#440154" && viridis(1) === "#fde725");
 * ```
 */
export function viridis(t: number): string {
  const x = Number.isNaN(t) ? 0 : Math.min(1, Math.max(0, t)) * (VIRIDIS.length - 1);
  const i = Math.min(VIRIDIS.length - 2, Math.floor(x)), f = x - i;
  const a = VIRIDIS[i]!, b = VIRIDIS[i + 1]!;
  return "#" +
    [0, 1, 2].map((c) => Math.round(a[c]! + f * (b[c]! - a[c]!)).toString(16).padStart(2, "0")).join("");
}

/** Where a heat map goes and how its values map to colours. */
export interface HeatmapOptions {
  /** Left edge in px. */
  readonly x: number;
  /** Top edge in px. */
  readonly y: number;
  /** Width of one cell (one column) in px. */
  readonly cellWidth: number;
  /** Height of one cell (one row) in px. */
  readonly cellHeight: number;
  /** The value drawn with the lowest colour (default 0); smaller values are clamped. */
  readonly min?: number;
  /** The value drawn with the highest colour (default 1); larger values are clamped. */
  readonly max?: number;
  /** Colour levels (default 32, at least 2). */
  readonly levels?: number;
  /** A label stored in the group's `data-label` (for tests and tools). */
  readonly label?: string;
}

/**
 * The quantised colour level of a value: 0 … levels − 1.
 *
 * @param value The value (NaN gives level 0).
 * @param min The value of level 0.
 * @param max The value of the top level.
 * @param levels The number of levels.
 * @returns The level.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatmapLevel } from "./heatmap.ts";
 * assert(heatmapLevel(1, 0, 1, 32) === 31 && heatmapLevel(0.001, 0, 1, 32) === 0);
 * ```
 */
export function heatmapLevel(value: number, min: number, max: number, levels: number): number {
  if (!(value > min) || max <= min) return 0;
  const t = Math.min(1, (value - min) / (max - min));
  return Math.round(t * (levels - 1));
}

/**
 * Draws a rows × cols matrix as a heat map: row r, column c at (x + c·cellWidth, y + r·cellHeight).
 *
 * The group carries `data-rows` and `data-cols`; cells of level 0 are the background rectangle, every
 * other cell is covered by exactly one unit square of one `<path>` (so the run lengths of all paths add up
 * to the number of cells above level 0).
 *
 * @param values (rows, cols) row-major values.
 * @param rows The number of rows.
 * @param cols The number of columns.
 * @param options Position, cell size and value range.
 * @returns A `<g>` element.
 * @throws {RangeError} when `values` has fewer than rows × cols entries or a size is not a positive integer.
 *
 * @example A 2 × 3 map
 * ```ts
 * import assert from "node:assert/strict";
 * import { heatmapSvg } from "./heatmap.ts";
 * const g = heatmapSvg([0, 0.5, 1, 1, 0.5, 0], 2, 3, { x: 0, y: 0, cellWidth: 10, cellHeight: 10 });
 * assert(g.includes('data-rows="2"') && g.includes('data-cols="3"'));
 * ```
 */
export function heatmapSvg(
  values: ArrayLike<number>,
  rows: number,
  cols: number,
  options: HeatmapOptions,
): string {
  for (const [name, v] of [["rows", rows], ["cols", cols]] as const) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new RangeError(`Cannot draw the heat map: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (values.length < rows * cols) {
    throw new RangeError(
      `Cannot draw the heat map: expected ${rows} × ${cols} = ${rows * cols} values, got ${values.length}`,
    );
  }
  const min = options.min ?? 0, max = options.max ?? 1;
  const levels = Math.max(2, Math.floor(options.levels ?? 32));
  const paths: string[][] = Array.from({ length: levels }, () => []);
  for (let r = 0; r < rows; r++) {
    let c = 0;
    while (c < cols) {
      const level = heatmapLevel(values[r * cols + c]!, min, max, levels);
      let end = c + 1;
      while (end < cols && heatmapLevel(values[r * cols + end]!, min, max, levels) === level) end++;
      if (level > 0) paths[level]!.push(`M${c} ${r}h${end - c}v1h-${end - c}z`);
      c = end;
    }
  }
  const label = options.label === undefined ? "" : ` data-label="${escapeXml(options.label)}"`;
  const parts = [
    `<g class="heatmap"${label} data-rows="${rows}" data-cols="${cols}" transform="translate(${
      fmt(options.x)
    } ${fmt(options.y)}) scale(${fmt(options.cellWidth)} ${
      fmt(options.cellHeight)
    })" shape-rendering="crispEdges">`,
    `<rect width="${cols}" height="${rows}" fill="${viridis(0)}"/>`,
  ];
  for (let level = 1; level < levels; level++) {
    if (paths[level]!.length > 0) {
      parts.push(`<path fill="${viridis(level / (levels - 1))}" d="${paths[level]!.join("")}"/>`);
    }
  }
  parts.push(`</g>`);
  return parts.join("\n");
}

/**
 * A horizontal colour bar with its end values, to explain a heat map's colours.
 *
 * @param x Left edge in px.
 * @param y Top edge in px.
 * @param width Width in px.
 * @param min The label at the left end.
 * @param max The label at the right end.
 * @returns A `<g>` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { colourBarSvg } from "./heatmap.ts";
 * assert(colourBarSvg(0, 0, 100, "0", "1").includes("<g"));
 * ```
 */
export function colourBarSvg(x: number, y: number, width: number, min: string, max: string): string {
  const steps = 32, parts = [`<g class="colour-bar">`];
  for (let i = 0; i < steps; i++) {
    parts.push(
      `<rect x="${fmt(x + (i * width) / steps)}" y="${fmt(y)}" width="${
        fmt(width / steps + 0.5)
      }" height="8" ` +
        `fill="${viridis(i / (steps - 1))}"/>`,
    );
  }
  parts.push(
    `<text x="${fmt(x)}" y="${fmt(y + 20)}" font-size="10">${escapeXml(min)}</text>`,
    `<text x="${fmt(x + width)}" y="${fmt(y + 20)}" font-size="10" text-anchor="end">${
      escapeXml(max)
    }</text>`,
    `</g>`,
  );
  return parts.join("\n");
}
