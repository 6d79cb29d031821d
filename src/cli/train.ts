/**
 * `deno task train`: trains an NTM (or, with `--model lstm`, a plain LSTM baseline of about the same
 * parameter count) on one of the paper's tasks or on Learning to Execute's program task, saving a
 * checkpoint and a metrics log in `--out DIR` at every report, and (unless `--no-eval`) evaluates it at
 * the task's test lengths and draws its figures at the end. `--resume DIR` continues a run exactly where
 * its checkpoint stopped.
 *
 * `--task program` trains on programs from a curriculum (`--curriculum baseline|naive|mix|combined`,
 * default combined) heading for `--target-length L` digits per number and `--target-nesting K` composed
 * operations. Every report evaluates a held-out batch of programs at the target difficulty (per-character
 * accuracy with teacher forcing, whole-answer accuracy, compared with the frequency baseline printed at
 * the start), and tells a naive or combined curriculum the per-character accuracy at its current stage,
 * on a held-out batch of that stage, so that it advances once it passes 0.95 (see
 * `src/train/curriculum_source.ts`). The curriculum's stage is saved with every checkpoint.
 *
 * `metrics.jsonl` lines of softmax tasks add `char_accuracy` and `answer_accuracy`; those of the program
 * task also `stage_length`, `stage_nesting`, `stage_char_accuracy`, `next_stage_length` and
 * `next_stage_nesting` (the curriculum's stage before and after the report).
 *
 * Standard output: progress (a live line on a terminal, a line per report otherwise), where the results
 * are, and last one JSON line: `{"task", "model", "backend", "steps", "sequences", "seconds",
 * "total_seconds", "cost_bits", "bit_errors", "character_accuracy", "answer_accuracy",
 * "frequency_baseline", "stopped_early", "checkpoint", "metrics", "eval", "figures"}` (the accuracies
 * and the baseline are `null` for the sigmoid tasks).
 *
 * Exit status: 0 on success, 2 for a usage error (bad flag or value), 1 when training or a checkpoint
 * fails (a non-finite loss, an unreadable checkpoint).
 *
 * @module
 */

import { CheckpointError } from "../io/checkpoint.ts";
import { MetricsLogError } from "../io/metrics_log.ts";
import { RunLockedError } from "../io/run_lock.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { pipeSafeWriter, readCommand } from "./args.ts";
import { runCommand } from "./run_command.ts";
import { TRAIN_FLAGS } from "./train_flags.ts";
import { planRun } from "./train_plan.ts";
import { runPlan, TrainingStoppedError, type TrainIo, type TrainSummary } from "./train_run.ts";

export { TRAIN_FLAGS } from "./train_flags.ts";
export { TrainingStoppedError, type TrainIo, type TrainSummary } from "./train_run.ts";

/**
 * The console as {@linkcode TrainIo}: progress and results on standard output (a live line when it is a
 * terminal), notices on standard error.
 *
 * @returns The console's writers.
 *
 * @example
 * ```ts
 * import { consoleIo } from "./train.ts";
 * consoleIo().write("hello\n");
 * ```
 */
export function consoleIo(): TrainIo {
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  const error = pipeSafeWriter(Deno.stderr);
  return {
    write: pipeSafeWriter(Deno.stdout),
    error: (line) => error(line + "\n"),
    live: Deno.stdout.isTerminal(),
    ...(columns !== undefined && { columns }),
  };
}

/**
 * Runs `deno task train` with the given arguments: parses and checks the flags, trains (saving a checkpoint
 * and a metrics line at every report), evaluates and draws the figures (unless `--no-eval`), and prints the
 * final JSON line.
 *
 * @param args The command-line arguments.
 * @param io Where to write (default: the console).
 * @returns The final summary, or `undefined` for `--help`.
 * @throws {UsageError} for an unknown flag, a malformed value, or a resume flag that contradicts the
 *   checkpoint.
 * @throws {CheckpointError} when `--resume` names an unreadable checkpoint or a save fails.
 * @throws {TrainingStoppedError} when the loss or gradient becomes non-finite (the last checkpoint is kept).
 *
 * @example Train a tiny copy model for 20 steps
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const io = { write: () => {}, error: () => {}, live: false };
 * const tiny = ["--controller", "8", "--memory-n", "8", "--memory-m", "4", "--steps", "4", "--report-every", "2"];
 * const summary = await trainCommand(["--backend", "cpu", ...tiny, "--out", `${dir}/run`, "--no-eval"], io);
 * assert.equal(summary?.steps, 4);
 * assert.equal(summary?.backend, "cpu");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function trainCommand(
  args: string[],
  io: TrainIo = consoleIo(),
): Promise<TrainSummary | undefined> {
  const line = readCommand(args, "deno task train [flags]", TRAIN_FLAGS, io.write);
  if (line === undefined) return undefined;
  const plan = await planRun(line);
  return await runPlan(plan, io);
}

if (import.meta.main) {
  await runCommand(trainCommand, [
    CheckpointError,
    TrainingStoppedError,
    WebGpuUnavailableError,
    RunLockedError,
    MetricsLogError,
  ]);
}
