/**
 * The program task of "Learning to Execute" (Zaremba & Sutskever 2014, §3): read a short Python program
 * character by character, then write what it prints, character by character.
 *
 * Two knobs set the difficulty (§3): `length`, the digits per number (the paper's 1..9, and up to 15 to probe
 * generalisation; every number is drawn uniformly
 * from 0..10^length − 1, so it has at most that many digits), and `nesting`, how many operations are
 * composed (1..3). The operations, each applied to the expression built so far (`E`, at first one number)
 * with fresh numbers `n`:
 *
 * | operation  | becomes                                                              |
 * |------------|----------------------------------------------------------------------|
 * | `add`      | `E+n` or `n+E`                                                       |
 * | `subtract` | `E-n` or `n-E` (results can be negative)                             |
 * | `multiply` | `E*k` or `k*E`, k a one-digit multiplier in 2..9                      |
 * | `if`       | `E if n<n else n` or `n if n<n else E`                               |
 * | `assign`   | the line `v=E`, then `v+n`, `n+v`, `v-n` or `n-v`                     |
 * | `loop`     | the lines `v=E`, `for x in range(k):`, `  v+=n` (or `-=`), then `v`; k in 2..9 |
 *
 * The program ends with `print(E)`. Operations that are operands of others are parenthesised. At length 6
 * and nesting 1 a program can be `print(398345+42598)` (answer `440943`); at length 4 and nesting 3 (loop,
 * assign, if) it can be
 *
 * ```text
 * a=4702
 * for x in range(7):
 *   a+=1896
 * w=a
 * print((w-7167) if 212<3751 else 7206)
 * ```
 *
 * whose answer is `10807`.
 *
 * The generator runs the tree it built with the exact interpreter of `program_eval.ts` to get the answer.
 *
 * ## Episode layout
 *
 * Inputs and targets are one-hot over {@linkcode PROGRAM_VOCABULARY} (X = Y = 49). For a program of P
 * characters (newlines included) and an answer of A characters, the episode has P + A + 1 steps:
 *
 * ```text
 * step t   0 … P−1            P            P+1 … P+A−1        P+A
 * input    program[t]         GO ("#")     answer[t−P−1]      answer[A−1]
 * target   0                  answer[0]    answer[t−P]        END (".")
 * mask     0                  1            1                  1
 * ```
 *
 * That is teacher forcing: in the answer phase the input is the previous answer character, and the first
 * answer step, right after the program's last character, reads the GO symbol. Shorter episodes are padded
 * to T with zero inputs, zero targets and mask 0.
 *
 * Random draws, in order, for each program: the first number (`rng.int(0, 10^length − 1)`), then for each
 * operation its kind (`rng.int(0, 5)` into {@linkcode PROGRAM_OPERATIONS}) followed by its own draws (variable
 * name, numbers, operand order), operation by operation. A batch draws episode 0's difficulty (where it
 * varies) and program first, then episode 1's, and so on. Numbers are exact (BigInt), so nothing overflows.
 *
 * The vocabulary is {@linkcode PROGRAM_VOCABULARY}; the go symbol `#` is never a target and the end symbol
 * `.` is never an input.
 *
 * @module
 */

import type { Rng } from "../src/model/random.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import {
  executeProgram,
  formatProgram,
  type ProgramExpression,
  type ProgramStatement,
} from "./program_interpreter.ts";
import { allocateBatch, checkGenerateArgs, type LengthRange, type Task } from "./task.ts";

/** The end symbol, the last target of every episode (never part of a program or an answer). */
export const PROGRAM_END = ".";

/** The "go" symbol, the input of the first answer step (never part of a program or an answer). */
export const PROGRAM_GO = "#";

/**
 * Every symbol an episode can contain, in one-hot channel order: the end and go symbols, newline, space,
 * the punctuation `( ) * + , - : < =`, the digits and the lowercase letters (variables and the keywords
 * `print`, `for`, `in`, `range`, `if`, `else`). 49 symbols.
 */
