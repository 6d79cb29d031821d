/**
 * The program task's learning curve (Zaremba & Sutskever 2014): per-character accuracy against training
 * sequences, held out at the target difficulty and at the curriculum's current stage, beside the
 * curriculum's stage (digits per number) over the same sequences, so a stalled or advancing schedule shows.
 * It reads the program fields the trainer adds to each metrics record (`char_accuracy`,
 * `stage_char_accuracy`, `stage_length`, `stage_nesting`).
 *
 * @module
 */

import type { MetricsRecord } from "../io/metrics_log.ts";
import { lineChartSvg } from "./line_chart.ts";
import { svgDocument, svgText } from "./svg.ts";

/** `(sequences, field)` of every record that has the field, scaled by `scale`. */
function series(records: readonly MetricsRecord[], name: ProgramField, scale = 1): [number, number][] {
  return records.flatMap((r) => {
    const v = r[name];
    return v === undefined || !Number.isFinite(v) ? [] : [[r.sequences, v * scale] as [number, number]];
  });
}

/** A stage series drawn as steps: it holds its value until the record where it changes. */
function steps(points: readonly [number, number][]): [number, number][] {
  return points.flatMap((p, i) => i > 0 && points[i - 1]![1] !== p[1] ? [[p[0], points[i - 1]![1]], p] : [p]);
}

/** The program task's fields of a metrics record. */
type ProgramField = "char_accuracy" | "stage_char_accuracy" | "stage_length" | "stage_nesting";

/**
 * Draws the program task's learning curve: held-out per-character accuracy (at the target and at the
 * current curriculum stage, in %) and the curriculum stage (digits per number, and nesting where it is
 * above 1) against training sequences.
 *
 * @param records The metrics log's records of a program-task run.
 * @param title The figure's title.
 * @returns The SVG document.
 * @throws {RangeError} when no record has the program task's accuracy.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { programLearningCurveSvg } from "./program_curve.ts";
 * const r = (sequences: number, char_accuracy: number, stage_length: number) => ({
 *   step: sequences, sequences, seconds: 1, train_cost_bits: 5, grad_norm: 1, cost_bits: 5, bit_errors: 1,
 *   seq_per_s: 100, char_accuracy, stage_char_accuracy: 0.9, stage_length, stage_nesting: 1,
 * });
 * const svg = programLearningCurveSvg([r(1000, 0.2, 1), r(2000, 0.4, 2)], "addition");
 * assert(svg.includes("<polyline"));
 * ```
 */
export function programLearningCurveSvg(records: readonly MetricsRecord[], title: string): string {
  const target = series(records, "char_accuracy", 100);
  if (target.length === 0) {
    throw new RangeError("Cannot draw the program learning curve: no record has char_accuracy");
  }
  const width = 480, height = 300;
  const accuracy = lineChartSvg(
    [
      { name: "held-out, target", colour: "#1f77b4", points: target },
      {
        name: "held-out, current stage",
        colour: "#2ca02c",
        dashed: true,
        points: series(records, "stage_char_accuracy", 100),
      },
    ],
    {
      x: 0,
      y: 30,
      width,
      height,
      title: "Per-character accuracy (teacher forcing), %",
      xLabel: "training sequences",
      yLabel: "% characters right",
    },
  );
  const nesting = series(records, "stage_nesting");
  const stage = lineChartSvg(
    [
      { name: "digits per number", colour: "#9467bd", points: steps(series(records, "stage_length")) },
      ...(nesting.some(([, v]) => v > 1)
        ? [{ name: "nesting", colour: "#8c564b", points: steps(nesting) }]
        : []),
    ],
    {
      x: width,
      y: 30,
      width,
      height,
      title: "Curriculum stage",
      xLabel: "training sequences",
      yLabel: "stage",
    },
  );
  const heading = svgText(10, 20, `${title}: learning curve`, { bold: true, size: 14 });
  return svgDocument(
    2 * width,
    height + 40,
    [heading, accuracy, stage].join("\n"),
    `${title} learning curve`,
  );
}
