/**
 * Float64 reference of the output layer's nonlinearity and loss for one step: sigmoid outputs with binary
 * cross-entropy (the paper's bit tasks) and softmax outputs with categorical cross-entropy (the program
 * task). Losses are in nats, taken from the logits so that they never overflow.
 *
 * @module
 */

import { sigmoid, softmaxInto, softplus } from "./activations.ts";

/**
 * Sigmoid outputs and their binary cross-entropy: `y = σ(z)`,
 * `loss = mask · Σ_j (softplus(z_j) − t_j·z_j)` (= −t·ln y − (1−t)·ln(1−y)).
 *
 * @param y (Y) output: predicted bit probabilities.
 * @param logits (Y) z.
 * @param target (Y) t in {0, 1} (any value in [0, 1] is allowed).
 * @param mask 1 if this step counts, else 0.
 * @param width Y.
 * @param targetOffset Where t starts in `target` (default 0).
 * @returns The step's loss in nats (0 when masked).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoidCrossEntropyForward } from "./output.ts";
 * const y = new Float64Array(1);
 * const loss = sigmoidCrossEntropyForward(y, Float64Array.of(0), Float32Array.of(1), 1, 1);
 * assert(Math.abs(loss - Math.LN2) < 1e-15);
 * ```
 */
export function sigmoidCrossEntropyForward(
  y: Float64Array,
  logits: Float64Array,
  target: Float32Array | Float64Array,
  mask: number,
  width: number,
  targetOffset = 0,
): number {
  let loss = 0;
  for (let j = 0; j < width; j++) {
    const z = logits[j]!;
    y[j] = sigmoid(z);
    loss += softplus(z) - target[targetOffset + j]! * z;
  }
  return mask * loss;
}

/**
 * Softmax outputs and their categorical cross-entropy: `y = softmax(z)`,
 * `loss = mask · (logsumexp(z) − Σ_j t_j·z_j)` for a one-hot (or any normalised) target t.
 *
 * @param y (Y) output: predicted class probabilities.
 * @param logits (Y) z.
 * @param target (Y) t, summing to 1.
 * @param mask 1 if this step counts, else 0.
 * @param width Y.
 * @param targetOffset Where t starts in `target` (default 0).
 * @returns The step's loss in nats (0 when masked).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxCrossEntropyForward } from "./output.ts";
 * const y = new Float64Array(2);
 * const loss = softmaxCrossEntropyForward(y, Float64Array.of(0, 0), Float32Array.of(1, 0), 1, 2);
 * assert(Math.abs(loss - Math.LN2) < 1e-15);
 * ```
 */
export function softmaxCrossEntropyForward(
  y: Float64Array,
  logits: Float64Array,
  target: Float32Array | Float64Array,
  mask: number,
  width: number,
  targetOffset = 0,
): number {
  softmaxInto(y, logits, 0, width);
  let max = -Infinity;
  for (let j = 0; j < width; j++) max = Math.max(max, logits[j]!);
  let sum = 0, targetDotLogits = 0, targetSum = 0;
  for (let j = 0; j < width; j++) {
    sum += Math.exp(logits[j]! - max);
    targetDotLogits += target[targetOffset + j]! * logits[j]!;
    targetSum += target[targetOffset + j]!;
  }
  return mask * ((max + Math.log(sum)) * targetSum - targetDotLogits);
}

/**
 * Backward of both losses above, which share one form: `dz += scale · mask · (y − t)` (for the softmax
 * this holds when t sums to 1).
 *
 * @param dlogits (Y) gradient of the logits (added to).
 * @param y (Y) the forward's output.
 * @param target (Y) t.
 * @param mask 1 if this step counts, else 0.
 * @param scale Factor on the loss (e.g. 1/B for a batch mean).
 * @param width Y.
 * @param targetOffset Where t starts in `target` (default 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crossEntropyBackward } from "./output.ts";
 * const dz = new Float64Array(1);
 * crossEntropyBackward(dz, Float64Array.of(0.25), Float32Array.of(1), 1, 1, 1);
 * assert(dz[0] === -0.75);
 * ```
 */
export function crossEntropyBackward(
  dlogits: Float64Array,
  y: Float64Array,
  target: Float32Array | Float64Array,
  mask: number,
  scale: number,
  width: number,
  targetOffset = 0,
): void {
  const factor = scale * mask;
  if (factor === 0) return;
  for (let j = 0; j < width; j++) dlogits[j]! += factor * (y[j]! - target[targetOffset + j]!);
}
