/**
 * The buffers of the WebGPU engine: the table of every buffer of `shaders/README.md` with its length and a
 * shape note (the note ends up in the buffer's label, shown in validation errors), split into the buffers
 * that live as long as the engine and those with a time axis, which are reallocated when a longer batch
 * arrives; and the creation and readback of one buffer.
 *
 * @module
 */

import { headParamsWidth, type NtmConfig, shiftCount } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerName } from "../optim/optimizer.ts";
import { packedWeightsLength } from "./kernels_fused.ts";
import { CLIP_STATE_WORDS, OPTIMIZER_SLOTS } from "./kernels_optimizer.ts";
import { controllerInputStride } from "./kernels_rows.ts";

/** One buffer of the table: its name (binding names resolve to it), its f32 or u32 elements, its shape. */
export type BufferRow = readonly [name: string, elements: number, shape: string];

/** The buffers a training step adds into or carries between reverse steps: zeroed as each step starts. */
export const ZEROED_PER_STEP: readonly string[] = [
  "grad",
  "d_hidden",
  "d_cell",
  "d_reads",
  "d_w_a",
  "d_w_b",
  "d_memory_a",
  "d_memory_b",
];

/**
 * The buffers allocated once per engine: parameters, gradient, optimiser state, clip state, metrics, the
 * memory draw, and for the fused path the packed weights and the active steps.
 *
 * @param config The configuration.
 * @param layout Its layout (P).
 * @param batch B.
 * @param optimizer Which optimiser's slots.
 * @param fused Whether the fused path runs.
 * @returns The rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { persistentBuffers } from "./engine_buffers.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8 });
 * const rows = persistentBuffers(config, parameterLayout(config), 32, "adam", false);
 * assert(rows.some(([name]) => name === "m"));
 * ```
 */
export function persistentBuffers(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  optimizer: OptimizerName,
  fused: boolean,
): BufferRow[] {
  const P = layout.size;
  const rows: BufferRow[] = [
    ["params", P, "(P) flat parameters"],
    ["grad", P, "(P) flat gradient"],
    ["clip_state", CLIP_STATE_WORDS, "(4) norm, scale, finite, updates"],
    ["metrics", 2 * batch, "(B, 2) loss in nats, errors"],
    ["memory_draw", batch * config.memoryN * config.memoryM, "(B, N, M) Mem_0 for random memory init"],
  ];
  for (const slot of OPTIMIZER_SLOTS[optimizer]) rows.push([slot, P, `(P) optimiser state ${slot}`]);
  if (fused) {
    const vec4s = packedWeightsLength(config);
    rows.push(["packed", 4 * vec4s, "(packedWeightsLength, 4) padded controller and head weights"]);
    rows.push(["active_steps", batch, "(B) u32 steps that change the loss"]);
  }
  return rows;
}

/**
 * The buffers sized by the batch length T (a capacity of T steps), and the carried gradients and scratch of
 * the reverse loop that go with them.
 *
 * @param config The configuration.
 * @param batch B.
 * @param T The capacity in steps.
 * @returns The rows.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { stepBuffers } from "./engine_buffers.ts";
 * const rows = stepBuffers(ntmConfig({ inputSize: 9, outputSize: 8 }), 32, 42);
 * assert(rows.find(([name]) => name === "mask")![1] === 42 * 32);
 * ```
 */
