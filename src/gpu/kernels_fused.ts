/**
 * Typed constructors of the fused kernels, the engine's `fused` path: a whole time step of the controller
 * (`shaders/controller_step.wgsl`) and of the memory (`shaders/memory_step_forward.wgsl`, `memory_step_backward.wgsl`) per dispatch, forward and
 * backward, so that a time step costs 2 dispatches forward and 2 backward whatever L, R and W are; plus
 * the weight packing they read. (The fused path's weight gradients are `linear_weight_grad_tiled` of
 * `kernels_linear.ts`, which the unfused path uses as well.) Buffer shapes are those of
 * `shaders/README.md`, plus `packed` ({@linkcode packedWeightsLength} vec4s) and `active_steps` (B) u32:
 * per episode, 1 + its last step whose output counts in training (the step kernels skip later steps,
 * whose gradients are zero), T in evaluation.
 *
 * Forward, step t: {@linkcode controllerStepForwardKernel} (every layer and the head map) →
 * {@linkcode memoryStepForwardKernel} (head activations, addressing, read, write).
 * Backward, step t: {@linkcode memoryStepBackwardKernel} → {@linkcode controllerStepBackwardKernel}.
 * Once per training step, before the forward: {@linkcode packWeightsKernel}.
 *
 * @module
 */

import controllerStepCodeSource from "../../shaders/controller_step.wgsl" with { type: "text" };
import memoryStepForwardSource from "../../shaders/memory_step_forward.wgsl" with { type: "text" };
import memoryStepBackwardSource from "../../shaders/memory_step_backward.wgsl" with { type: "text" };
import { headParamsWidth, type NtmConfig } from "../model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../model/layout.ts";
import { type KernelLaunch, kernelModule, launch, positiveSizes } from "./kernel.ts";
import { type AddressingSizes, rawHeadsWidth } from "./kernels_addressing.ts";
import { controllerInputStride } from "./kernels_rows.ts";

const controllerStepShader = kernelModule(controllerStepCodeSource, "controller_step.wgsl");
const memoryStepForwardShader = kernelModule(memoryStepForwardSource, "memory_step_forward.wgsl");
const memoryStepBackwardShader = kernelModule(memoryStepBackwardSource, "memory_step_backward.wgsl");

/** Episodes per workgroup of the controller step kernels (the width of their register tile). */
export const CONTROLLER_STEP_EPISODES = 8;

/** Workgroup size of the controller step kernels. */
const CONTROLLER_WORKGROUP = 64;

/**
 * The sizes of the packed weight buffer that {@linkcode packWeightsKernel} writes, in vec4s.
 *
 * @param config The configuration.
 * @returns The number of vec4s.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { packedWeightsLength } from "./kernels_fused.ts";
 * assert(packedWeightsLength(ntmConfig({ inputSize: 9, outputSize: 8 })) === 400 * 33 + 92 * 25);
 * ```
 */
export function packedWeightsLength(config: NtmConfig): number {
  const c = controllerStepConstants(config);
  return 4 * c.RQ! * c.KQ0! + (config.controllerLayers - 1) * 4 * c.RQ! * c.KQ1! + 4 * c.PQ! * c.CQ!;
}

/**
 * Bytes of workgroup memory the controller step kernels declare (to check against the device's limit).
 *
 * @param config The configuration.
 * @returns Bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { controllerStepWorkgroupBytes } from "./kernels_fused.ts";
 * assert(controllerStepWorkgroupBytes(ntmConfig({ inputSize: 9, outputSize: 8 })) < 32768);
 * ```
 */
export function controllerStepWorkgroupBytes(config: NtmConfig): number {
  const c = controllerStepConstants(config);
  return 16 * CONTROLLER_STEP_EPISODES * (c.KQ_MAX! + Math.max(c.RQ!, c.PQ!));
}

