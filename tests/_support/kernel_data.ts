/**
 * Test helpers for the addressing and memory kernels: random inputs that are exactly representable in f32
 * (so the float64 reference sees what the GPU sees), random activated head parameters in their valid
 * ranges, slicing of time-major buffers, and running a {@linkcode KernelLaunch}.
 */

import type { KernelLaunch } from "../../src/gpu/kernel.ts";
import type { Rng } from "../../src/model/random.ts";
import { softmaxInto } from "../../src/reference/activations.ts";
import { assertClose, readBack, runKernel } from "./gpu.ts";

/** (length) uniform values in [lo, hi), each rounded to f32. */
export function randomF32(rng: Rng, length: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.fround(lo + (hi - lo) * rng.uniform());
  return out;
}

/** Rounds every value to f32, in place, and returns the array. */
export function toF32(a: Float64Array): Float64Array {
  for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]!);
  return a;
}

/** `rows` distributions over `n` values (positive, summing to 1), rounded to f32, concatenated. */
export function randomDistributions(rng: Rng, rows: number, n: number, spread = 2): Float64Array {
  const out = new Float64Array(rows * n);
  const logits = randomF32(rng, rows * n, -spread, spread);
  for (let r = 0; r < rows; r++) softmaxInto(out, logits, r * n, n);
  return toF32(out);
}

/** The `index`-th block of `size` values of a flat array (a view). */
export function block(a: Float64Array, index: number, size: number): Float64Array {
  return a.subarray(index * size, (index + 1) * size);
}

/** The activated head parameters of T steps, B episodes, H = R + W heads, in the kernels' layouts. */
export interface HeadFields {
  /** (T, B, H, M) keys in (−1, 1). */
  readonly k: Float64Array;
  /** (T, B, H) key strengths in [0.5, 6). */
  readonly beta: Float64Array;
  /** (T, B, H) gates in [0.05, 0.95). */
  readonly g: Float64Array;
  /** (T, B, H, S) shift distributions. */
  readonly s: Float64Array;
  /** (T, B, H) sharpening exponents in [1, 3). */
  readonly gamma: Float64Array;
  /** (T, B, W, M) erase vectors in [0.05, 0.95). */
  readonly e: Float64Array;
  /** (T, B, W, M) add vectors in (−1, 1). */
  readonly a: Float64Array;
}

/** Random activated head parameters (f32-exact) in the ranges their activations produce. */
export function randomHeadFields(
  rng: Rng,
  sizes: { T: number; B: number; R: number; W: number; M: number; S: number },
): HeadFields {
  const { T, B, R, W, M, S } = sizes, H = R + W;
  return {
    k: randomF32(rng, T * B * H * M),
    beta: randomF32(rng, T * B * H, 0.5, 6),
    g: randomF32(rng, T * B * H, 0.05, 0.95),
    s: randomDistributions(rng, T * B * H, S),
    gamma: randomF32(rng, T * B * H, 1, 3),
    e: randomF32(rng, T * B * W * M, 0.05, 0.95),
    a: randomF32(rng, T * B * W * M),
  };
}

/**
 * Runs one launch at step t of an episode of T steps (the step uniform gets T + 1 slots, enough for the
 * state buffers' slot t + 1).
 */
export function runLaunch(
  launch: KernelLaunch,
  buffers: GPUBuffer[],
  t: number,
  steps: number,
): Promise<void> {
  return runKernel(launch.spec, buffers, launch.workgroups, t, steps + 1);
}

/**
 * Reads a time-major buffer back and checks slot `slot` (of `slotSize` values) against `expected`, and
 * that every other slot still holds what it held before (`before`: NaN for a poisoned buffer).
 */
export async function expectSlot(
  device: GPUDevice,
  buffer: GPUBuffer,
  slots: number,
  slotSize: number,
  slot: number,
  expected: ArrayLike<number>,
  options: { atol: number; rtol: number; label: string; before?: ArrayLike<number> },
): Promise<void> {
  const all = await readBack(device, buffer, slots * slotSize);
  assertClose(all.subarray(slot * slotSize, (slot + 1) * slotSize), expected, options);
  for (let s = 0; s < slots; s++) {
    if (s === slot) continue;
    for (let i = s * slotSize; i < (s + 1) * slotSize; i++) {
      const was = options.before === undefined ? NaN : Math.fround(options.before[i]!);
      if (!Object.is(all[i], was)) {
        throw new Error(
          `${options.label}: slot ${s} was modified at [${i - s * slotSize}] (${all[i]}, was ${was})`,
        );
      }
    }
  }
}

/** Elementwise `a + b` as a new array. */
export function plus(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const out = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! + b[i]!;
  return out;
}

/** Tolerances of the parity tests for forward values. */
export const FORWARD = { atol: 1e-6, rtol: 1e-4 } as const;
/** Tolerances of the parity tests for gradients. */
export const GRADIENT = { atol: 1e-5, rtol: 1e-3 } as const;
