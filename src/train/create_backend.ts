/**
 * Chooses and creates a training backend by name.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { RngState } from "../model/random.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { createWebGpuBackend } from "../gpu/webgpu_backend.ts";
import type { BackendName, TrainingBackend } from "./backend.ts";
import { createCpuBackend } from "./cpu_backend.ts";

/** What `--backend` accepts: a backend, or `auto` (WebGPU where an adapter exists, else the CPU). */
export type BackendChoice = BackendName | "auto";

/** Every {@linkcode BackendChoice}. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "webgpu", "cpu"];

/** Everything a backend starts from. */
export interface BackendInit {
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

/**
 * Creates the backend a choice names.
 *
 * @param choice `cpu`, `webgpu` or `auto`.
 * @param init The model, parameters and optimiser.
 * @param notice Where to print a one-line notice (e.g. when `auto` falls back to the CPU).
 * @returns The backend.
 * @throws {WebGpuUnavailableError} when `webgpu` is asked for and no adapter is available.
 *
 * @example
 * ```ts ignore
 * const backend = await createBackend("auto", { config, layout, params, optimizer, memorySeed: 1, startStep: 0 });
 * ```
 */
export async function createBackend(
  choice: BackendChoice,
  init: BackendInit,
  notice: (line: string) => void = console.error,
): Promise<TrainingBackend> {
  const { config, layout, params, optimizer, memorySeed, startStep, memoryRngState } = init;
  if (choice !== "cpu") {
    try {
      return await createWebGpuBackend(init);
    } catch (error) {
      if (!(error instanceof WebGpuUnavailableError)) throw error;
      if (choice === "webgpu") {
        throw new WebGpuUnavailableError(`Cannot train on --backend webgpu: ${error.message}`);
      }
      notice(`notice: ${error.message}; training on the CPU (float64 reference) instead`);
    }
  }
  return createCpuBackend(config, layout, params, optimizer, memorySeed, startStep, memoryRngState);
}
