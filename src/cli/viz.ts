/**
 * `deno task viz --checkpoint DIR [--length L] [--seed S]`: draws a checkpoint's figures as SVG.
 *
 * - `DIR/episode.svg`: one episode in the style of the paper's Figure 6: heat maps over time (x axis) of the
 *   inputs, targets and outputs, and of every head's weighting over the N memory rows (write heads, then
 *   read heads), with the add vectors of the write heads and the read vectors of the read heads. The
 *   weightings come from the float64 reference forward on the checkpoint's parameters, whatever backend
 *   trained it.
 * - `DIR/learning_curve.svg`: held-out cost (and training cost) and held-out bit errors per sequence
 *   against training sequences, on log y axes, from `DIR/metrics.jsonl`.
 *
 * A checkpoint of the plain LSTM baseline (`--model lstm`) has no memory or heads to draw: it gets the
 * learning curve only.
 *
 * @module
 */

import { join } from "node:path";
import type { EpisodeBatch } from "../model/episode.ts";
import { MAX_LENGTH } from "../../tasks/task.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "../io/checkpoint.ts";
import { colourBarSvg, heatmapSvg } from "../io/heatmap.ts";
import { lineChartSvg } from "../io/line_chart.ts";
import { METRICS_LOG_FILE, MetricsLogError, type MetricsRecord, readMetricsLog } from "../io/metrics_log.ts";
import { svgDocument, svgText } from "../io/svg.ts";
import { readHeadWidth, shiftCount, writeHeadWidth } from "../model/config.ts";
import { Rng } from "../model/random.ts";
import { headFieldOffsets } from "../reference/head_params.ts";
import { type ReferenceForward, referenceForward } from "../reference/model.ts";
import { initialMemory, randomInitialMemory } from "../model/initial_memory.ts";
import { type FlagSpec, integerFlag, pipeSafeWriter, stringFlag, UsageError } from "./args.ts";
import { checkpointFlag, HELD_OUT_SEED_FLAG, HELP_FLAG, readCheckpointCommand } from "./common_flags.ts";
import { trainingTask } from "./presets.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { PRIORITY_WRITES_FILE, priorityWritesSvg } from "./priority_writes.ts";
import { runCommand } from "./run_command.ts";

/** The file names of the figures inside a checkpoint directory. */
export const FIGURE_FILES: { readonly episode: "episode.svg"; readonly learningCurve: "learning_curve.svg" } =
  Object
    .freeze({ episode: "episode.svg", learningCurve: "learning_curve.svg" });

/** Options of {@linkcode renderFigures}. */
export interface FigureOptions {
  /** The episode's length (default: the longest training length). */
  readonly length?: number;
  /** Seeds the episode (default: the checkpoint's held-out seed). */
  readonly seed?: number;
  /** Where to write the figures (default: the checkpoint's directory). */
  readonly outDir?: string;
}

/** Where {@linkcode renderFigures} wrote. */
export interface FigurePaths {
  /** The episode figure. */
  readonly episode: string;
  /** The learning curve, or `null` when there is no metrics log with a record. */
  readonly learningCurve: string | null;
  /** Priority sort: the write locations against priority (the paper's Figure 17). */
  readonly priorityWrites?: string;
}

/** One heat map panel of the episode figure. */
interface Panel {
  readonly title: string;
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly min: number;
  readonly max: number;
  readonly weighting: boolean;
}

/**
 * Runs one episode through the float64 reference on a checkpoint's parameters.
 *
 * @param checkpoint The checkpoint.
 * @param length The episode's length, in the task's units.
 * @param seed Seeds the episode.
 * @returns The one-episode batch and the reference's forward pass (tapes included).
 * @throws {RangeError} when the task cannot make an episode of that length.
 * @throws {TypeError} when the checkpoint holds the plain LSTM baseline (it has no memory to draw).
 *
 * @example
 * ```ts ignore
 * const { batch, forward } = runEpisode(await loadCheckpoint("runs/copy-1"), 10, 2);
 * console.log(forward.tapes[0]!.steps[0]!.w[0]);
 * ```
 */
