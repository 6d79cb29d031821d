/**
 * The convergence study's arithmetic and its reports: when a seed's held-out bit errors first fall below a
 * threshold, the median and range over seeds (failures counted, never dropped), and the JSON, markdown and
 * SVG the study writes.
 *
 * @module
 */

import type { MetricsRecord } from "../src/io/metrics_log.ts";
import { type ChartSeries, lineChartSvg } from "../src/figures/line_chart.ts";
import { svgDocument } from "../src/figures/svg.ts";

/** Where one seed's run first reached the threshold. */
export interface Crossing {
  /** Steps taken when an evaluation first fell below the threshold. */
  readonly step: number;
  /** Training sequences seen by then. */
  readonly sequences: number;
  /** Wall seconds of training (held-out evaluations included) by then. */
  readonly seconds: number;
}

/** Generalisation of one seed's model: bit errors per sequence at a test length. */
export interface LengthResult {
  /** The sequence length. */
  readonly length: number;
  /** Held-out bit errors per sequence at that length. */
  readonly bitErrors: number;
  /** Held-out cost, bits per sequence. */
  readonly costBits: number;
}

/** One seed's outcome. */
export interface SeedResult {
  /** The seed. */
  readonly seed: number;
  /** The run's directory. */
  readonly dir: string;
  /** The first crossing, or `null` when the run never fell below the threshold within its budget. */
  readonly converged: Crossing | null;
  /** The last evaluation of the convergence phase. */
  readonly last: Crossing & { readonly bitErrors: number };
  /** Steps in all after the extra training (equal to the convergence phase's end when none). */
  readonly finalStep: number;
  /** Bit errors at the generalisation lengths (empty when none were asked for). */
  readonly lengths: readonly LengthResult[];
  /** The held-out curve: (sequences, bit errors per sequence) at every report. */
  readonly curve: readonly (readonly [number, number])[];
}

/** Median and range of one quantity over the converged seeds. */
export interface Spread {
  /** The median (the mean of the middle two for an even count). */
  readonly median: number;
  /** The smallest value. */
  readonly min: number;
  /** The largest value. */
  readonly max: number;
}

/** The whole study of one configuration. */
export interface StudyResult {
  /** A short name for the configuration. */
  readonly name: string;
  /** The flags every seed's `deno task train` received (seed and output directory aside). */
  readonly trainArgs: readonly string[];
  /** The threshold on held-out bit errors per sequence. */
  readonly threshold: number;
  /** Parallel jobs the seeds ran as (wall times are longer when jobs share cores). */
  readonly jobs: number;
  /** The machine's CPU model, written beside every time. */
  readonly cpu: string;
  /** Every seed, converged or not. */
  readonly seeds: readonly SeedResult[];
  /** Seeds that converged, of all. */
  readonly convergedCount: number;
  /** Median and range of sequences, steps and seconds to the threshold (`null` when no seed converged). */
  readonly sequences: Spread | null;
  /** Steps to the threshold. */
  readonly steps: Spread | null;
  /** Wall seconds to the threshold. */
  readonly seconds: Spread | null;
  /** The command that reproduces the study. */
  readonly command: string;
}

/**
 * The first record whose held-out bit errors fall below the threshold.
 *
 * @param records The run's metrics log, in step order.
 * @param threshold Bit errors per sequence.
 * @returns The crossing, or `null` when no record falls below it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { firstCrossing } from "./_study_report.ts";
 * const log = [
 *   { step: 100, sequences: 100, seconds: 1, train_cost_bits: 9, grad_norm: 1, cost_bits: 9, bit_errors: 3, seq_per_s: 100 },
 *   { step: 200, sequences: 200, seconds: 2, train_cost_bits: 1, grad_norm: 1, cost_bits: 1, bit_errors: 0.05, seq_per_s: 100 },
 * ];
 * assert(firstCrossing(log, 0.1)?.step === 200);
 * ```
 */
