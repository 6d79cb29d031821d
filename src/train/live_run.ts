/**
 * A live training run, as the web demo runs it in a visitor's browser: the model of a task preset,
 * initialised and trained exactly as `deno task train --backend B` would with the same preset, seed, steps,
 * report interval and held-out episodes (data stream `seed`, held-out batch `seed + 1`, memory stream
 * `seed + 2`), on WebGPU or on the WebAssembly SIMD engine. Between reports the page can read the parameters
 * back and draw an episode; the browser tests run the same run under Deno and compare the reports.
 *
 * @module
 */

import { MAX_BATCH, type Task } from "../../tasks/task.ts";
import type { TaskPreset } from "../../tasks/presets.ts";
import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import { MAX_SEED, Rng } from "../model/random.ts";
import { createOptimizer } from "../optim/optimizer.ts";
import type { TrainingBackend } from "./backend.ts";
import { type BackendChoice, type BackendOptions, createBackend } from "./create_backend.ts";
import { presetNtmConfig, runBackendInit, runSeeds } from "./run_setup.ts";
import { type TrainingHooks, type TrainingResult, trainLoop } from "./loop.ts";

/** What a live run trains: a task, a preset's model and recipe, and the run's length and seed. */
export interface LiveRunSpec {
  /** The task (its episodes, sizes and output kind). */
  readonly task: Task;
  /** The preset: model fields, optimiser, learning rate, batch and training lengths. */
  readonly preset: Pick<TaskPreset, "model" | "optimizer" | "learningRate" | "batch" | "range">;
  /** Steps to train. */
  readonly steps: number;
  /** Seeds the parameters and the training batches (held-out: `seed + 1`, memories: `seed + 2`). */
  readonly seed: number;
  /** Evaluate the held-out batch every this many steps. */
  readonly reportEvery: number;
  /** Episodes in the held-out batch. */
  readonly evalEpisodes: number;
}

/** Where a live run trains: a backend choice, as `--backend` takes it, and that backend's options. */
export interface LiveRunOptions extends Pick<BackendOptions, "context" | "threads" | "wasmAssets"> {
  /** `auto` (default: a hardware WebGPU adapter, else the WebAssembly engine), `webgpu`, `wasm` or `cpu`. */
  readonly backend?: BackendChoice;
  /** Where `auto` says which engine it took and why (default: dropped). */
  readonly notice?: (line: string) => void;
}

/** A live run, ready to train. */
export interface LiveRun {
  /** The model's configuration. */
  readonly config: NtmConfig;
  /** Its parameter layout. */
  readonly layout: ParameterLayout;
  /** The backend that trains it (its `device` names the adapter or the threads). */
  readonly backend: TrainingBackend;
  /** The held-out batch's seed. */
  readonly evalSeed: number;
  /** The memory stream's seed (what `random` memory init draws from). */
  readonly memorySeed: number;
  /**
   * Trains for the spec's steps, calling the hooks at each report; can be called once.
   *
   * @param hooks Report callbacks and the stop test.
   * @returns The last report and whether training stopped early.
   */
  train(hooks?: TrainingHooks): Promise<TrainingResult>;
}

/**
 * Builds a live run's model and its backend.
 *
 * @param spec The task, preset, steps, seed and reports.
 * @param options The backend (default `auto`), a WebGPU device to train on, the WebAssembly engine's threads
 *   and files.
 * @returns The run.
 * @throws {RangeError} when the steps, seed, report interval or held-out episodes are out of range.
 * @throws {WebGpuUnavailableError} when `webgpu` is asked for and there is no WebGPU adapter.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quickPreset, taskByName } from "../../tasks/presets.ts";
 * const preset = { ...quickPreset("copy"), model: { ...quickPreset("copy").model, memoryN: 16 } };
 * const run = await createLiveRun(
 *   { task: taskByName("copy"), preset, steps: 4, seed: 1, reportEvery: 2, evalEpisodes: 4 },
 *   { backend: "wasm" },
 * );
 * const steps: number[] = [];
 * await run.train({ onReport: (r) => void steps.push(r.step) });
 * run.backend.destroy();
 * assert.deepEqual(steps, [2, 4]);
 * ```
 */
export async function createLiveRun(spec: LiveRunSpec, options: LiveRunOptions = {}): Promise<LiveRun> {
  const { task, preset } = spec;
  const check = (name: string, value: number, min: number, max: number) => {
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new RangeError(
        `Cannot start the run: ${name} must be an integer in ${min}..${max}, got ${value}`,
      );
    }
  };
  check("steps", spec.steps, 1, 10_000_000);
  check("seed", spec.seed, 0, MAX_SEED - 2);
  check("reportEvery", spec.reportEvery, 1, 10_000_000);
  check("evalEpisodes", spec.evalEpisodes, 1, MAX_BATCH);
  const config = presetNtmConfig(task, preset.model);
  const { evalSeed, memorySeed } = runSeeds(spec.seed);
  const init = runBackendInit({ modelKind: "ntm", config }, {
    seed: spec.seed,
    batch: preset.batch,
    memorySeed,
    optimizer: {
      name: preset.optimizer,
      options: createOptimizer(preset.optimizer, 1, { learningRate: preset.learningRate }).options,
    },
  });
  const layout = init.layout;
  const { backend: choice = "auto", notice = () => {}, ...backendOptions } = options;
  const backend = await createBackend(choice, init, notice, backendOptions);
  let started = false;
  return {
    config,
    layout,
    backend,
    evalSeed,
    memorySeed,
    train(hooks: TrainingHooks = {}): Promise<TrainingResult> {
      if (started) return Promise.reject(new Error("Cannot train a live run twice: start a new one"));
      started = true;
      const schedule = {
        task,
        range: preset.range,
        batch: preset.batch,
        steps: spec.steps,
        reportEvery: spec.reportEvery,
        evalEpisodes: spec.evalEpisodes,
        evalSeed,
      };
      return trainLoop(backend, schedule, new Rng(spec.seed), 0, hooks);
    },
  };
}
