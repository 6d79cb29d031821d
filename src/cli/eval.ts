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
 * the model's predictions (see `program_examples.ts`). The evaluation itself is `src/train/evaluate.ts`.
 *
 * The plain LSTM baseline's checkpoints (`--model lstm`) are evaluated on the CPU.
 *
 * @module
 */

import { join } from "node:path";
import { MAX_PROGRAM_NESTING } from "../../tasks/program.ts";
import { MAX_BATCH } from "../../tasks/task.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { CheckpointError, loadCheckpoint } from "../io/checkpoint.ts";
import { MetricsLogError } from "../io/metrics_log.ts";
import { BACKEND_CHOICES, checkBackendChoice } from "../train/create_backend.ts";
import { type EvalResult, evaluateCheckpoint } from "../train/evaluate.ts";
import { formatProgramExamples } from "../train/program_examples.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import {
  asUsage,
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
import { runCommand } from "./run_command.ts";

/** The name of the evaluation table inside a checkpoint directory. */
export const EVAL_FILE = "eval.json";

/**
 * Formats an evaluation as a text table.
 *
 * @param result The evaluation.
 * @returns The table, with a heading line and no trailing newline.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * import { formatEvalTable } from "./eval.ts";
 * const table = formatEvalTable({
 *   task: "copy", length_meaning: "sequence length", checkpoint: "runs/x", step: 100, sequences: 1600,
 *   train_range: { minLen: 1, maxLen: 5 }, episodes: 64, seed: 2, backend: "cpu", file: null,
 *   rows: [{ length: 10, cost_bits: 12.5, bit_errors: 3.25 }],
 * });
 * assert.match(table, /12\.500/);
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
 * import assert from "node:assert/strict";
 * import { lengthsFlag } from "./eval.ts";
 * assert(lengthsFlag("10, 20,30").join() === "10,20,30");
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
 * ```ts
 * import assert from "node:assert/strict";
 * const copy = new URL("../../models/copy", import.meta.url).pathname;
 * const args = ["--checkpoint", copy, "--lengths", "10", "--episodes", "4", "--backend", "cpu", "--no-write"];
 * const result = await evalCommand(args, () => {});
 * assert.equal(result?.rows[0]?.bit_errors, 0);
 * assert.equal(result?.file, null);
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
    asUsage(() => checkBackendChoice(checkpoint.modelKind ?? "ntm", backend, dir));
    let result = await blameFlag("lengths", () =>
      evaluateCheckpoint(checkpoint, {
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