export const PROGRAM_VOCABULARY: readonly string[] = Object.freeze([
  PROGRAM_END,
  PROGRAM_GO,
  "\n",
  " ",
  ..."()*+,-:<=",
  ..."0123456789",
  ..."abcdefghijklmnopqrstuvwxyz",
]);

const SYMBOL_INDEX: ReadonlyMap<string, number> = new Map(PROGRAM_VOCABULARY.map((c, i) => [c, i]));

/** The largest target `length` (digits per number) a run trains towards: the paper's 9. */
export const MAX_PROGRAM_LENGTH = 9;

/**
 * The largest `length` the generator makes: 15 digits, past the paper's 9 so that evaluation can probe
 * generalisation to longer numbers (every number stays below 2^53, the largest integer `Rng.int` draws).
 */
export const MAX_PROGRAM_DIGITS = 15;

/** The lengths the program task is evaluated at: the paper's 1..9, then 10, 12 and 15 digits. */
const PROGRAM_EVAL_LENGTHS: readonly number[] = Object.freeze([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15]);

/** The largest `nesting` (composed operations) the generator makes. */
export const MAX_PROGRAM_NESTING = 3;

/**
 * Maps text to vocabulary indices, one per character.
 *
 * @param text Program or answer text (or the go and end symbols).
 * @returns The indices into {@linkcode PROGRAM_VOCABULARY}.
 * @throws {RangeError} when a character is not in the vocabulary.
 *
 * @example Round trip
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeProgramText, encodeProgramText } from "./program.ts";
 * const ids = encodeProgramText("print(1+2)");
 * assert(decodeProgramText(ids) === "print(1+2)");
 * ```
 */
export function encodeProgramText(text: string): number[] {
  const ids: number[] = [];
  for (const c of text) {
    const id = SYMBOL_INDEX.get(c);
    if (id === undefined) {
      throw new RangeError(
        `Cannot encode program text: character ${JSON.stringify(c)} is not in the program vocabulary`,
      );
    }
    ids.push(id);
  }
  return ids;
}

/**
 * Maps vocabulary indices back to text.
 *
 * @param ids Indices into {@linkcode PROGRAM_VOCABULARY}.
 * @returns The text.
 * @throws {RangeError} when an index is not an integer in 0..48.
 *
 * @example Decode the end symbol
 * ```ts
 * import assert from "node:assert/strict";
 * import { decodeProgramText, PROGRAM_END } from "./program.ts";
 * assert(decodeProgramText([0]) === PROGRAM_END);
 * ```
 */
export function decodeProgramText(ids: ArrayLike<number>): string {
  let text = "";
  for (let i = 0; i < ids.length; i++) {
    const c = PROGRAM_VOCABULARY[ids[i]!];
    if (c === undefined || !Number.isInteger(ids[i])) {
      throw new RangeError(
        `Cannot decode program text: index ${ids[i]} is not in 0..${PROGRAM_VOCABULARY.length - 1}`,
      );
    }
    text += c;
  }
  return text;
}

/** A program's difficulty (§3): digits per number and composed operations. */
export interface ProgramDifficulty {
  /** Digits per number, 1..15 (the paper's 1..9): numbers are drawn uniformly from 0..10^length − 1. */
  readonly length: number;
  /** Operations composed, 1..3. */
  readonly nesting: number;
}

/**
 * Checks a difficulty: `length` an integer in 1..15 and `nesting` an integer in 1..3.
 *
 * @param difficulty The difficulty to check.
 * @param what What failed, for the message (default "Cannot generate a program").
 * @returns The same difficulty.
 * @throws {TypeError} when it is not an object of numbers.
 * @throws {RangeError} naming the field and its value, when a field is out of range.
 *
 * @example Reject length 16
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProgramDifficulty } from "./program.ts";
 * let message = "";
 * try {
 *   checkProgramDifficulty({ length: 16, nesting: 1 });
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assert(message.includes("length must be an integer in 1..15, got 16"));
 * ```
 */
