/**
 * Writing checkpoints: {@linkcode saveCheckpoint} writes what a run resumes from (`model.safetensors`,
 * `optimizer.safetensors` and `config.json`, float64), {@linkcode shipModel} a model for evaluation and
 * figures only (`model.safetensors` in float32 and `config.json`). Every value is checked to be finite
 * before anything is written, and the files are committed together by `checkpoint_files.ts`.
 *
 * @module
 */

import { join } from "node:path";
import type { ParameterLayout } from "../model/layout.ts";
import {
  CHECKPOINT_FILES,
  CheckpointFileError,
  commitCheckpointFiles,
  type CommitOptions,
  fileDigest,
} from "./checkpoint_files.ts";
import { firstNonFinite } from "./checkpoint_schema.ts";
import {
  type Checkpoint,
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  checkpointLayout,
  PACKAGE_NAME,
  PACKAGE_VERSION,
} from "./checkpoint_types.ts";
import { encodeSafetensors, type NamedSafetensorsTensor } from "./safetensors.ts";

/**
 * How {@linkcode saveCheckpoint} writes its files (the default is right outside tests): a hook after each
 * step of the commit (tests throw from it to stop a save where a crash would).
 */
export type SaveCheckpointOptions = CommitOptions;

/**
 * Saves a checkpoint into `dir` (created if needed): `model.safetensors`, `optimizer.safetensors` and
 * `config.json`, replacing any checkpoint already there.
 *
 * Nothing is written if a parameter or optimiser value is not finite. The three files are written in full
 * (atomically, fsynced) under temporary names first, then renamed over the old ones, so a failure while
 * writing leaves the previous checkpoint exactly as it was.
 *
 * @param dir The checkpoint directory.
 * @param checkpoint What to save.
 * @param options How to write the files (for tests).
 * @returns A promise that resolves once all three files are in place.
 * @throws {CheckpointError} when a value is not finite or the sizes do not match the configuration (nothing
 *   is written), or a write fails (the old checkpoint is left in place; the cause is attached).
 *
 * @example Save and reload
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer } from "../optim/optimizer.ts";
 * import { loadCheckpoint } from "./checkpoint_load.ts";
 * import type { Checkpoint } from "./checkpoint_types.ts";
 * const shipped = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * const { modelKind, config, training, progress, params, layout } = shipped;
 * const optimizer = createOptimizer(training.optimizer.name, layout.size, training.optimizer.options);
 * const dir = await Deno.makeTempDir();
 * const model = { modelKind, config } as Pick<Checkpoint, "modelKind" | "config">;
 * await saveCheckpoint(dir, { ...model, training, progress, params, optimizer: optimizer.state } as Checkpoint);
 * const loaded = await loadCheckpoint(dir);
 * assert.deepEqual(loaded.params, params);
 * assert.equal(loaded.shipped, false);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const where = `Cannot save the checkpoint in ${dir}`;
  const { progress, params, optimizer } = checkpoint;
  const layout = checkpointLayout(checkpoint);
  if (!(params instanceof Float64Array) || params.length !== layout.size) {
    throw new CheckpointError(
      `${where}: params must be a Float64Array of ${layout.size} values (the layout's size), got ${params?.length}`,
    );
  }
  for (const entry of layout.entries) {
    const bad = firstNonFinite(params, entry.offset, entry.size);
    if (bad !== undefined) {
      throw new CheckpointError(
        `${where}: parameter ${entry.name}[${bad - entry.offset}] is ${params[bad]}; ` +
          `the previous checkpoint is kept`,
      );
    }
  }
  const slotNames = Object.keys(optimizer.slots);
  for (const name of slotNames) {
    const slot = optimizer.slots[name]!;
    if (slot.length !== layout.size) {
      throw new CheckpointError(
        `${where}: optimiser slot ${name} has ${slot.length} values, expected ${layout.size}`,
      );
    }
    const bad = firstNonFinite(slot, 0, slot.length);
    if (bad !== undefined) {
      throw new CheckpointError(
        `${where}: optimiser slot ${name}[${bad}] is ${slot[bad]}; the previous checkpoint is kept`,
      );
    }
  }

  const common = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    step: String(progress.step),
  };
  const modelBytes = encodeModel(layout, params, "F64", common);
  const optimizerBytes = encodeSafetensors(
    slotNames.map((name): NamedSafetensorsTensor => ({
      name,
      dtype: "F64",
      shape: [layout.size],
      data: optimizer.slots[name]!,
    })),
    { ...common, optimizer: optimizer.name, optimizer_step: String(optimizer.step) },
  );

  const files = new Map([[CHECKPOINT_FILES.model, modelBytes], [CHECKPOINT_FILES.optimizer, optimizerBytes]]);
  const json = configJson(checkpoint, layout.size, { files: await digestsOf(files) });
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new CheckpointError(`${where}: cannot create the directory (${(error as Error).message})`, {
      cause: error,
    });
  }
  try {
    await commitCheckpointFiles(dir, files, json, options);
  } catch (error) {
    if (!(error instanceof CheckpointFileError)) throw error;
    throw new CheckpointError(`${where}: ${error.message}`, { cause: error });
  }
}

/** The digests `config.json` records, by file name. */
async function digestsOf(files: ReadonlyMap<string, Uint8Array>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, bytes] of files) out[name] = await fileDigest(bytes);
  return out;
}