/**
 * `pack_weights`: copies the controller's and the head map's weights into `packed`, zero-padded rows of
 * whole vec4s, once per training step (one invocation per vec4).
 *
 * Bindings: `pack_params` (bind `params`) → writes `packed` ({@linkcode packedWeightsLength} vec4s).
 *
 * @param config The configuration.
 * @param layout Its parameter layout.
 * @param batch B.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = packWeightsKernel(config, layout, 32);
 * ```
 */
export function packWeightsKernel(config: NtmConfig, layout: ParameterLayout, batch: number): KernelLaunch {
  return launch(controllerStepShader, {
    entryPoint: "pack_weights",
    inputs: ["pack_params"],
    outputs: ["packed"],
    constants: controllerStepSpecConstants(config, layout, batch),
  }, Math.ceil(packedWeightsLength(config) / CONTROLLER_WORKGROUP));
}

/**
 * `controller_step_forward`: at step t, every controller layer and the head map for 8 episodes per
 * workgroup.
 *
 * Bindings: `params`, `packed`, `input` (T, B, X), `reads` (T + 1, B, R·M), `active_steps` (B) u32 →
 * writes `controller_in`
 * (T, L, B, K_max) slot (t, ·), `gates` (T, L, B, 4C), `cell`, `hidden` (T + 1, L, B, C) slot t + 1,
 * `raw_heads` (T, B, P) slot t. A feed-forward controller leaves `gates` and `cell` alone.
 *
 * @param config The configuration.
 * @param layout Its parameter layout.
 * @param batch B.
 * @returns The spec and its dispatch size (ceil(B / 8) workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = controllerStepForwardKernel(config, layout, 32);
 * ```
 */
export function controllerStepForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): KernelLaunch {
  return launch(controllerStepShader, {
    entryPoint: "controller_step_forward",
    inputs: ["params", "packed", "input", "reads", "active_steps"],
    outputs: ["controller_in", "gates", "cell", "hidden", "raw_heads"],
    constants: controllerStepSpecConstants(config, layout, batch),
  }, Math.ceil(batch / CONTROLLER_STEP_EPISODES));
}

/**
 * `controller_step_backward`: at reverse step t (after the memory step's backward), the top layer's ∂h_t
 * from the output layer and the heads, then every layer's backward, for 8 episodes per workgroup.
 *
 * Bindings: `params`, `packed`, `saved_gates` (bind `gates`), `saved_cell` (bind `cell`), `saved_hidden`
 * (bind `hidden`), `d_raw_heads` (T, B, P) slot t, `d_output_in` (T, B, C + R·M) slot t,
 * `saved_active_steps` (bind `active_steps`) → writes
 * `d_preact` (T, L, B, 4C or C) slot (t, ·); reads and writes the carried `d_hidden`, `d_cell` (L, B, C);
 * writes `d_reads` (B, R·M) = ∂r_{t−1}.
 *
 * @param config The configuration.
 * @param layout Its parameter layout.
 * @param batch B.
 * @returns The spec and its dispatch size (ceil(B / 8) workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = controllerStepBackwardKernel(config, layout, 32);
 * ```
 */
export function controllerStepBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): KernelLaunch {
  return launch(controllerStepShader, {
    entryPoint: "controller_step_backward",
    inputs: [
      "params",
      "packed",
      "saved_gates",
      "saved_cell",
      "saved_hidden",
      "d_raw_heads",
      "d_output_in",
      "saved_active_steps",
    ],
    outputs: ["d_preact", "d_hidden", "d_cell", "d_reads"],
    constants: controllerStepSpecConstants(config, layout, batch),
  }, Math.ceil(batch / CONTROLLER_STEP_EPISODES));
}

