/**
 * The evaluation of a trained model on episodes of exactly each length (a range `minLen = maxLen = L`): the
 * table `deno task eval` prints and `eval.json` holds, and the final evaluation of `deno task train`, which
 * hands over the backend it trained on so that nothing is reloaded. Browser-safe.
 *
 * What a length is depends on the task (its `lengthMeaning`): copy and repeat copy, the sequence length
 * (repeat copy draws its repeat count from the training range 1..10, or takes fixed `repeats`); associative
 * recall, the number of items; N-grams, the number of bits (rows add the Bayes-optimal cost, paper eq. 10);
 * priority sort, the number of input vectors. The program task: the digits per number, at each nesting, with
 * the per-character accuracy under teacher forcing, the whole-answer accuracy and the frequency baseline.
 *
 * @module
 */

import type { NgramsBatch } from "../../tasks/ngrams.ts";
import {
  generatePrograms,
  MAX_PROGRAM_NESTING,
  PROGRAM_OPERATIONS,
  type ProgramDifficulty,
} from "../../tasks/program.ts";
import { trainingTask } from "../../tasks/presets.ts";
import { repeatCopyTask } from "../../tasks/repeat_copy.ts";
import type { LengthRange, Task } from "../../tasks/task.ts";
import type { LoadedCheckpoint } from "../io/checkpoint_types.ts";
import { type EpisodeBatch, sliceEpisodes } from "../model/episode.ts";
import { Rng } from "../model/random.ts";
import type { ModelKind, TrainingBackend } from "./backend.ts";
import { type BackendChoice, checkpointBackend } from "./create_backend.ts";
import { frequencyBaseline, softmaxEvaluation } from "./metrics.ts";
import { type ProgramExampleRow, programExamples } from "./program_examples.ts";
import { checkRunSize, tapeBytesPerStep } from "./run_size.ts";

/** One row of the evaluation table. */
export interface EvalRow {
  /** The length, in the task's `lengthMeaning` units. */
  readonly length: number;
  /** Repeat copy with `repeats`: every episode's repeat count (else drawn from the training range 1..10). */
  readonly repeats?: number;
  /** Cross-entropy in bits per sequence. */
  readonly cost_bits: number;
  /** Bit errors per sequence. */
  readonly bit_errors: number;
  /** N-grams: the Bayes-optimal cost in bits per sequence on the same episodes (paper eq. 10). */
  readonly optimum_bits?: number;
  /** N-grams: `cost_bits − optimum_bits`. */
  readonly above_optimum_bits?: number;
  /** The program task: the nesting (composed operations) of the row's programs. */
  readonly nesting?: number;
  /** The program task: per-character accuracy with teacher forcing, in [0, 1]. */
  readonly character_accuracy?: number;
  /** The program task: the share of episodes with every output character right. */
  readonly answer_accuracy?: number;
  /** The program task: per-character accuracy of always predicting the row's most frequent output character. */
  readonly frequency_baseline?: number;
}

/** The evaluation of a checkpoint, as `eval.json` holds it. */
export interface EvalResult {
  /** The task. */
  readonly task: string;
  /** The model: `ntm`, or `lstm` (the plain LSTM baseline); absent means `ntm`. */
  readonly model?: ModelKind;
  /** The program task: the run's curriculum and target difficulty. */
  readonly program?: { readonly curriculum: string; readonly target: ProgramDifficulty };
  /** What a length counts for this task. */
  readonly length_meaning: string;
  /** The checkpoint directory. */
  readonly checkpoint: string;
  /** The checkpoint's training step. */
  readonly step: number;
  /** Training sequences the checkpoint had seen. */
  readonly sequences: number;
  /** The training lengths, for comparison. */
  readonly train_range: LengthRange;
  /** Episodes per length. */
  readonly episodes: number;
  /** The seed of every length's episodes. */
  readonly seed: number;
  /** The backend that evaluated. */
  readonly backend: string;
  /** One row per length (the program task: per nesting and length). */
  readonly rows: readonly EvalRow[];
  /** The program task with `examples` > 0: programs at the target difficulty with the model's answers. */
  readonly examples?: readonly ProgramExampleRow[];
  /** Where the table was written (`null` when not written). */
  readonly file: string | null;
}

/** Options of {@linkcode evaluateCheckpoint}. */
export interface EvaluateOptions {
  /** The lengths (default: the task's `evalLengths`). */
  readonly lengths?: readonly number[];
  /** Episodes per length (default 64). */
  readonly episodes?: number;
  /** The backend (default `auto`). */
  readonly backend?: BackendChoice;
  /** Seeds each length's episodes: `new Rng(seed)` per length (default: the checkpoint's held-out seed). */
  readonly seed?: number;
  /**
   * A backend that already holds the checkpoint's parameters (the one that just trained them): evaluated
   * on as it is and left alive. Default: a backend of `backend`'s choice, created and destroyed here.
   */
  readonly on?: TrainingBackend;
  /** Where the backend's notices go (default `console.error`). */
  readonly notice?: (line: string) => void;
  /** The program task: the nestings to evaluate each length at (default: the run's target nesting). */
  readonly nestings?: readonly number[];
  /** The program task: how many example programs to run and show (default 0). */
  readonly examples?: number;
  /**
   * Repeat copy: evaluate every length at each of these fixed repeat counts (the paper's Figure 8 probes
   * beyond the training counts 1..10); default: counts drawn from the training range.
   */
  readonly repeats?: readonly number[];
}

