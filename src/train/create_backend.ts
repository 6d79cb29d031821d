/**
 * Chooses and creates a training backend by name, for an NTM or for the plain LSTM baseline (which runs on
 * the CPU only).
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { RngState } from "../model/random.ts";
import type { Optimizer } from "../optim/optimizer.ts";
import type { LstmConfig } from "../reference/lstm_model.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { createWebGpuBackend } from "../gpu/webgpu_backend.ts";
import type { BackendName, TrainingBackend } from "./backend.ts";
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

/**
 * Creates the backend a choice names. The plain LSTM baseline (`kind: "lstm"`) runs on the CPU only:
 * `auto` picks the CPU for it with a notice, and `webgpu` is an error.
 *
 * @param choice `cpu`, `webgpu` or `auto`.
 * @param init The model, parameters and optimiser.
 * @param notice Where to print a one-line notice (e.g. when `auto` falls back to the CPU).
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
): Promise<TrainingBackend> {
  if (init.kind === "lstm") {
    if (choice === "webgpu") {
      throw new RangeError(
        "Cannot run the plain LSTM baseline on --backend webgpu: it runs on the CPU only (float64); " +
          "use --backend cpu or auto",
      );
    }
    if (choice === "auto") {
      notice("notice: the plain LSTM baseline runs on the CPU only (float64); using the CPU");
    }
    const { config, layout, params, optimizer, memorySeed, startStep } = init;
    return createLstmBackend({ config, layout, params, optimizer, memorySeed, startStep });
  }
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
