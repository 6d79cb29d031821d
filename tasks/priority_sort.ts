/**
 * The priority-sort task (NTM paper §4.5): read random bit vectors, each with a scalar priority, then write
 * the highest-priority ones in order of descending priority.
 *
 * Layout of one episode of L input vectors with K = min(outputs, L) outputs (X = bits + 2, Y = bits,
 * T = L + 1 + K):
 *
 * ```text
 * step t            0 … L−1          L            L+1 … L+K
 * input  0…bits−1   random bits      0            0
 *        bits       priority         0            0
 *        bits+1     0                1 (go)       0
 * target            0                0            the vector of (t−L)-th highest priority
 * mask              0                0            1
 * ```
 *
 * Priorities are uniform on [−1, 1] and ranked as the input holds them (rounded to float32), ties going to
 * the earlier vector. The paper feeds 20 vectors and asks for the top 16; its input has no "go" channel,
 * which this task adds so the model need not count inputs to know when to start writing.
 *
 * Random draws, in order: every episode's input count L (episode 0 first); then, per episode and per
 * vector, its bits (`rng.bit()`, channel by channel) and its priority (`2·rng.uniform() − 1`).
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

/** Options of {@linkcode prioritySortTask}. */
export interface PrioritySortOptions {
  /** Bits per vector (default 8). */
  readonly bits?: number;
  /** How many of the highest-priority vectors to write (default 16); all of them when fewer are input. */
  readonly outputs?: number;
}

/**
 * Creates the priority-sort task.
 *
 * @param options `bits` per vector (8) and `outputs`, the number of vectors to write (16).
 * @returns The task: X = bits + 2, Y = bits; lengths count input vectors, trained on 20.
 * @throws {RangeError} when an option is not a positive integer.
 *
 * @example Sort 20 vectors into the top 16
 * ```ts
 * import assert from "node:assert/strict";
 * import { prioritySortTask } from "./priority_sort.ts";
 * import { Rng } from "../src/model/random.ts";
 * const episodes = prioritySortTask().generate(new Rng(1), 1, { minLen: 20, maxLen: 20 });
 * assert(episodes.steps === 20 + 1 + 16);
 * ```
 */
export function prioritySortTask(options: PrioritySortOptions = {}): Task {
  const what = "Cannot create the priority-sort task";
  const bits = requireIntegerAtLeast(options.bits ?? 8, "bits", what);
  const outputs = requireIntegerAtLeast(options.outputs ?? 16, "outputs", what);
  const inputSize = bits + 2, outputSize = bits;
  return {
    name: "priority-sort",
    inputSize,
    outputSize,
    outputKind: "sigmoid",
    lengthMeaning: "input vectors",
    defaultRange: { minLen: 20, maxLen: 20 },
    evalLengths: [20],
    generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch {
      checkGenerateArgs("priority-sort", batch, range);
      const counts: number[] = [];
      for (let b = 0; b < batch; b++) counts.push(rng.int(range.minLen, range.maxLen));
      const out = allocateBatch(inputSize, outputSize, counts.map((L) => L + 1 + Math.min(outputs, L)));
      const T = out.steps;
      for (let b = 0; b < batch; b++) {
        const L = counts[b]!, K = Math.min(outputs, L);
        const priorities = new Float32Array(L);
        for (let t = 0; t < L; t++) {
          const row = (b * T + t) * inputSize;
          for (let c = 0; c < bits; c++) out.input[row + c] = rng.bit();
          priorities[t] = 2 * rng.uniform() - 1;
          out.input[row + bits] = priorities[t]!;
        }
        out.input[(b * T + L) * inputSize + bits + 1] = 1; // go
        const order = Array.from({ length: L }, (_, i) => i)
          .sort((i, j) => priorities[j]! - priorities[i]! || i - j);
        for (let k = 0; k < K; k++) {
          const from = (b * T + order[k]!) * inputSize;
          const to = (b * T + L + 1 + k) * outputSize;
          for (let c = 0; c < bits; c++) out.target[to + c] = out.input[from + c]!;
          out.mask[b * T + L + 1 + k] = 1;
        }
      }
      return out;
    },
  };
}
