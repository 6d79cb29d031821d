/**
 * Assembling a run from its options, shared by `deno task train`, the evaluation, the live run and the web
 * page: the seeds convention, a preset's NTM configuration for a task, the starting parameters and
 * optimiser (fresh, or from a checkpoint), and the {@linkcode BackendInit} they make.
 *
 * @module
 */

import type { Task } from "../../tasks/task.ts";
import type { CheckpointModel, LoadedCheckpoint, TrainingOptions } from "../io/checkpoint_types.ts";
import { checkpointLayout } from "../io/checkpoint_types.ts";
import { DEFAULT_NTM_CONFIG, type NtmConfig, ntmConfig } from "../model/config.ts";
import { DEFAULT_INIT, initParameters } from "../model/init.ts";
import type { RngState } from "../model/random.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import { createOptimizer, type OptimizerState, restoreOptimizer } from "../optim/optimizer.ts";
import { initLstmParameters } from "../reference/lstm_model.ts";
import type { BackendInit } from "./backend.ts";

/** The three random streams of a run, all from its one `seed`. */
export interface RunSeeds {
  /** Seeds the parameters and the training batches. */
  readonly seed: number;
  /** Seeds the held-out batch of every report. */
  readonly evalSeed: number;
  /** Seeds the per-episode memories of `random` memory init. */
  readonly memorySeed: number;
}

/**
 * A run's seeds: data and parameters `seed`, held-out batch `seed + 1`, memories `seed + 2`.
 *
 * @param seed The run's seed.
 * @returns The seeds.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * assert.deepEqual(runSeeds(7), { seed: 7, evalSeed: 8, memorySeed: 9 });
 * ```
 */
export function runSeeds(seed: number): RunSeeds {
  return { seed, evalSeed: seed + 1, memorySeed: seed + 2 };
}

/**
 * The NTM a preset builds for a task: the package defaults, the preset's model fields, and the task's
 * input and output sizes and output kind.
 *
 * @param task The task.
 * @param model The preset's model fields.
 * @returns The validated configuration.
 * @throws {RangeError} when a field is out of range.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * import { copyTask } from "../../tasks/copy.ts";
 * const config = presetNtmConfig(copyTask(), { memoryN: 16 });
 * assert.equal(config.memoryN, 16);
 * assert.equal(config.inputSize, copyTask().inputSize);
 * ```
 */
export function presetNtmConfig(task: Task, model: Partial<NtmConfig>): NtmConfig {
  return ntmConfig({
    ...DEFAULT_NTM_CONFIG,
    ...model,
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    outputKind: task.outputKind,
  });
}

/** The run's options a backend's start needs (the rest of {@linkcode TrainingOptions} may be left out). */
export type RunOptions =
  & Pick<TrainingOptions, "seed" | "batch" | "memorySeed" | "optimizer">
  & Partial<TrainingOptions>;

/** Where a run's parameters and optimiser come from when it does not start fresh. */
export interface RunStart {
  /** (P) the saved parameters (copied, not taken). */
  readonly params: Float64Array;
  /** The saved optimiser state, or `null` (a shipped model: a fresh optimiser). */
  readonly optimizer: OptimizerState | null;
  /** Steps taken and the memory stream's state. */
  readonly progress: { readonly step: number; readonly memoryRng?: RngState };
}

/**
 * What a run's backend starts from: the model of `model`, its parameters and optimiser either fresh (drawn
 * from `training.seed` with `training.init`) or from a checkpoint (`from`), and the run's batch and memory
 * stream.
 *
 * @param model The model's kind (absent: an NTM) and configuration.
 * @param training The run's options.
 * @param from A checkpoint to continue from (default: a fresh start).
 * @returns The backend's start.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const config = { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" as const };
 * const training = { seed: 1, batch: 4, memorySeed: 3, optimizer: { name: "adam" as const, options: {} } };
 * const init = runBackendInit({ modelKind: "lstm", config }, training);
 * assert.equal(init.kind, "lstm");
 * assert.equal(init.params.length, init.layout.size);
 * assert.equal(init.startStep, 0);
 * ```
 */