/**
 * The lengths to evaluate at the end of training: the task's test lengths up to 4× the longest training
 * length (for copy trained on 1..5: 10 and 20), or the longest training length if none is that short.
 *
 * @param task The task.
 * @param range The training lengths.
 * @returns The lengths.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * import { copyTask } from "../../tasks/copy.ts";
 * assert.deepEqual(defaultEvalLengths(copyTask(), { minLen: 1, maxLen: 20 }), [10, 20, 30, 40, 50]);
 * ```
 */
export function defaultEvalLengths(task: Task, range: LengthRange): number[] {
  const lengths = task.evalLengths.filter((l) => l <= 4 * range.maxLen);
  return lengths.length > 0 ? lengths : [range.maxLen];
}

/**
 * Evaluates a checkpoint on `episodes` episodes of exactly each length.
 *
 * @param checkpoint The checkpoint.
 * @param options Lengths, episodes, backend, seed.
 * @returns The table (its `file` is `null`: writing it is the caller's).
 * @throws {RangeError} when a length (or, for the program task, a nesting or repeat count) is not one the
 *   task can generate, or the checkpoint's LSTM baseline is asked to run on `webgpu`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const copy = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * const result = await evaluateCheckpoint(copy, { lengths: [10], episodes: 4, backend: "cpu" });
 * assert.equal(result.rows[0]!.bit_errors, 0); // the shipped copy model copies length 10 without an error
 * assert.equal(result.backend, "cpu");
 * ```
 */
export async function evaluateCheckpoint(
  checkpoint: LoadedCheckpoint,
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  const { training, progress } = checkpoint;
  const task = trainingTask(training);
  const plan = {
    lengths: options.lengths ?? task.evalLengths,
    episodes: options.episodes ?? 64,
    seed: options.seed ?? training.evalSeed,
  };
  const nestings = evaluationNestings(checkpoint, task, options.nestings);
  if (options.repeats !== undefined && task.name !== "repeat-copy") {
    throw new RangeError(`Cannot evaluate ${task.name} by repeat count: only repeat copy has repeats`);
  }
  const backend = options.on ??
    await checkpointBackend(checkpoint, options.backend ?? "auto", options.notice ?? console.error);
  let rows: EvalRow[];
  let examples: ProgramExampleRow[] | undefined;
  try {
    if (training.program) {
      rows = await programRows(backend, checkpoint, plan, nestings);
      if ((options.examples ?? 0) > 0) {
        examples = await programExamples(
          backend,
          new Rng(plan.seed),
          options.examples!,
          training.program.target,
          training.program.operations ?? PROGRAM_OPERATIONS,
        );
      }
    } else {
      rows = await taskRows(backend, checkpoint, task, plan, options.repeats);
    }
  } finally {
    if (!options.on) backend.destroy();
  }
  return {
    task: task.name,
    model: checkpoint.modelKind ?? "ntm",
    ...(training.program && { program: training.program }),
    length_meaning: task.lengthMeaning,
    checkpoint: checkpoint.dir,
    step: progress.step,
    sequences: progress.sequences,
    train_range: training.range,
    episodes: plan.episodes,
    seed: plan.seed,
    backend: backend.name,
    rows,
    ...(examples !== undefined && { examples }),
    file: null,
  };
}

/** Lengths, episodes per row and the seed of every row's episodes. */
interface RowPlan {
  readonly lengths: readonly number[];
  readonly episodes: number;
  readonly seed: number;
}

/** The nestings a program checkpoint is evaluated at (none for the other tasks), checked. */
function evaluationNestings(
  checkpoint: LoadedCheckpoint,
  task: Task,
  asked: readonly number[] | undefined,
): readonly number[] {
  const program = checkpoint.training.program;
  if (!program && asked !== undefined) {
    throw new RangeError(`Cannot evaluate ${task.name} by nesting: only the program task has nestings`);
  }
  const nestings = asked ?? (program ? [program.target.nesting] : []);
  for (const nesting of nestings) {
    if (!Number.isInteger(nesting) || nesting < 1 || nesting > MAX_PROGRAM_NESTING) {
      throw new RangeError(
        `Cannot evaluate the program task at nesting ${nesting}: nesting must be an integer in 1..${MAX_PROGRAM_NESTING}`,
      );
    }
  }
  return nestings;
}