/**
 * Whether the memory step kernels handle these sizes: N a multiple of 4 up to 1024, M a multiple of 4 up
 * to 32 (each invocation keeps 4 rows of memory in registers); the engine also checks the workgroup memory
 * ({@linkcode memoryStepWorkgroupBytes}).
 *
 * @param sizes The addressing sizes.
 * @returns Whether {@linkcode memoryStepForwardKernel} and {@linkcode memoryStepBackwardKernel} apply.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryStepFits } from "./kernels_fused.ts";
 * assert(memoryStepFits({ B: 32, N: 128, M: 20, R: 1, W: 1, S: 3 }));
 * assert(!memoryStepFits({ B: 32, N: 13, M: 7, R: 1, W: 1, S: 3 }));
 * ```
 */
export function memoryStepFits(sizes: AddressingSizes): boolean {
  const { N, M } = sizes;
  return N % 4 === 0 && N <= 1024 && M % 4 === 0 && M <= 32;
}

/**
 * Bytes of workgroup memory the memory step kernels declare (to check against the device's limit).
 *
 * @param sizes The addressing sizes.
 * @returns Bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryStepWorkgroupBytes } from "./kernels_fused.ts";
 * assert(memoryStepWorkgroupBytes({ B: 32, N: 128, M: 20, R: 1, W: 1, S: 3 }) < 32768);
 * ```
 */
export function memoryStepWorkgroupBytes(sizes: AddressingSizes): number {
  const { N, M, R, W } = sizes, H = R + W, P = rawHeadsWidth(sizes);
  const vec4s = (H + 2 * W + R) * (M / 4) + 6 * H * (N / 4) + Math.max(2 * W, H) * (M / 4) * (N / 4);
  return 4 * (2 * P + 4 * H) + 16 * vec4s;
}

/**
 * `memory_step_forward`: at step t, the head activations, the addressing of every head, the read and the
 * write of one episode per workgroup.
 *
 * Bindings: `raw_heads` (T, B, P) slot t, `active_steps` (B) u32 → writes `wc`, `wg`, `w_tilde` (T, B, H, N)
 * slot t; `w`
 * (T + 1, B, H, N) read at slot t, written at t + 1; `reads` (T + 1, B, R, M) slot t + 1; `memory`
 * (T + 1, B, N, M) read at slot t, written at t + 1.
 *
 * @param sizes The addressing sizes.
 * @param controllerSize C (unused by the forward; part of the shared constants).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryStepForwardKernel({ B: 32, N: 128, M: 20, R: 1, W: 1, S: 3 }, 100);
 * ```
 */
export function memoryStepForwardKernel(sizes: AddressingSizes, controllerSize: number): KernelLaunch {
  return launch(memoryStepForwardShader, {
    entryPoint: "memory_step_forward",
    inputs: ["raw_heads", "active_steps"],
    outputs: ["wc", "wg", "w_tilde", "w", "reads", "memory"],
    constants: memoryStepConstants(sizes, controllerSize),
  }, sizes.B);
}

/**
 * `memory_step_backward`: at reverse step t, the backward of the write, the read, every head's addressing
 * and the head activations of one episode per workgroup.
 *
 * Bindings: `saved_raw_heads` (bind `raw_heads`), `saved_wc`, `saved_wg`, `saved_w_tilde` (T, B, H, N),
 * `saved_w` (T + 1, B, H, N), `saved_memory` (T + 1, B, N, M), `d_output_in` (T, B, C + R·M), the carried
 * `d_reads` (B, R, M), `d_memory` (B, N, M), `d_w` (B, H, N), `saved_active_steps` (bind `active_steps`)
 * → writes `d_memory_prev` (B, N, M),
 * `d_w_prev` (B, H, N), `d_raw_heads` (T, B, P) slot t.
 *
 * @param sizes The addressing sizes.
 * @param controllerSize C (d_output_in rows are C + R·M wide).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryStepBackwardKernel(sizes, 100);
 * ```
 */
