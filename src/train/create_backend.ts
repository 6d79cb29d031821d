/**
 * Chooses and creates a training backend by name, for an NTM or for the plain LSTM baseline (which runs on
 * the CPU only).
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { RngState } from "../model/random.ts";
import { createOptimizer, type Optimizer } from "../optim/optimizer.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { requestGpuContext, WebGpuUnavailableError } from "../gpu/device.ts";
import { createWebGpuBackend } from "./webgpu_backend.ts";
import { type BackendName, NonFiniteLossError, type TrainingBackend } from "./backend.ts";
import { timeTrainingSteps } from "./backend_probe.ts";
import { createCpuBackend } from "./cpu_backend.ts";
import { createLstmBackend } from "./lstm_backend.ts";

/** The models `--model` selects: an NTM, or a plain LSTM without memory (the baseline). */
export type ModelKind = "ntm" | "lstm";

/** Every {@linkcode ModelKind}. */
export const MODEL_KINDS: readonly ModelKind[] = Object.freeze(["ntm", "lstm"] as const);

/** What `--backend` accepts: a backend, or `auto` (WebGPU where an adapter exists, else the CPU). */
export type BackendChoice = BackendName | "auto";

/** Every {@linkcode BackendChoice}. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];

/** Everything an NTM's backend starts from. */
export interface BackendInit {
  /** The model: an NTM (the default when left out). */
  readonly kind?: "ntm";
  /** The configuration. */
  readonly config: NtmConfig;
  /** Its layout. */
  readonly layout: ParameterLayout;
  /** (P) the starting parameters (owned by the backend from then on). */
  readonly params: Float64Array;
  /** The optimiser, with its state (a fresh one, or restored from a checkpoint). */
  readonly optimizer: Optimizer;
  /** B: episodes per training step (the GPU engine is built for it). */
  readonly batch: number;
  /** Seeds the per-episode memories of `random` memory init. */
  readonly memorySeed: number;
  /** Steps already taken (after a resume). */
  readonly startStep: number;
  /** The memory stream's saved state (after a resume). */
  readonly memoryRngState?: RngState;
}

/** Everything the plain LSTM baseline's backend starts from. */
export interface LstmBackendChoiceInit {
  /** The model: the plain LSTM baseline. */
  readonly kind: "lstm";
  /** The baseline's shape. */
  readonly config: LstmConfig;
  /** Its layout. */
  readonly layout: ParameterLayout;
  /** (P) the starting parameters (owned by the backend from then on). */
  readonly params: Float64Array;
  /** The optimiser, with its state. */
  readonly optimizer: Optimizer;
  /** Seeds the (unused) memory stream whose state checkpoints record. */
  readonly memorySeed: number;
  /** Steps already taken (after a resume). */
  readonly startStep: number;
}

/** How `auto` may choose. */
export interface BackendOptions {
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
 * ```ts ignore
 * const backend = await createBackend("auto", { config, layout, params, optimizer, memorySeed: 1, startStep: 0 });
 * ```
 */
export async function createBackend(
  choice: BackendChoice,
  init: BackendInit | LstmBackendChoiceInit,
  notice: (line: string) => void = console.error,
  options: BackendOptions = {},
): Promise<TrainingBackend> {
  if (init.kind === "lstm") {
    checkBackendChoice("lstm", choice, "this model");
    if (choice === "auto") {
      notice("notice: the plain LSTM baseline runs on the CPU only (float64); using the CPU");
    }
    const { config, layout, params, optimizer, memorySeed, startStep } = init;
    return createLstmBackend({ config, layout, params, optimizer, memorySeed, startStep });
  }
  const { config, layout, params, optimizer, memorySeed, startStep, memoryRngState } = init;
  const cpu = () =>
    createCpuBackend(config, layout, params, optimizer, memorySeed, startStep, memoryRngState);
  if (choice === "cpu") return cpu();
  let context;
  try {
    context = await requestGpuContext();
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
    const throwaway = () => ({
      config,
      layout,
      batch: init.batch,
      memorySeed,
      startStep: 0,
      params: params.slice(),
      optimizer: createOptimizer(optimizer.name, layout.size, optimizer.options),
    });
    const gpuProbe = await createWebGpuBackend({ ...throwaway(), context });
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
    const t = throwaway();
    const cpuProbe = createCpuBackend(config, layout, t.params, t.optimizer, memorySeed, 0);
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
  return await createWebGpuBackend({ ...init, context });
}
