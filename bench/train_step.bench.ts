/**
 * Whole training steps of the copy configuration (LSTM 100, memory 128 × 20, 1 read and 1 write head, Adam)
 * at B = 1 and B = 32 on length-20 episodes (T = 42), fused and unfused: each iteration records and submits
 * one step and waits for the queue (the wait alone is the `floor`).
 * Sequences per second at B is B / (time per step); `bench/throughput.ts` measures the training
 * distribution of lengths 1..20 instead.
 *
 * @module
 */

import { type GpuContext, requestGpuContext } from "../src/gpu/device.ts";
import { NtmGpuEngine } from "../src/gpu/engine.ts";
import { KernelCache } from "../src/gpu/kernel.ts";
import { type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { type ParameterLayout, parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { copyTask } from "../tasks/copy.ts";
import type { EpisodeBatch } from "../tasks/episode.ts";

/** The device, its kernel cache and the copy model, shared by a benchmark file. */
interface BenchSetup {
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
async function benchSetup(): Promise<BenchSetup> {
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
function copyBatch(batch: number, length = 20): EpisodeBatch {
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
async function warmEngine(setup: BenchSetup, batch: EpisodeBatch, fused: boolean): Promise<NtmGpuEngine> {
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
async function emptySubmit(device: GPUDevice): Promise<void> {
  device.queue.submit([device.createCommandEncoder({ label: "empty" }).finish()]);
  await device.queue.onSubmittedWorkDone();
}

// ——— the benchmarks ———

const setup = await benchSetup();
const device = setup.context.device;
const engines: NtmGpuEngine[] = [];

Deno.bench(
  { name: "floor (submit and wait, no work)", group: "floor", baseline: true, n: 10, warmup: 2 },
  () => emptySubmit(device),
);

for (const B of [1, 32]) {
  const batch = copyBatch(B);
  for (const fused of [true, false]) {
    const engine = await warmEngine(setup, batch, fused);
    engines.push(engine);
    Deno.bench({
      name: `train step, B = ${B}, ${fused ? "fused" : "unfused"}`,
      group: `train step B = ${B}`,
      baseline: fused,
      n: B === 1 ? 20 : 5,
      warmup: 1,
    }, async () => {
      engine.trainStep(batch);
      await device.queue.onSubmittedWorkDone();
    });
  }
}

globalThis.addEventListener("unload", () => {
  for (const engine of engines) engine.destroy();
});
