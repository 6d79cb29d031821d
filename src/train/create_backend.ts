/**
 * Chooses and creates a training backend by name, for an NTM or for the plain LSTM baseline (which runs on
 * the CPU only).
 *
 * @module
 */

import { createOptimizer } from "../optim/optimizer.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { type GpuContext, requestGpuContext, WebGpuUnavailableError } from "../gpu/device.ts";
import type { LoadedCheckpoint } from "../io/checkpoint_types.ts";
import { createWebGpuBackend } from "./webgpu_backend.ts";
import {
  type BackendInit,
  type BackendName,
  type ModelKind,
  NonFiniteLossError,
  type TrainingBackend,
} from "./backend.ts";
import { timeTrainingSteps } from "./backend_probe.ts";
import { createCpuBackend } from "./cpu_backend.ts";
import { createLstmBackend } from "./lstm_backend.ts";
import { checkpointBackendInit } from "./run_setup.ts";

/** What `--backend` accepts: a backend, or `auto` (WebGPU where an adapter exists, else the CPU). */
export type BackendChoice = BackendName | "auto";

/** Every {@linkcode BackendChoice}. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];

/** How `auto` may choose, and on which device. */
export interface BackendOptions {
  /** The WebGPU device to use (default: request one). */
  readonly context?: GpuContext;
  /**
   * A batch of the run's own episodes (B of them). When `auto` finds only a software WebGPU adapter, it
   * times training steps of this batch on throwaway copies of both backends and trains on the faster one
   * (see `backend_probe.ts`); without it, `auto` takes any adapter.
   */
  readonly probe?: EpisodeBatch;
}

/**
 * Refuses a backend that cannot run a kind of model: the plain LSTM baseline runs on the CPU only, so
 * `webgpu` with it is an error (the one wording every command uses).
 *
 * @param kind The model's kind.
 * @param choice The backend asked for.
 * @param subject What the user asked to run, for the message (`--model lstm`, a checkpoint's directory).
 * @throws {RangeError} for the LSTM baseline on `webgpu`.
 *
 * @example
 * ```ts
 * import { checkBackendChoice } from "./create_backend.ts";
 * checkBackendChoice("ntm", "webgpu", "--model ntm");
 * ```
 */
export function checkBackendChoice(kind: ModelKind, choice: BackendChoice, subject: string): void {
  if (kind === "lstm" && choice === "webgpu") {
    throw new RangeError(
      `--backend webgpu cannot run ${subject}: the plain LSTM baseline runs on the CPU only (float64); ` +
        "use --backend cpu or auto",
    );
  }
}

/**
 * Creates the backend a choice names. `auto` takes a hardware GPU whenever there is one; with only a
 * software adapter and a probe batch it measures both backends and takes the faster, saying which and why
 * in one notice; with no adapter it falls back to the CPU with a notice. The plain LSTM baseline
 * (`kind: "lstm"`) runs on the CPU only: `auto` picks the CPU for it with a notice, and `webgpu` is an error.
 *
 * @param choice `cpu`, `webgpu` or `auto`.
 * @param init The model, parameters and optimiser.
 * @param notice Where to print a one-line notice (e.g. when `auto` falls back to the CPU).
 * @param options The probe batch for `auto`.
 * @returns The backend.
 * @throws {WebGpuUnavailableError} when `webgpu` is asked for and no adapter is available.
 * @throws {RangeError} when `webgpu` is asked for the LSTM baseline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const config = presetNtmConfig(copyTask(), { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = await createBackend("cpu", runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * assert.equal(backend.name, "cpu");
 * backend.destroy();
 * ```
 */
