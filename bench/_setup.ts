/**
 * What the benchmark files share: the device, the copy model, batches of one length and warmed-up engines.
 *
 * @module
 */

import { quietMesa } from "../src/cli/quiet_mesa.ts";
import { type GpuContext, requestGpuContext } from "../src/gpu/device.ts";
import { NtmGpuEngine } from "../src/gpu/engine.ts";
import { KernelCache } from "../src/gpu/kernel.ts";
import { type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { type ParameterLayout, parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { copyTask } from "../tasks/copy.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

// Mesa's Vulkan driver would print a stray Wayland error line in a plain shell.
quietMesa();

/** The device, its kernel cache and the copy model, shared by a benchmark file. */
export interface BenchSetup {
  /** The device. */
  readonly context: GpuContext;
  /** Its kernel cache. */
  readonly cache: KernelCache;
  /** The copy configuration. */
  readonly config: NtmConfig;
  /** Its layout. */
  readonly layout: ParameterLayout;
}

/**
 * Requests the device and builds the copy configuration.
 *
 * @returns The set-up.
 */
export async function benchSetup(): Promise<BenchSetup> {
  const context = await requestGpuContext();
  const task = copyTask();
  const config = ntmConfig({ inputSize: task.inputSize, outputSize: task.outputSize });
  return { context, cache: new KernelCache(context.device), config, layout: parameterLayout(config) };
}

/**
 * A batch of B copy episodes of one length (so T = 2·length + 2 for every one, and no pipeline is compiled
 * inside a timed region).
 *
 * @param batch B.
 * @param length The sequence length (20, the longest training length, gives T = 42).
 * @returns The batch.
 */
export function copyBatch(batch: number, length = 20): EpisodeBatch {
  return copyTask().generate(new Rng(7), batch, { minLen: length, maxLen: length });
}

/**
 * An engine with initial parameters and a fresh Adam state, having run one training step on `batch` (every
 * pipeline compiled, every buffer holding realistic values).
 *
 * @param setup The shared set-up.
 * @param batch The batch (its B sizes the engine).
 * @param fused The path.
 * @returns The engine.
 */
export async function warmEngine(
  setup: BenchSetup,
  batch: EpisodeBatch,
  fused: boolean,
): Promise<NtmGpuEngine> {
  const { context, cache, config, layout } = setup;
  const engine = new NtmGpuEngine(context, cache, config, layout, batch.batch, "adam", {}, { fused });
  engine.writeParameters(initParameters(config, layout, 1));
  engine.writeOptimizerState(createOptimizer("adam", layout.size).state);
  engine.trainStep(batch);
  await context.device.queue.onSubmittedWorkDone();
  return engine;
}

/**
 * Submits an empty command buffer and waits: the floor under every GPU benchmark here.
 *
 * @param device The device.
 */
export async function emptySubmit(device: GPUDevice): Promise<void> {
  device.queue.submit([device.createCommandEncoder({ label: "empty" }).finish()]);
  await device.queue.onSubmittedWorkDone();
}
