/**
 * The learning curve: held-out (and training) cost and held-out bit errors per sequence against training
 * sequences, on logarithmic y axes, from the records of a metrics log (or a live run's reports).
 *
 * @module
 */

import type { MetricsRecord } from "../io/metrics_log.ts";
import { lineChartSvg } from "./line_chart.ts";
import { svgDocument, svgText } from "./svg.ts";

/**
 * Draws the learning curve: held-out (and training) cost and held-out bit errors per sequence against
 * training sequences, on logarithmic y axes.
 *
 * @param records The metrics log's records.
 * @param title The figure's title.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { learningCurveSvg } from "./learning_curve.ts";
 * const svg = learningCurveSvg([
 *   { step: 100, sequences: 1600, seconds: 1, train_cost_bits: 40, grad_norm: 3, cost_bits: 38, bit_errors: 12, seq_per_s: 1600 },
 *   { step: 200, sequences: 3200, seconds: 2, train_cost_bits: 10, grad_norm: 2, cost_bits: 9, bit_errors: 2, seq_per_s: 1600 },
 * ], "copy");
 * assert(svg.includes("<polyline"));
 * ```
 */
export function learningCurveSvg(records: readonly MetricsRecord[], title: string): string {
  const width = 480, height = 300;
  const cost = lineChartSvg(
    [
      { name: "held-out", colour: "#1f77b4", points: records.map((r) => [r.sequences, r.cost_bits]) },
      {
        name: `training (${TRAIN_CURVE_WINDOW}-seq mean)`,
        colour: "#ff7f0e",
        dashed: true,
        points: movingTrainCost(records, TRAIN_CURVE_WINDOW),
      },
    ],
    {
      x: 0,
      y: 30,
      width,
      height,
      title: "Cost per sequence",
      xLabel: "training sequences",
      yLabel: "bits per sequence",
      logY: true,
    },
  );
  const errors = lineChartSvg(
    [{ name: "held-out", colour: "#d62728", points: records.map((r) => [r.sequences, r.bit_errors]) }],
    {
      x: width,
      y: 30,
      width,
      height,
      title: "Bit errors per sequence",
      xLabel: "training sequences",
      yLabel: "bit errors per sequence",
      logY: true,
    },
  );
  const heading = svgText(10, 20, `${title}: learning curve`, { bold: true, size: 14 });
  return svgDocument(2 * width, height + 40, [heading, cost, errors].join("\n"), `${title} learning curve`);
}

/** Training sequences the learning curve's training line averages over, at least. */
export const TRAIN_CURVE_WINDOW = 200;

/**
 * The training cost as a moving mean: at each record, the mean of the training costs logged over the last
 * `window` sequences or more, each weighted by the sequences since the record before it. At batch 1 a
 * record's training cost is one episode's (on webgpu) or the mean since the last report (on the CPU); the
 * moving mean makes either readable.
 *
 * @param records The metrics log, in step order.
 * @param window At least this many sequences per mean.
 * @returns (sequences, mean training cost) per record with a known cost.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { movingTrainCost } from "./learning_curve.ts";
 * const r = (sequences: number, train_cost_bits: number) =>
 *   ({ step: sequences, sequences, seconds: 1, train_cost_bits, grad_norm: 1, cost_bits: 1, bit_errors: 1, seq_per_s: 1 });
 * const points = movingTrainCost([r(100, 10), r(200, 20), r(300, 30)], 200);
 * assert(points[2]![1] === 25);
 * ```
 */
export function movingTrainCost(
  records: readonly MetricsRecord[],
  window: number,
): [number, number][] {
  const points: [number, number][] = [];
  for (let i = 0; i < records.length; i++) {
    let sum = 0, weight = 0;
    for (let j = i; j >= 0; j--) {
      const cost = records[j]!.train_cost_bits;
      const covered = records[j]!.sequences - (j > 0 ? records[j - 1]!.sequences : 0);
      if (cost !== null && Number.isFinite(cost) && covered > 0) sum += cost * covered, weight += covered;
      if (records[i]!.sequences - (j > 0 ? records[j - 1]!.sequences : 0) >= window) break;
    }
    if (weight > 0) points.push([records[i]!.sequences, sum / weight]);
  }
  return points;
}