export function checkProgramDifficulty(
  difficulty: ProgramDifficulty,
  what = "Cannot generate a program",
): ProgramDifficulty {
  if (typeof difficulty !== "object" || difficulty === null) {
    throw new TypeError(`${what}: difficulty must be an object { length, nesting }, got ${difficulty}`);
  }
  checkKnob(difficulty.length, "length", MAX_PROGRAM_DIGITS, what);
  checkKnob(difficulty.nesting, "nesting", MAX_PROGRAM_NESTING, what);
  return difficulty;
}

function checkKnob(value: unknown, name: string, max: number, what: string): void {
  if (typeof value !== "number") {
    throw new TypeError(`${what}: ${name} must be an integer in 1..${max}, got ${JSON.stringify(value)}`);
  }
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new RangeError(`${what}: ${name} must be an integer in 1..${max}, got ${value}`);
  }
}

/** An operation the generator composes (see the module doc for what each one writes). */
export type ProgramOperation = "add" | "subtract" | "multiply" | "if" | "assign" | "loop";

/** The operations, in the order `rng.int(0, 5)` picks them. */
export const PROGRAM_OPERATIONS: readonly ProgramOperation[] = Object.freeze(
  [
    "add",
    "subtract",
    "multiply",
    "if",
    "assign",
    "loop",
  ] as const,
);

/**
 * Checks a set of operations to compose: a non-empty list of distinct names from
 * {@linkcode PROGRAM_OPERATIONS}.
 *
 * @param operations The operations.
 * @param what What failed, for the message (default "Cannot generate a program").
 * @returns The same operations.
 * @throws {TypeError} when it is not a list of strings.
 * @throws {RangeError} naming the bad entry, when one is unknown or repeated, or when the list is empty.
 *
 * @example Addition only
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkProgramOperations } from "./program.ts";
 * assert(checkProgramOperations(["add"]).length === 1);
 * ```
 */
export function checkProgramOperations(
  operations: readonly ProgramOperation[],
  what = "Cannot generate a program",
): readonly ProgramOperation[] {
  if (!Array.isArray(operations)) {
    throw new TypeError(
      `${what}: operations must be a list of ${PROGRAM_OPERATIONS.join(", ")}, got ${operations}`,
    );
  }
  if (operations.length === 0) {
    throw new RangeError(
      `${what}: operations must name at least one of ${PROGRAM_OPERATIONS.join(", ")}, got none`,
    );
  }
  operations.forEach((op, i) => {
    if (!(PROGRAM_OPERATIONS as readonly unknown[]).includes(op)) {
      throw new RangeError(
        `${what}: operation ${JSON.stringify(op)} is not one of ${PROGRAM_OPERATIONS.join(", ")}`,
      );
    }
    if (operations.indexOf(op) !== i) throw new RangeError(`${what}: operation ${op} is listed twice`);
  });
  return operations;
}

// The characters each operation can add to a program (beyond `print(`, `)` and the digits every program has).
const OPERATION_CHARACTERS: Readonly<Record<ProgramOperation, string>> = {
  add: "+()",
  subtract: "-()",
  multiply: "*()",
  if: " ifels<()",
  // `v=E`, then `v+n`, `n+v`, `v-n` or `n-v`: any variable name but x.
  assign: "\n=+-()abcdefghijklmnopqrstuvwyz",
  // `v=E`, `for x in range(k):`, `  v+=n` (or `-=`), then `v`.
  loop: "\n =+-:()abcdefghijklmnopqrstuvwxyz",
};

/**
 * The characters a program composed of these operations can contain: what a model trained on them has
 * seen in its programs (the digits, `print(`, `)` and each operation's symbols).
 *
 * @param operations The operations.
 * @returns The characters, in vocabulary order.
 * @throws {RangeError} when the operations are not valid.
 *
 * @example Addition programs
 * ```ts
 * import assert from "node:assert/strict";
 * import { programCharacters } from "./program.ts";
 * assert(programCharacters(["add"]) === "()+0123456789inprt");
 * ```
 */
