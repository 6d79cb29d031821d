/**
 * Typed constructors of the optimiser step's kernels: the gradient clipping (`shaders/clip.wgsl`) and the
 * Adam and RMSProp updates (`shaders/adam.wgsl`, `shaders/rmsprop.wgsl`), with {@linkcode optimizerKernels},
 * the three dispatches of one step, the semantics of `Optimizer.step` of `src/optim`.
 *
 * @module
 */

import clipCodeSource from "../../shaders/clip.wgsl" with { type: "text" };
import adamCodeSource from "../../shaders/adam.wgsl" with { type: "text" };
import rmspropCodeSource from "../../shaders/rmsprop.wgsl" with { type: "text" };
import sgdCodeSource from "../../shaders/sgd.wgsl" with { type: "text" };
import { ADAM_DEFAULTS, type AdamOptions } from "../optim/adam.ts";
import type { OptimizerName } from "../optim/optimizer.ts";
import { RMSPROP_DEFAULTS, type RmsPropOptions } from "../optim/rmsprop.ts";
import { SGD_DEFAULTS, type SgdOptions } from "../optim/sgd.ts";
import type { KernelEntry, KernelLaunch, KernelModule } from "./kernel.ts";
import { kernelModule, launch, positiveSizes } from "./kernel.ts";

const clipShader = kernelModule(clipCodeSource, "clip.wgsl");
const adamShader = kernelModule(adamCodeSource, "adam.wgsl");
const rmspropShader = kernelModule(rmspropCodeSource, "rmsprop.wgsl");
const sgdShader = kernelModule(sgdCodeSource, "sgd.wgsl");

/** The largest finite f32: the stand-in for an infinite clipping limit. */
const F32_MAX = 3.4028234663852886e38;

/** The slots of each optimiser's state, in the order its update kernel binds them (after `params`). */
export const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  adam: ["m", "v"],
  rmsprop: ["n", "gbar", "delta"],
  sgd: [],
};

/** Words of the `clip_state` buffer written by {@linkcode clipNormKernel}: norm, scale, finite, updates. */
export const CLIP_STATE_WORDS = 4;

/**
 * `clip_norm`: the gradient's L2 norm (one workgroup of 256), the clipping scale, whether the norm is
 * finite, and the update count, into `clip_state` (see `shaders/clip.wgsl`).
 *
 * Bindings: `grad_in` (bind `grad`) → reads and writes `clip_state` ({@linkcode CLIP_STATE_WORDS} words).
 *
 * @param size P, the parameter count.
 * @param maxNorm The global-norm limit (`Infinity`, the default, measures without clipping).
 * @returns The spec and its dispatch size (1 workgroup).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipNormKernel(layout.size, 50);
 * ```
 */
export function clipNormKernel(size: number, maxNorm: number = Infinity): KernelLaunch {
  positiveSizes("controller", { P: size });
  return launch(clipShader, {
    entryPoint: "clip_norm",
    inputs: ["grad_in"],
    outputs: ["clip_state"],
    constants: { P: size, MAX_NORM: limitConstant("maxNorm", maxNorm), WORKGROUP: 256 },
  }, 1);
}

/**
 * `clip_scale`: multiplies the gradient by the scale {@linkcode clipNormKernel} chose, if the norm was
 * finite (one invocation per parameter).
 *
 * Bindings: `clip_state_in` (bind `clip_state`) → `grad` (scaled in place).
 *
 * @param size P, the parameter count.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipScaleKernel(layout.size);
 * ```
 */
export function clipScaleKernel(size: number): KernelLaunch {
  positiveSizes("controller", { P: size });
  const bindings = { entryPoint: "clip_scale", inputs: ["clip_state_in"], outputs: ["grad"] };
  return perParameter(clipShader, bindings, size, {});
}

/**
 * `clip_elementwise`: clamps the gradient to [−limit, limit], if its norm was finite (one invocation per
 * parameter).
 *
 * Bindings: `clip_state_in` (bind `clip_state`) → `grad` (clamped in place).
 *
 * @param size P, the parameter count.
 * @param limit The largest magnitude of one element (`Infinity` for none).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipElementwiseKernel(layout.size, 10);
 * ```
 */
export function clipElementwiseKernel(size: number, limit: number): KernelLaunch {
  positiveSizes("controller", { P: size });
  const bindings = { entryPoint: "clip_elementwise", inputs: ["clip_state_in"], outputs: ["grad"] };
  return perParameter(clipShader, bindings, size, { LIMIT: limitConstant("limit", limit) });
}

/**
 * `adam_update`: one Adam step over the flat parameters, the step count read from `clip_state` (one
 * invocation per parameter). Changes nothing when the gradient's norm was not finite.
 *
 * Bindings: `grad`, `clip_state` → `params`, `m`, `v` (updated in place).
 *
 * @param size P, the parameter count.
 * @param options Hyper-parameters (defaults: `ADAM_DEFAULTS`; `clip` belongs to {@linkcode clipNormKernel}).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = adamUpdateKernel(layout.size, { learningRate: 1e-3 });
 * ```
 */
