/**
 * `deno task execute --checkpoint DIR [--backend auto] PROGRAM…`: runs a trained program-task model on
 * programs typed by hand, e.g.
 *
 * ```sh
 * deno task execute --checkpoint models/addition "print(398345+42598)"
 * ```
 *
 * For each program it prints what Python prints (run by the exact interpreter of `tasks/program_interpreter.ts`),
 * the model's answer with greedy decoding (each answer character read back as the next input, until the
 * model writes the end symbol), and its teacher-forced answer with the number of characters right. Lines
 * of a program are separated by newlines, or by the two characters `\n`.
 *
 * A program the model cannot read is refused with a one-line error: a character outside the 49-symbol
 * vocabulary, or outside the characters of the programs the model trained on (an addition model has never
 * seen `*`); text that is not a program of the task's language; an episode longer than the task's limit.
 * Numbers longer than the model's training target are run (that probes generalisation), with a note.
 *
 * @module
 */

import { CheckpointError, loadCheckpoint } from "../io/checkpoint.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { BACKEND_CHOICES } from "../train/create_backend.ts";
import { asUsage, choiceFlag, type FlagSpec, stringFlag, UsageError } from "./args.ts";
import { BACKEND_FLAG, type CheckpointCommand, checkpointCommand } from "./common_flags.ts";
import { checkBackendChoice, checkpointBackend } from "../train/create_backend.ts";
import { type ExecutedProgram, executePrograms, typedPrograms } from "../train/typed_programs.ts";
import { runCommand } from "./run_command.ts";

/** The flags of `deno task execute`. */
export const EXECUTE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "backend": BACKEND_FLAG,
};

/**
 * Runs `deno task execute`.
 *
 * @param args The command-line arguments.
 * @param write Where the report goes (default stdout, pipe-safe).
 * @param notice Where the backend's notices go (default stderr).
 * @returns One row per program (`undefined` for `--help`).
 * @throws {UsageError} for a bad flag, a checkpoint of another task, or a program the model cannot read.
 * @throws {CheckpointError} when the checkpoint cannot be loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const addition = new URL("../../models/addition", import.meta.url).pathname;
 * const [row] = (await executeCommand(["--checkpoint", addition, "--backend", "cpu", "print(27+58)"], () => {}))!;
 * assert.equal(row!.answer, "85");
 * assert.equal(row!.generated, "85");
 * ```
 */
export const executeCommand: CheckpointCommand<ExecutedProgram[]> = checkpointCommand(
  'deno task execute --checkpoint DIR [flags] "PROGRAM" …',
  EXECUTE_FLAGS,
  async ({ line, dir, write, notice }) => {
    const { positionals } = line;
    if (positionals.length === 0) {
      throw new UsageError('give at least one program after the flags, e.g. "print(398345+42598)"');
    }
    const backendChoice = choiceFlag(stringFlag(line, "backend")!, "backend", BACKEND_CHOICES);
    const checkpoint = await loadCheckpoint(dir);
    const program = checkpoint.training.program;
    if (program === undefined) {
      throw new UsageError(
        `${dir} holds a ${checkpoint.training.task} model; deno task execute runs program-task models only`,
      );
    }
    const examples = asUsage(() => typedPrograms(positionals, program, dir));
    asUsage(() => checkBackendChoice(checkpoint.modelKind ?? "ntm", backendChoice, dir));
    const backend = await checkpointBackend(checkpoint, backendChoice, notice);
    let executed: ExecutedProgram[];
    try {
      executed = await executePrograms(backend, examples);
    } finally {
      backend.destroy();
    }
    write(formatExecuted(executed) + "\n");
    return executed;
  },
  { positionals: true, checkpointHelp: "a program-task checkpoint or shipped model directory" },
);

/**
 * Formats executed programs: the program, then the true answer, the model's greedy answer and its
 * teacher-forced answer, each on its own line.
 *
 * @param rows The executed programs.
 * @returns The text, without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatExecuted } from "./execute.ts";
 * const text = formatExecuted([{
 *   program: "print(1+2)", answer: "3", teacher_forced: "3.", generated: "3", generated_correct: true, note: "",
 * }]);
 * assert(text.includes("model     3   (right)"));
 * ```
 */
export function formatExecuted(rows: readonly ExecutedProgram[]): string {
  const lines: string[] = [];
  rows.forEach((r, i) => {
    if (i > 0) lines.push("");
    const [first, ...rest] = r.program.split("\n");
    lines.push(`program   ${first}`);
    for (const line of rest) lines.push(`          ${line}`);
    lines.push(`python    ${r.answer}`);
    lines.push(
      `model     ${r.generated === "" ? "(nothing)" : r.generated}   (${
        r.generated_correct ? "right" : "wrong"
      })`,
    );
    const target = r.answer + ".";
    const right = [...r.teacher_forced].filter((c, k) => c === target[k]).length;
    lines.push(
      `teacher-forced ${r.teacher_forced}   (${right}/${target.length} characters right, '.' ends it)`,
    );
    if (r.note !== "") lines.push(`note      ${r.note}`);
  });
  return lines.join("\n");
}

if (import.meta.main) await runCommand(executeCommand, [CheckpointError, WebGpuUnavailableError]);