export function programCharacters(operations: readonly ProgramOperation[]): string {
  checkProgramOperations(operations, "Cannot list the program characters");
  const seen = new Set("print()0123456789");
  for (const op of operations) for (const c of OPERATION_CHARACTERS[op]) seen.add(c);
  return PROGRAM_VOCABULARY.filter((c) => seen.has(c)).join("");
}

/** One generated program: its source, what it prints, and how it was built. */
export interface GeneratedProgram {
  /** The source text, lines separated by `\n`, ending with the `print(...)` line (no trailing newline). */
  readonly program: string;
  /** What the program prints (no trailing newline), e.g. `"-1234"`. */
  readonly answer: string;
  /** The program's syntax tree. */
  readonly statements: readonly ProgramStatement[];
  /** The operations composed, in order (`nesting` of them). */
  readonly operations: readonly ProgramOperation[];
}

// Variable names: any lowercase letter but `x`, the loop variable.
const VARIABLE_NAMES = [..."abcdefghijklmnopqrstuvwyz"];

/**
 * Generates one random program of the given difficulty and runs it.
 *
 * @param rng The random source.
 * @param difficulty Digits per number (1..15) and composed operations (1..3).
 * @param operations The operations to draw from (default all six; `["add"]` with nesting 1 gives the paper's
 * addition task, `print(a+b)`).
 * @returns The program text, its output and its tree.
 * @throws {RangeError} when the difficulty or the operations are out of range.
 *
 * @example One program
 * ```ts
 * import assert from "node:assert/strict";
 * import { generateProgram } from "./program.ts";
 * import { Rng } from "../src/model/random.ts";
 * const { program, answer } = generateProgram(new Rng(3), { length: 6, nesting: 1 });
 * assert(program.startsWith("print(") || program.includes("\nprint("));
 * assert(/^-?\d+$/.test(answer));
 * ```
 */
export function generateProgram(
  rng: Rng,
  difficulty: ProgramDifficulty,
  operations: readonly ProgramOperation[] = PROGRAM_OPERATIONS,
): GeneratedProgram {
  const { length, nesting } = checkProgramDifficulty(difficulty);
  checkProgramOperations(operations);
  const top = 10 ** length - 1;
  const num = (): ProgramExpression => ({ kind: "number", value: BigInt(rng.int(0, top)) });
  const small = (): bigint => BigInt(rng.int(2, 9));
  const freeNames = [...VARIABLE_NAMES];
  const freshName = (): string => freeNames.splice(rng.int(0, freeNames.length - 1), 1)[0]!;
  const binary = (op: "+" | "-" | "*", a: ProgramExpression, b: ProgramExpression): ProgramExpression =>
    rng.bit() ? { kind: "binary", op, left: a, right: b } : { kind: "binary", op, left: b, right: a };

  const statements: ProgramStatement[] = [];
  const composed: ProgramOperation[] = [];
  let e = num();
  for (let i = 0; i < nesting; i++) {
    const op = operations[rng.int(0, operations.length - 1)]!;
    composed.push(op);
    switch (op) {
      case "add":
        e = binary("+", e, num());
        break;
      case "subtract":
        e = binary("-", e, num());
        break;
      case "multiply":
        e = binary("*", e, { kind: "number", value: small() });
        break;
      case "if": {
        const inThen = rng.bit() === 1;
        const left = num(), right = num(), other = num();
        e = inThen
          ? { kind: "conditional", then: e, left, right, otherwise: other }
          : { kind: "conditional", then: other, left, right, otherwise: e };
        break;
      }
      case "assign": {
        const name = freshName();
        statements.push({ kind: "assign", name, op: "=", value: e });
        e = binary(rng.bit() ? "+" : "-", { kind: "variable", name }, num());
        break;
      }
      case "loop": {
        const name = freshName();
        statements.push({ kind: "assign", name, op: "=", value: e });
        const count = small(), op = rng.bit() ? "+=" : "-=";
        statements.push({
          kind: "loop",
          variable: "x",
          count,
          body: [{ kind: "assign", name, op, value: num() }],
        });
        e = { kind: "variable", name };
        break;
      }
    }
  }
  statements.push({ kind: "print", value: e });
  return {
    program: formatProgram(statements),
    answer: executeProgram(statements),
    statements,
    operations: composed,
  };
}

