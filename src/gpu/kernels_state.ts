/**
 * Typed constructors of the initial-state kernels (`shaders/init_state.wgsl`): slot 0 of the state buffers
 * from the learned initial state, and the backward that sums slot 0's gradients over the batch.
 *
 * @module
 */

import initStateCodeSource from "../../shaders/init_state.wgsl" with { type: "text" };
import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import { type KernelLaunch, kernelModule, launch } from "./kernel.ts";

const initStateShader = kernelModule(initStateCodeSource, "init_state.wgsl");

const WORKGROUP = 64;

function initStateConstants(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): Record<string, number> {
  const isLstm = config.controllerType === "lstm";
  const learned = config.memoryInit === "learned";
  return {
    B: batch,
    L: config.controllerLayers,
    C: config.controllerSize,
    R: config.readHeads,
    H: config.readHeads + config.writeHeads,
    N: config.memoryN,
    M: config.memoryM,
    IS_LSTM: isLstm ? 1 : 0,
    MEMORY_MODE: config.memoryInit === "constant" ? 0 : learned ? 1 : 2,
    READ_OFFSET: layout.get("init.read").offset,
    WEIGHTING_OFFSET: layout.get("init.weighting").offset,
    HIDDEN_OFFSET: isLstm ? layout.get("init.hidden").offset : 0,
    CELL_OFFSET: isLstm ? layout.get("init.cell").offset : 0,
    MEMORY_OFFSET: learned ? layout.get("init.memory").offset : 0,
    WORKGROUP,
  };
}

/**
 * `init_state_forward`: writes slot 0 of `hidden`, `cell` (T + 1, L, B, C), `reads` (T + 1, B, R, M),
 * `w` (T + 1, B, H, N) and `memory` (T + 1, B, N, M) from `params` (and from `memory_draw` (B, N, M) for
 * `random` memory init).
 *
 * @param config The configuration.
 * @param layout Its layout (the offsets of the `init.*` tensors).
 * @param batch B.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = initStateForwardKernel(config, layout, 32);
 * ```
 */
export function initStateForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): KernelLaunch {
  const { controllerLayers: L, controllerSize: C, readHeads: R, writeHeads: W, memoryN: N, memoryM: M } =
    config;
  const invocations = L * batch * C + batch * R * M + batch * (R + W) + batch * N * M;
  return launch(initStateShader, {
    entryPoint: "init_state_forward",
    inputs: ["params", "memory_draw"],
    outputs: ["hidden", "cell", "reads", "w", "memory"],
    constants: initStateConstants(config, layout, batch),
  }, Math.ceil(invocations / WORKGROUP));
}

/**
 * `init_state_backward`: adds into `grad` the batch sums of the gradients of the initial state:
 * `d_hidden0`, `d_cell0` (L, B, C), `d_reads0` (B, R, M), `d_w0` (B, H, N) through the softmax of
 * `init.weighting` (reading w_0 from `saved_w` slot 0), and `d_memory0` (B, N, M) for learned memory.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param batch B.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = initStateBackwardKernel(config, layout, 32);
 * ```
 */
export function initStateBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
): KernelLaunch {
  const { controllerLayers: L, controllerSize: C, readHeads: R, writeHeads: W, memoryN: N, memoryM: M } =
    config;
  const invocations = L * C + R * M + (R + W) * N + N * M;
  return launch(initStateShader, {
    entryPoint: "init_state_backward",
    inputs: ["d_hidden0", "d_cell0", "d_reads0", "d_w0", "d_memory0", "saved_w"],
    outputs: ["grad"],
    constants: initStateConstants(config, layout, batch),
  }, Math.ceil(invocations / WORKGROUP));
}