export async function createBackend(
  choice: BackendChoice,
  init: BackendInit,
  notice: (line: string) => void = console.error,
  options: BackendOptions = {},
): Promise<TrainingBackend> {
  if (init.kind === "lstm") {
    checkBackendChoice("lstm", choice, "this model");
    if (choice === "auto") {
      notice("notice: the plain LSTM baseline runs on the CPU only (float64); using the CPU");
    }
    return createLstmBackend(init);
  }
  const { layout, params, optimizer } = init;
  const cpu = () => createCpuBackend(init);
  if (choice === "cpu") return cpu();
  let context = options.context;
  try {
    context ??= await requestGpuContext();
  } catch (error) {
    if (!(error instanceof WebGpuUnavailableError)) throw error;
    if (choice === "webgpu") {
      throw new WebGpuUnavailableError(`Cannot train on --backend webgpu: ${error.message}`);
    }
    notice(`notice: ${error.message}; training on the CPU (float64 reference) instead`);
    return cpu();
  }
  if (choice === "auto" && context.isSoftware && options.probe) {
    // Fresh copies from step 0 (a fresh optimiser's update count starts there too), also after a resume.
    const { memoryRngState: _resumedStream, ...fresh } = init;
    const throwaway = () => ({
      ...fresh,
      startStep: 0,
      params: params.slice(),
      optimizer: createOptimizer(optimizer.name, layout.size, optimizer.options),
    });
    const gpuProbe = await createWebGpuBackend(throwaway(), context);
    const gpu = await timeTrainingSteps(gpuProbe, options.probe)
      .catch((error: unknown) => {
        if (error instanceof NonFiniteLossError) return undefined;
        throw error;
      })
      .finally(() => gpuProbe.destroy());
    if (gpu === undefined) {
      // float32 overflowed where the float64 reference may not: the run can still train, on the CPU.
      notice(
        `notice: --backend auto: a float32 training step on the software adapter (${context.adapterName}) ` +
          `gave a gradient that is not finite; training on the CPU (float64 reference) instead`,
      );
      context.device.destroy();
      return cpu();
    }
    const cpuProbe = createCpuBackend(throwaway());
    const ref = await timeTrainingSteps(cpuProbe, options.probe).finally(() => cpuProbe.destroy());
    const onCpu = ref.msPerStep < gpu.msPerStep;
    const ms = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
    notice(
      `notice: --backend auto: the only WebGPU adapter is a software one (${context.adapterName}); a ` +
        `training step of this batch (B = ${options.probe.batch}) took ${ms(gpu.msPerStep)} ms on it and ` +
        `${ms(ref.msPerStep)} ms on the CPU reference, so training on the ` +
        (onCpu ? "CPU (float64 reference)" : "software adapter") +
        ` (--backend ${onCpu ? "webgpu" : "cpu"} forces the other)`,
    );
    if (onCpu) {
      context.device.destroy();
      return cpu();
    }
  }
  return await createWebGpuBackend(init, context);
}

/**
 * Creates a backend holding a checkpoint's model, for evaluation and answering programs: its parameters
 * and optimiser state (a shipped model gets a fresh optimiser; these uses apply no update).
 *
 * @param checkpoint The loaded checkpoint.
 * @param choice `auto`, `webgpu` or `cpu`.
 * @param notice Where the backend's notices go (which adapter, a fallback to the CPU).
 * @param options The WebGPU device to use.
 * @returns The backend (call `destroy()` when done).
 * @throws {RangeError} when `choice` is `webgpu` and the checkpoint holds the plain LSTM baseline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const addition = await loadCheckpoint(new URL("../../models/addition", import.meta.url).pathname);
 * const backend = await checkpointBackend(addition, "cpu");
 * assert.deepEqual(await backend.parameters(), addition.params);
 * backend.destroy();
 * ```
 */
export async function checkpointBackend(
  checkpoint: LoadedCheckpoint,
  choice: BackendChoice,
  notice: (line: string) => void = console.error,
  options: Pick<BackendOptions, "context"> = {},
): Promise<TrainingBackend> {
  checkBackendChoice(checkpoint.modelKind ?? "ntm", choice, checkpoint.dir);
  return await createBackend(choice, checkpointBackendInit(checkpoint), notice, options);
}