export function runBackendInit(
  model: { readonly modelKind?: "ntm"; readonly config: NtmConfig },
  training: RunOptions,
  from?: RunStart,
): BackendInit<"ntm">;
/**
 * What a run's backend starts from: the model of `model`, its parameters and optimiser either fresh (drawn
 * from `training.seed` with `training.init`) or from a checkpoint (`from`), and the run's batch and memory
 * stream.
 *
 * @param model The model's kind (absent: an NTM) and configuration.
 * @param training The run's options.
 * @param from A checkpoint to continue from (default: a fresh start).
 * @returns The backend's start.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const config = { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" as const };
 * const training = { seed: 1, batch: 4, memorySeed: 3, optimizer: { name: "adam" as const, options: {} } };
 * const init = runBackendInit({ modelKind: "lstm", config }, training);
 * assert.equal(init.kind, "lstm");
 * assert.equal(init.params.length, init.layout.size);
 * assert.equal(init.startStep, 0);
 * ```
 */
export function runBackendInit(
  model: { readonly modelKind: "lstm"; readonly config: LstmConfig },
  training: RunOptions,
  from?: RunStart,
): BackendInit<"lstm">;
/**
 * What a run's backend starts from: the model of `model`, its parameters and optimiser either fresh (drawn
 * from `training.seed` with `training.init`) or from a checkpoint (`from`), and the run's batch and memory
 * stream.
 *
 * @param model The model's kind (absent: an NTM) and configuration.
 * @param training The run's options.
 * @param from A checkpoint to continue from (default: a fresh start).
 * @returns The backend's start.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const config = { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" as const };
 * const training = { seed: 1, batch: 4, memorySeed: 3, optimizer: { name: "adam" as const, options: {} } };
 * const init = runBackendInit({ modelKind: "lstm", config }, training);
 * assert.equal(init.kind, "lstm");
 * assert.equal(init.params.length, init.layout.size);
 * assert.equal(init.startStep, 0);
 * ```
 */
export function runBackendInit(model: CheckpointModel, training: RunOptions, from?: RunStart): BackendInit;
export function runBackendInit(model: CheckpointModel, training: RunOptions, from?: RunStart): BackendInit {
  const layout = checkpointLayout(model);
  const { name, options } = training.optimizer;
  const optimizer = from?.optimizer
    ? restoreOptimizer(from.optimizer, options, layout.size)
    : createOptimizer(name, layout.size, options);
  const common = {
    layout,
    optimizer,
    batch: training.batch,
    memorySeed: training.memorySeed,
    startStep: from?.progress.step ?? 0,
    ...(from?.progress.memoryRng && { memoryRngState: from.progress.memoryRng }),
  };
  if (model.modelKind === "lstm") {
    const params = from?.params.slice() ?? initLstmParameters(model.config, layout, training.seed);
    return { ...common, kind: "lstm", config: model.config, params };
  }
  const params = from?.params.slice() ??
    initParameters(model.config, layout, training.seed, training.init ?? DEFAULT_INIT);
  return { ...common, kind: "ntm", config: model.config, params };
}

/**
 * What a loaded checkpoint's backend starts from: its model, parameters and optimiser state (a shipped
 * model, which has none, gets a fresh optimiser).
 *
 * @param checkpoint The checkpoint.
 * @returns The backend's start.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const copy = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * const init = checkpointBackendInit(copy);
 * assert.equal(init.startStep, copy.progress.step);
 * assert.deepEqual(init.params, copy.params);
 * ```
 */
export function checkpointBackendInit(checkpoint: LoadedCheckpoint): BackendInit {
  return runBackendInit(checkpoint, checkpoint.training, checkpoint);
}