export function runEpisode(
  checkpoint: LoadedCheckpoint,
  length: number,
  seed: number,
): { batch: EpisodeBatch; forward: ReferenceForward } {
  if (checkpoint.modelKind === "lstm") {
    throw new TypeError(
      `Cannot draw an episode of ${checkpoint.dir}: it holds the plain LSTM baseline, which has no memory or heads`,
    );
  }
  const { config, layout, params, training } = checkpoint;
  const task = trainingTask(training);
  let batch: EpisodeBatch;
  try {
    batch = task.generate(new Rng(seed), 1, { minLen: length, maxLen: length });
  } catch (error) {
    throw new RangeError(
      `Cannot draw ${task.name} at length ${length} (${task.lengthMeaning}): ${(error as Error).message}`,
    );
  }
  checkRunSize(
    `Cannot draw ${task.name} at length ${length}`,
    layout.size,
    batch.steps * tapeBytesPerStep(config),
  );
  const memoryRng = new Rng(training.memorySeed);
  const memory0 = config.memoryInit === "random"
    ? randomInitialMemory(config, 1, () => memoryRng.uniform())
    : initialMemory(config, layout, params, 1);
  return { batch, forward: referenceForward(config, layout, params, batch, memory0) };
}

/**
 * Draws the episode figure: inputs, targets, outputs, and every head's weighting and vectors over time.
 *
 * @param checkpoint The checkpoint (for the configuration and captions).
 * @param length The episode's length in the task's units (for the caption).
 * @param batch A one-episode batch.
 * @param forward The reference's forward pass over it.
 * @returns The SVG document.
 *
 * @example
 * ```ts ignore
 * const { batch, forward } = runEpisode(checkpoint, 10, 2);
 * await Deno.writeTextFile("episode.svg", episodeFigureSvg(checkpoint, 10, batch, forward));
 * ```
 */
