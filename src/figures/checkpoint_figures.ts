/**
 * The figures of a trained model, as SVG text: one episode run through the float64 reference on its
 * parameters (the paper's Figure 6 style), its learning curve from its metrics records, and for priority
 * sort the write locations against priority (the paper's Figure 17). Writing them to files is the
 * caller's (`deno task viz`, the end of `deno task train`); the web page draws them in place.
 *
 * @module
 */

import type { LoadedCheckpoint } from "../io/checkpoint_types.ts";
import type { MetricsRecord } from "../io/metrics_log.ts";
import type { NtmConfig } from "../model/config.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { Rng } from "../model/random.ts";
import { trainingTask } from "../../tasks/presets.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { episodeFigureSvg, forwardEpisode } from "./episode_figure.ts";
import { learningCurveSvg } from "./learning_curve.ts";
import { type EpisodeRun, priorityWritesSvg } from "./priority_writes.ts";
import { programLearningCurveSvg } from "./program_curve.ts";

/**
 * Runs one episode through the float64 reference on a checkpoint's parameters.
 *
 * @param checkpoint The checkpoint (an NTM's).
 * @param length The episode's length, in the task's units.
 * @param seed Seeds the episode.
 * @returns The one-episode batch and the reference's forward pass (tapes included).
 * @throws {RangeError} when the task cannot make an episode of that length.
 * @throws {TypeError} when the checkpoint holds the plain LSTM baseline (it has no memory to draw).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const { batch, forward } = runEpisode(await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname), 10, 2);
 * assert.equal(batch.batch, 1);
 * assert.equal(forward.tapes[0]!.steps.length, batch.steps);
 * ```
 */
export function runEpisode(checkpoint: LoadedCheckpoint, length: number, seed: number): EpisodeRun {
  const config = ntmConfigOf(checkpoint);
  const { layout, params, training } = checkpoint;
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
  return { batch, forward: forwardEpisode(config, layout, params, batch, training.memorySeed) };
}

/** An NTM checkpoint's configuration; a TypeError for the plain LSTM baseline, which has nothing to draw. */
function ntmConfigOf(checkpoint: LoadedCheckpoint): NtmConfig {
  if (checkpoint.modelKind !== "lstm") return checkpoint.config;
  throw new TypeError(
    `Cannot draw an episode of ${checkpoint.dir}: it holds the plain LSTM baseline, which has no memory or heads`,
  );
}

/** An episode figure and the run it draws. */
export interface EpisodeFigure extends EpisodeRun {
  /** The SVG document. */
  readonly svg: string;
}

/**
 * Draws one episode of a checkpoint: inputs, targets, outputs and every head's weighting and vectors.
 *
 * @param checkpoint The checkpoint (an NTM's).
 * @param length The episode's length (default: the longest training length).
 * @param seed Seeds the episode (default: the checkpoint's held-out seed).
 * @returns The figure and its run.
 * @throws {RangeError} when the task cannot make an episode of that length.
 * @throws {TypeError} for the plain LSTM baseline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const { svg } = episodeFigure(await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname), 12);
 * assert.match(svg, /copy: one episode of sequence length 12/);
 * ```
 */
export function episodeFigure(
  checkpoint: LoadedCheckpoint,
  length: number = checkpoint.training.range.maxLen,
  seed: number = checkpoint.training.evalSeed,
): EpisodeFigure {
  const run = runEpisode(checkpoint, length, seed);
  const subject = {
    config: ntmConfigOf(checkpoint),
    task: checkpoint.training.task,
    lengthMeaning: trainingTask(checkpoint.training).lengthMeaning,
    step: checkpoint.progress.step,
    sequences: checkpoint.progress.sequences,
  };
  return { ...run, svg: episodeFigureSvg(subject, length, run.batch, run.forward) };
}

/**
 * Draws a checkpoint's learning curve from its metrics records: held-out cost and errors (the program task:
 * accuracies and curriculum stage) against training sequences.
 *
 * @param checkpoint The checkpoint.
 * @param records Its metrics records.
 * @returns The SVG document, or `null` when there is no record.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * import { readMetricsLog } from "../io/metrics_log.ts";
 * const dir = new URL("../../models/copy", import.meta.url).pathname;
 * const svg = learningCurveFigure(await loadCheckpoint(dir), await readMetricsLog(`${dir}/metrics.jsonl`));
 * assert.match(svg ?? "", /<svg[ >]/);
 * assert.equal(learningCurveFigure(await loadCheckpoint(dir), []), null);
 * ```
 */
export function learningCurveFigure(
  checkpoint: LoadedCheckpoint,
  records: readonly MetricsRecord[],
): string | null {
  if (records.length === 0) return null;
  const model = checkpoint.modelKind === "lstm" ? ", plain LSTM" : "";
  const title = `${checkpoint.training.task}${model} (${checkpoint.dir})`;
  return checkpoint.training.task === "program"
    ? programLearningCurveSvg(records, title)
    : learningCurveSvg(records, title);
}

/**
 * Draws a priority-sort checkpoint's write locations against priority over four episodes: the given run
 * and the three episodes of the next seeds.
 *
 * @param checkpoint A priority-sort NTM checkpoint.
 * @param first The first episode's run (e.g. the episode figure's).
 * @param length The episodes' length.
 * @param seed The first episode's seed.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const checkpoint = await loadCheckpoint(new URL("../../models/priority-sort", import.meta.url).pathname);
 * const episode = episodeFigure(checkpoint, 20, 2);
 * assert.match(priorityWritesFigure(checkpoint, episode, 20, 2), /<svg[ >]/);
 * ```
 */
export function priorityWritesFigure(
  checkpoint: LoadedCheckpoint,
  first: EpisodeRun,
  length: number,
  seed: number,
): string {
  const runs = [0, 1, 2, 3].map((e) => e === 0 ? first : runEpisode(checkpoint, length, seed + e));
  return priorityWritesSvg(checkpoint, runs);
}
