/**
 * `deno task curves`: draws the held-out learning curves of several runs in one figure, as the paper's
 * figures compare the NTM with a plain LSTM: held-out cost and bit errors per sequence against training
 * sequences (log y axes; `--log-x` makes the sequences' axis logarithmic too), one line per run, with
 * optional horizontal reference lines (the Bayesian optimum of the N-grams task, say).
 *
 * ```sh
 * deno task curves --title "Repeat copy" --out docs/results/repeat_copy_curves.svg \
 *   "NTM=runs/rc-ntm" "LSTM=runs/rc-lstm"
 * ```
 *
 * @module
 */

import { join } from "node:path";
import { type FlagSpec, numberFlag, readCommand, requiredFlag, UsageError } from "../src/cli/args.ts";
import { writeFileAtomic } from "../src/io/atomic_write.ts";
import { type ChartSeries, lineChartSvg } from "../src/figures/line_chart.ts";
import { METRICS_LOG_FILE, type MetricsRecord, readMetricsLog } from "../src/io/metrics_log.ts";
import { svgDocument, svgText } from "../src/figures/svg.ts";

/** The flags of `deno task curves`; the runs follow as `NAME=DIR` arguments. */
export const CURVES_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "title": { type: "string", help: "the figure's title", default: "Learning curves" },
  "out": { type: "string", help: "the SVG file to write (required)" },
  "reference": {
    type: "string",
    help: 'a horizontal line on the cost chart, NAME=BITS (e.g. "Bayes optimum=131.6")',
    defaultFrom: "none",
  },
  "log-x": { type: "boolean", help: "a logarithmic axis of training sequences (for a budget projection)" },
  "help": { type: "boolean", help: "show this help" },
};

/** One run of the figure: its legend name and its metrics log. */
export interface CurveRun {
  /** The legend name. */
  readonly name: string;
  /** The run's metrics records. */
  readonly records: readonly MetricsRecord[];
}

const COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/**
 * The figure: held-out cost (left) and bit errors (right) per sequence against training sequences.
 *
 * @param runs The runs, each a line.
 * @param title The title.
 * @param reference An optional horizontal line on the cost chart.
 * @param logX A logarithmic axis of training sequences.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { compareCurvesSvg } from "./compare_curves.ts";
 * const r = (sequences: number, cost_bits: number) =>
 *   ({ step: sequences, sequences, seconds: 1, train_cost_bits: null, grad_norm: null, cost_bits, bit_errors: 1, seq_per_s: 1 });
 * const svg = compareCurvesSvg([{ name: "NTM", records: [r(100, 9), r(200, 3)] }], "copy");
 * assert(svg.includes("NTM"));
 * ```
 */
export function compareCurvesSvg(
  runs: readonly CurveRun[],
  title: string,
  reference?: { readonly name: string; readonly bits: number },
  logX = false,
): string {
  const width = 480, height = 300;
  const last = Math.max(1, ...runs.map((r) => r.records.at(-1)?.sequences ?? 0));
  const first = Math.min(last, ...runs.map((r) => r.records[0]?.sequences ?? last));
  const line = (i: number, pick: (r: MetricsRecord) => number): ChartSeries => ({
    name: runs[i]!.name,
    colour: COLOURS[i % COLOURS.length]!,
    points: runs[i]!.records.map((r) => [r.sequences, pick(r)]),
  });
  const costSeries = runs.map((_, i) => line(i, (r) => r.cost_bits));
  if (reference) {
    costSeries.push({
      name: reference.name,
      colour: "#555",
      dashed: true,
      points: [[logX ? first : 0, reference.bits], [last, reference.bits]],
    });
  }
  const common = { y: 30, width, height, xLabel: "training sequences", logY: true, logX };
  const cost = lineChartSvg(costSeries, {
    ...common,
    x: 0,
    title: "Held-out cost per sequence",
    yLabel: "bits per sequence",
  });
  const errors = lineChartSvg(runs.map((_, i) => line(i, (r) => r.bit_errors)), {
    ...common,
    x: width,
    title: "Held-out bit errors per sequence",
    yLabel: "bit errors per sequence",
  });
  const heading = svgText(10, 20, title, { bold: true, size: 14 });
  return svgDocument(2 * width, height + 40, [heading, cost, errors].join("\n"), title);
}

/**
 * Runs `deno task curves` with the given arguments.
 *
 * @param args The flags and `NAME=DIR` runs.
 * @param write Writes text to standard output.
 * @returns The file written, or `undefined` for `--help`.
 * @throws {UsageError} for a missing `--out`, no runs, or a malformed run or reference.
 *
 * @example
 * ```ts ignore
 * await curvesCommand(["--out", "curves.svg", "NTM=runs/a", "LSTM=runs/b"]);
 * ```
 */
export async function curvesCommand(
  args: string[],
  write: (text: string) => void = (t) => void Deno.stdout.writeSync(new TextEncoder().encode(t)),
): Promise<string | undefined> {
  const line = readCommand(
    args,
    "deno task curves --out FILE [flags] NAME=DIR ...",
    CURVES_FLAGS,
    write,
    true,
  );
  if (line === undefined) return undefined;
  const { values, positionals } = line;
  const out = requiredFlag(line, "out", "FILE");
  if (positionals.length === 0) throw new UsageError("name at least one run as NAME=DIR");
  const pair = (text: string, what: string): [string, string] => {
    const at = text.indexOf("=");
    if (at <= 0 || at === text.length - 1) throw new UsageError(`${what} must be NAME=VALUE, got "${text}"`);
    return [text.slice(0, at), text.slice(at + 1)];
  };
  const runs: CurveRun[] = [];
  for (const positional of positionals) {
    const [name, dir] = pair(positional, "a run");
    runs.push({ name, records: await readMetricsLog(join(dir, METRICS_LOG_FILE)) });
  }
  const ref = values.reference as string | undefined;
  let reference: { name: string; bits: number } | undefined;
  if (ref !== undefined) {
    const [name, bits] = pair(ref, "--reference");
    reference = { name, bits: numberFlag(bits, "reference", 0) };
  }
  await writeFileAtomic(
    out,
    compareCurvesSvg(runs, values.title as string, reference, values["log-x"] === true),
  );
  write(`Wrote ${out}\n`);
  return out;
}

if (import.meta.main) {
  try {
    await curvesCommand(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    if (error instanceof Deno.errors.NotFound) {
      console.error(`error: ${error.message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
