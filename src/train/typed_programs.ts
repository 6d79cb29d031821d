/**
 * Programs typed by a person, for a trained program-task model (`deno task execute` and the web page's
 * program panel): each is checked against what the model can read, run by the exact interpreter for its
 * true answer, and then answered by the model (`answerPrograms`). Both callers refuse a program with the
 * same one-line message.
 *
 * @module
 */

import {
  encodeProgramText,
  PROGRAM_OPERATIONS,
  programCharacters,
  type ProgramExample,
} from "../../tasks/program.ts";
import { runProgramSource } from "../../tasks/program_interpreter.ts";
import { MAX_LENGTH } from "../../tasks/task.ts";
import type { ProgramTrainingOptions } from "../io/checkpoint_types.ts";
import type { TrainingBackend } from "./backend.ts";
import { answerPrograms, type ProgramExampleRow } from "./program_examples.ts";

/** A typed program, checked: its text, what Python prints, and a note about its length. */
export interface TypedProgram extends ProgramExample {
  /** A note when a number is longer than the model's training target (empty otherwise). */
  readonly note: string;
}

/** A typed program the model cannot read: the message is one line, naming the program and why. */
export class ProgramRefusedError extends RangeError {
  /** The error's name. */
  override name = "ProgramRefusedError";
}

/**
 * Checks typed programs against a program-task model. Lines may be separated by newlines or by the two
 * characters `\n`.
 *
 * @param texts The programs as typed.
 * @param program The model's `training.program` (its operations and target difficulty).
 * @param subject What the model is called in a refusal (its directory).
 * @returns The programs with their true answers.
 * @throws {ProgramRefusedError} for a character outside the vocabulary or outside the programs the model
 *   trained on, text that is not a program of the task's language, or an episode longer than the limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const program = { curriculum: "combined" as const, target: { length: 9, nesting: 1 }, operations: ["add" as const] };
 * assert.equal(typedPrograms(["print(27+58)"], program, "models/addition")[0]!.answer, "85");
 * assert.throws(() => typedPrograms(["print(2*3)"], program, "models/addition"), /character "\*" never appears/);
 * ```
 */
export function typedPrograms(
  texts: readonly string[],
  program: ProgramTrainingOptions,
  subject: string,
): TypedProgram[] {
  const operations = program.operations ?? PROGRAM_OPERATIONS;
  const seen = programCharacters(operations);
  return texts.map((text, i) => {
    const source = text.replaceAll("\\n", "\n");
    const what = texts.length > 1 ? `program ${i + 1}` : "the program";
    const refuse = (why: string): never => {
      throw new ProgramRefusedError(`${what}${why}`);
    };
    try {
      encodeProgramText(source);
    } catch (error) {
      refuse(`: ${(error as Error).message.replace(/^Cannot encode program text: /, "")}`);
    }
    for (const c of source) {
      if (!seen.includes(c)) {
        refuse(
          `: character ${JSON.stringify(c)} never appears in the programs ${subject} trained on ` +
            `(operations ${operations.join(",")}: ${JSON.stringify(seen)})`,
        );
      }
    }
    let answer = "";
    try {
      answer = runProgramSource(source);
    } catch (error) {
      refuse(` is not a program of the task's language: ${(error as Error).message}`);
    }
    const steps = source.length + answer.length + 1;
    if (steps > MAX_LENGTH) {
      refuse(
        ` makes an episode of ${steps} steps (program, answer and end symbol); the limit is ${MAX_LENGTH}`,
      );
    }
    const longest = Math.max(0, ...(source.match(/\d+/g) ?? []).map((n) => n.length));
    const note = longest > program.target.length
      ? `a number has ${longest} digits; the model trained on up to ${program.target.length}`
      : "";
    return { program: source, answer, note };
  });
}

/** A typed program with the model's answers. */
export interface ExecutedProgram extends ProgramExampleRow {
  /** A note when a number is longer than the model's training target (empty otherwise). */
  readonly note: string;
}

/**
 * Answers checked programs with a model: teacher-forced and greedily, with room for answers twice as long as
 * the true ones (at least 24 characters).
 *
 * @param backend The model.
 * @param programs The programs, from {@linkcode typedPrograms}.
 * @returns One row per program.
 */
export async function executePrograms(
  backend: TrainingBackend,
  programs: readonly TypedProgram[],
): Promise<ExecutedProgram[]> {
  const longestAnswer = Math.max(0, ...programs.map((e) => e.answer.length));
  const rows = await answerPrograms(backend, programs, Math.max(24, 2 * longestAnswer));
  return rows.map((row, i) => ({ ...row, note: programs[i]!.note }));
}
