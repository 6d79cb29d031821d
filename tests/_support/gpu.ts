/**
 * Test helpers for GPU kernels: one shared device, uploads, poisoned outputs, readback, the gradient of an
 * engine's first training step, and an `atol + rtol·|ref|` comparison that prints the first mismatches.
 */

import { quietMesa } from "../../src/cli/quiet_mesa.ts";
import { type GpuContext, requestGpuContext } from "../../src/gpu/device.ts";
import type { NtmGpuEngine } from "../../src/gpu/engine.ts";
import { readEngineBuffer } from "../../src/gpu/engine_buffers.ts";
import {
  bindKernel,
  createStepUniform,
  dispatch,
  KernelCache,
  type KernelSpec,
} from "../../src/gpu/kernel.ts";
import { ADAM_DEFAULTS } from "../../src/optim/adam.ts";
import type { OptimizerName } from "../../src/optim/optimizer.ts";
import { RMSPROP_DEFAULTS } from "../../src/optim/rmsprop.ts";
import { assertClose } from "./close.ts";

export { assertClose };

// Mesa's Vulkan driver would print a stray Wayland error line in a plain shell.
quietMesa();

let shared: Promise<{ context: GpuContext; cache: KernelCache }> | undefined;

/** The test suite's device and kernel cache, created on first use. */
export function testGpu(): Promise<{ context: GpuContext; cache: KernelCache }> {
  shared ??= requestGpuContext().then((context) => ({ context, cache: new KernelCache(context.device) }));
  return shared;
}

/** A storage buffer holding `data` as f32 (or u32 for a Uint32Array). */
export function upload(device: GPUDevice, data: ArrayLike<number> | Uint32Array, label: string): GPUBuffer {
  const array = data instanceof Uint32Array
    ? new Uint32Array(data)
    : Float32Array.from(data as ArrayLike<number>);
  const buffer = device.createBuffer({
    label,
    size: Math.max(16, Math.ceil(array.byteLength / 16) * 16),
    usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, array);
  return buffer;
}

/** A storage buffer of `length` f32 values, all NaN, so an element the kernel fails to write is caught. */
export function poisoned(device: GPUDevice, length: number, label: string): GPUBuffer {
  return upload(device, new Float32Array(length).fill(NaN), label);
}

/** Reads `length` f32 values back from a buffer. */
export async function readBack(device: GPUDevice, buffer: GPUBuffer, length: number): Promise<Float32Array> {
  return new Float32Array(await readEngineBuffer(device, buffer, length));
}

/**
 * The gradient (after clipping) that an engine's first optimiser step applied, read from the state that
 * step left: from a zero state, one step sets the first moment to (1 − β)·g, Adam's m with β = β1 and
 * RMSProp's ḡ with β = ρ (default hyper-parameters).
 */
export async function firstStepGradient(
  engine: NtmGpuEngine,
  optimizer: OptimizerName,
): Promise<Float64Array> {
  const { slots } = await engine.readOptimizerState();
  const [moment, decay] = optimizer === "adam"
    ? [slots.m!, ADAM_DEFAULTS.beta1]
    : [slots.gbar!, RMSPROP_DEFAULTS.rho];
  return moment.map((value) => value / (1 - decay));
}

/**
 * Runs one kernel once at time step `t` (the step uniform has `steps` slots) and fails the test on a
 * validation error.
 */
export async function runKernel(
  spec: KernelSpec,
  buffers: GPUBuffer[],
  workgroups: [number, number?, number?],
  t = 0,
  steps = t + 1,
): Promise<void> {
  const { context, cache } = await testGpu();
  const device = context.device;
  device.pushErrorScope("validation");
  const kernel = cache.get(spec);
  const uniform = createStepUniform(device, steps);
  const group = bindKernel(device, kernel, buffers, uniform);
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  dispatch(pass, kernel, group, t, workgroups);
  pass.end();
  device.queue.submit([encoder.finish()]);
  const error = await device.popErrorScope();
  uniform.destroy();
  if (error) throw new Error(`Validation error in ${spec.label}.${spec.entryPoint}: ${error.message}`);
}
