/**
 * Neural Turing Machines (Graves, Wayne & Danihelka 2014) trained through WebGPU compute kernels, with a
 * float64 reference of every op that the kernels are checked against.
 *
 * This module holds the model's configuration, its parameter layout and initialisation, the seeded random
 * generator, the optimisers, the training loop and the checkpoint building blocks. The float64 reference
 * ops are in `@ntm/ntm/reference`, the tasks in `@ntm/ntm/tasks`.
 *
 * @example Train a small copy model on the CPU for a few steps
 * ```ts
 * import assert from "node:assert/strict";
 * import { createBackend, presetNtmConfig, Rng, runBackendInit, runSeeds, trainLoop } from "@ntm/ntm";
 * import { copyTask } from "@ntm/ntm/tasks";
 *
 * const task = copyTask();
 * const config = presetNtmConfig(task, { controllerSize: 16, memoryN: 16, memoryM: 8 });
 * const { seed, evalSeed, memorySeed } = runSeeds(1);
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = await createBackend("cpu", runBackendInit({ config }, { seed, batch: 4, memorySeed, optimizer }));
 * const schedule = { task, range: { minLen: 1, maxLen: 3 }, batch: 4, steps: 5, reportEvery: 5, evalEpisodes: 8, evalSeed };
 * const { last } = await trainLoop(backend, schedule, new Rng(seed), 0);
 * assert.equal(last.step, 5);
 * assert.ok(Number.isFinite(last.costBits) && last.bitErrors >= 0);
 * ```
 *
 * @module
 */

export * from "./src/model/config.ts";
export * from "./src/model/layout.ts";
export * from "./src/model/init.ts";
export * from "./src/model/random.ts";
export * from "./src/optim/mod.ts";
export * from "./src/train/backend.ts";
export * from "./src/train/metrics.ts";
export * from "./src/train/loop.ts";
export * from "./src/train/cpu_backend.ts";
export * from "./src/train/create_backend.ts";
export * from "./src/train/evaluate.ts";
export * from "./src/train/run_setup.ts";
export type { ProgramExampleRow } from "./src/train/program_examples.ts";
export type { ProgramExample } from "./tasks/program.ts";
export * from "./src/gpu/device.ts";
export * from "./src/train/webgpu_backend.ts";
export * from "./src/train/wasm_backend.ts";
export type { WasmAssets } from "./src/wasm/kernels.ts";
export * from "./src/train/typed_programs.ts";
export * from "./src/io/checkpoint.ts";
export * from "./src/io/safetensors.ts";
export * from "./src/io/atomic_write.ts";
export * from "./src/model/episode.ts";
export type { LengthRange, PaperTaskName, Task, TaskName } from "./tasks/task.ts";
