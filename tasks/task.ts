/**
 * The common shape of every task: its name, its input and output widths, the length range it trains on and
 * a seeded generator of padded episode batches. Also the argument checks and batch allocation the
 * generators share.
 *
 * @module
 */

import type { Rng } from "../src/model/random.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

/** The name of a task: the five of the NTM paper (§4) and Learning to Execute's program task. */
export type TaskName = "copy" | "repeat-copy" | "associative-recall" | "ngrams" | "priority-sort" | "program";

/** The five tasks of the NTM paper, which {@linkcode TaskName} names apart from `program`. */
export type PaperTaskName = Exclude<TaskName, "program">;

/** The names of the five paper tasks, in the paper's order (§4.1–§4.5). */
export const PAPER_TASK_NAMES: readonly PaperTaskName[] = [
  "copy",
  "repeat-copy",
  "associative-recall",
  "ngrams",
  "priority-sort",
];

/** Every task name: the five paper tasks ({@linkcode PAPER_TASK_NAMES}) and `program`. */
export const TASK_NAMES: readonly TaskName[] = [...PAPER_TASK_NAMES, "program"];

/** The longest length (in a task's own units) a task generates: far past any generalisation test. */
export const MAX_LENGTH = 100_000;

/** The most episodes a task generates in one batch. */
export const MAX_BATCH = 65_536;

/** The most float32 values (B × T × (X + Y + 1)) one generated batch may hold: 1 GiB. */
export const MAX_BATCH_VALUES = 2 ** 28;

/** An inclusive range of episode lengths; what a length counts is the task's {@linkcode Task.lengthMeaning}. */
export interface LengthRange {
  /** The shortest length drawn (inclusive). */
  readonly minLen: number;
  /** The longest length drawn (inclusive). */
  readonly maxLen: number;
}

/** A task: a pure, seeded generator of episode batches and the facts a trainer needs about them. */
export interface Task {
  /** The task's name. */
  readonly name: TaskName;
  /** X: input channels per step. */
  readonly inputSize: number;
  /** Y: output channels per step. */
  readonly outputSize: number;
  /** The output layer the task's targets are meant for. */
  readonly outputKind: "sigmoid" | "softmax";
  /** What `minLen`/`maxLen` count for this task, e.g. "sequence length", "items", "bits", "inputs". */
  readonly lengthMeaning: string;
  /** The training range from the paper. */
  readonly defaultRange: LengthRange;
  /** Test lengths the paper evaluates generalisation at (for copy: 10, 20, 30, 40, 50, 120). */
  readonly evalLengths: readonly number[];
  /**
   * Draws a batch of episodes, each with a length uniform in the range, padded to the longest.
   *
   * @param rng The random source; the same state gives the same batch.
   * @param batch B: episodes to draw.
   * @param range The lengths to draw from.
   * @returns The padded batch.
   */
  generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch;
}

/**
 * Checks that a task option is an integer within bounds.
 *
 * @param value The value to check.
 * @param name The option's name, for the error message.
 * @param what What failed, e.g. "Cannot create the copy task".
 * @param min The smallest allowed value (default 1).
 * @returns The value.
 * @throws {TypeError} when the value is not a number.
 * @throws {RangeError} when it is not an integer ≥ `min`.
 *
 * @example Check a bit count
 * ```ts
 * import assert from "node:assert/strict";
 * import { requireIntegerAtLeast } from "./task.ts";
 * const bits = requireIntegerAtLeast(8, "bits", "Cannot create the copy task");
 * assert(bits === 8);
 * ```
 */
export function requireIntegerAtLeast(value: unknown, name: string, what: string, min = 1): number {
  const expected = min === 1 ? "a positive integer" : `an integer ≥ ${min}`;
  if (typeof value !== "number") {
    throw new TypeError(`${what}: ${name} must be ${expected}, got ${JSON.stringify(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`${what}: ${name} must be ${expected}, got ${value}`);
  }
  return value;
}

/**
 * Checks the arguments of a {@linkcode Task.generate} call.
 *
 * @param task The task's name, for the error message.
 * @param batch B: must be a positive integer.
 * @param range `minLen` and `maxLen` must be integers ≥ `minAllowed` with `minLen ≤ maxLen`.
 * @param minAllowed The smallest length the task can make (default 1).
 * @throws {TypeError} when a value is not a number or the range is not an object.
 * @throws {RangeError} when a value is out of range.
 *
 * @example Reject an empty range
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkGenerateArgs } from "./task.ts";
 * let message = "";
 * try {
 *   checkGenerateArgs("copy", 1, { minLen: 5, maxLen: 3 });
 * } catch (e) {
 *   message = (e as Error).message;
 * }
 * assert(message.includes("minLen must be ≤ maxLen"));
 * ```
 */
export function checkGenerateArgs(task: TaskName, batch: number, range: LengthRange, minAllowed = 1): void {
  const what = `Cannot generate ${task} episodes`;
  requireIntegerAtLeast(batch, "batch", what);
  if (batch > MAX_BATCH) throw new RangeError(`${what}: batch must be ≤ ${MAX_BATCH}, got ${batch}`);
  if (typeof range !== "object" || range === null) {
    throw new TypeError(`${what}: range must be an object { minLen, maxLen }, got ${JSON.stringify(range)}`);
  }
  requireIntegerAtLeast(range.minLen, "minLen", what, minAllowed);
  requireIntegerAtLeast(range.maxLen, "maxLen", what, minAllowed);
  if (range.maxLen > MAX_LENGTH) {
    throw new RangeError(`${what}: maxLen must be ≤ ${MAX_LENGTH}, got ${range.maxLen}`);
  }
  if (range.minLen > range.maxLen) {
    throw new RangeError(
      `${what}: minLen must be ≤ maxLen, got minLen ${range.minLen} > maxLen ${range.maxLen}`,
    );
  }
}

/**
 * Allocates a zeroed batch whose episodes have the given lengths, padded to the longest.
 *
 * @param inputSize X: input channels per step.
 * @param outputSize Y: output channels per step.
 * @param lengths The time steps of each episode (B of them).
 * @returns A batch of zeros with `steps` = the longest length and `lengths` set.
 *
 * @example Two episodes of 3 and 5 steps
 * ```ts
 * import assert from "node:assert/strict";
 * import { allocateBatch } from "./task.ts";
 * const b = allocateBatch(2, 1, [3, 5]);
 * assert(b.steps === 5 && b.input.length === 2 * 5 * 2);
 * ```
 */
export function allocateBatch(
  inputSize: number,
  outputSize: number,
  lengths: readonly number[],
): EpisodeBatch {
  const batch = lengths.length;
  let steps = 0;
  for (const length of lengths) steps = Math.max(steps, length); // no spread: B may be large
  const values = batch * steps * (inputSize + outputSize + 1);
  if (values > MAX_BATCH_VALUES) {
    throw new RangeError(
      `Cannot allocate a batch of ${batch} episodes of ${steps} steps: it needs ${values} values ` +
        `(B × T × (X + Y + 1)), more than the limit of ${MAX_BATCH_VALUES}; use fewer episodes or shorter lengths`,
    );
  }
  return {
    batch,
    steps,
    inputSize,
    outputSize,
    input: new Float32Array(batch * steps * inputSize), // (B, T, X)
    target: new Float32Array(batch * steps * outputSize), // (B, T, Y)
    mask: new Float32Array(batch * steps), // (B, T)
    lengths: Int32Array.from(lengths), // (B)
  };
}