export function adamUpdateKernel(size: number, options: Partial<AdamOptions> = {}): KernelLaunch {
  const o = { ...ADAM_DEFAULTS, ...options };
  const hyper = { LEARNING_RATE: o.learningRate, BETA1: o.beta1, BETA2: o.beta2, EPSILON: o.epsilon };
  return updateLaunch("adam", adamShader, size, hyper);
}

/**
 * `rmsprop_update`: one step of Graves' centred RMSProp over the flat parameters (one invocation per
 * parameter). Changes nothing when the gradient's norm was not finite.
 *
 * Bindings: `grad`, `clip_state` → `params`, `n`, `gbar`, `delta` (updated in place).
 *
 * @param size P, the parameter count.
 * @param options Hyper-parameters (defaults: `RMSPROP_DEFAULTS`; `clip` belongs to
 *   {@linkcode clipElementwiseKernel}).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = rmspropUpdateKernel(layout.size);
 * ```
 */
export function rmspropUpdateKernel(size: number, options: Partial<RmsPropOptions> = {}): KernelLaunch {
  const o = { ...RMSPROP_DEFAULTS, ...options };
  const hyper = { LEARNING_RATE: o.learningRate, RHO: o.rho, MOMENTUM: o.momentum, EPSILON: o.epsilon };
  return updateLaunch("rmsprop", rmspropShader, size, hyper);
}

/**
 * `sgd_update`: one plain SGD step over the flat parameters (one invocation per parameter), after
 * {@linkcode clipNormKernel} and {@linkcode clipScaleKernel}; nothing changes when the norm was not finite.
 *
 * Bindings: `grad`, `clip_state` → `params`.
 *
 * @param size P, the parameter count.
 * @param options Hyper-parameters (defaults: `SGD_DEFAULTS`; `clip` belongs to {@linkcode clipNormKernel}).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = sgdUpdateKernel(layout.size, { learningRate: 0.1 });
 * ```
 */
export function sgdUpdateKernel(size: number, options: Partial<SgdOptions> = {}): KernelLaunch {
  const o = { ...SGD_DEFAULTS, ...options };
  return updateLaunch("sgd", sgdShader, size, { LEARNING_RATE: o.learningRate });
}

/**
 * The three dispatches of one optimiser step, in order: {@linkcode clipNormKernel}, then
 * {@linkcode clipScaleKernel} (Adam, SGD) or {@linkcode clipElementwiseKernel} (RMSProp), then the update. The
 * same semantics as `Optimizer.step` of `src/optim`, including a non-finite gradient changing nothing.
 *
 * @param name `adam` or `rmsprop`.
 * @param size P, the parameter count.
 * @param options Hyper-parameters, `clip` included (defaults: `ADAM_DEFAULTS`, `RMSPROP_DEFAULTS`).
 * @returns The launches, in dispatch order.
 *
 * @example
 * ```ts ignore
 * for (const { spec, workgroups } of optimizerKernels("adam", layout.size)) { ... }
 * ```
 */
export function optimizerKernels(
  name: OptimizerName,
  size: number,
  options: Partial<AdamOptions> | Partial<RmsPropOptions> | Partial<SgdOptions> = {},
): KernelLaunch[] {
  if (name === "adam") {
    const o: AdamOptions = { ...ADAM_DEFAULTS, ...options as Partial<AdamOptions> };
    return [clipNormKernel(size, o.clip), clipScaleKernel(size), adamUpdateKernel(size, o)];
  }
  if (name === "rmsprop") {
    const o: RmsPropOptions = { ...RMSPROP_DEFAULTS, ...options as Partial<RmsPropOptions> };
    return [clipNormKernel(size), clipElementwiseKernel(size, o.clip), rmspropUpdateKernel(size, o)];
  }
  if (name === "sgd") {
    const o: SgdOptions = { ...SGD_DEFAULTS, ...options as Partial<SgdOptions> };
    return [clipNormKernel(size, o.clip), clipScaleKernel(size), sgdUpdateKernel(size, o)];
  }
  throw new TypeError(`Cannot build the optimiser kernels: name must be adam, rmsprop or sgd, got ${name}`);
}

// ——— private helpers ———

function limitConstant(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`Cannot build the clip kernels: ${name} must be > 0, got ${value}`);
  return Math.min(value, F32_MAX);
}

/**
 * An optimiser's update, one invocation per parameter: the gradient and the clip state → the parameters and
 * the optimiser's slots.
 */
function updateLaunch(
  name: OptimizerName,
  module: KernelModule,
  size: number,
  hyper: Readonly<Record<string, number>>,
): KernelLaunch {
  positiveSizes("controller", { P: size });
  const bindings = {
    entryPoint: `${name}_update`,
    inputs: ["grad", "clip_state"],
    outputs: ["params", ...OPTIMIZER_SLOTS[name]],
  };
  return perParameter(module, bindings, size, hyper);
}

/** A dispatch of one invocation per parameter (workgroups of 256), with `P` and `WORKGROUP` constants. */
function perParameter(
  module: KernelModule,
  bindings: Omit<KernelEntry, "constants">,
  size: number,
  constants: Readonly<Record<string, number>>,
): KernelLaunch {
  const entry = { ...bindings, constants: { P: size, ...constants, WORKGROUP: 256 } };
  return launch(module, entry, Math.ceil(size / 256));
}