/**
 * Episodes per chunk: on the CPU, chunks small enough that the reference's tapes of long episodes stay
 * within memory (the webgpu backend runs its own chunks of B episodes).
 */
function chunkOf(backend: TrainingBackend, checkpoint: LoadedCheckpoint, batch: EpisodeBatch): number {
  if (backend.name !== "cpu") return batch.batch;
  const c = checkpoint.modelKind === "lstm" ? undefined : checkpoint.config;
  const perEpisode = c ? batch.steps * c.memoryN * c.memoryM * (c.readHeads + c.writeHeads) : batch.steps;
  return Math.max(1, Math.min(batch.batch, Math.floor(4e6 / perEpisode)));
}

/** The program task's rows: per nesting and length, accuracies with teacher forcing and the baseline. */
async function programRows(
  backend: TrainingBackend,
  checkpoint: LoadedCheckpoint,
  plan: RowPlan,
  nestings: readonly number[],
): Promise<EvalRow[]> {
  const program = checkpoint.training.program!;
  const rows: EvalRow[] = [];
  for (const nesting of nestings) {
    for (const length of plan.lengths) {
      let batch: EpisodeBatch;
      try {
        batch = generatePrograms(
          new Rng(plan.seed),
          plan.episodes,
          { length, nesting },
          program.operations ?? PROGRAM_OPERATIONS,
        );
      } catch (error) {
        throw new RangeError(
          `Cannot evaluate the program task at length ${length} (digits per number), nesting ${nesting}: ${
            (error as Error).message
          }`,
        );
      }
      const e = softmaxEvaluation(
        await predictInChunks(backend, batch, chunkOf(backend, checkpoint, batch)),
        batch,
      );
      rows.push({
        length,
        nesting,
        cost_bits: e.costBits,
        bit_errors: e.bitErrors,
        character_accuracy: e.characterAccuracy!,
        answer_accuracy: e.answerAccuracy!,
        frequency_baseline: frequencyBaseline(batch).characterAccuracy,
      });
    }
  }
  return rows;
}

/** The paper tasks' rows: per length (and repeat count), cost and bit errors (N-grams: and the optimum). */
async function taskRows(
  backend: TrainingBackend,
  checkpoint: LoadedCheckpoint,
  task: Task,
  plan: RowPlan,
  repeatCounts: readonly number[] | undefined,
): Promise<EvalRow[]> {
  const rows: EvalRow[] = [];
  const grid = (repeatCounts ?? [undefined]).flatMap((repeats) =>
    plan.lengths.map((length) => ({ length, repeats }))
  );
  for (const { length, repeats } of grid) {
    const source = repeats === undefined ? task : repeatCopyTask({ repeats });
    let batch: EpisodeBatch;
    try {
      batch = source.generate(new Rng(plan.seed), plan.episodes, { minLen: length, maxLen: length });
    } catch (error) {
      throw new RangeError(
        `Cannot evaluate ${task.name} at length ${length} (${task.lengthMeaning}): ${
          (error as Error).message
        }`,
      );
    }
    const chunk = chunkOf(backend, checkpoint, batch);
    checkRunSize(
      `Cannot evaluate ${task.name} at length ${length}`,
      checkpoint.layout.size,
      chunk * batch.steps * tapeBytesPerStep(checkpoint.config),
    );
    let cost = 0, errors = 0;
    for (let start = 0; start < plan.episodes; start += chunk) {
      const count = Math.min(chunk, plan.episodes - start);
      const e = await backend.evaluate(sliceEpisodes(batch, start, count));
      cost += e.costBits * count;
      errors += e.bitErrors * count;
    }
    const row: EvalRow = {
      length,
      ...(repeats !== undefined && { repeats }),
      cost_bits: cost / plan.episodes,
      bit_errors: errors / plan.episodes,
    };
    const optimum = (batch as Partial<NgramsBatch>).optimumBits;
    if (optimum) {
      const optimumBits = optimum.reduce((a, b) => a + b, 0) / plan.episodes;
      rows.push({ ...row, optimum_bits: optimumBits, above_optimum_bits: row.cost_bits - optimumBits });
    } else {
      rows.push(row);
    }
  }
  return rows;
}

/** A backend's output probabilities on a batch, (B, T, Y), computed `chunk` episodes at a time. */
async function predictInChunks(
  backend: TrainingBackend,
  batch: EpisodeBatch,
  chunk: number,
): Promise<Float64Array> {
  if (chunk >= batch.batch) return await backend.predict(batch);
  const output = new Float64Array(batch.batch * batch.steps * batch.outputSize);
  for (let start = 0; start < batch.batch; start += chunk) {
    const count = Math.min(chunk, batch.batch - start);
    output.set(
      await backend.predict(sliceEpisodes(batch, start, count)),
      start * batch.steps * batch.outputSize,
    );
  }
  return output;
}