/** `model.safetensors`: every tensor of the layout in `dtype`, with the format's metadata. */
function encodeModel(
  layout: ParameterLayout,
  params: Float64Array,
  dtype: "F32" | "F64",
  common: Record<string, string>,
): Uint8Array {
  return encodeSafetensors(
    layout.entries.map((e): NamedSafetensorsTensor => {
      const values = params.subarray(e.offset, e.offset + e.size);
      return dtype === "F64"
        ? { name: e.name, dtype, shape: e.shape, data: values }
        : { name: e.name, dtype, shape: e.shape, data: Float32Array.from(values) };
    }),
    { ...common, parameters: String(layout.size) },
  );
}

/** `config.json`'s text: the format, the model, the run's options and progress, and `extra` fields. */
function configJson(
  checkpoint: Pick<Checkpoint, "modelKind" | "config" | "training" | "progress">,
  parameters: number,
  extra: Record<string, unknown>,
): string {
  return JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_VERSION,
      package: PACKAGE_NAME,
      packageVersion: PACKAGE_VERSION,
      savedAt: new Date().toISOString(),
      modelKind: checkpoint.modelKind ?? "ntm",
      model: checkpoint.config,
      parameters,
      ...extra,
      training: checkpoint.training,
      progress: checkpoint.progress,
    },
    (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value),
    2,
  ) + "\n";
}

/**
 * Writes a shipped model into `dir` (created if needed): `config.json` (marked `"shipped": "F32"`) and
 * `model.safetensors` with every parameter rounded to float32, and no optimiser state: half the size of the
 * checkpoint's model file, an eighth of the whole checkpoint with RMSProp. {@linkcode loadCheckpoint} reads
 * it for evaluation and figures (as float64 values of the rounded weights) and `--resume` refuses it. The
 * files are committed like a checkpoint's.
 *
 * @param dir The directory to write, e.g. `models/copy`.
 * @param checkpoint The trained checkpoint (its optimiser state is not used).
 * @returns A promise that resolves once both files are in place.
 * @throws {CheckpointError} when a parameter is not finite in float32 or a write fails.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "./checkpoint_load.ts";
 * const dir = await Deno.makeTempDir();
 * await shipModel(dir, await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname));
 * assert.equal((await loadCheckpoint(dir)).shipped, true);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function shipModel(
  dir: string,
  checkpoint: Pick<Checkpoint, "modelKind" | "config" | "training" | "progress" | "params">,
): Promise<void> {
  const where = `Cannot write the shipped model in ${dir}`;
  const layout = checkpointLayout(checkpoint as Checkpoint);
  const { params, progress } = checkpoint;
  if (params.length !== layout.size) {
    throw new CheckpointError(`${where}: params has ${params.length} values, the layout ${layout.size}`);
  }
  const rounded = Float32Array.from(params);
  const bad = firstNonFinite(rounded, 0, rounded.length);
  if (bad !== undefined) {
    throw new CheckpointError(`${where}: parameter ${bad} is ${params[bad]}, which float32 cannot hold`);
  }
  const common = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    step: String(progress.step),
  };
  const model = encodeModel(layout, params, "F32", common);
  const files = new Map([[CHECKPOINT_FILES.model, model]]);
  const json = configJson(checkpoint as Checkpoint, layout.size, {
    shipped: "F32",
    files: await digestsOf(files),
  });
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.remove(join(dir, CHECKPOINT_FILES.optimizer)).catch(() => {});
    await commitCheckpointFiles(dir, files, json);
  } catch (error) {
    throw new CheckpointError(`${where}: ${(error as Error).message}`, { cause: error });
  }
}