export function episodeFigureSvg(
  checkpoint: LoadedCheckpoint,
  length: number,
  batch: EpisodeBatch,
  forward: ReferenceForward,
): string {
  if (checkpoint.modelKind === "lstm") {
    throw new TypeError(
      `Cannot draw an episode of ${checkpoint.dir}: it holds the plain LSTM baseline, which has no memory or heads`,
    );
  }
  const { config, training, progress } = checkpoint;
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = config;
  const T = batch.lengths[0]!, X = batch.inputSize, Y = batch.outputSize, steps = batch.steps;
  const tape = forward.tapes[0]!;
  const at = headFieldOffsets(M, shiftCount(config));
  const headOffset = (h: number) =>
    h < R ? h * readHeadWidth(config) : R * readHeadWidth(config) + (h - R) * writeHeadWidth(config);
  /** (rows, T) from a per-time-step getter of a row vector. */
  const overTime = (rows: number, get: (t: number) => ArrayLike<number>) => {
    const out = new Float64Array(rows * T);
    for (let t = 0; t < T; t++) {
      const v = get(t);
      for (let r = 0; r < rows; r++) out[r * T + t] = v[r]!;
    }
    return out;
  };
  const range = (values: ArrayLike<number>, lo: number, hi: number): [number, number] => {
    let min = lo, max = hi;
    for (let i = 0; i < values.length; i++) {
      if (values[i]! < min) min = values[i]!;
      if (values[i]! > max) max = values[i]!;
    }
    return [min, max];
  };
  const bitsPanel = (title: string, rows: number, get: (t: number) => ArrayLike<number>): Panel => {
    const values = overTime(rows, get);
    const [min, max] = range(values, 0, 1);
    return { title, values, rows, min, max, weighting: false };
  };
  const symmetricPanel = (title: string, rows: number, get: (t: number) => ArrayLike<number>): Panel => {
    const values = overTime(rows, get);
    const [min, max] = range(values, -1e-9, 1e-9);
    const bound = Math.max(-min, max);
    return {
      title: `${title}, colour −${bound.toPrecision(2)} … ${bound.toPrecision(2)}`,
      values,
      rows,
      min: -bound,
      max: bound,
      weighting: false,
    };
  };
  /** Weightings use the colour range 0 … max(their largest value, ¼), so that diffuse ones still show. */
  const weightingPanel = (title: string, head: number): Panel => {
    const values = overTime(N, (t) => tape.steps[t]!.w[head]!);
    const max = Math.min(1, range(values, 0, 0.25)[1]);
    return {
      title: `${title}, colour 0 … ${max.toPrecision(2)}`,
      values,
      rows: N,
      min: 0,
      max,
      weighting: true,
    };
  };
  const row = (array: ArrayLike<number>, width: number, t: number) =>
    Array.from({ length: width }, (_, j) => array[t * width + j]!);
  const masked = (t: number) =>
    Array.from({ length: Y }, (_, j) => batch.mask[t]! ? batch.target[t * Y + j]! : 0);

  const panels: Panel[] = [
    bitsPanel(`Inputs (${X} channels)`, X, (t) => row(batch.input, X, t)),
    bitsPanel(`Targets (${Y} channels, output phase)`, Y, masked),
    bitsPanel(`Outputs (${Y} channels)`, Y, (t) => row(forward.output, Y, t)),
  ];
  for (let h = 0; h < W; h++) {
    const o = headOffset(R + h);
    panels.push(
      symmetricPanel(
        `Add vectors, write head ${h + 1} (M = ${M})`,
        M,
        (t) => tape.steps[t]!.heads.subarray(o + at.a, o + at.a + M),
      ),
      weightingPanel(`Write weightings, write head ${h + 1} (N = ${N} rows)`, R + h),
    );
  }
  for (let h = 0; h < R; h++) {
    panels.push(
      symmetricPanel(
        `Read vectors, read head ${h + 1} (M = ${M})`,
        M,
        (t) => tape.steps[t]!.reads.subarray(h * M, (h + 1) * M),
      ),
      weightingPanel(`Read weightings, read head ${h + 1} (N = ${N} rows)`, h),
    );
  }

  const left = 60, cellW = Math.max(1.5, Math.min(20, 900 / T));
  const plotW = cellW * T, figureW = left + Math.max(plotW, 520) + 20;
  const bitH = Math.max(3, Math.min(14, cellW));
  const weightH = Math.max(0.75, Math.min(cellW, 240 / N));
  const parts: string[] = [];
  let y = 20;
  const task = trainingTask(training);
  parts.push(
    svgText(
      left,
      y,
      `${training.task}: one episode of ${task.lengthMeaning} ${length} (T = ${T} steps)`,
      { bold: true, size: 14 },
    ),
    svgText(
      left,
      y + 16,
      `after ${progress.step} steps (${progress.sequences} sequences); time runs left to right`,
      { size: 11 },
    ),
  );
  y += 30;
  for (const panel of panels) {
    const cellH = panel.weighting ? weightH : Math.max(3, Math.min(bitH, 160 / panel.rows));
    y += 18;
    parts.push(svgText(left, y - 4, panel.title, { size: 12 }));
    parts.push(
      heatmapSvg(panel.values, panel.rows, T, {
        x: left,
        y,
        cellWidth: cellW,
        cellHeight: cellH,
        min: panel.min,
        max: panel.max,
        label: panel.title,
      }),
    );
    parts.push(svgText(left - 6, y + 9, panel.weighting ? "row 0" : "0", { anchor: "end", size: 9 }));
    parts.push(svgText(left - 6, y + panel.rows * cellH, String(panel.rows - 1), { anchor: "end", size: 9 }));
    y += panel.rows * cellH + 6;
  }
  y += 6;
  parts.push(
    svgText(left, y + 8, `time →  (t = 0 … ${T - 1}${steps > T ? `, of ${steps}` : ""})`, { size: 11 }),
  );
  parts.push(colourBarSvg(figureW - 180, y, 160, "low", "high"));
  parts.push(svgText(figureW - 190, y + 8, "colour (range in each title)", { anchor: "end", size: 10 }));
  y += 30;
  return svgDocument(
    figureW,
    y,
    parts.join("\n"),
    `${training.task} episode, step ${progress.step}`,
  );
}

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
 * import { learningCurveSvg } from "./viz.ts";
 * const svg = learningCurveSvg([
 *   { step: 100, sequences: 1600, seconds: 1, train_cost_bits: 40, grad_norm: 3, cost_bits: 38, bit_errors: 12, seq_per_s: 1600 },
 *   { step: 200, sequences: 3200, seconds: 2, train_cost_bits: 10, grad_norm: 2, cost_bits: 9, bit_errors: 2, seq_per_s: 1600 },
 * ], "copy");
 * console.assert(svg.includes("<polyline"));
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
 * import { movingTrainCost } from "./viz.ts";
 * const r = (sequences: number, train_cost_bits: number) =>
 *   ({ step: sequences, sequences, seconds: 1, train_cost_bits, grad_norm: 1, cost_bits: 1, bit_errors: 1, seq_per_s: 1 });
 * const points = movingTrainCost([r(100, 10), r(200, 20), r(300, 30)], 200);
 * console.assert(points[2]![1] === 25);
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

