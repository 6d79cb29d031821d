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
import { MAX_LENGTH } from "../../tasks/task.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "../io/checkpoint.ts";
import { METRICS_LOG_FILE, MetricsLogError, type MetricsRecord, readMetricsLog } from "../io/metrics_log.ts";
import { episodeFigure, learningCurveFigure, priorityWritesFigure } from "../figures/checkpoint_figures.ts";
import { PRIORITY_WRITES_FILE } from "../figures/priority_writes.ts";
import { blameFlag, type FlagSpec, integerFlag, optionalFlag, stringFlag, UsageError } from "./args.ts";
import {
  type CheckpointCommand,
  checkpointCommand,
  HELD_OUT_SEED_FLAG,
  heldOutSeed,
} from "./common_flags.ts";
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

/**
 * Writes a checkpoint's figures into its directory: `episode.svg`, (when `metrics.jsonl` has records)
 * `learning_curve.svg` and, for priority sort, `priority_writes.svg` (four episodes from the seed on).
 * The checkpoint may be one in memory (the end of training hands over the parameters it trained).
 *
 * @param checkpoint The checkpoint.
 * @param options The episode's length and seed, and where to write.
 * @returns The paths written.
 * @throws {RangeError} when the task cannot make an episode of the length.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const outDir = await Deno.makeTempDir();
 * const copy = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * const { episode, learningCurve } = await renderFigures(copy, { length: 10, outDir });
 * assert.equal(episode, `${outDir}/episode.svg`);
 * assert.equal(learningCurve, `${outDir}/learning_curve.svg`);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function renderFigures(
  checkpoint: LoadedCheckpoint,
  options: FigureOptions = {},
): Promise<FigurePaths> {
  const length = options.length ?? checkpoint.training.range.maxLen;
  const seed = options.seed ?? checkpoint.training.evalSeed;
  const outDir = options.outDir ?? checkpoint.dir;
  const figure = episodeFigure(checkpoint, length, seed);
  const episode = join(outDir, FIGURE_FILES.episode);
  await writeFileAtomic(episode, figure.svg);
  const learningCurve = await renderLearningCurve(checkpoint, outDir);
  if (checkpoint.training.task !== "priority-sort") return { episode, learningCurve };
  const priorityWrites = join(outDir, PRIORITY_WRITES_FILE);
  await writeFileAtomic(priorityWrites, priorityWritesFigure(checkpoint, figure, length, seed));
  return { episode, learningCurve, priorityWrites };
}

/**
 * Writes a checkpoint's learning curve, `learning_curve.svg`, from its `metrics.jsonl` (the only figure of
 * the plain LSTM baseline).
 *
 * @param checkpoint The checkpoint.
 * @param outDir Where to write it (default: the checkpoint's directory).
 * @returns The path written, or `null` when the metrics log is missing or has no record.
 * @throws {MetricsLogError} when the metrics log cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const outDir = await Deno.makeTempDir();
 * const copy = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * assert.equal(await renderLearningCurve(copy, outDir), `${outDir}/learning_curve.svg`);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export async function renderLearningCurve(
  checkpoint: LoadedCheckpoint,
  outDir?: string,
): Promise<string | null> {
  let records: MetricsRecord[] = [];
  try {
    records = await readMetricsLog(join(checkpoint.dir, METRICS_LOG_FILE));
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const svg = learningCurveFigure(checkpoint, records);
  if (svg === null) return null;
  const path = join(outDir ?? checkpoint.dir, FIGURE_FILES.learningCurve);
  await writeFileAtomic(path, svg);
  return path;
}

/** The flags of `deno task viz`. */
export const VIZ_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "length": {
    type: "string",
    help: "the episode's length, in the task's units",
    defaultFrom: "the longest training length",
  },
  "seed": { ...HELD_OUT_SEED_FLAG, help: "seeds the episode" },
  "out": { type: "string", help: "the directory to write the figures into", defaultFrom: "the checkpoint's" },
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
 * ```ts
 * import assert from "node:assert/strict";
 * const outDir = await Deno.makeTempDir();
 * const copy = new URL("../../models/copy", import.meta.url).pathname;
 * const paths = await vizCommand(["--checkpoint", copy, "--length", "10", "--out", outDir], () => {});
 * assert.equal(paths?.episode, `${outDir}/episode.svg`);
 * await Deno.remove(outDir, { recursive: true });
 * ```
 */
export const vizCommand: CheckpointCommand<FigurePaths> = checkpointCommand(
  "deno task viz --checkpoint DIR [flags]",
  VIZ_FLAGS,
  async ({ line, dir, write }) => {
    const length = optionalFlag(line, "length", (v) => integerFlag(v, "length", 1, MAX_LENGTH));
    const seed = heldOutSeed(line);
    const outDir = stringFlag(line, "out");
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
    const paths = await blameFlag("length", () =>
      drawing(() =>
        renderFigures(checkpoint, {
          ...(length !== undefined && { length }),
          ...(seed !== undefined && { seed }),
          ...(outDir !== undefined && { outDir }),
        })
      ));
    write(`Episode: ${paths.episode}\n`);
    if (paths.priorityWrites) write(`Write locations against priority: ${paths.priorityWrites}\n`);
    write(
      paths.learningCurve
        ? `Learning curve: ${paths.learningCurve}\n`
        : `No learning curve: no records in ${join(dir, METRICS_LOG_FILE)}\n`,
    );
    return paths;
  },
);

if (import.meta.main) await runCommand(vizCommand, [MetricsLogError, CheckpointError]);
