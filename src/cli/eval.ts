/**
 * `deno task eval --checkpoint DIR [--lengths 10,20,30,50,120] [--episodes 64] [--backend auto] [--seed S]`:
 * evaluates a checkpoint on episodes of exactly each length and prints a table of cost and errors per
 * sequence, also written to `DIR/eval.json`.
 *
 * What a length is depends on the task (its `lengthMeaning`): copy and repeat copy, the sequence length
 * (repeat copy draws its repeat count from the training range 1..10); associative recall, the number of
 * items; N-grams, the number of bits; priority sort, the number of input vectors. For N-grams the table
 * adds the Bayes-optimal predictor's cost (paper eq. 10) on the same episodes, and the model's excess.
 *
 * The program task: a length is the digits per number, and each row holds programs of exactly that length
 * at one nesting (`--nestings 1,2,3`, default the run's target nesting). Its rows add the per-character
 * accuracy with teacher forcing (Learning to Execute's measure), the whole-answer accuracy (every output
 * character right) and the frequency baseline of the same episodes (always predicting their most frequent
 * output character). `--examples N` also prints N programs at the target difficulty with their answers and
 * the model's predictions (see `program_examples.ts`).
 *
 * The plain LSTM baseline's checkpoints (`--model lstm`) are evaluated on the CPU.
 *
 * @module
 */

import { join } from "node:path";
import type { EpisodeBatch } from "../model/episode.ts";
import type { NgramsBatch } from "../../tasks/ngrams.ts";
import {
  generatePrograms,
  MAX_PROGRAM_NESTING,
  PROGRAM_OPERATIONS,
  type ProgramDifficulty,
} from "../../tasks/program.ts";
import { repeatCopyTask } from "../../tasks/repeat_copy.ts";
import { type LengthRange, MAX_BATCH, type Task } from "../../tasks/task.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { CheckpointError, loadCheckpoint, type LoadedCheckpoint } from "../io/checkpoint.ts";
import { MetricsLogError } from "../io/metrics_log.ts";
import { Rng } from "../model/random.ts";
import type { TrainingBackend } from "../train/backend.ts";
import { BACKEND_CHOICES, type BackendChoice, type ModelKind } from "../train/create_backend.ts";
import { frequencyBaseline, softmaxEvaluation } from "../train/metrics.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import {
  blameFlag,
  choiceFlag,
  type FlagSpec,
  integerFlag,
  optionalFlag,
  stringFlag,
  UsageError,
} from "./args.ts";
import {
  BACKEND_FLAG,
  type CheckpointCommand,
  checkpointCommand,
  HELD_OUT_SEED_FLAG,
  heldOutSeed,
} from "./common_flags.ts";
import { trainingTask } from "../../tasks/presets.ts";
import { formatProgramExamples, type ProgramExampleRow, programExamples } from "./program_examples.ts";
import { runCommand } from "./run_command.ts";
import { checkpointBackend } from "./checkpoint_backend.ts";

