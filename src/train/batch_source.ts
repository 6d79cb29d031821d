/**
 * Where the training loop's batches come from: a training batch per step, a fixed held-out batch, and a
 * hook after every held-out evaluation. The plain source draws a task's episodes over a length range; the
 * curriculum source of the program task (`curriculum_source.ts`) draws each episode's difficulty from a
 * curriculum and advances it on validation accuracy.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { LengthRange, Task } from "../../tasks/task.ts";
import { Rng } from "../model/random.ts";
import type { Evaluation } from "./metrics.ts";

/** What a batch source adds to a report (e.g. a curriculum's stage). */
export interface SourceReport {
  /** A short text for the progress line, e.g. `stage 1/1 acc 0.912`. */
  readonly summary: string;
  /** Numbers for the metrics log, e.g. `{ stage_length: 1, stage_nesting: 1, stage_accuracy: 0.912 }`. */
  readonly fields: Readonly<Record<string, number>>;
}

/** A source of training and held-out batches. */
export interface BatchSource {
  /**
   * Draws one training batch.
   *
   * @param rng The training data's random stream (saved with checkpoints).
   * @param batch B: episodes.
   * @returns The batch.
   */
  next(rng: Rng, batch: number): EpisodeBatch;
  /**
   * The held-out batch every report evaluates, drawn from its own stream (never seen in training).
   *
   * @param episodes Episodes in it.
   * @param seed Seeds it.
   * @returns The batch.
   */
  heldOut(episodes: number, seed: number): EpisodeBatch;
  /**
   * Called after each report's held-out evaluation, before the report is passed on (a curriculum advances
   * here). Optional.
   *
   * @param evaluation The held-out evaluation.
   * @param evaluate Evaluates the model on another batch, with the same metrics.
   * @returns What to add to the report, if anything.
   */
  afterEvaluation?(
    evaluation: Evaluation,
    evaluate: (batch: EpisodeBatch) => Promise<Evaluation>,
  ): Promise<SourceReport | undefined>;
}

/**
 * The plain source: every batch, training and held-out, is `task.generate` over one length range.
 *
 * @param task The task.
 * @param range The lengths to draw from.
 * @returns The source.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskBatchSource } from "./batch_source.ts";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * const source = taskBatchSource(copyTask(), { minLen: 1, maxLen: 3 });
 * assert(source.next(new Rng(1), 4).batch === 4);
 * ```
 */
export function taskBatchSource(task: Task, range: LengthRange): BatchSource {
  return {
    next: (rng, batch) => task.generate(rng, batch, range),
    heldOut: (episodes, seed) => task.generate(new Rng(seed), episodes, range),
  };
}