export function memoryStepBackwardKernel(sizes: AddressingSizes, controllerSize: number): KernelLaunch {
  return launch(memoryStepBackwardShader, {
    entryPoint: "memory_step_backward",
    inputs: [
      "saved_raw_heads",
      "saved_wc",
      "saved_wg",
      "saved_w_tilde",
      "saved_w",
      "saved_memory",
      "d_output_in",
      "d_reads",
      "d_memory",
      "d_w",
      "saved_active_steps",
    ],
    outputs: ["d_memory_prev", "d_w_prev", "d_raw_heads"],
    constants: memoryStepConstants(sizes, controllerSize),
  }, sizes.B);
}

// ——— private helpers ———

function memoryStepConstants(sizes: AddressingSizes, controllerSize: number): Record<string, number> {
  rawHeadsWidth(sizes); // validates the sizes
  if (!memoryStepFits(sizes)) {
    throw new RangeError(
      `Cannot build the memory step kernels: N must be a multiple of 4 up to 1024 and M a multiple of 4 up to 32, got N = ${sizes.N}, M = ${sizes.M}`,
    );
  }
  let workgroup = 8; // one invocation per 4 rows
  while (workgroup < sizes.N / 4) workgroup *= 2;
  return {
    B: sizes.B,
    N: sizes.N,
    M: sizes.M,
    R: sizes.R,
    W: sizes.W,
    S: sizes.S,
    C: controllerSize,
    WORKGROUP: workgroup,
  };
}

/** The derived sizes of `controller_step.wgsl` (in vec4s where named …Q). */
function controllerStepConstants(config: NtmConfig): Record<string, number> {
  const C = config.controllerSize, isLstm = config.controllerType === "lstm";
  const rows = isLstm ? 4 * C : C;
  const k0 = layerInputWidth(config, 0) + (isLstm ? C : 0);
  const k1 = C + (isLstm ? C : 0);
  const KQ0 = Math.ceil(k0 / 4), KQ1 = config.controllerLayers > 1 ? Math.ceil(k1 / 4) : 1;
  return {
    RQ: Math.ceil(rows / 4),
    KQ0,
    KQ1,
    KQ_MAX: Math.max(KQ0, KQ1),
    CQ: Math.ceil(C / 4),
    PQ: Math.ceil(headParamsWidth(config) / 4),
  };
}

function controllerStepSpecConstants(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): Record<string, number> {
  positiveSizes("fused", { B: batch });
  const L = config.controllerLayers;
  const derived = controllerStepConstants(config);
  const layer = (l: number) => ({
    weight: layout.get(`controller.${l}.weight`).offset,
    bias: layout.get(`controller.${l}.bias`).offset,
  });
  const first = layer(0), second = L > 1 ? layer(1) : first;
  const stride = L > 2 ? layer(2).weight - second.weight : 0;
  for (let l = 2; l < L; l++) {
    const at = layer(l);
    if (at.weight !== second.weight + (l - 1) * stride || at.bias !== second.bias + (l - 1) * stride) {
      throw new RangeError(
        `Cannot build the fused kernels: controller layers 1 … ${L - 1} are not evenly spaced in the layout`,
      );
    }
  }
  return {
    B: batch,
    C: config.controllerSize,
    L,
    X: config.inputSize,
    RM: config.readHeads * config.memoryM,
    P: headParamsWidth(config),
    IS_LSTM: config.controllerType === "lstm" ? 1 : 0,
    K_MAX: controllerInputStride(config),
    W0_OFFSET: first.weight,
    B0_OFFSET: first.bias,
    W1_OFFSET: second.weight,
    B1_OFFSET: second.bias,
    LAYER_STRIDE: stride,
    HW_OFFSET: layout.get("heads.weight").offset,
    HB_OFFSET: layout.get("heads.bias").offset,
    KQ0: derived.KQ0!,
    KQ1: derived.KQ1!,
    KQ_MAX: derived.KQ_MAX!,
    WIDE: batch > 1 ? 1 : 0,
    WORKGROUP: CONTROLLER_WORKGROUP,
  };
}
