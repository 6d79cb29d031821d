/**
 * Test helpers for the controller, linear, output-loss and optimiser kernels: f32-exact random inputs,
 * a comparison that also checks which elements a kernel left alone, and the float64 controller step in the
 * GPU buffer layouts of `shaders/README.md` (built from `src/reference/controller.ts`).
 */

import type { KernelLaunch } from "../../src/gpu/kernel.ts";
import type { NtmConfig } from "../../src/model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../../src/model/layout.ts";
import type { Rng } from "../../src/model/random.ts";
import {
  feedforwardBackward,
  feedforwardForward,
  linearBackward,
  linearForward,
  lstmBackward,
  lstmForward,
} from "../../src/reference/controller.ts";
import { assertClose, runKernel } from "./gpu.ts";

/** Tolerances of forward values. */
export const FORWARD_TOLERANCE = { atol: 1e-6, rtol: 1e-4 } as const;
/** Tolerances of gradients. */
export const GRADIENT_TOLERANCE = { atol: 1e-6, rtol: 1e-3 } as const;

/** (length) uniform values in [lo, hi), each exactly representable in f32. */
export function randomF32(rng: Rng, length: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = Math.fround(lo + (hi - lo) * rng.uniform());
  return out;
}

/** (length) NaNs: the expected content of a poisoned buffer's elements that no kernel may write. */
export function nans(length: number): Float64Array {
  return new Float64Array(length).fill(NaN);
}

/** A (B, T, width) array as (T, B, width). */
export function timeMajor(
  data: ArrayLike<number>,
  batch: number,
  steps: number,
  width: number,
): Float64Array {
  const out = new Float64Array(batch * steps * width);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < steps; t++) {
      for (let j = 0; j < width; j++) out[(t * batch + b) * width + j] = data[(b * steps + t) * width + j]!;
    }
  }
  return out;
}

/** Runs one launch at step t of T steps (the step uniform gets T + 1 slots). */
export function runLaunch(launch: KernelLaunch, buffers: GPUBuffer[], t = 0, steps = 1): Promise<void> {
  return runKernel(launch.spec, buffers, launch.workgroups, t, steps + 1);
}

/**
 * Compares a whole buffer: where `expected` is NaN the kernel must have left the poison alone (NaN);
 * everywhere else `|actual − expected| ≤ atol + rtol·|expected|`.
 */
export function assertBuffer(
  actual: Float32Array,
  expected: Float64Array,
  options: { atol: number; rtol: number; label: string },
): void {
  if (actual.length !== expected.length) {
    throw new Error(`${options.label}: expected ${expected.length} values, got ${actual.length}`);
  }
  const stray: string[] = [];
  const got: number[] = [], want: number[] = [];
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i]!)) {
      if (!Number.isNaN(actual[i]!)) stray.push(`[${i}] = ${actual[i]}`);
    } else {
      got.push(actual[i]!), want.push(expected[i]!);
    }
  }
  if (stray.length > 0) {
    throw new Error(
      `${options.label}: ${stray.length} elements outside the output were written:\n  ${
        stray.slice(0, 8).join("\n  ")
      }`,
    );
  }
  assertClose(got, want, options);
}

/** The sizes of the controller tests. */
export interface ControllerSizes {
  /** B. */
  readonly B: number;
  /** T. */
  readonly T: number;
  /** X. */
  readonly X: number;
  /** C. */
  readonly C: number;
  /** L. */
  readonly L: number;
  /** R·M. */
  readonly RM: number;
  /** K_max, the row width of controller_in. */
  readonly kMax: number;
}

/** The forward buffers of the controller, float64, in the GPU layouts. */
export interface ControllerTape {
  /** (T, B, X). */
  readonly input: Float64Array;
  /** (T + 1, B, R·M). */
  readonly reads: Float64Array;
  /** (T, L, B, K_max). */
  readonly controllerIn: Float64Array;
  /** (T, L, B, 4C) (LSTM only). */
  readonly gates: Float64Array;
  /** (T + 1, L, B, C) (LSTM only). */
  readonly cell: Float64Array;
  /** (T + 1, L, B, C). */
  readonly hidden: Float64Array;
}

/** The carried gradients of the reverse loop, float64, in the GPU layouts. */
export interface ControllerCarried {
  /** (L, B, C). */
  readonly dHidden: Float64Array;
  /** (L, B, C). */
  readonly dCell: Float64Array;
  /** (B, R·M). */
  readonly dReads: Float64Array;
}

/** K_l: layer l's input width, plus C for an LSTM. */
export function layerWidth(config: NtmConfig, layer: number): number {
  return layerInputWidth(config, layer) + (config.controllerType === "lstm" ? config.controllerSize : 0);
}

