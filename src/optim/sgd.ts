/**
 * Plain stochastic gradient descent, with the gradient's global norm clipped first (the learning-to-execute
 * recipe of Zaremba & Sutskever 2014: SGD, the norm clipped at 5).
 *
 * @module
 */

/** SGD's hyper-parameters. */
export type SgdOptions = {
  /** The step size. */
  readonly learningRate: number;
  /** The gradient's largest global L2 norm (`Infinity`: no clipping). */
  readonly clip: number;
};

/** Zaremba & Sutskever's SGD settings: lr 0.5 (their starting rate), the norm clipped at 5. */
export const SGD_DEFAULTS: Readonly<SgdOptions> = Object.freeze({ learningRate: 0.5, clip: 5 });

/**
 * One SGD step: θ ← θ − lr·g (the gradient already clipped).
 *
 * @param params (P) the parameters, updated in place.
 * @param grad (P) the gradient.
 * @param options The learning rate.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const params = Float64Array.of(1, 2);
 * sgdUpdate(params, Float64Array.of(0.5, -1), { learningRate: 0.1, clip: 5 });
 * assert.deepEqual([...params], [0.95, 2.1]);
 * ```
 */
export function sgdUpdate(params: Float64Array, grad: Float64Array, options: SgdOptions): void {
  const lr = options.learningRate;
  for (let i = 0; i < params.length; i++) params[i] = params[i]! - lr * grad[i]!;
}
