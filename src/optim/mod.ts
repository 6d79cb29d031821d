/**
 * Optimisers over one flat float64 parameter array: Adam (Collier & Beel: lr 1e-3, global-norm clip 50)
 * and Graves' centred RMSProp with momentum (the NTM paper: lr 1e-4, elementwise clip 10), plus the
 * gradient clipping they use.
 *
 * @example Train with the paper's optimiser
 * ```ts
 * import { createOptimizer } from "./mod.ts";
 * const params = new Float64Array([0.5, -0.5]);
 * const opt = createOptimizer("rmsprop", params.length, { learningRate: 1e-3 });
 * const grad = Float64Array.from(params, (p) => 2 * p);
 * if (!Number.isFinite(opt.step(params, grad))) throw new Error("non-finite gradient");
 * ```
 *
 * @module
 */

export * from "./adam.ts";
export * from "./clip.ts";
export * from "./optimizer.ts";
export * from "./rmsprop.ts";
export * from "./sgd.ts";
export * from "./lr_schedule.ts";