export function stepBuffers(config: NtmConfig, batch: number, T: number): BufferRow[] {
  const c = config, B = batch;
  const { controllerSize: C, controllerLayers: L, memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = c;
  const X = c.inputSize, Y = c.outputSize, H = R + W, S = shiftCount(c), P = headParamsWidth(c);
  const gateRows = c.controllerType === "lstm" ? 4 * C : C, kMax = controllerInputStride(c);
  return [
    ["input", T * B * X, "(T, B, X) inputs"],
    ["target", T * B * Y, "(T, B, Y) targets"],
    ["mask", T * B, "(T, B) loss mask"],
    ["controller_in", T * L * B * kMax, "(T, L, B, K_max) controller layer inputs"],
    ["gates", T * L * B * gateRows, "(T, L, B, 4C) LSTM gates"],
    ["hidden", (T + 1) * L * B * C, "(T + 1, L, B, C) h"],
    ["cell", (T + 1) * L * B * C, "(T + 1, L, B, C) c"],
    ["raw_heads", T * B * P, "(T, B, P) raw head parameters"],
    ["k", T * B * H * M, "(T, B, H, M) keys"],
    ["beta", T * B * H, "(T, B, H) key strengths"],
    ["g", T * B * H, "(T, B, H) gates"],
    ["s", T * B * H * S, "(T, B, H, S) shifts"],
    ["gamma", T * B * H, "(T, B, H) sharpening"],
    ["e", T * B * W * M, "(T, B, W, M) erase vectors"],
    ["a", T * B * W * M, "(T, B, W, M) add vectors"],
    ["wc", T * B * H * N, "(T, B, H, N) content weightings"],
    ["wg", T * B * H * N, "(T, B, H, N) gated weightings"],
    ["w_tilde", T * B * H * N, "(T, B, H, N) shifted weightings"],
    ["w", (T + 1) * B * H * N, "(T + 1, B, H, N) weightings"],
    ["reads", (T + 1) * B * R * M, "(T + 1, B, R, M) read vectors"],
    ["memory", (T + 1) * B * N * M, "(T + 1, B, N, M) memories"],
    ["output_in", T * B * (C + R * M), "(T, B, C + R·M) output layer inputs"],
    ["logits", T * B * Y, "(T, B, Y) output logits"],
    ["y", T * B * Y, "(T, B, Y) output probabilities"],
    ["d_logits", T * B * Y, "(T, B, Y) loss gradient"],
    ["d_output_in", T * B * (C + R * M), "(T, B, C + R·M) output layer input gradient"],
    ["d_hidden", L * B * C, "(L, B, C) carried ∂h"],
    ["d_cell", L * B * C, "(L, B, C) carried ∂c"],
    ["d_reads", B * R * M, "(B, R, M) carried ∂r"],
    ["d_w_a", B * H * N, "(B, H, N) carried ∂w (even steps)"],
    ["d_w_b", B * H * N, "(B, H, N) carried ∂w (odd steps)"],
    ["d_memory_a", B * N * M, "(B, N, M) carried ∂Mem (even steps)"],
    ["d_memory_b", B * N * M, "(B, N, M) carried ∂Mem (odd steps)"],
    ["d_k", B * H * M, "(B, H, M) ∂k"],
    ["d_beta", B * H, "(B, H) ∂β"],
    ["d_g", B * H, "(B, H) ∂g"],
    ["d_s", B * H * S, "(B, H, S) ∂s"],
    ["d_gamma", B * H, "(B, H) ∂γ"],
    ["d_e", B * W * M, "(B, W, M) ∂e"],
    ["d_a", B * W * M, "(B, W, M) ∂a"],
    ["d_wc", B * H * N, "(B, H, N) ∂w^c"],
    ["d_wg", B * H * N, "(B, H, N) ∂w^g"],
    ["d_w_tilde", B * H * N, "(B, H, N) ∂w̃"],
    ["d_cosine", B * H * N * 2, "(B, H, N, 2) content-addressing scratch"],
    ["d_raw_heads", T * B * P, "(T, B, P) ∂raw head parameters"],
    ["d_preact", T * L * B * gateRows, "(T, L, B, 4C) ∂controller pre-activations"],
  ];
}

/**
 * Creates a storage buffer (copyable both ways) of at least `elements` 4-byte elements, padded to 16 bytes.
 *
 * @param device The device.
 * @param name The buffer's name.
 * @param elements Its elements.
 * @param shape Its shape note, appended to the name in the label.
 * @returns The buffer.
 *
 * @example
 * ```ts ignore
 * const params = createEngineBuffer(device, "params", layout.size, "(P) flat parameters");
 * ```
 */
export function createEngineBuffer(
  device: GPUDevice,
  name: string,
  elements: number,
  shape: string,
): GPUBuffer {
  return device.createBuffer({
    label: `${name} ${shape}`,
    size: Math.max(16, Math.ceil((elements * 4) / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
}

/**
 * Reads back the first `elements` 4-byte elements of a buffer, through a staging buffer.
 *
 * @param device The device.
 * @param buffer The buffer (with `COPY_SRC`).
 * @param elements How many elements.
 * @returns Their bytes.
 *
 * @example
 * ```ts ignore
 * const params = new Float32Array(await readEngineBuffer(device, paramsBuffer, layout.size));
 * ```
 */
export async function readEngineBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  elements: number,
): Promise<ArrayBuffer> {
  const size = Math.ceil((elements * 4) / 16) * 16;
  const staging = device.createBuffer({
    label: `${buffer.label} readback`,
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: "readback" });
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const data = staging.getMappedRange().slice(0, elements * 4);
  staging.unmap();
  staging.destroy();
  return data;
}