/**
 * Draws a checkpoint's figures into its directory: `episode.svg`, (when `metrics.jsonl` has records)
 * `learning_curve.svg` and, for priority sort, `priority_writes.svg` (four episodes from the seed on).
 *
 * @param dir The checkpoint directory (or a checkpoint already loaded from it).
 * @param options The episode's length and seed.
 * @returns The paths written.
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 * @throws {RangeError} when the task cannot make an episode of the length.
 *
 * @example
 * ```ts ignore
 * const { episode, learningCurve } = await renderFigures("runs/copy-1", { length: 10 });
 * ```
 */
export async function renderFigures(
  dir: string | LoadedCheckpoint,
  options: FigureOptions = {},
): Promise<FigurePaths> {
  const checkpoint = typeof dir === "string" ? await loadCheckpoint(dir) : dir;
  const length = options.length ?? checkpoint.training.range.maxLen;
  const seed = options.seed ?? checkpoint.training.evalSeed;
  const { batch, forward } = runEpisode(checkpoint, length, seed);
  const outDir = options.outDir ?? checkpoint.dir;
  const episode = join(outDir, FIGURE_FILES.episode);
  await writeFileAtomic(episode, episodeFigureSvg(checkpoint, length, batch, forward));

  const learningCurve = await renderLearningCurve(checkpoint, outDir);
  if (checkpoint.training.task !== "priority-sort") return { episode, learningCurve };
  const priorityWrites = join(outDir, PRIORITY_WRITES_FILE);
  const runs = [0, 1, 2, 3].map((e) =>
    e === 0 ? { batch, forward } : runEpisode(checkpoint, length, seed + e)
  );
  await writeFileAtomic(priorityWrites, priorityWritesSvg(checkpoint, runs));
  return { episode, learningCurve, priorityWrites };
}

/**
 * Draws a checkpoint's learning curve, `learning_curve.svg`, from its `metrics.jsonl` (the only figure of
 * the plain LSTM baseline).
 *
 * @param dir The checkpoint directory (or a checkpoint already loaded from it).
 * @param outDir Where to write it (default: the checkpoint's directory).
 * @returns The path written, or `null` when the metrics log is missing or has no record.
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 *
 * @example
 * ```ts ignore
 * const path = await renderLearningCurve("runs/program-lstm-1");
 * ```
 */
export async function renderLearningCurve(
  dir: string | LoadedCheckpoint,
  outDir?: string,
): Promise<string | null> {
  const checkpoint = typeof dir === "string" ? await loadCheckpoint(dir) : dir;
  let records: MetricsRecord[] = [];
  try {
    records = await readMetricsLog(join(checkpoint.dir, METRICS_LOG_FILE));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (records.length === 0) return null;
  const path = join(outDir ?? checkpoint.dir, FIGURE_FILES.learningCurve);
  const model = checkpoint.modelKind === "lstm" ? ", plain LSTM" : "";
  await writeFileAtomic(
    path,
    learningCurveSvg(records, `${checkpoint.training.task}${model} (${checkpoint.dir})`),
  );
  return path;
}

/** The flags of `deno task viz`. */
export const VIZ_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "checkpoint": checkpointFlag(),
  "length": {
    type: "string",
    help: "the episode's length, in the task's units",
    defaultFrom: "the longest training length",
  },
  "seed": { ...HELD_OUT_SEED_FLAG, help: "seeds the episode" },
  "out": { type: "string", help: "the directory to write the figures into", defaultFrom: "the checkpoint's" },
  "help": HELP_FLAG,
};