export function firstCrossing(records: readonly MetricsRecord[], threshold: number): Crossing | null {
  const hit = records.find((r) => r.bit_errors < threshold);
  return hit ? { step: hit.step, sequences: hit.sequences, seconds: hit.seconds } : null;
}

/**
 * Median, smallest and largest of some values.
 *
 * @param values The values (at least one).
 * @returns Their spread.
 * @throws {RangeError} when there are no values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { spread } from "./_study_report.ts";
 * assert(spread([3, 1, 2, 10]).median === 2.5);
 * ```
 */
export function spread(values: readonly number[]): Spread {
  if (values.length === 0) throw new RangeError("Cannot take the spread of no values");
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
  return { median, min: sorted[0]!, max: sorted.at(-1)! };
}

/**
 * Summarises the seeds of one configuration: how many converged, and the spread of sequences, steps and
 * seconds to the threshold over those that did.
 *
 * @param seeds Every seed's outcome.
 * @returns The count and spreads (`null` spreads when none converged).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarise } from "./_study_report.ts";
 * const s = summarise([]);
 * assert(s.convergedCount === 0 && s.sequences === null);
 * ```
 */
export function summarise(
  seeds: readonly SeedResult[],
): Pick<StudyResult, "convergedCount" | "sequences" | "steps" | "seconds"> {
  const hits = seeds.flatMap((s) => (s.converged ? [s.converged] : []));
  if (hits.length === 0) return { convergedCount: 0, sequences: null, steps: null, seconds: null };
  return {
    convergedCount: hits.length,
    sequences: spread(hits.map((h) => h.sequences)),
    steps: spread(hits.map((h) => h.step)),
    seconds: spread(hits.map((h) => h.seconds)),
  };
}

const round = (v: number, digits = 0) => Number(v.toFixed(digits));

