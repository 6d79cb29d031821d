/**
 * Per-batch metrics from a model's outputs: cost in bits per sequence and bit errors per sequence; for
 * softmax outputs (the program task) also per-character accuracy with teacher forcing (Learning to
 * Execute's measure), whole-answer accuracy, and the frequency baseline they are compared with.
 *
 * @module
 */

import { argmax, type EpisodeBatch } from "../model/episode.ts";

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
  /**
   * Softmax outputs only: 1 − wrong masked steps / masked steps, where a step is wrong when its most likely
   * class is not the target's. With teacher forcing every step sees the true previous character, so this is
   * Learning to Execute's per-character accuracy.
   */
  readonly characterAccuracy?: number;
  /** Softmax outputs only: the share of episodes with no wrong masked step (every output character right). */
  readonly answerAccuracy?: number;
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
 * ```ts
 * import assert from "node:assert/strict";
 * const batch = {
 *   batch: 1, steps: 2, inputSize: 1, outputSize: 2, input: new Float32Array(2),
 *   target: Float32Array.of(1, 0, 0, 1), mask: Float32Array.of(1, 1), lengths: Int32Array.of(2),
 * };
 * assert.equal(errorsPerSequence([0.9, 0.2, 0.6, 0.7], batch, "sigmoid"), 1); // one bit wrong
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

/** Counts behind {@linkcode Evaluation.characterAccuracy} and {@linkcode Evaluation.answerAccuracy}. */
export interface SoftmaxAccuracy {
  /** Masked steps whose most likely class is not the target's. */
  readonly wrongSteps: number;
  /** Masked steps (output characters) in all. */
  readonly maskedSteps: number;
  /** Episodes with no wrong masked step. */
  readonly correctEpisodes: number;
  /** B: episodes. */
  readonly episodes: number;
  /** `1 − wrongSteps / maskedSteps` (1 when there is no masked step). */
  readonly characterAccuracy: number;
  /** `correctEpisodes / episodes`. */
  readonly answerAccuracy: number;
}

/**
 * Per-character and whole-answer accuracy of softmax outputs: a masked step is right when its most likely
 * class (the first one on a tie) is the target's.
 *
 * @param output (B, T, Y) output probabilities (or logits: only their order matters).
 * @param batch The episodes (one-hot targets and masks).
 * @returns The counts and both accuracies.
 * @throws {RangeError} when `output` does not hold B·T·Y values.
 *
 * @example One episode, two output characters, one right
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxAccuracy } from "./metrics.ts";
 * const batch = {
 *   batch: 1, steps: 2, inputSize: 1, outputSize: 2, input: new Float32Array(2),
 *   target: Float32Array.of(1, 0, 0, 1), mask: Float32Array.of(1, 1), lengths: Int32Array.of(2),
 * };
 * const accuracy = softmaxAccuracy(Float64Array.of(0.9, 0.1, 0.8, 0.2), batch);
 * assert(accuracy.characterAccuracy === 0.5 && accuracy.answerAccuracy === 0);
 * ```
 */
export function softmaxAccuracy(output: ArrayLike<number>, batch: EpisodeBatch): SoftmaxAccuracy {
  const { batch: B, steps: T, outputSize: Y } = batch;
  checkOutputSize(output, batch, "Cannot measure the accuracy");
  let wrongSteps = 0, maskedSteps = 0, correctEpisodes = 0;
  for (let b = 0; b < B; b++) {
    let wrong = 0;
    for (let t = 0; t < T; t++) {
      const bt = b * T + t;
      if (batch.mask[bt] === 0) continue;
      maskedSteps++;
      if (argmax(output, bt * Y, Y) !== argmax(batch.target, bt * Y, Y)) wrong++;
    }
    wrongSteps += wrong;
    if (wrong === 0) correctEpisodes++;
  }
  return {
    wrongSteps,
    maskedSteps,
    correctEpisodes,
    episodes: B,
    characterAccuracy: maskedSteps === 0 ? 1 : 1 - wrongSteps / maskedSteps,
    answerAccuracy: B === 0 ? 1 : correctEpisodes / B,
  };
}

