/**
 * Typed constructors of the {@linkcode KernelSpec}s of the controller (LSTM and feed-forward layers) and of
 * the gather of the output layer's input: one function per WGSL entry point, taking the sizes and offsets and
 * returning the spec (bindings in order, constants) with its dispatch size. Buffer shapes are those of
 * `shaders/README.md`, plus `d_output_in` (T, B, C + R·M); `controller_in` rows are `controllerInputStride`
 * (`kernels_rows.ts`) wide. The affine maps are in `kernels_linear.ts`, the loss in `kernels_loss.ts`, the
 * clipping and the optimisers in `kernels_optimizer.ts`.
 *
 * Forward, step t (after the engine has set slot 0 of `hidden`, `cell` and `reads`):
 * 1. for l = 0 … L − 1: {@linkcode lstmForwardKernel} (or {@linkcode feedforwardForwardKernel});
 * 2. the head map `heads.forward` of `ntmLinearKernels` → `raw_heads` slot t; then the heads,
 *    addressing, read and write (`kernels_addressing.ts`).
 *
 * After the time loop: {@linkcode outputGatherForwardKernel} → `output_in`; `output.forward` → `logits`;
 * `outputLossKernel` → `y`, `d_logits`, `metrics`; `output.backwardInput` → `d_output_in`.
 * Zero `d_hidden`, `d_cell` and `d_reads` (and the addressing's carried gradients).
 *
 * Backward, step t = T − 1 … 0:
 * 1. {@linkcode outputGatherBackwardKernel}: adds `d_output_in` slot t into `d_hidden[L − 1]` and `d_reads`;
 * 2. the memory and addressing backward (`kernels_addressing.ts`) → `d_raw_heads` slot t;
 * 3. `heads.backwardInput`: adds W_hᵀ·`d_raw_heads` slot t into `d_hidden[L − 1]`;
 * 4. for l = L − 1 … 0: {@linkcode lstmBackwardKernel} (or {@linkcode feedforwardBackwardKernel}): writes
 *    `d_preact` slot (t, l), turns `d_hidden[l]`, `d_cell[l]` into the gradients of step t − 1's state, adds
 *    into `d_hidden[l − 1]`, and at l = 0 writes the gradient of r_{t−1} into `d_reads`.
 *
 * After the reverse loop, the reductions into `grad` (all add; the engine zeroes `grad` once per training
 * step): `output.weightGrad`, `heads.weightGrad`,
 * `controllerWeightGrad[l]`, and the learned initial state `initRead` (from `d_reads`), `initHidden[l]`,
 * `initCell[l]` (from `d_hidden`, `d_cell`; LSTM only). Then `optimizerKernels`: clip and update.
 *
 * @module
 */

import controllerGatherCodeSource from "../../shaders/controller_gather.wgsl" with { type: "text" };
import lstmCodeSource from "../../shaders/lstm.wgsl" with { type: "text" };
import feedforwardCodeSource from "../../shaders/feedforward.wgsl" with { type: "text" };
import type { NtmConfig } from "../model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../model/layout.ts";
import type { KernelLaunch, KernelOptions } from "./kernel.ts";
import { kernelModule, launch, positiveSizes, workgroupSize } from "./kernel.ts";
import { controllerInputStride } from "./kernels_rows.ts";

const controllerGatherShader = kernelModule(controllerGatherCodeSource, "controller_gather.wgsl");
const lstmShader = kernelModule(lstmCodeSource, "lstm.wgsl");
const feedforwardShader = kernelModule(feedforwardCodeSource, "feedforward.wgsl");

/**
 * `lstm_forward`: layer l of the LSTM at step t, its input gathered in (one workgroup per episode).
 *
 * Bindings: `params`, `input` (T, B, X), `reads` (T + 1, B, R, M) slot t → writes `controller_in`
 * (T, L, B, K_max) slot (t, l), `gates` (T, L, B, 4C) slot (t, l), `cell` and `hidden` (T + 1, L, B, C)
 * slot t + 1 of layer l (reading slot t, and for l > 0 slot t + 1 of layer l − 1).
 *
 * @param config The configuration (an LSTM controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = lstmForwardKernel(config, layout, 32, 0);
 * dispatch(pass, cache.get(spec), group, t, workgroups);
 * ```
 */
export function lstmForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "lstm", options);
  return launch(lstmShader, {
    entryPoint: "lstm_forward",
    inputs: ["params", "input", "reads"],
    outputs: ["controller_in", "gates", "cell", "hidden"],
    constants,
  }, batch);
}

/**
 * `lstm_backward`: layer l of the LSTM at reverse step t (one workgroup per episode). See the top of
 * `shaders/lstm.wgsl` for what the carried buffers hold before and after.
 *
 * Bindings: `params`, `saved_gates` (bind `gates`), `saved_cell` (bind `cell`) → writes `d_preact`
 * (T, L, B, 4C) slot (t, l); reads and writes `d_hidden` (L, B, C) (writes layer l, adds into layer l − 1)
 * and `d_cell` (L, B, C) layer l; at l = 0 writes `d_reads_prev` (B, R, M) (bind the carried `d_reads`).
 *
 * @param config The configuration (an LSTM controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * for (let l = L - 1; l >= 0; l--) {
 *   const { spec, workgroups } = lstmBackwardKernel(config, layout, 32, l);
 *   dispatch(pass, cache.get(spec), groups[l], t, workgroups);
 * }
 * ```
 */