function spreadText(s: Spread | null, digits = 0): string {
  if (s === null) return "—";
  const f = (v: number) => round(v, digits).toLocaleString("en-US");
  return `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}

/**
 * The study as markdown: one line of summary (median and range over the converged seeds, failures named),
 * then a row per seed, with the generalisation columns when there are any.
 *
 * @param study The study.
 * @returns Markdown text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { studyMarkdown } from "./_study_report.ts";
 * const md = studyMarkdown({ name: "x", trainArgs: [], threshold: 0.1, jobs: 1, cpu: "cpu", seeds: [],
 *   convergedCount: 0, sequences: null, steps: null, seconds: null, command: "deno task study" });
 * assert(md.includes("0 of 0 seeds"));
 * ```
 */
export function studyMarkdown(study: StudyResult): string {
  const lengths = [...new Set(study.seeds.flatMap((s) => s.lengths.map((l) => l.length)))].sort((a, b) =>
    a - b
  );
  const failed = study.seeds.filter((s) => !s.converged).map((s) => s.seed);
  const lines = [
    `### ${study.name}`,
    "",
    "```sh",
    study.command,
    "```",
    "",
    `${study.convergedCount} of ${study.seeds.length} seeds reached < ${study.threshold} held-out bit errors ` +
    `per sequence` +
    (failed.length
      ? ` (did not converge within the budget: seed${failed.length > 1 ? "s" : ""} ${failed.join(", ")})`
      : "") +
    `. Median (range) over the converged seeds: ${spreadText(study.sequences)} sequences, ` +
    `${spreadText(study.steps)} steps, ${spreadText(study.seconds)} s ` +
    `(${study.jobs} job${study.jobs > 1 ? "s" : ""} at once on ${study.cpu}).`,
    "",
    `| seed | sequences to < ${study.threshold} | steps | seconds | last bit errors | final step |` +
    lengths.map((l) => ` length ${l} |`).join(""),
    `| ---: | ---: | ---: | ---: | ---: | ---: |` + lengths.map(() => " ---: |").join(""),
  ];
  for (const s of study.seeds) {
    const c = s.converged;
    const cells = [
      String(s.seed),
      c ? c.sequences.toLocaleString("en-US") : `not within ${s.last.sequences.toLocaleString("en-US")}`,
      c ? c.step.toLocaleString("en-US") : "—",
      c ? round(c.seconds, 1).toString() : "—",
      round(s.last.bitErrors, 3).toString(),
      s.finalStep.toLocaleString("en-US"),
      ...lengths.map((l) => {
        const r = s.lengths.find((x) => x.length === l);
        return r ? round(r.bitErrors, 2).toString() : "—";
      }),
    ];
    lines.push(`| ${cells.join(" | ")} |`);
  }
  if (lengths.length) {
    const medians = lengths.map((l) => {
      const v = study.seeds.flatMap((s) => s.lengths.filter((x) => x.length === l).map((x) => x.bitErrors));
      return v.length ? round(spread(v).median, 2).toString() : "—";
    });
    lines.push(`| median | | | | | | ${medians.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

/**
 * Every seed's held-out bit errors per sequence over training sequences, in one chart with the threshold
 * drawn dashed: the figure to compare with other implementations' convergence plots.
 *
 * @param study The study.
 * @returns An SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { studySvg } from "./_study_report.ts";
 * const svg = studySvg({ name: "x", trainArgs: [], threshold: 0.1, jobs: 1, cpu: "cpu", convergedCount: 1,
 *   sequences: null, steps: null, seconds: null, command: "",
 *   seeds: [{ seed: 1, dir: "d", converged: null, last: { step: 2, sequences: 2, seconds: 1, bitErrors: 1 },
 *     finalStep: 2, lengths: [], curve: [[1, 5], [2, 1]] }] });
 * assert(svg.includes("<polyline"));
 * ```
 */
export function studySvg(study: StudyResult): string {
  const width = 640, height = 380;
  const xMax = Math.max(1, ...study.seeds.flatMap((s) => s.curve.map((p) => p[0])));
  const series: ChartSeries[] = study.seeds.map((s, i) => ({
    name: `seed ${s.seed}${s.converged ? "" : " (no)"}`,
    colour: COLOURS[i % COLOURS.length]!,
    points: s.curve,
  }));
  series.push({
    name: `threshold ${study.threshold}`,
    colour: "#777",
    dashed: true,
    points: [[0, study.threshold], [xMax, study.threshold]],
  });
  const chart = lineChartSvg(series, {
    x: 0,
    y: 0,
    width,
    height,
    title: `${study.name}: held-out bit errors per sequence`,
    xLabel: "training sequences",
    yLabel: "bit errors per sequence",
    logY: true,
  });
  return svgDocument(width, height, chart, `${study.name} convergence over seeds`);
}

/**
 * Several studies side by side, one row each: seeds converged, median and range of sequences and seconds to
 * the threshold, and the median bit errors at each generalisation length any of them tested.
 *
 * @param studies The studies, in the order of the rows.
 * @returns A markdown table.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { comparisonMarkdown } from "./_study_report.ts";
 * assert(comparisonMarkdown([]).startsWith("| configuration"));
 * ```
 */
export function comparisonMarkdown(studies: readonly StudyResult[]): string {
  const lengths = [
    ...new Set(studies.flatMap((st) => st.seeds.flatMap((s) => s.lengths.map((l) => l.length)))),
  ]
    .sort((a, b) => a - b);
  const lines = [
    `| configuration | converged | sequences to threshold | seconds | ` +
    lengths.map((l) => `length ${l} |`).join(" "),
    `| --- | ---: | ---: | ---: |` + lengths.map(() => " ---: |").join(""),
  ];
  for (const st of studies) {
    const cells = lengths.map((l) => {
      const v = st.seeds.flatMap((s) => s.lengths.filter((x) => x.length === l).map((x) => x.bitErrors));
      return v.length ? round(spread(v).median, 2).toString() : "—";
    });
    lines.push(
      `| ${st.name} | ${st.convergedCount} of ${st.seeds.length} | ${spreadText(st.sequences)} | ` +
        `${spreadText(st.seconds)} | ${cells.join(" | ")}${cells.length ? " |" : ""}`,
    );
  }
  return lines.join("\n") + "\n";
}
