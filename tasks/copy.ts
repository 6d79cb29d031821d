/**
 * The copy task (NTM paper §4.1): read a sequence of random bit vectors, then write it back.
 *
 * Layout of one episode of length L (X = bits + 1, Y = bits, T = 2L + 1):
 *
 * ```text
 * step t      0 … L−1          L            L+1 … 2L
 * input  0…bits−1  random bits  0            0
 *        bits      0            1 (delim.)   0
 * target           0            0            bits of step t−L−1
 * mask             0            0            1
 * ```
 *
 * Random draws, in order: every episode's length L (episode 0 first), then each episode's bits, step by step
 * and channel by channel (`rng.bit()`).
 *
 * @module
 */

import type { Rng } from "../src/model/random.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import {
  allocateBatch,
  checkGenerateArgs,
  type LengthRange,
  requireIntegerAtLeast,
  type Task,
} from "./task.ts";

/** Options of {@linkcode copyTask}. */
export interface CopyOptions {
  /** Bits per vector (default 8, as in the paper). */
  readonly bits?: number;
}

/**
 * Creates the copy task.
 *
 * @param options `bits` per vector (default 8).
 * @returns The task: X = bits + 1, Y = bits, trained on lengths 1..20 and tested at 10, 20, 30, 40, 50, 120.
 * @throws {RangeError} when `bits` is not a positive integer.
 *
 * @example Draw two copy episodes
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "./copy.ts";
 * import { Rng } from "../src/model/random.ts";
 * const task = copyTask();
 * const episodes = task.generate(new Rng(1), 2, { minLen: 3, maxLen: 3 });
 * assert(episodes.steps === 7 && episodes.inputSize === 9);
 * ```
 */
export function copyTask(options: CopyOptions = {}): Task {
  const bits = requireIntegerAtLeast(options.bits ?? 8, "bits", "Cannot create the copy task");
  const inputSize = bits + 1, outputSize = bits;
  return {
    name: "copy",
    inputSize,
    outputSize,
    outputKind: "sigmoid",
    lengthMeaning: "sequence length",
    defaultRange: { minLen: 1, maxLen: 20 },
    evalLengths: [10, 20, 30, 40, 50, 120],
    generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch {
      checkGenerateArgs("copy", batch, range);
      const seqLens: number[] = [];
      for (let b = 0; b < batch; b++) seqLens.push(rng.int(range.minLen, range.maxLen));
      const out = allocateBatch(inputSize, outputSize, seqLens.map((L) => 2 * L + 1));
      const T = out.steps;
      for (let b = 0; b < batch; b++) {
        const L = seqLens[b]!;
        for (let t = 0; t < L; t++) {
          const inRow = (b * T + t) * inputSize;
          const outRow = (b * T + L + 1 + t) * outputSize;
          for (let c = 0; c < bits; c++) {
            const bit = rng.bit();
            out.input[inRow + c] = bit;
            out.target[outRow + c] = bit;
          }
          out.mask[b * T + L + 1 + t] = 1;
        }
        out.input[(b * T + L) * inputSize + bits] = 1; // delimiter
      }
      return out;
    },
  };
}
