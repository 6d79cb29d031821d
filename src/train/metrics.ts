/**
 * Per-batch metrics from a model's outputs: cost in bits per sequence and bit errors per sequence.
 *
 * @module
 */

import type { EpisodeBatch } from "../../tasks/episode.ts";

/** Metrics of one evaluation, averaged over the batch's episodes. */
export interface Evaluation {
  /** Cross-entropy in bits (nats / ln 2) per sequence, summed over the masked steps. */
  readonly costBits: number;
  /**
   * Errors per sequence: sigmoid outputs count output bits whose rounded prediction differs from the
   * target; softmax outputs count steps whose most likely class is not the target's.
   */
  readonly bitErrors: number;
  /** Episodes evaluated. */
  readonly episodes: number;
}

/**
 * Counts errors per sequence from output probabilities.
 *
 * @param output (B, T, Y) output probabilities.
 * @param batch The episodes (targets and masks).
 * @param outputKind How to count: bits (sigmoid) or classes (softmax).
 * @returns Errors per sequence, averaged over the batch.
 *
 * @example
 * ```ts ignore
 * const errors = errorsPerSequence(forward.output, batch, "sigmoid");
 * ```
 */
export function errorsPerSequence(
  output: ArrayLike<number>,
  batch: EpisodeBatch,
  outputKind: "sigmoid" | "softmax",
): number {
  const { batch: B, steps: T, outputSize: Y } = batch;
  let errors = 0;
  for (let bt = 0; bt < B * T; bt++) {
    if (batch.mask[bt] === 0) continue;
    if (outputKind === "sigmoid") {
      for (let j = 0; j < Y; j++) {
        const predicted = output[bt * Y + j]! > 0.5 ? 1 : 0;
        if (predicted !== (batch.target[bt * Y + j]! > 0.5 ? 1 : 0)) errors++;
      }
    } else if (argmax(output, bt * Y, Y) !== argmax(batch.target, bt * Y, Y)) {
      errors++;
    }
  }
  return errors / B;
}

function argmax(values: ArrayLike<number>, offset: number, length: number): number {
  let best = 0;
  for (let j = 1; j < length; j++) if (values[offset + j]! > values[offset + best]!) best = j;
  return best;
}