/** The name of the evaluation table inside a checkpoint directory. */
export const EVAL_FILE = "eval.json";

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
  /** Write `eval.json` into the checkpoint directory (default true). */
  readonly write?: boolean;
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
 * import { defaultEvalLengths } from "./eval.ts";
 * import { copyTask } from "../../tasks/copy.ts";
 * console.assert(defaultEvalLengths(copyTask(), { minLen: 1, maxLen: 20 }).join() === "10,20,30,50");
 * ```
 */
export function defaultEvalLengths(task: Task, range: LengthRange): number[] {
  const lengths = task.evalLengths.filter((l) => l <= 4 * range.maxLen);
  return lengths.length > 0 ? lengths : [range.maxLen];
}

/**
 * Evaluates a checkpoint on `episodes` episodes of exactly each length (a range `minLen = maxLen = L`).
 *
 * @param dir The checkpoint directory (or a checkpoint already loaded from it).
 * @param options Lengths, episodes, backend, seed.
 * @returns The table (also written to `dir/eval.json` unless `write` is false).
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 * @throws {RangeError} when a length (or, for the program task, a nesting) is not one the task can generate.
 *
 * @example
 * ```ts ignore
 * const result = await evaluateCheckpoint("runs/copy-1", { lengths: [10, 20], episodes: 32, backend: "cpu" });
 * console.log(formatEvalTable(result));
 * ```
 */
export async function evaluateCheckpoint(
  dir: string | LoadedCheckpoint,
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  const checkpoint = typeof dir === "string" ? await loadCheckpoint(dir) : dir;
  const { layout, training, progress } = checkpoint;
  const task = trainingTask(training);
  const lengths = options.lengths ?? task.evalLengths;
  const episodes = options.episodes ?? 64;
  const seed = options.seed ?? training.evalSeed;
  const nestings = options.nestings ?? (training.program ? [training.program.target.nesting] : []);
  if (!training.program && options.nestings !== undefined) {
    throw new RangeError(`Cannot evaluate ${task.name} by nesting: only the program task has nestings`);
  }
  for (const nesting of nestings) {
    if (!Number.isInteger(nesting) || nesting < 1 || nesting > MAX_PROGRAM_NESTING) {
      throw new RangeError(
        `Cannot evaluate the program task at nesting ${nesting}: nesting must be an integer in 1..${MAX_PROGRAM_NESTING}`,
      );
    }
  }
  const backend = await checkpointBackend(
    checkpoint,
    options.backend ?? "auto",
    options.notice ?? console.error,
  );
  // On the CPU, evaluate in chunks so that the reference's tapes of long episodes stay within memory
  // (the webgpu backend runs its own chunks of B episodes).
  const chunkOf = (batch: EpisodeBatch) => {
    if (backend.name !== "cpu") return episodes;
    const c = checkpoint.modelKind === "lstm" ? undefined : checkpoint.config;
    const perEpisode = c ? batch.steps * c.memoryN * c.memoryM * (c.readHeads + c.writeHeads) : batch.steps;
    return Math.max(1, Math.min(episodes, Math.floor(4e6 / perEpisode)));
  };
  const rows: EvalRow[] = [];
  let examples: ProgramExampleRow[] | undefined;
  try {
    if (training.program) {
      for (const nesting of nestings) {
        for (const length of lengths) {
          let batch: EpisodeBatch;
          try {
            batch = generatePrograms(
              new Rng(seed),
              episodes,
              { length, nesting },
              training.program.operations ?? PROGRAM_OPERATIONS,
            );
          } catch (error) {
            throw new RangeError(
              `Cannot evaluate the program task at length ${length} (${task.lengthMeaning}), nesting ${nesting}: ${
                (error as Error).message
              }`,
            );
          }
          const output = await predictInChunks(backend, batch, chunkOf(batch));
          const e = softmaxEvaluation(output, batch);
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
      if ((options.examples ?? 0) > 0) {
        examples = await programExamples(
          backend,
          new Rng(seed),
          options.examples!,
          training.program.target,
          training.program.operations ?? PROGRAM_OPERATIONS,
        );
      }
    } else {
      if (options.repeats !== undefined && task.name !== "repeat-copy") {
        throw new RangeError(`Cannot evaluate ${task.name} by repeat count: only repeat copy has repeats`);
      }
      const grid = (options.repeats ?? [undefined]).flatMap((repeats) =>
        lengths.map((length) => ({ length, repeats }))
      );
      for (const { length, repeats } of grid) {
        const source = repeats === undefined ? task : repeatCopyTask({ repeats });
        let batch: EpisodeBatch;
        try {
          batch = source.generate(new Rng(seed), episodes, { minLen: length, maxLen: length });
        } catch (error) {
          throw new RangeError(
            `Cannot evaluate ${task.name} at length ${length} (${task.lengthMeaning}): ${
              (error as Error).message
            }`,
          );
        }
        const chunk = chunkOf(batch);
        checkRunSize(
          `Cannot evaluate ${task.name} at length ${length}`,
          layout.size,
          Math.min(chunk, episodes) * batch.steps * tapeBytesPerStep(checkpoint.config),
        );
        let cost = 0, errors = 0;
        for (let start = 0; start < episodes; start += chunk) {
          const count = Math.min(chunk, episodes - start);
          const e = await backend.evaluate(sliceBatch(batch, start, count));
          cost += e.costBits * count;
          errors += e.bitErrors * count;
        }
        const row: EvalRow = {
          length,
          ...(repeats !== undefined && { repeats }),
          cost_bits: cost / episodes,
          bit_errors: errors / episodes,
        };
        const optimum = (batch as Partial<NgramsBatch>).optimumBits;
        if (optimum) {
          const optimumBits = optimum.reduce((a, b) => a + b, 0) / episodes;
          rows.push({ ...row, optimum_bits: optimumBits, above_optimum_bits: row.cost_bits - optimumBits });
        } else {
          rows.push(row);
        }
      }
    }
  } finally {
    backend.destroy();
  }
  const file = options.write === false ? null : join(checkpoint.dir, EVAL_FILE);
  const result: EvalResult = {
    task: task.name,
    model: checkpoint.modelKind ?? "ntm",
    ...(training.program && { program: training.program }),
    length_meaning: task.lengthMeaning,
    checkpoint: checkpoint.dir,
    step: progress.step,
    sequences: progress.sequences,
    train_range: training.range,
    episodes,
    seed,
    backend: backend.name,
    rows,
    ...(examples !== undefined && { examples }),
    file,
  };
  if (file) await writeFileAtomic(file, JSON.stringify(result, null, 2) + "\n");
  return result;
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
      await backend.predict(sliceBatch(batch, start, count)),
      start * batch.steps * batch.outputSize,
    );
  }
  return output;
}

/**
 * Episodes `start … start + count − 1` of a batch, as a batch of their own.
 *
 * @param batch The batch.
 * @param start The first episode.
 * @param count How many episodes.
 * @returns The sub-batch (copies; padded to the same T).
 *
 * @example
 * ```ts
 * import { sliceBatch } from "./eval.ts";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * const batch = copyTask().generate(new Rng(1), 4, { minLen: 3, maxLen: 3 });
 * console.assert(sliceBatch(batch, 1, 2).batch === 2);
 * ```
 */
export function sliceBatch(batch: EpisodeBatch, start: number, count: number): EpisodeBatch {
  if (start === 0 && count === batch.batch) return batch;
  const { steps: T, inputSize: X, outputSize: Y } = batch;
  return {
    batch: count,
    steps: T,
    inputSize: X,
    outputSize: Y,
    input: batch.input.slice(start * T * X, (start + count) * T * X),
    target: batch.target.slice(start * T * Y, (start + count) * T * Y),
    mask: batch.mask.slice(start * T, (start + count) * T),
    lengths: batch.lengths.slice(start, start + count),
  };
}

/**
 * Formats an evaluation as a text table.
 *
 * @param result The evaluation.
 * @returns The table, with a heading line and no trailing newline.
 *
 * @example
 * ```ts
 * import { formatEvalTable } from "./eval.ts";
 * const table = formatEvalTable({
 *   task: "copy", length_meaning: "sequence length", checkpoint: "runs/x", step: 100, sequences: 1600,
 *   train_range: { minLen: 1, maxLen: 5 }, episodes: 64, seed: 2, backend: "cpu", file: null,
 *   rows: [{ length: 10, cost_bits: 12.5, bit_errors: 3.25 }],
 * });
 * console.assert(table.includes("12.500"));
 * ```
 */
export function formatEvalTable(result: EvalResult): string {
  const ngrams = result.rows.some((r) => r.optimum_bits !== undefined);
  const program = result.rows.some((r) => r.character_accuracy !== undefined);
  const repeats = result.rows.some((r) => r.repeats !== undefined);
  const percent = (v: number | undefined) => v === undefined ? "" : `${(100 * v).toFixed(1)}%`;
  const header = [
    "length",
    ...(program ? ["nesting"] : []),
    ...(repeats ? ["repeats"] : []),
    "cost (bits/seq)",
    program ? "wrong chars/seq" : "bit errors/seq",
    ...(ngrams ? ["optimum (bits)", "above optimum"] : []),
    ...(program ? ["char accuracy", "answer accuracy", "frequency baseline"] : []),
  ];
  const rows = result.rows.map((r) => [
    String(r.length),
    ...(program ? [String(r.nesting ?? "")] : []),
    ...(repeats ? [String(r.repeats ?? "")] : []),
    r.cost_bits.toFixed(3),
    r.bit_errors.toFixed(3),
    ...(ngrams ? [r.optimum_bits?.toFixed(3) ?? "", r.above_optimum_bits?.toFixed(3) ?? ""] : []),
    ...(program
      ? [percent(r.character_accuracy), percent(r.answer_accuracy), percent(r.frequency_baseline)]
      : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  const model = result.model === "lstm" ? ", plain LSTM" : "";
  const trained = result.program
    ? `${result.program.curriculum} curriculum to length ${result.program.target.length}, nesting ` +
      `${result.program.target.nesting}`
    : `${result.length_meaning} ${result.train_range.minLen}..${result.train_range.maxLen}`;
  const per = program ? "row" : "length";
  const lines = [
    `Evaluation of ${result.checkpoint} (${result.task}${model}, step ${result.step}, trained on ${trained}): ` +
    `${result.episodes} episodes per ${per}, seed ${result.seed}, ${result.backend}; ` +
    `length = ${program ? "digits per number" : result.length_meaning}`,
    line(header),
    ...rows.map(line),
  ];
  if (program) {
    lines.push(
      "char accuracy: output characters right with teacher forcing (each step reads the true previous " +
        "character); answer accuracy: programs with every output character right; frequency baseline: " +
        "always predicting the rows' most frequent output character",
    );
  }
  if (result.examples && result.examples.length > 0) lines.push("", formatProgramExamples(result.examples));
  return lines.join("\n");
}

/** The flags of `deno task eval`. */
export const EVAL_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "lengths": {
    type: "string",
    help: "comma-separated lengths, in the task's units (sequence length, items, bits, input vectors)",
    defaultFrom: "the task's test lengths",
  },
  "episodes": { type: "string", help: "episodes per length", default: "64" },
  "backend": BACKEND_FLAG,
  "seed": { ...HELD_OUT_SEED_FLAG, help: "seeds the episodes of every length" },
  "repeats": {
    type: "string",
    help: "repeat copy: comma-separated repeat counts to evaluate every length at (e.g. 1,10,15,20)",
    defaultFrom: "drawn from the training counts 1..10",
  },
  "nestings": {
    type: "string",
    help: "program task: comma-separated nestings to evaluate every length at (1..3)",
    defaultFrom: "the run's target nesting",
  },
  "examples": {
    type: "string",
    help: "program task: show this many programs at the target with the model's answers",
    default: "0",
  },
  "no-write": { type: "boolean", help: "print the table only; do not write eval.json into the checkpoint" },
};

/**
 * Reads `--lengths`: a comma-separated list of positive integers.
 *
 * @param value The flag's value.
 * @returns The lengths.
 * @throws {UsageError} naming the flag and the bad entry.
 *
 * @example
 * ```ts
 * import { lengthsFlag } from "./eval.ts";
 * console.assert(lengthsFlag("10, 20,30").join() === "10,20,30");
 * ```
 */
export function lengthsFlag(value: string): number[] {
  return listFlag(value, "lengths", 1);
}

/** A comma-separated list of integers in `min..max`, for the flag named `flag`. */
function listFlag(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === "")) {
    const what = max === Number.MAX_SAFE_INTEGER ? "positive integers" : `integers in ${min}..${max}`;
    throw new UsageError(`--${flag} must be comma-separated ${what}, got "${value}"`);
  }
  return parts.map((p) => integerFlag(p, flag, min, max));
}

/**
 * Runs `deno task eval` with the given arguments.
 *
 * @param args The command-line arguments.
 * @param write Writes text to standard output.
 * @returns The evaluation, or `undefined` for `--help`.
 * @throws {UsageError} for a missing `--checkpoint`, an unknown flag or a malformed value.
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 *
 * @example
 * ```ts ignore
 * await evalCommand(["--checkpoint", "runs/copy-1", "--lengths", "10,20", "--backend", "cpu"]);
 * ```
 */
export const evalCommand: CheckpointCommand<EvalResult> = checkpointCommand(
  "deno task eval --checkpoint DIR [flags]",
  EVAL_FLAGS,
  async ({ line, dir, write }) => {
    const str = (name: string): string | undefined => stringFlag(line, name);
    const lengths = optionalFlag(line, "lengths", lengthsFlag);
    const episodes = integerFlag(str("episodes")!, "episodes", 1, MAX_BATCH);
    const backend = choiceFlag(str("backend")!, "backend", BACKEND_CHOICES);
    const seed = heldOutSeed(line);
    const nestings = optionalFlag(line, "nestings", (v) => listFlag(v, "nestings", 1, MAX_PROGRAM_NESTING));
    const examples = integerFlag(str("examples")!, "examples", 0, 1000);
    const repeats = optionalFlag(line, "repeats", (v) => listFlag(v, "repeats", 1, 1000));
    const checkpoint = await loadCheckpoint(dir);
    if (repeats !== undefined && checkpoint.training.task !== "repeat-copy") {
      throw new UsageError(
        `--repeats applies only to repeat-copy checkpoints; ${dir} holds ${checkpoint.training.task}`,
      );
    }
    if (checkpoint.training.task !== "program") {
      for (const flag of ["nestings", "examples"]) {
        if (line.given.has(flag)) {
          throw new UsageError(
            `--${flag} applies only to program-task checkpoints; ${dir} holds ${checkpoint.training.task}`,
          );
        }
      }
    }
    let result = await blameFlag("lengths", () =>
      evaluateCheckpoint(checkpoint, {
        write: false,
        episodes,
        backend,
        examples,
        ...(lengths !== undefined && { lengths }),
        ...(seed !== undefined && { seed }),
        ...(nestings !== undefined && { nestings }),
        ...(repeats !== undefined && { repeats }),
      }));
    write(formatEvalTable(result) + "\n");
    if (line.values["no-write"] === true) return result;
    const file = join(checkpoint.dir, EVAL_FILE);
    result = { ...result, file };
    try {
      await writeFileAtomic(file, JSON.stringify(result, null, 2) + "\n");
    } catch (error) {
      throw new CheckpointError(
        `The evaluation above could not be written to ${file} (${(error as Error).message}); ` +
          `pass --no-write to evaluate a checkpoint you cannot write into`,
        { cause: error },
      );
    }
    write(`Written to ${file}\n`);
    return result;
  },
);

if (import.meta.main) {
  await runCommand(evalCommand, [MetricsLogError, CheckpointError, WebGpuUnavailableError]);
}