/**
 * Runs `deno task viz` with the given arguments.
 *
 * @param args The command-line arguments.
 * @param write Writes text to standard output.
 * @returns The paths written, or `undefined` for `--help` and for the plain LSTM baseline (which gets its
 *   learning curve only).
 * @throws {UsageError} for a missing `--checkpoint`, an unknown flag or a malformed value.
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 *
 * @example
 * ```ts ignore
 * await vizCommand(["--checkpoint", "runs/copy-1", "--length", "10"]);
 * ```
 */
export async function vizCommand(
  args: string[],
  write: (text: string) => void = pipeSafeWriter(Deno.stdout),
): Promise<FigurePaths | undefined> {
  const read = readCheckpointCommand(args, "deno task viz --checkpoint DIR [flags]", VIZ_FLAGS, write);
  if (read === undefined) return undefined;
  const { line, dir } = read;
  const str = (name: string): string | undefined => stringFlag(line, name);
  const length = str("length") === undefined
    ? undefined
    : integerFlag(str("length")!, "length", 1, MAX_LENGTH);
  const seed = str("seed") === undefined ? undefined : integerFlag(str("seed")!, "seed", 0);
  const outDir = str("out");
  if (outDir !== undefined) {
    if (outDir.trim() === "") throw new UsageError(`--out must name a directory, got "${outDir}"`);
    try {
      await Deno.mkdir(outDir, { recursive: true });
    } catch (error) {
      throw new UsageError(`--out ${outDir} cannot be used: ${(error as Error).message}`);
    }
  }
  const checkpoint = await loadCheckpoint(dir);
  /** Draws, turning a failed write into a one-line error that says how to write elsewhere. */
  const drawing = async <T>(draw: () => Promise<T>): Promise<T> => {
    try {
      return await draw();
    } catch (error) {
      const fileSystem = Object.values(Deno.errors).some((E) => error instanceof E);
      if (!fileSystem) throw error;
      throw new CheckpointError(
        `Cannot write the figures into ${outDir ?? dir} (${(error as Error).message}); ` +
          `pass --out DIR to write them elsewhere`,
        { cause: error },
      );
    }
  };
  if (checkpoint.modelKind === "lstm") {
    if (length !== undefined || seed !== undefined) {
      throw new UsageError(
        `--length and --seed choose the episode figure, which ${dir} (the plain LSTM baseline) does not have`,
      );
    }
    const curve = await drawing(() => renderLearningCurve(checkpoint, outDir));
    write(`No episode figure: ${dir} holds the plain LSTM baseline, which has no memory or heads\n`);
    write(
      curve
        ? `Learning curve: ${curve}\n`
        : `No learning curve: no records in ${join(dir, METRICS_LOG_FILE)}\n`,
    );
    return undefined;
  }
  let paths: FigurePaths;
  try {
    paths = await drawing(() =>
      renderFigures(checkpoint, {
        ...(length !== undefined && { length }),
        ...(seed !== undefined && { seed }),
        ...(outDir !== undefined && { outDir }),
      })
    );
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--length: ${error.message}`);
    throw error;
  }
  write(`Episode: ${paths.episode}\n`);
  if (paths.priorityWrites) write(`Write locations against priority: ${paths.priorityWrites}\n`);
  write(
    paths.learningCurve
      ? `Learning curve: ${paths.learningCurve}\n`
      : `No learning curve: no records in ${join(dir, METRICS_LOG_FILE)}\n`,
  );
  return paths;
}

if (import.meta.main) await runCommand(vizCommand, [MetricsLogError, CheckpointError]);