/** The frequency baseline of a batch: always predict its most frequent target class. */
export interface FrequencyBaseline {
  /** The most frequent target class over the masked steps (the first one on a tie). */
  readonly symbol: number;
  /** The per-character accuracy of always predicting it: its share of the masked steps. */
  readonly characterAccuracy: number;
}

/**
 * The frequency baseline: the per-character accuracy of always predicting the most frequent target class,
 * measured over the batch's masked steps, the number a model must beat to show it learned anything beyond
 * the output's marginal distribution.
 *
 * @param batch The episodes (one-hot targets and masks).
 * @returns The most frequent class and its share of the masked steps (0 when nothing is masked).
 *
 * @example Two of three output characters are class 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { frequencyBaseline } from "./metrics.ts";
 * const baseline = frequencyBaseline({
 *   batch: 1, steps: 3, inputSize: 1, outputSize: 2, input: new Float32Array(3),
 *   target: Float32Array.of(0, 1, 1, 0, 0, 1), mask: Float32Array.of(1, 1, 1), lengths: Int32Array.of(3),
 * });
 * assert(baseline.symbol === 1 && Math.abs(baseline.characterAccuracy - 2 / 3) < 1e-12);
 * ```
 */
export function frequencyBaseline(batch: EpisodeBatch): FrequencyBaseline {
  const { batch: B, steps: T, outputSize: Y } = batch;
  const counts = new Float64Array(Y);
  let masked = 0;
  for (let bt = 0; bt < B * T; bt++) {
    if (batch.mask[bt] === 0) continue;
    masked++;
    counts[argmax(batch.target, bt * Y, Y)]!++;
  }
  const symbol = argmax(counts, 0, Y);
  return { symbol, characterAccuracy: masked === 0 ? 0 : counts[symbol]! / masked };
}

/**
 * The whole evaluation of softmax outputs from their probabilities: cost (−ln of the target's probability,
 * summed over masked steps, in bits), errors per sequence, and both accuracies. Probabilities are clamped
 * below at 1e-45 (the smallest float32), so that an output rounded to 0 costs about 149 bits rather than
 * an infinity.
 *
 * @param output (B, T, Y) output probabilities.
 * @param batch The episodes.
 * @returns The evaluation.
 * @throws {RangeError} when `output` does not hold B·T·Y values.
 *
 * @example A sure and right prediction costs nothing
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxEvaluation } from "./metrics.ts";
 * const e = softmaxEvaluation(Float64Array.of(1, 0), {
 *   batch: 1, steps: 1, inputSize: 1, outputSize: 2, input: new Float32Array(1),
 *   target: Float32Array.of(1, 0), mask: Float32Array.of(1), lengths: Int32Array.of(1),
 * });
 * assert(e.costBits === 0 && e.characterAccuracy === 1);
 * ```
 */
export function softmaxEvaluation(output: ArrayLike<number>, batch: EpisodeBatch): Evaluation {
  const { batch: B, steps: T, outputSize: Y } = batch;
  checkOutputSize(output, batch, "Cannot evaluate softmax outputs");
  let nats = 0;
  for (let bt = 0; bt < B * T; bt++) {
    const mask = batch.mask[bt]!;
    if (mask === 0) continue;
    for (let j = 0; j < Y; j++) {
      const t = batch.target[bt * Y + j]!;
      if (t !== 0) nats -= mask * t * Math.log(Math.max(output[bt * Y + j]!, 1e-45));
    }
  }
  const accuracy = softmaxAccuracy(output, batch);
  return {
    costBits: nats / B / Math.LN2,
    bitErrors: accuracy.wrongSteps / B,
    episodes: B,
    characterAccuracy: accuracy.characterAccuracy,
    answerAccuracy: accuracy.answerAccuracy,
  };
}

function checkOutputSize(output: ArrayLike<number>, batch: EpisodeBatch, what: string): void {
  const size = batch.batch * batch.steps * batch.outputSize;
  if (output.length !== size) {
    throw new RangeError(
      `${what}: output must hold B·T·Y = ${batch.batch}·${batch.steps}·${batch.outputSize} = ${size} values, got ${output.length}`,
    );
  }
}
