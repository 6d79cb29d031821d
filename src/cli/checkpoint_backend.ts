/**
 * The backend that runs a loaded checkpoint for `eval` and `execute`: its parameters on the chosen backend,
 * with its optimiser state (a shipped model, which has none, gets a fresh one: these commands apply no
 * update), and the plain LSTM baseline refused on WebGPU with a usage error.
 *
 * @module
 */

import type { LoadedCheckpoint } from "../io/checkpoint.ts";
import { createOptimizer, restoreOptimizer } from "../optim/optimizer.ts";
import type { TrainingBackend } from "../train/backend.ts";
import { type BackendChoice, checkBackendChoice, createBackend } from "../train/create_backend.ts";
import { asUsage } from "./args.ts";

/**
 * Creates a backend holding a checkpoint's model.
 *
 * @param checkpoint The loaded checkpoint.
 * @param choice `auto`, `webgpu` or `cpu`.
 * @param notice Where the backend's notices go (which adapter, a fallback to the CPU).
 * @returns The backend (call `destroy()` when done).
 * @throws {UsageError} when `choice` is `webgpu` and the checkpoint holds the plain LSTM baseline.
 *
 * @example
 * ```ts ignore
 * const backend = await checkpointBackend(await loadCheckpoint("models/addition"), "auto", console.error);
 * ```
 */
export async function checkpointBackend(
  checkpoint: LoadedCheckpoint,
  choice: BackendChoice,
  notice: (line: string) => void,
): Promise<TrainingBackend> {
  const { layout, training, progress } = checkpoint;
  asUsage(() => checkBackendChoice(checkpoint.modelKind ?? "ntm", choice, checkpoint.dir));
  const common = {
    layout,
    params: checkpoint.params.slice(),
    optimizer: checkpoint.optimizer
      ? restoreOptimizer(checkpoint.optimizer, training.optimizer.options, layout.size)
      : createOptimizer(training.optimizer.name, layout.size, training.optimizer.options),
    batch: training.batch,
    memorySeed: training.memorySeed,
    startStep: progress.step,
  };
  return await createBackend(
    choice,
    checkpoint.modelKind === "lstm"
      ? { ...common, kind: "lstm", config: checkpoint.config }
      : { ...common, config: checkpoint.config },
    notice,
  );
}
