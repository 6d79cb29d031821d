/**
 * The repeat-copy task (NTM paper §4.2): read a sequence and a repeat count n, then write the sequence n
 * times and mark the end.
 *
 * Layout of one episode of length L and count n (X = bits + 2, Y = bits + 1, T = (n + 1)·L + 2):
 *
 * ```text
 * step t        0 … L−1       L            L+1 … L+nL          L+nL+1
 * input  0…bits−1  random bits  0            0                   0
 *        bits      0            1 (delim.)   0                   0
 *        bits+1    0            z(n)         0                   0
 * target 0…bits−1  0            0            bits of step        0
 *                                            (t−L−1) mod L
 *        bits      0            0            0                   1 (end)
 * mask             0            0            1                   1
 * ```
 *
 * `z(n) = (n − μ)/σ` normalises the count to mean 0 and variance 1 over the discrete uniform distribution of
 * the training counts `minRepeats..maxRepeats` (default 1..10: μ = 5.5, σ² = 8.25). The constants depend
 * only on those options, so a count fixed for evaluation with the `repeats` option (e.g. 20) is put on the
 * same scale. The delimiter on channel `bits` marks the count step, whose value may be 0.
 *
 * Random draws, in order: for each episode (episode 0 first) its length L, then its count n (skipped when
 * `repeats` is fixed); then each episode's bits, step by step and channel by channel (`rng.bit()`).
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

/** Options of {@linkcode repeatCopyTask}. */
export interface RepeatCopyOptions {
  /** Bits per vector (default 8). */
  readonly bits?: number;
  /** The smallest training repeat count (default 1). */
  readonly minRepeats?: number;
  /** The largest training repeat count (default 10). */
  readonly maxRepeats?: number;
  /**
   * A fixed repeat count for every episode, for evaluation (e.g. 20); it may lie outside
   * `minRepeats..maxRepeats`, and is normalised with their constants. Default: drawn uniformly.
   */
  readonly repeats?: number;
}

/** The repeat-copy task, with the repeat counts it draws. */
export interface RepeatCopyTask extends Task {
  /** The smallest training repeat count. */
  readonly minRepeats: number;
  /** The largest training repeat count. */
  readonly maxRepeats: number;
  /** The fixed repeat count of every episode, or `null` when counts are drawn from the training range. */
  readonly fixedRepeats: number | null;
}

/**
 * Normalises a repeat count to mean 0 and variance 1 over the discrete uniform distribution on
 * `minRepeats..maxRepeats` (mean (a + b)/2, variance ((b − a + 1)² − 1)/12). When a = b the variance is 0
 * and the scale is taken as 1.
 *
 * @param n The repeat count.
 * @param minRepeats The smallest training count (default 1).
 * @param maxRepeats The largest training count (default 10).
 * @returns The value the count channel holds.
 *
 * @example The paper's range
 * ```ts
 * import assert from "node:assert/strict";
 * import { normaliseRepeats } from "./repeat_copy.ts";
 * assert(normaliseRepeats(5.5) === 0);
 * ```
 */
export function normaliseRepeats(n: number, minRepeats = 1, maxRepeats = 10): number {
  const mean = (minRepeats + maxRepeats) / 2;
  const count = maxRepeats - minRepeats + 1;
  const variance = (count * count - 1) / 12;
  return (n - mean) / (variance > 0 ? Math.sqrt(variance) : 1);
}

/**
 * Creates the repeat-copy task.
 *
 * @param options `bits` (8), the training counts `minRepeats..maxRepeats` (1..10) and an optional fixed
 *   count `repeats` for evaluation.
 * @returns The task: X = bits + 2, Y = bits + 1, trained on sequence lengths 1..10.
 * @throws {RangeError} when an option is not a positive integer or `minRepeats > maxRepeats`.
 *
 * @example Evaluate with 20 repeats
 * ```ts
 * import assert from "node:assert/strict";
 * import { repeatCopyTask } from "./repeat_copy.ts";
 * import { Rng } from "../src/model/random.ts";
 * const task = repeatCopyTask({ repeats: 20 });
 * const episodes = task.generate(new Rng(1), 1, { minLen: 10, maxLen: 10 });
 * assert(episodes.steps === 21 * 10 + 2);
 * ```
 */
export function repeatCopyTask(options: RepeatCopyOptions = {}): RepeatCopyTask {
  const what = "Cannot create the repeat-copy task";
  const bits = requireIntegerAtLeast(options.bits ?? 8, "bits", what);
  const minRepeats = requireIntegerAtLeast(options.minRepeats ?? 1, "minRepeats", what);
  const maxRepeats = requireIntegerAtLeast(options.maxRepeats ?? 10, "maxRepeats", what);
  if (minRepeats > maxRepeats) {
    throw new RangeError(
      `${what}: minRepeats must be ≤ maxRepeats, got minRepeats ${minRepeats} > maxRepeats ${maxRepeats}`,
    );
  }
  const fixedRepeats = options.repeats === undefined
    ? null
    : requireIntegerAtLeast(options.repeats, "repeats", what);
  const inputSize = bits + 2, outputSize = bits + 1;
  return {
    name: "repeat-copy",
    inputSize,
    outputSize,
    outputKind: "sigmoid",
    lengthMeaning: "sequence length",
    defaultRange: { minLen: 1, maxLen: 10 },
    evalLengths: [10, 20],
    minRepeats,
    maxRepeats,
    fixedRepeats,
    generate(rng: Rng, batch: number, range: LengthRange): EpisodeBatch {
      checkGenerateArgs("repeat-copy", batch, range);
      const seqLens: number[] = [], counts: number[] = [];
      for (let b = 0; b < batch; b++) {
        seqLens.push(rng.int(range.minLen, range.maxLen));
        counts.push(fixedRepeats ?? rng.int(minRepeats, maxRepeats));
      }
      const out = allocateBatch(inputSize, outputSize, seqLens.map((L, b) => (counts[b]! + 1) * L + 2));
      const T = out.steps;
      for (let b = 0; b < batch; b++) {
        const L = seqLens[b]!, n = counts[b]!;
        for (let t = 0; t < L; t++) {
          const inRow = (b * T + t) * inputSize;
          for (let c = 0; c < bits; c++) {
            const bit = rng.bit();
            out.input[inRow + c] = bit;
            for (let k = 0; k < n; k++) out.target[(b * T + L + 1 + k * L + t) * outputSize + c] = bit;
          }
        }
        const marker = (b * T + L) * inputSize;
        out.input[marker + bits] = 1; // delimiter
        out.input[marker + bits + 1] = normaliseRepeats(n, minRepeats, maxRepeats);
        const end = L + 1 + n * L;
        out.target[(b * T + end) * outputSize + bits] = 1; // end marker
        for (let t = L + 1; t <= end; t++) out.mask[b * T + t] = 1;
      }
      return out;
    },
  };
}