/** A program and what it prints, the two texts of one episode. */
export interface ProgramExample {
  /** The program's source. */
  readonly program: string;
  /** What it prints. */
  readonly answer: string;
}

/** A batch of program episodes, with the texts each episode encodes. */
export interface ProgramBatch extends EpisodeBatch {
  /** The source of each episode's program (B of them). */
  readonly programs: readonly string[];
  /** What each program prints (B of them). */
  readonly answers: readonly string[];
}

/**
 * Encodes programs and their answers as a padded batch of teacher-forced episodes (layout in the module doc).
 *
 * @param examples The programs and answers, one per episode (at least one; answers not empty).
 * @returns The batch, X = Y = 49, with the texts attached.
 * @throws {RangeError} when there are no examples, an answer is empty, or a character is not in the vocabulary.
 *
 * @example Encode an addition
 * ```ts
 * import assert from "node:assert/strict";
 * import { encodeProgramEpisodes } from "./program.ts";
 * const b = encodeProgramEpisodes([{ program: "print(1+2)", answer: "3" }]);
 * assert(b.steps === 10 + 1 + 1);
 * assert(b.mask[10] === 1 && b.mask[9] === 0);
 * ```
 */
export function encodeProgramEpisodes(examples: readonly ProgramExample[]): ProgramBatch {
  if (examples.length === 0) {
    throw new RangeError("Cannot encode program episodes: at least one example is needed, got 0");
  }
  const V = PROGRAM_VOCABULARY.length;
  const go = SYMBOL_INDEX.get(PROGRAM_GO)!, end = SYMBOL_INDEX.get(PROGRAM_END)!;
  const encoded = examples.map(({ program, answer }, b) => {
    if (answer.length === 0) {
      throw new RangeError(`Cannot encode program episodes: answer ${b} is empty`);
    }
    return { program: encodeProgramText(program), answer: encodeProgramText(answer) };
  });
  const out = allocateBatch(V, V, encoded.map((e) => e.program.length + e.answer.length + 1));
  const T = out.steps;
  encoded.forEach(({ program, answer }, b) => {
    const P = program.length;
    // Inputs, steps 0..P+A: the program, GO, then the answer (step P+k reads answer[k−1]).
    // Targets, steps P..P+A: the answer, then END.
    [...program, go, ...answer].forEach((id, t) => (out.input[(b * T + t) * V + id] = 1));
    [...answer, end].forEach((id, k) => {
      out.target[(b * T + P + k) * V + id] = 1;
      out.mask[b * T + P + k] = 1;
    });
  });
  return {
    ...out,
    programs: examples.map((e) => e.program),
    answers: examples.map((e) => e.answer),
  };
}

/**
 * Generates a batch of random programs of one difficulty, as teacher-forced episodes with their texts.
 *
 * @param rng The random source; the same state gives the same batch.
 * @param batch B: episodes to draw (a positive integer).
 * @param difficulty Digits per number (1..15) and composed operations (1..3).
 * @param operations The operations to draw from (default all six).
 * @returns The padded batch, X = Y = 49, with `programs` and `answers`.
 * @throws {RangeError} when `batch`, the difficulty or the operations are out of range.
 *
 * @example The paper's 6-digit additions and friends
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatePrograms } from "./program.ts";
 * import { Rng } from "../src/model/random.ts";
 * const b = generatePrograms(new Rng(1), 4, { length: 6, nesting: 1 });
 * assert(b.batch === 4 && b.programs.length === 4 && b.inputSize === 49);
 * ```
 */