/**
 * The controller at step t, every layer, float64: reads `tape` slot t (and the layer below at slot t + 1),
 * writes `controllerIn` and `gates` slot t, `cell` and `hidden` slot t + 1.
 */
export function controllerForwardStep(
  config: NtmConfig,
  layout: ParameterLayout,
  sizes: ControllerSizes,
  params: Float64Array,
  tape: ControllerTape,
  t: number,
): void {
  const { B, X, C, L, RM, kMax } = sizes, isLstm = config.controllerType === "lstm";
  for (let l = 0; l < L; l++) {
    const inWidth = layerInputWidth(config, l), K = layerWidth(config, l);
    const wOff = layout.get(`controller.${l}.weight`).offset,
      bOff = layout.get(`controller.${l}.bias`).offset;
    for (let b = 0; b < B; b++) {
      const z = new Float64Array(K);
      if (l === 0) {
        z.set(tape.input.subarray((t * B + b) * X, (t * B + b + 1) * X));
        z.set(tape.reads.subarray((t * B + b) * RM, (t * B + b + 1) * RM), X);
      } else {
        const below = (((t + 1) * L + l - 1) * B + b) * C;
        z.set(tape.hidden.subarray(below, below + C));
      }
      const prev = ((t * L + l) * B + b) * C, next = (((t + 1) * L + l) * B + b) * C;
      if (isLstm) z.set(tape.hidden.subarray(prev, prev + C), inWidth);
      tape.controllerIn.set(z, ((t * L + l) * B + b) * kMax);
      const h = new Float64Array(C);
      if (isLstm) {
        const preact = new Float64Array(4 * C), gates = new Float64Array(4 * C), c = new Float64Array(C);
        linearForward(preact, params, params, z, 4 * C, K, wOff, bOff);
        lstmForward(h, c, gates, preact, tape.cell.subarray(prev, prev + C), C);
        tape.gates.set(gates, ((t * L + l) * B + b) * 4 * C);
        tape.cell.set(c, next);
      } else {
        const preact = new Float64Array(C);
        linearForward(preact, params, params, z, C, K, wOff, bOff);
        feedforwardForward(h, preact, C);
      }
      tape.hidden.set(h, next);
    }
  }
}

/**
 * The controller's reverse step t, layers L − 1 … 0, float64, following the carried-buffer protocol of
 * `shaders/lstm.wgsl`: updates `carried` in place, writes `dPreact` (T, L, B, 4C or C) slot t, and adds
 * the weight gradients into `grad`.
 */
export function controllerBackwardStep(
  config: NtmConfig,
  layout: ParameterLayout,
  sizes: ControllerSizes,
  params: Float64Array,
  tape: ControllerTape,
  carried: ControllerCarried,
  dPreact: Float64Array,
  grad: Float64Array,
  t: number,
): void {
  const { B, X, C, L, RM, kMax } = sizes, isLstm = config.controllerType === "lstm";
  const G = isLstm ? 4 * C : C;
  for (let l = L - 1; l >= 0; l--) {
    const inWidth = layerInputWidth(config, l), K = layerWidth(config, l);
    const wOff = layout.get(`controller.${l}.weight`).offset,
      bOff = layout.get(`controller.${l}.bias`).offset;
    for (let b = 0; b < B; b++) {
      const at = (l * B + b) * C;
      const dh = carried.dHidden.slice(at, at + C);
      const prev = ((t * L + l) * B + b) * C, next = (((t + 1) * L + l) * B + b) * C;
      const z = tape.controllerIn.subarray(((t * L + l) * B + b) * kMax, ((t * L + l) * B + b) * kMax + K);
      const dpre = new Float64Array(G), dz = new Float64Array(K);
      if (isLstm) {
        const dcPrev = new Float64Array(C);
        lstmBackward(
          dpre,
          dcPrev,
          dh,
          carried.dCell.subarray(at, at + C),
          tape.gates.subarray(((t * L + l) * B + b) * 4 * C, ((t * L + l) * B + b + 1) * 4 * C),
          tape.cell.subarray(next, next + C),
          tape.cell.subarray(prev, prev + C),
          C,
        );
        carried.dCell.set(dcPrev, at);
      } else {
        feedforwardBackward(dpre, dh, tape.hidden.subarray(next, next + C), C);
      }
      linearBackward(dz, grad, grad, dpre, params, z, G, K, wOff, bOff);
      dPreact.set(dpre, ((t * L + l) * B + b) * G);
      carried.dHidden.set(isLstm ? dz.subarray(inWidth) : new Float64Array(C), at);
      if (l > 0) {
        const below = ((l - 1) * B + b) * C;
        for (let u = 0; u < C; u++) carried.dHidden[below + u]! += dz[u]!;
      } else {
        carried.dReads.set(dz.subarray(X, X + RM), b * RM);
      }
    }
  }
}
