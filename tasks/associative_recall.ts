/**
 * The associative-recall task (NTM paper §4.3): read a list of items, then, given one item of the list,
 * write the item that followed it.
 *
 * An item is `itemSize` (3) vectors of `bits` (6) random bits. Layout of one episode of n items, with
 * s = itemSize (X = bits + 2, Y = bits, T = (s + 1)·n + 2s + 2; the query is item q, 0 ≤ q ≤ n − 2):
 *
 * ```text
 * phase             item i, i = 0 … n−1        query                              answer
 * steps             delimiter   s vectors      delimiter   s vectors   delimiter   s steps
 * input  0…bits−1   0           item i         0           item q      0           0
 *        bits       1           0              0           0           0           0
 *        bits+1     0           0              1           0           1           0
 * target            0           0              0           0           0           item q+1
 * mask              0           0              0           0           0           1
 * ```
 *
 * Item i's delimiter is step (s + 1)·i; the query delimiters are steps (s + 1)·n and (s + 1)·n + s + 1;
 * the answer is steps (s + 1)·n + s + 2 … T − 1. For the paper's s = 3: T = 4n + 8.
 *
 * Items are drawn independently, so two may coincide (probability below 2⁻¹¹ per episode for 15 items of
 * 18 bits); the target is always the item after position q.
 *
 * Random draws, in order: every episode's item count n (episode 0 first); then, per episode, the items'
 * bits (item by item, vector by vector, channel by channel, `rng.bit()`) followed by q = `rng.int(0, n − 2)`.
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

/** Options of {@linkcode associativeRecallTask}. */
export interface AssociativeRecallOptions {
  /** Bits per vector (default 6). */
  readonly bits?: number;
  /** Vectors per item (default 3). */
  readonly itemSize?: number;
}

/**
 * Creates the associative-recall task.
 *
 * @param options `bits` per vector (6) and `itemSize`, vectors per item (3).
 * @returns The task: X = bits + 2, Y = bits; lengths count items (≥ 2), trained on 2..6.
 * @throws {RangeError} when an option is not a positive integer.
 *
 * @example Draw an episode of 2 items
 * ```ts
 * import assert from "node:assert/strict";
 * import { associativeRecallTask } from "./associative_recall.ts";
 * import { Rng } from "../src/model/random.ts";
 * const episodes = associativeRecallTask().generate(new Rng(1), 1, { minLen: 2, maxLen: 2 });
 * assert(episodes.steps === 4 * 2 + 8);
 * ```
 */
export function associativeRecallTask(options: AssociativeRecallOptions = {}): Task {
  const what = "Cannot create the associative-recall task";
  const bits = requireIntegerAtLeast(options.bits ?? 6, "bits", what);
  const itemSize = requireIntegerAtLeast(options.itemSize ?? 3, "itemSize", what);
  const inputSize = bits + 2, outputSize = bits;
  const span = itemSize + 1; // one delimiter step, then the item's vectors
  return {
    name: "associative-recall",
    inputSize,
    outputSize,
    outputKind: "sigmoid",
    lengthMeaning: "items",
    defaultRange: { minLen: 2, maxLen: 6 },
    evalLengths: [6, 8, 10, 12, 15],
    generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch {
      checkGenerateArgs("associative-recall", batch, range, 2);
      const itemCounts: number[] = [];
      for (let b = 0; b < batch; b++) itemCounts.push(rng.int(range.minLen, range.maxLen));
      const out = allocateBatch(inputSize, outputSize, itemCounts.map((n) => span * n + 2 * itemSize + 2));
      const T = out.steps;
      for (let b = 0; b < batch; b++) {
        const n = itemCounts[b]!;
        // (n, itemSize, bits) the items' bits
        const items = new Uint8Array(n * itemSize * bits);
        for (let i = 0; i < items.length; i++) items[i] = rng.bit();
        const q = rng.int(0, n - 2);
        for (let i = 0; i < n; i++) {
          out.input[(b * T + span * i) * inputSize + bits] = 1; // item delimiter
          for (let v = 0; v < itemSize; v++) {
            const row = (b * T + span * i + 1 + v) * inputSize;
            for (let c = 0; c < bits; c++) out.input[row + c] = items[(i * itemSize + v) * bits + c]!;
          }
        }
        const query = span * n;
        out.input[(b * T + query) * inputSize + bits + 1] = 1; // query delimiter
        const answer = query + itemSize + 2;
        out.input[(b * T + answer - 1) * inputSize + bits + 1] = 1; // query delimiter again
        for (let v = 0; v < itemSize; v++) {
          const inRow = (b * T + query + 1 + v) * inputSize;
          const outRow = (b * T + answer + v) * outputSize;
          for (let c = 0; c < bits; c++) {
            out.input[inRow + c] = items[(q * itemSize + v) * bits + c]!;
            out.target[outRow + c] = items[((q + 1) * itemSize + v) * bits + c]!;
          }
          out.mask[b * T + answer + v] = 1;
        }
      }
      return out;
    },
  };
}
