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

import { encodeProgramText, PROGRAM_OPERATIONS, programCharacters } from "../../tasks/program.ts";
import { runProgramSource } from "../../tasks/program_interpreter.ts";
import { MAX_LENGTH } from "../../tasks/task.ts";
import { CheckpointError, loadCheckpoint } from "../io/checkpoint.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { BACKEND_CHOICES } from "../train/create_backend.ts";
import { asUsage, choiceFlag, type FlagSpec, stringFlag, UsageError } from "./args.ts";
import { BACKEND_FLAG, type CheckpointCommand, checkpointCommand } from "./common_flags.ts";
import { checkBackendChoice, checkpointBackend } from "../train/create_backend.ts";
import { answerPrograms, type ProgramExampleRow } from "../train/program_examples.ts";
import { runCommand } from "./run_command.ts";

/** The flags of `deno task execute`. */
export const EXECUTE_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "backend": BACKEND_FLAG,
};

/** One executed program: the model's answers beside the true one. */
export interface ExecutedProgram extends ProgramExampleRow {
  /** A note when a number is longer than the model's training target (empty otherwise). */
  readonly note: string;
}

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
    const operations = program.operations ?? PROGRAM_OPERATIONS;
    const seen = programCharacters(operations);
    const examples = positionals.map((text, i) => {
      const source = text.replaceAll("\\n", "\n");
      const what = positionals.length > 1 ? `program ${i + 1}` : "the program";
      try {
        encodeProgramText(source);
      } catch (error) {
        throw new UsageError(
          `${what}: ${(error as Error).message.replace(/^Cannot encode program text: /, "")}`,
        );
      }
      for (const c of source) {
        if (!seen.includes(c)) {
          throw new UsageError(
            `${what}: character ${JSON.stringify(c)} never appears in the programs ${dir} trained on ` +
              `(operations ${operations.join(",")}: ${JSON.stringify(seen)})`,
          );
        }
      }
      let answer: string;
      try {
        answer = runProgramSource(source);
      } catch (error) {
        throw new UsageError(`${what} is not a program of the task's language: ${(error as Error).message}`);
      }
      const steps = source.length + answer.length + 1;
      if (steps > MAX_LENGTH) {
        throw new UsageError(
          `${what} makes an episode of ${steps} steps (program, answer and end symbol); the limit is ${MAX_LENGTH}`,
        );
      }
      const longest = Math.max(0, ...(source.match(/\d+/g) ?? []).map((n) => n.length));
      const note = longest > program.target.length
        ? `a number has ${longest} digits; the model trained on up to ${program.target.length}`
        : "";
      return { program: source, answer, note };
    });
    asUsage(() => checkBackendChoice(checkpoint.modelKind ?? "ntm", backendChoice, dir));
    const backend = await checkpointBackend(checkpoint, backendChoice, notice);
    let rows: ProgramExampleRow[];
    try {
      const longestAnswer = Math.max(...examples.map((e) => e.answer.length));
      rows = await answerPrograms(backend, examples, Math.max(24, 2 * longestAnswer));
    } finally {
      backend.destroy();
    }
    const executed = rows.map((row, i) => ({ ...row, note: examples[i]!.note }));
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
