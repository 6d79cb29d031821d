/**
 * Graves' (2013) centred RMSProp with momentum, the optimiser of the NTM paper: ρ 0.95, momentum μ 0.9,
 * ε 1e-4, learning rate 1e-4 (3e-5 for N-grams and sort), the gradient clamped elementwise to [−10, 10] first.
 *
 * This file holds the hyper-parameters and the float64 update over flat arrays (the twin of the GPU
 * kernel); `createOptimizer` in `optimizer.ts` wraps it, with clipping, state and validation, into an
 * `Optimizer`.
 *
 * @module
 */

/** Centred RMSProp's hyper-parameters. */
export type RmsPropOptions = {
  /** lr: the step size, > 0. */
  readonly learningRate: number;
  /** ρ: decay of the running averages n (of g²) and ḡ (of g), in [0, 1). */
  readonly rho: number;
  /** μ: momentum of the update Δ, in [0, 1). */
  readonly momentum: number;
  /** ε: added to the centred variance n − ḡ² under the square root, > 0. */
  readonly epsilon: number;
  /** The largest magnitude of one gradient element; larger ones are clamped. > 0; `Infinity` turns clipping off. */
  readonly clip: number;
};

/** The NTM paper's RMSProp settings (lr 1e-4, ρ 0.95, μ 0.9, ε 1e-4, elementwise clip 10). */
export const RMSPROP_DEFAULTS: Readonly<RmsPropOptions> = Object.freeze({
  learningRate: 1e-4,
  rho: 0.95,
  momentum: 0.9,
  epsilon: 1e-4,
  clip: 10,
});

/**
 * One centred-RMSProp update over flat float64 arrays, in place, with the gradient already clipped
 * (Graves 2013, eqs. 38–41):
 *
 * ```text
 * n ← ρ·n + (1−ρ)·g²
 * ḡ ← ρ·ḡ + (1−ρ)·g
 * Δ ← μ·Δ − lr · g / √(n − ḡ² + ε)
 * θ ← θ + Δ
 * ```
 *
 * Arguments are outputs, inputs, then sizes; all arrays have the same length P (the parameter count), which
 * is not checked here: the `Optimizer` made by `createOptimizer("rmsprop", …)` checks it.
 *
 * @param params (P) θ, updated in place.
 * @param n (P) running average of g², updated in place.
 * @param gbar (P) ḡ, running average of g, updated in place.
 * @param delta (P) Δ, the last update (the momentum term), updated in place.
 * @param grad (P) the gradient g of this step (read only).
 * @param options The hyper-parameters (`clip` is not used here).
 * @returns Nothing; `params`, `n`, `gbar` and `delta` are updated.
 *
 * @example One step from zero state
 * ```ts
 * import assert from "node:assert/strict";
 * import { RMSPROP_DEFAULTS, rmspropUpdate } from "./rmsprop.ts";
 * const params = new Float64Array([1]);
 * const n = new Float64Array(1), gbar = new Float64Array(1), delta = new Float64Array(1);
 * rmspropUpdate(params, n, gbar, delta, new Float64Array([1]), RMSPROP_DEFAULTS);
 * // n = 0.05, ḡ = 0.05, Δ = −1e-4 / √(0.05 − 0.0025 + 1e-4)
 * assert(Math.abs(delta[0]! + 1e-4 / Math.sqrt(0.0476)) < 1e-15);
 * ```
 */
export function rmspropUpdate(
  params: Float64Array,
  n: Float64Array,
  gbar: Float64Array,
  delta: Float64Array,
  grad: Float64Array,
  options: RmsPropOptions,
): void {
  const { learningRate: lr, rho, momentum, epsilon } = options;
  for (let i = 0; i < params.length; i++) {
    const g = grad[i]!;
    const ni = rho * n[i]! + (1 - rho) * g * g;
    const gi = rho * gbar[i]! + (1 - rho) * g;
    // n − ḡ² ≥ 0 in exact arithmetic (Jensen); ε also covers rounding below zero.
    const di = momentum * delta[i]! - lr * g / Math.sqrt(ni - gi * gi + epsilon);
    n[i] = ni;
    gbar[i] = gi;
    delta[i] = di;
    params[i] = params[i]! + di;
  }
}
