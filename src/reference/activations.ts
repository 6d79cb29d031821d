/**
 * Scalar activations shared by the reference ops, each with the derivative its backward needs.
 *
 * @module
 */

/**
 * The logistic sigmoid, `1 / (1 + e^−x)`, computed without overflow.
 *
 * @param x The input.
 * @returns σ(x) in (0, 1).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sigmoid } from "./activations.ts";
 * assert(sigmoid(0) === 0.5);
 * ```
 */
export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const z = Math.exp(x);
  return z / (1 + z);
}

/**
 * Softplus, `ln(1 + e^x)`, computed without overflow; its derivative is {@linkcode sigmoid}.
 *
 * @param x The input.
 * @returns softplus(x) > 0.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softplus } from "./activations.ts";
 * assert(Math.abs(softplus(0) - Math.LN2) < 1e-15);
 * ```
 */
export function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Softmax of `length` values starting at `offset`, max-subtracted, written into `out` at the same offset.
 *
 * @param out Output array.
 * @param x Input array.
 * @param offset First index.
 * @param length How many values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxInto } from "./activations.ts";
 * const p = new Float64Array(2);
 * softmaxInto(p, Float64Array.of(1, 1), 0, 2);
 * assert(p[0] === 0.5);
 * ```
 */
export function softmaxInto(out: Float64Array, x: Float64Array, offset: number, length: number): void {
  let max = -Infinity;
  for (let i = 0; i < length; i++) max = Math.max(max, x[offset + i]!);
  let sum = 0;
  for (let i = 0; i < length; i++) sum += out[offset + i] = Math.exp(x[offset + i]! - max);
  for (let i = 0; i < length; i++) out[offset + i]! /= sum;
}

/**
 * Adds the softmax backward `dx(i) += p(i)·(dp(i) − Σ_j p(j)·dp(j))` for `length` values at `offset`.
 *
 * @param dx Gradient of the softmax input (added to).
 * @param dp Gradient of the softmax output.
 * @param p The softmax output.
 * @param offset First index.
 * @param length How many values.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { softmaxBackwardInto } from "./activations.ts";
 * const dx = new Float64Array(2);
 * softmaxBackwardInto(dx, Float64Array.of(1, 1), Float64Array.of(0.5, 0.5), 0, 2);
 * assert(dx[0] === 0);
 * ```
 */
export function softmaxBackwardInto(
  dx: Float64Array,
  dp: Float64Array,
  p: Float64Array,
  offset: number,
  length: number,
): void {
  let dot = 0;
  for (let i = 0; i < length; i++) dot += p[offset + i]! * dp[offset + i]!;
  for (let i = 0; i < length; i++) dx[offset + i]! += p[offset + i]! * (dp[offset + i]! - dot);
}
