/**
 * Adam (Kingma & Ba 2015, bias-corrected), as Collier & Beel train the NTM: learning rate 1e-3, β1 0.9,
 * β2 0.999, ε 1e-8, the gradient clipped to global L2 norm 50 before the update.
 *
 * This file holds the hyper-parameters and the float64 update over flat arrays (the twin of the GPU
 * kernel); `createOptimizer` in `optimizer.ts` wraps it, with clipping, state and validation, into an
 * `Optimizer`.
 *
 * @module
 */

/** Adam's hyper-parameters. */
export type AdamOptions = {
  /** lr: the step size, > 0. */
  readonly learningRate: number;
  /** β1: decay of the first-moment (mean) estimate m, in [0, 1). */
  readonly beta1: number;
  /** β2: decay of the second-moment estimate v, in [0, 1). */
  readonly beta2: number;
  /** ε: added to √v̂ in the denominator, > 0. */
  readonly epsilon: number;
  /** The largest global L2 norm of the gradient; larger gradients are scaled down. > 0; `Infinity` turns clipping off. */
  readonly clip: number;
};

/** Collier & Beel's Adam settings (lr 1e-3, β1 0.9, β2 0.999, ε 1e-8, global-norm clip 50). */
export const ADAM_DEFAULTS: Readonly<AdamOptions> = Object.freeze({
  learningRate: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  clip: 50,
});

/**
 * One Adam update over flat float64 arrays, in place, with the gradient already clipped:
 *
 * ```text
 * m ← β1·m + (1−β1)·g
 * v ← β2·v + (1−β2)·g²
 * θ ← θ − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
 * ```
 *
 * Arguments are outputs, inputs, then sizes; all arrays have the same length P (the parameter count), which
 * is not checked here: the `Optimizer` made by `createOptimizer("adam", …)` checks it.
 *
 * @param params (P) θ, updated in place.
 * @param m (P) first-moment estimate, updated in place.
 * @param v (P) second-moment estimate, updated in place.
 * @param grad (P) the gradient g of this step (read only).
 * @param t The number of this step, counting from 1 (it sets the bias corrections).
 * @param options The hyper-parameters (`clip` is not used here).
 * @returns Nothing; `params`, `m` and `v` are updated.
 *
 * @example One step from zero state
 * ```ts
 * import assert from "node:assert/strict";
 * import { ADAM_DEFAULTS, adamUpdate } from "./adam.ts";
 * const params = new Float64Array([1]), m = new Float64Array(1), v = new Float64Array(1);
 * adamUpdate(params, m, v, new Float64Array([0.5]), 1, ADAM_DEFAULTS);
 * // The first bias-corrected step moves by about lr in the direction of −g.
 * assert(Math.abs(params[0]! - (1 - 1e-3)) < 1e-10);
 * ```
 */
export function adamUpdate(
  params: Float64Array,
  m: Float64Array,
  v: Float64Array,
  grad: Float64Array,
  t: number,
  options: AdamOptions,
): void {
  const { learningRate: lr, beta1, beta2, epsilon } = options;
  const correction1 = 1 - beta1 ** t; // 1 − β1^t
  const correction2 = 1 - beta2 ** t; // 1 − β2^t
  for (let i = 0; i < params.length; i++) {
    const g = grad[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! - lr * (mi / correction1) / (Math.sqrt(vi / correction2) + epsilon);
  }
}
