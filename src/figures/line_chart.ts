/**
 * Line charts in SVG with linear or logarithmic axes, for learning curves.
 *
 * @module
 */

import { escapeXml, fmt, svgText } from "./svg.ts";

/** One line of a chart. */
export interface ChartSeries {
  /** Shown in the legend. */
  readonly name: string;
  /** The points (x, y), in x order; points with a non-finite coordinate are skipped. */
  readonly points: readonly (readonly [number, number])[];
  /** The line's colour. */
  readonly colour: string;
  /** Draw dashed. */
  readonly dashed?: boolean;
  /** Draw each point as a dot, without a line (a scatter plot). */
  readonly markers?: boolean;
}

/** Where a chart goes and how its axes look. */
export interface LineChartOptions {
  /** Left edge of the whole chart (axes and labels included) in px. */
  readonly x: number;
  /** Top edge in px. */
  readonly y: number;
  /** Width in px. */
  readonly width: number;
  /** Height in px. */
  readonly height: number;
  /** Title above the plot. */
  readonly title: string;
  /** The x axis's label. */
  readonly xLabel: string;
  /** The y axis's label. */
  readonly yLabel: string;
  /**
   * A logarithmic y axis. Values ≤ 0 (say, 0 bit errors) are drawn at the axis's floor, a power of ten
   * below the smallest positive value.
   */
  readonly logY?: boolean;
  /** A logarithmic x axis (values ≤ 0 drawn at its floor, as for `logY`). */
  readonly logX?: boolean;
}

/**
 * "Nice" tick values covering [lo, hi]: multiples of 1, 2 or 5 × 10^k, about `count` of them.
 *
 * @param lo The low end.
 * @param hi The high end.
 * @param count About how many ticks.
 * @returns The ticks, ascending, within [lo, hi].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { niceTicks } from "./line_chart.ts";
 * assert(niceTicks(0, 10, 5).join() === "0,2,4,6,8,10");
 * ```
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Math.round(v / step) * step);
  }
  return ticks;
}

/**
 * Formats a tick label: integers with thousands grouped as `k`/`M`, small numbers with few digits.
 *
 * @param value The tick's value.
 * @returns A short label.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { tickLabel } from "./line_chart.ts";
 * assert(tickLabel(20000) === "20k" && tickLabel(0.01) === "0.01");
 * ```
 */
export function tickLabel(value: number): string {
  const abs = Math.abs(value);
  if (abs >= 1e6) return `${fmt(value / 1e6)}M`;
  if (abs >= 1e4) return `${fmt(value / 1e3)}k`;
  if (abs >= 1 || abs === 0) return fmt(value);
  return String(Number(value.toPrecision(2)));
}

/**
 * Draws series as lines in one chart with axes, ticks, labels and a legend.
 *
 * @param series The lines.
 * @param options Position, size, labels, log scale.
 * @returns A `<g>` element.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lineChartSvg } from "./line_chart.ts";
 * const g = lineChartSvg(
 *   [{ name: "cost", colour: "#1f77b4", points: [[0, 30], [100, 3], [200, 0.1]] }],
 *   { x: 0, y: 0, width: 400, height: 250, title: "Held-out cost", xLabel: "sequences", yLabel: "bits", logY: true },
 * );
 * assert(g.includes("<polyline"));
 * ```
 */