export function generatePrograms(
  rng: Rng,
  batch: number,
  difficulty: ProgramDifficulty,
  operations: readonly ProgramOperation[] = PROGRAM_OPERATIONS,
): ProgramBatch {
  checkBatch(batch);
  checkProgramDifficulty(difficulty);
  checkProgramOperations(operations);
  const examples: GeneratedProgram[] = [];
  for (let b = 0; b < batch; b++) examples.push(generateProgram(rng, difficulty, operations));
  return encodeProgramEpisodes(examples);
}

function checkBatch(batch: number): void {
  if (typeof batch !== "number") {
    throw new TypeError(
      `Cannot generate programs: batch must be a positive integer, got ${JSON.stringify(batch)}`,
    );
  }
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`Cannot generate programs: batch must be a positive integer, got ${batch}`);
  }
}

/** Options of {@linkcode programTask}. */
export interface ProgramTaskOptions {
  /** Target digits per number, 1..9 (default 9, the paper's headline addition of two 9-digit numbers). */
  readonly length?: number;
  /** Composed operations, 1..3 (default 1). */
  readonly nesting?: number;
  /** The operations to draw from (default all six; `["add"]` is the paper's addition task). */
  readonly operations?: readonly ProgramOperation[];
}

/**
 * Creates the program task as a {@linkcode Task}. Its `generate(rng, batch, range)` reads the range as digits
 * per number: each episode's `length` is drawn uniformly from `minLen..maxLen` (within 1..15), while `nesting`
 * stays the one given here. For per-episode nesting use a curriculum (`curriculum.ts`).
 *
 * @param options Target `length` (default 9), fixed `nesting` (default 1) and the `operations` drawn from
 * (default all six).
 * @returns The task: softmax outputs, X = Y = 49, default range `length..length` (no curriculum), evaluated at
 * 1..9, 10, 12 and 15 digits.
 * @throws {RangeError} when `length`, `nesting` or `operations` is out of range.
 *
 * @example Draw a batch at lengths 1..4, nesting 2
 * ```ts
 * import assert from "node:assert/strict";
 * import { programTask } from "./program.ts";
 * import { Rng } from "../src/model/random.ts";
 * const task = programTask({ length: 4, nesting: 2 });
 * const episodes = task.generate(new Rng(1), 8, { minLen: 1, maxLen: 4 });
 * assert(task.outputKind === "softmax" && episodes.outputSize === 49);
 * ```
 */
export function programTask(options: ProgramTaskOptions = {}): Task {
  const target = checkProgramDifficulty(
    { length: options.length ?? MAX_PROGRAM_LENGTH, nesting: options.nesting ?? 1 },
    "Cannot create the program task",
  );
  const operations = checkProgramOperations(
    options.operations ?? PROGRAM_OPERATIONS,
    "Cannot create the program task",
  );
  const V = PROGRAM_VOCABULARY.length;
  const drawn = operations.length === PROGRAM_OPERATIONS.length ? "" : `, operations ${operations.join(",")}`;
  return {
    name: "program",
    inputSize: V,
    outputSize: V,
    outputKind: "softmax",
    lengthMeaning: `digits per number (nesting ${target.nesting}${drawn})`,
    defaultRange: { minLen: target.length, maxLen: target.length },
    evalLengths: [...PROGRAM_EVAL_LENGTHS],
    generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch {
      checkGenerateArgs("program", batch, range);
      if (range.maxLen > MAX_PROGRAM_DIGITS) {
        throw new RangeError(
          `Cannot generate program episodes: maxLen must be ≤ ${MAX_PROGRAM_DIGITS} digits, got ${range.maxLen}`,
        );
      }
      const examples: GeneratedProgram[] = [];
      for (let b = 0; b < batch; b++) {
        const length = rng.int(range.minLen, range.maxLen);
        examples.push(generateProgram(rng, { length, nesting: target.nesting }, operations));
      }
      return encodeProgramEpisodes(examples);
    },
  };
}
