/**
 * Gradient clipping over one flat float64 gradient: by global L2 norm (Collier & Beel's Adam setup, limit 50)
 * or elementwise (Graves' RMSProp, limit 10).
 *
 * Both functions return the L2 norm of the gradient before clipping. A gradient holding a NaN or an infinity
 * has a non-finite norm: then the gradient is left exactly as it was and the non-finite norm is returned, so
 * that the caller can see it and stop (or skip the update) instead of clipping garbage into finite-looking
 * numbers.
 *
 * @module
 */

/**
 * The L2 norm of a vector, without overflow: a vector of finite values whose squares overflow (|x| > 1e154)
 * still gets its finite norm. NaN anywhere gives NaN; otherwise an infinity anywhere gives Infinity.
 *
 * @param x The vector.
 * @returns `sqrt(Σ x_i²)`.
 *
 * @example The 3-4-5 triangle
 * ```ts
 * import assert from "node:assert/strict";
 * import { l2Norm } from "./clip.ts";
 * assert(l2Norm(new Float64Array([3, 4])) === 5);
 * ```
 */
export function l2Norm(x: Float64Array): number {
  let sumSq = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sumSq += v * v;
  }
  if (Number.isFinite(sumSq)) return Math.sqrt(sumSq);
  // NaN, an infinity, or finite values whose squares overflowed: rescale by the largest magnitude.
  let maxAbs = 0;
  for (let i = 0; i < x.length; i++) {
    const a = Math.abs(x[i]!);
    if (Number.isNaN(a)) return NaN;
    if (a > maxAbs) maxAbs = a;
  }
  if (maxAbs === Infinity) return Infinity;
  let scaled = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]! / maxAbs;
    scaled += v * v;
  }
  return maxAbs * Math.sqrt(scaled);
}

/**
 * Scales a gradient in place so that its L2 norm is at most `maxNorm` (up to rounding in the last bit): when
 * the norm exceeds `maxNorm`, every element is multiplied by `maxNorm / norm`; otherwise nothing changes.
 *
 * If the norm is not finite (the gradient holds a NaN or an infinity), the gradient is left untouched and the
 * non-finite norm is returned, so that the caller can detect it and stop.
 *
 * @param grad The gradient, modified in place.
 * @param maxNorm The largest allowed L2 norm, > 0 (`Infinity` measures the norm without clipping).
 * @returns The L2 norm of `grad` before clipping.
 *
 * @example Clip to norm 5
 * ```ts
 * import assert from "node:assert/strict";
 * import { clipGlobalNorm } from "./clip.ts";
 * const grad = new Float64Array([6, 8]); // norm 10
 * const norm = clipGlobalNorm(grad, 5);
 * assert(norm === 10 && grad[0] === 3 && grad[1] === 4);
 * ```
 */
export function clipGlobalNorm(grad: Float64Array, maxNorm: number): number {
  checkLimit("maxNorm", maxNorm);
  const norm = l2Norm(grad);
  if (!Number.isFinite(norm)) return norm;
  if (norm > maxNorm) {
    const scale = maxNorm / norm;
    for (let i = 0; i < grad.length; i++) grad[i] = grad[i]! * scale;
  }
  return norm;
}

/**
 * Clamps every element of a gradient in place to `[−limit, limit]`.
 *
 * If the gradient's norm is not finite (it holds a NaN or an infinity), the gradient is left untouched and the
 * non-finite norm is returned, so that the caller can detect it and stop: an infinity is never quietly turned
 * into `±limit`.
 *
 * @param grad The gradient, modified in place.
 * @param limit The largest allowed magnitude of one element, > 0.
 * @returns The L2 norm of `grad` before clipping.
 *
 * @example Clamp to [−10, 10]
 * ```ts
 * import assert from "node:assert/strict";
 * import { clipElementwise } from "./clip.ts";
 * const grad = new Float64Array([25, -3, -12]);
 * clipElementwise(grad, 10);
 * assert(grad[0] === 10 && grad[1] === -3 && grad[2] === -10);
 * ```
 */
export function clipElementwise(grad: Float64Array, limit: number): number {
  checkLimit("limit", limit);
  const norm = l2Norm(grad);
  if (!Number.isFinite(norm)) return norm;
  for (let i = 0; i < grad.length; i++) {
    const v = grad[i]!;
    if (v > limit) grad[i] = limit;
    else if (v < -limit) grad[i] = -limit;
  }
  return norm;
}

function checkLimit(field: string, value: number): void {
  if (typeof value !== "number") {
    throw new TypeError(`Cannot clip the gradient: ${field} must be a number, got ${typeof value}`);
  }
  if (!(value > 0)) {
    throw new RangeError(`Cannot clip the gradient: ${field} must be > 0, got ${value}`);
  }
}