export function lineChartSvg(series: readonly ChartSeries[], options: LineChartOptions): string {
  const { x, y, width, height } = options;
  const left = x + 58, right = x + width - 10, top = y + 26, bottom = y + height - 42;
  const finite = series.flatMap((s) =>
    s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py))
  );
  const xs = finite.map((p) => p[0]), ys = finite.map((p) => p[1]);
  const xAxis = options.logX ? logAxis(xs, left, right) : linearAxis(xs, left, right, true);
  const yAxis = options.logY ? logAxis(ys, bottom, top) : linearAxis(ys, bottom, top, false);
  const mapX = xAxis.map, mapY = yAxis.map, yTicks = yAxis.ticks;

  const parts = [`<g class="line-chart">`];
  parts.push(svgText(x + width / 2, y + 16, options.title, { anchor: "middle", bold: true, size: 13 }));
  parts.push(
    `<rect x="${fmt(left)}" y="${fmt(top)}" width="${fmt(right - left)}" height="${fmt(bottom - top)}" ` +
      `fill="none" stroke="#999"/>`,
  );
  for (const t of yTicks) {
    const py = mapY(t);
    parts.push(`<line x1="${fmt(left)}" y1="${fmt(py)}" x2="${fmt(right)}" y2="${fmt(py)}" stroke="#eee"/>`);
    parts.push(svgText(left - 4, py + 4, tickLabel(t), { anchor: "end", size: 10 }));
  }
  for (const t of xAxis.ticks) {
    const px = mapX(t);
    parts.push(
      `<line x1="${fmt(px)}" y1="${fmt(bottom)}" x2="${fmt(px)}" y2="${fmt(bottom + 4)}" stroke="#999"/>`,
    );
    parts.push(svgText(px, bottom + 16, tickLabel(t), { anchor: "middle", size: 10 }));
  }
  parts.push(svgText((left + right) / 2, bottom + 34, options.xLabel, { anchor: "middle", size: 11 }));
  parts.push(
    svgText(x + 14, (top + bottom) / 2, options.yLabel, { anchor: "middle", size: 11, rotate: -90 }),
  );

  series.forEach((s, i) => {
    const points = s.points.filter(([px, py]) => Number.isFinite(px) && Number.isFinite(py));
    if (s.markers) {
      for (const [px, py] of points) {
        parts.push(
          `<circle cx="${fmt(mapX(px))}" cy="${fmt(mapY(py))}" r="2.5" fill="${escapeXml(s.colour)}" ` +
            `fill-opacity="0.7"/>`,
        );
      }
    } else if (points.length > 0) {
      const coords = points.map(([px, py]) => `${fmt(mapX(px))},${fmt(mapY(py))}`).join(" ");
      parts.push(
        `<polyline fill="none" stroke="${escapeXml(s.colour)}" stroke-width="1.5"${
          s.dashed ? ` stroke-dasharray="4 3"` : ""
        } points="${coords}"/>`,
      );
    }
    const ly = top + 12 + 14 * i;
    parts.push(
      `<line x1="${fmt(right - 120)}" y1="${fmt(ly - 4)}" x2="${fmt(right - 104)}" y2="${fmt(ly - 4)}" ` +
        `stroke="${escapeXml(s.colour)}" stroke-width="2"${s.dashed ? ` stroke-dasharray="4 3"` : ""}/>`,
    );
    parts.push(svgText(right - 100, ly, s.name, { size: 10 }));
  });
  parts.push(`</g>`);
  return parts.join("\n");
}

/** An axis: where a value goes on the page, and its ticks. */
interface Axis {
  readonly map: (v: number) => number;
  readonly ticks: number[];
}

/**
 * A logarithmic axis from `from` to `to` (page coordinates) over the values: from a power of ten at or below
 * the least positive value (one decade lower when some are ≤ 0, which are drawn there) to one at or above the
 * largest, with ticks at powers of ten.
 */
function logAxis(values: readonly number[], from: number, to: number): Axis {
  const positive = values.filter((v) => v > 0);
  const lo = 10 ** Math.floor(Math.log10(positive.length ? least(positive) : 0.01));
  const floor = values.some((v) => v <= 0) ? lo / 10 : lo;
  const hi = 10 ** Math.ceil(Math.log10(Math.max(floor * 10, most(positive))));
  const l0 = Math.log10(floor), l1 = Math.log10(hi);
  const ticks: number[] = [];
  const stride = Math.max(1, Math.ceil((l1 - l0) / 6));
  for (let e = Math.round(l0); e <= Math.round(l1); e += stride) ticks.push(10 ** e);
  return { map: (v) => from + ((Math.log10(Math.max(v, floor)) - l0) / (l1 - l0)) * (to - from), ticks };
}

/** A linear axis over the values from 0 (or below), with "nice" ticks; the y axis reaches its top tick. */
function linearAxis(values: readonly number[], from: number, to: number, isX: boolean): Axis {
  const v0 = Math.min(0, values.length ? least(values) : 0);
  let v1 = values.length ? most(values) : 1;
  if (v1 <= v0) v1 = v0 + 1;
  const ticks = niceTicks(v0, v1, 5);
  if (!isX) v1 = Math.max(v1, ticks.at(-1)!);
  return { map: (v) => from + ((v - v0) / (v1 - v0)) * (to - from), ticks };
}

/** The smallest of the values (∞ for none), without spreading them into `Math.min`. */
function least(values: readonly number[]): number {
  let m = Infinity;
  for (const v of values) if (v < m) m = v;
  return m;
}

/** The largest of the values (−∞ for none). */
function most(values: readonly number[]): number {
  let m = -Infinity;
  for (const v of values) if (v > m) m = v;
  return m;
}
