/**
 * The batch of episodes that every task generator returns and every backend trains on.
 *
 * @module
 */

/**
 * A batch of B episodes, padded to a common length T. Arrays are row-major.
 *
 * Steps past an episode's own length are padding: zero input, zero target and zero mask.
 */
export interface EpisodeBatch {
  /** B: episodes in the batch. */
  readonly batch: number;
  /** T: time steps of the longest episode (all arrays are padded to it). */
  readonly steps: number;
  /** X: input channels per step. */
  readonly inputSize: number;
  /** Y: output channels per step. */
  readonly outputSize: number;
  /** (B, T, X) inputs. */
  readonly input: Float32Array;
  /** (B, T, Y) targets (bits in {0, 1} for sigmoid outputs, one-hot rows for softmax outputs). */
  readonly target: Float32Array;
  /** (B, T) 1 where the step's output counts in the loss and the metrics, 0 elsewhere. */
  readonly mask: Float32Array;
  /** (B) time steps each episode really uses (≤ T). */
  readonly lengths: Int32Array;
}

/**
 * Episodes `first … first + count − 1` of a batch, as a batch of `size` episodes (the episodes past `count`
 * are empty: zero input, target and mask, length 0, so they count for nothing).
 *
 * @param batch The batch.
 * @param first The first episode.
 * @param count How many episodes to take.
 * @param size The sub-batch's size, ≥ `count` (default `count`).
 * @returns The sub-batch (copies, padded to the same T); `batch` itself when it would be the same.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "./random.ts";
 * const batch = copyTask().generate(new Rng(1), 4, { minLen: 3, maxLen: 3 });
 * const sub = sliceEpisodes(batch, 1, 2, 3);
 * assert.equal(sub.batch, 3);
 * assert.deepEqual([...sub.lengths], [batch.lengths[1], batch.lengths[2], 0]);
 * ```
 */
export function sliceEpisodes(batch: EpisodeBatch, first: number, count: number, size = count): EpisodeBatch {
  if (first === 0 && count === batch.batch && size === count) return batch;
  const { steps: T, inputSize: X, outputSize: Y } = batch;
  const input = new Float32Array(size * T * X), target = new Float32Array(size * T * Y);
  const mask = new Float32Array(size * T), lengths = new Int32Array(size);
  input.set(batch.input.subarray(first * T * X, (first + count) * T * X));
  target.set(batch.target.subarray(first * T * Y, (first + count) * T * Y));
  mask.set(batch.mask.subarray(first * T, (first + count) * T));
  lengths.set(batch.lengths.subarray(first, first + count));
  return { batch: size, steps: T, inputSize: X, outputSize: Y, input, target, mask, lengths };
}

/**
 * The index of the largest of `length` values from `offset` on (the first, on a tie): the class a softmax
 * row predicts, the row a weighting points at.
 *
 * @param values The values.
 * @param offset Where the run starts.
 * @param length How many values.
 * @returns The index, in 0..length − 1.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * assert.equal(argmax([9, 1, 5, 5], 1, 3), 1);
 * ```
 */
export function argmax(
  values: ArrayLike<number>,
  offset = 0,
  length: number = values.length - offset,
): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j]! > values[offset + best]!) best = j;
  return best;
}
