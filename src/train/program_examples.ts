/**
 * Example programs with a trained model's answers, for `deno task eval --examples N`: each program, what it
 * prints, the model's answer with teacher forcing (the most likely character at every answer step, each
 * step reading the true previous character, as training and the per-character accuracy see it), and its
 * answer generated on its own (greedy decoding: each step reads the model's previous character, until it
 * writes the end symbol `.`).
 *
 * @module
 */

import {
  decodeProgramText,
  encodeProgramEpisodes,
  encodeProgramText,
  generateProgram,
  PROGRAM_END,
  PROGRAM_VOCABULARY,
  type ProgramDifficulty,
  type ProgramExample,
  type ProgramOperation,
} from "../../tasks/program.ts";
import { argmax } from "../model/episode.ts";
import type { Rng } from "../model/random.ts";
import type { TrainingBackend } from "./backend.ts";

/** One example program and the model's answers. */
export interface ProgramExampleRow {
  /** The program's source. */
  readonly program: string;
  /** What it prints. */
  readonly answer: string;
  /**
   * The most likely character at each answer step with teacher forcing, the end-symbol step included
   * (so a perfect answer is `answer + "."`).
   */
  readonly teacher_forced: string;
  /** The answer the model writes feeding back its own characters, without the end symbol. */
  readonly generated: string;
  /** Whether `generated` equals `answer` and the model ended it there. */
  readonly generated_correct: boolean;
}

/** The longest answer greedy decoding writes before it gives up waiting for the end symbol. */
const MAX_GENERATED = 24;

/**
 * Draws `count` programs at a difficulty and runs the model on them, with teacher forcing and greedily.
 *
 * @param backend The model.
 * @param rng Draws the programs (`generateProgram`, one after another).
 * @param count How many programs.
 * @param difficulty Their digits per number and nesting.
 * @param operations The operations they compose.
 * @returns One row per program.
 * @throws {RangeError} when the difficulty is out of range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * import { Rng } from "../model/random.ts";
 * import { checkpointBackend } from "./create_backend.ts";
 * const backend = await checkpointBackend(
 *   await loadCheckpoint(new URL("../../models/addition", import.meta.url).pathname),
 *   "cpu",
 * );
 * const rows = await programExamples(backend, new Rng(2), 3, { length: 2, nesting: 1 }, ["add"]);
 * assert.equal(rows.length, 3);
 * assert.match(formatProgramExamples(rows), /print\(\d+\+\d+\)/);
 * ```
 */
export function programExamples(
  backend: TrainingBackend,
  rng: Rng,
  count: number,
  difficulty: ProgramDifficulty,
  operations: readonly ProgramOperation[],
): Promise<ProgramExampleRow[]> {
  const examples = Array.from({ length: count }, () => generateProgram(rng, difficulty, operations));
  return answerPrograms(backend, examples);
}

/**
 * Runs the model on given programs, with teacher forcing (one pass) and greedily (one pass per answer
 * character, all programs in one batch, until each writes the end symbol or `maxGenerated` characters).
 *
 * @param backend The model.
 * @param examples The programs and their true answers (characters from {@linkcode PROGRAM_VOCABULARY}).
 * @param maxGenerated The longest answer greedy decoding writes (default 24).
 * @returns One row per program.
 * @throws {RangeError} when a character is not in the vocabulary or an answer is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * import { checkpointBackend } from "./create_backend.ts";
 * const backend = await checkpointBackend(
 *   await loadCheckpoint(new URL("../../models/addition", import.meta.url).pathname),
 *   "cpu",
 * );
 * const [row] = await answerPrograms(backend, [{ program: "print(27+58)", answer: "85" }]);
 * assert.equal(row!.generated, "85"); // models/README.md: the shipped model answers this one right
 * ```
 */
export async function answerPrograms(
  backend: TrainingBackend,
  examples: readonly ProgramExample[],
  maxGenerated = MAX_GENERATED,
): Promise<ProgramExampleRow[]> {
  if (examples.length === 0) return [];
  const V = PROGRAM_VOCABULARY.length;
  const argmaxAt = (output: Float64Array, T: number, b: number, t: number) =>
    argmax(output, (b * T + t) * V, V);

  // Teacher forcing: one pass over the episodes as training sees them.
  const forced = encodeProgramEpisodes(examples);
  const forcedOutput = await backend.predict(forced);
  const teacherForced = examples.map((e, b) => {
    const P = encodeProgramText(e.program).length;
    const ids: number[] = [];
    for (let k = 0; k <= e.answer.length; k++) ids.push(argmaxAt(forcedOutput, forced.steps, b, P + k));
    return decodeProgramText(ids);
  });

  // Greedy decoding: step k reads the model's own characters 0..k−1 (the episode's answer is that prefix
  // plus a placeholder, whose target is never read).
  const generated = examples.map(() => "");
  const done = examples.map(() => false);
  for (let k = 0; k < maxGenerated && done.includes(false); k++) {
    const open = examples.map((_, b) => b).filter((b) => !done[b]);
    const batch = encodeProgramEpisodes(
      open.map((b) => ({ program: examples[b]!.program, answer: generated[b]! + PROGRAM_END })),
    );
    const output = await backend.predict(batch);
    open.forEach((b, i) => {
      const P = encodeProgramText(examples[b]!.program).length;
      const symbol = PROGRAM_VOCABULARY[argmaxAt(output, batch.steps, i, P + k)]!;
      if (symbol === PROGRAM_END) done[b] = true;
      else generated[b] += symbol;
    });
  }
  return examples.map((e, b) => ({
    program: e.program,
    answer: e.answer,
    teacher_forced: teacherForced[b]!,
    generated: generated[b]!,
    generated_correct: done[b]! && generated[b] === e.answer,
  }));
}

/**
 * Formats example rows as text: each program (indented), then its answer and the model's two answers.
 *
 * @param rows The examples.
 * @returns The text, without a trailing newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { formatProgramExamples } from "./program_examples.ts";
 * const text = formatProgramExamples([{
 *   program: "print(12+34)", answer: "46", teacher_forced: "47.", generated: "47", generated_correct: false,
 * }]);
 * assert(text.includes("print(12+34)") && text.includes("47."));
 * ```
 */
export function formatProgramExamples(rows: readonly ProgramExampleRow[]): string {
  const lines = [
    "Examples (teacher-forced: the most likely character at each answer step given the true previous ones, " +
    "'.' ends the answer; generated: the model's own answer, fed back character by character):",
  ];
  rows.forEach((r, i) => {
    lines.push(`#${i + 1}`);
    for (const line of r.program.split("\n")) lines.push(`    ${line}`);
    const right = [...r.teacher_forced].filter((c, k) => c === (r.answer + PROGRAM_END)[k]).length;
    lines.push(`  answer          ${r.answer}`);
    lines.push(
      `  teacher-forced  ${r.teacher_forced}   (${right}/${r.answer.length + 1} characters right)`,
    );
    const generated = r.generated === "" ? "(nothing)" : r.generated;
    lines.push(`  generated       ${generated}   (${r.generated_correct ? "right" : "wrong"})`);
  });
  return lines.join("\n");
}