export function lstmBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "lstm", options);
  return launch(lstmShader, {
    entryPoint: "lstm_backward",
    inputs: ["params", "saved_gates", "saved_cell"],
    outputs: ["d_preact", "d_hidden", "d_cell", "d_reads_prev"],
    constants,
  }, batch);
}

/**
 * `feedforward_forward`: layer l of the feed-forward controller at step t, its input gathered in (one
 * workgroup per episode).
 *
 * Bindings: `params`, `input` (T, B, X), `reads` (T + 1, B, R, M) slot t → writes `controller_in`
 * (T, L, B, K_max) slot (t, l) and `hidden` (T + 1, L, B, C) slot t + 1 of layer l.
 *
 * @param config The configuration (a feed-forward controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = feedforwardForwardKernel(config, layout, 32, 0);
 * ```
 */
export function feedforwardForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "feedforward", options);
  return launch(feedforwardShader, {
    entryPoint: "feedforward_forward",
    inputs: ["params", "input", "reads"],
    outputs: ["controller_in", "hidden"],
    constants,
  }, batch);
}

/**
 * `feedforward_backward`: layer l of the feed-forward controller at reverse step t (one workgroup per
 * episode). See the top of `shaders/feedforward.wgsl` for what the carried buffers hold.
 *
 * Bindings: `params`, `saved_hidden` (bind `hidden`) → writes `d_preact` (T, L, B, C) slot (t, l); reads
 * `d_hidden` (L, B, C) layer l and zeroes it, adds into layer l − 1; at l = 0 writes `d_reads_prev`
 * (B, R, M) (bind the carried `d_reads`).
 *
 * @param config The configuration (a feed-forward controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = feedforwardBackwardKernel(config, layout, 32, 0);
 * ```
 */
export function feedforwardBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "feedforward", options);
  return launch(feedforwardShader, {
    entryPoint: "feedforward_backward",
    inputs: ["params", "saved_hidden"],
    outputs: ["d_preact", "d_hidden", "d_reads_prev"],
    constants,
  }, batch);
}

/**
 * `output_gather_forward`: `output_in` = [h_t of the top layer; r_t] for all T steps at once (one
 * invocation per element).
 *
 * Bindings: `hidden` (T + 1, L, B, C), `reads` (T + 1, B, R, M) → writes `output_in` (T, B, C + R·M).
 *
 * @param config The configuration.
 * @param batch B.
 * @param steps T.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputGatherForwardKernel(config, 32, 42);
 * ```
 */
export function outputGatherForwardKernel(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = gatherConstants(config, batch, steps, options);
  return launch(controllerGatherShader, {
    entryPoint: "output_gather_forward",
    inputs: ["hidden", "reads"],
    outputs: ["output_in"],
    constants,
  }, Math.ceil((steps * batch * (constants.C! + constants.RM!)) / constants.WORKGROUP!));
}

/**
 * `output_gather_backward`: at reverse step t, adds `d_output_in` slot t into the carried gradients of the
 * top layer's h_t and of r_t (one invocation per element of a step).
 *
 * Bindings: `d_output_in` (T, B, C + R·M) → adds into `d_hidden` (L, B, C) layer L − 1 and `d_reads`
 * (B, R, M).
 *
 * @param config The configuration.
 * @param batch B.
 * @param steps T.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputGatherBackwardKernel(config, 32, 42);
 * ```
 */
export function outputGatherBackwardKernel(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = gatherConstants(config, batch, steps, options);
  return launch(controllerGatherShader, {
    entryPoint: "output_gather_backward",
    inputs: ["d_output_in"],
    outputs: ["d_hidden", "d_reads"],
    constants,
  }, Math.ceil((batch * (constants.C! + constants.RM!)) / constants.WORKGROUP!));
}

// ——— private helpers ———

function controllerConstants(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  type: "lstm" | "feedforward",
  options: KernelOptions,
): Record<string, number> {
  if (config.controllerType !== type) {
    throw new TypeError(
      `Cannot build the ${type} kernels: the configuration has a ${config.controllerType} controller`,
    );
  }
  positiveSizes("controller", { B: batch });
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.controllerLayers) {
    throw new RangeError(
      `Cannot build the ${type} kernels: layer must be an integer in 0 … ${
        config.controllerLayers - 1
      }, got ${layer}`,
    );
  }
  return {
    B: batch,
    C: config.controllerSize,
    L: config.controllerLayers,
    LAYER: layer,
    X: config.inputSize,
    RM: config.readHeads * config.memoryM,
    IN: layerInputWidth(config, layer),
    K_MAX: controllerInputStride(config),
    W_OFFSET: layout.get(`controller.${layer}.weight`).offset,
    B_OFFSET: layout.get(`controller.${layer}.bias`).offset,
    WORKGROUP: workgroupSize("controller", options),
  };
}

function gatherConstants(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions,
): Record<string, number> {
  positiveSizes("controller", { B: batch, T: steps });
  return {
    B: batch,
    T: steps,
    C: config.controllerSize,
    L: config.controllerLayers,
    RM: config.readHeads * config.memoryM,
    WORKGROUP: workgroupSize("controller", options),
  };
}
