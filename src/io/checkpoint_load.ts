/**
 * Reading checkpoints back: {@linkcode loadCheckpoint} finds the newest complete set of a checkpoint's
 * files, checks every file against `config.json` (metadata, tensors, digests) and returns the parameters and
 * optimiser state; {@linkcode hasCheckpoint} tells whether a directory holds one.
 *
 * @module
 */

import { join } from "node:path";
import { type OptimizerName, type OptimizerState, restoreOptimizer } from "../optim/optimizer.ts";
import {
  checkDigest,
  CHECKPOINT_FILES,
  readBoundedFile,
  recordedDigests,
  resolveCheckpointFiles,
} from "./checkpoint_files.ts";
import { checkFileMetadata, firstNonFinite, parseConfigJson } from "./checkpoint_schema.ts";
import { CheckpointError, checkpointLayout, type LoadedCheckpoint } from "./checkpoint_types.ts";
import { decodeSafetensors } from "./safetensors.ts";

/**
 * Loads and validates a checkpoint directory written by {@linkcode saveCheckpoint} (or a shipped model
 * written by {@linkcode shipModel}).
 *
 * Finds the newest complete set of files (a save that crashed after its commit point is read, and rolled
 * forward where the directory is writable; see `checkpoint_files.ts`); reads each file only if it is a
 * regular file no larger than the configuration can need; checks that `config.json` is JSON of this format
 * and version with every field present and valid; that both safetensors files decode; that every tensor of
 * the configuration's layout is present with the right dtype (F64; F32 in a shipped model), the right shape
 * and finite values, and no other tensor is; that the optimiser's slots match its name and the parameter
 * count; that the files were saved at the same step; and that each file has the SHA-256 `config.json`
 * records for it.
 *
 * @param dir The checkpoint directory.
 * @returns The checkpoint, with its layout.
 * @throws {CheckpointError} naming the file and what is wrong; nothing is modified.
 *
 * @example
 * ```ts ignore
 * const { config, params, progress } = await loadCheckpoint("runs/copy-1");
 * console.log(`step ${progress.step}, ${params.length} parameters`);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new CheckpointError(`Cannot load the checkpoint in ${dir}: ${why}`, { cause: error });
  }
  if (!info.isDirectory) {
    throw new CheckpointError(
      `Cannot load the checkpoint in ${dir}: it is not a directory (a checkpoint is a directory holding ` +
        `${Object.values(CHECKPOINT_FILES).join(", ")})`,
    );
  }
  let found;
  try {
    found = await resolveCheckpointFiles(dir);
  } catch (error) {
    throw new CheckpointError((error as Error).message, { cause: error });
  }
  if (!found) {
    throw new CheckpointError(
      `Cannot load the checkpoint in ${dir}: ${
        join(dir, CHECKPOINT_FILES.config)
      } is missing (a checkpoint ` +
        `holds ${Object.values(CHECKPOINT_FILES).join(", ")})`,
    );
  }
  const { configPath } = found;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(found.config));
  } catch (error) {
    throw new CheckpointError(
      `Cannot read ${configPath}: it is not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  const header = parseConfigJson(parsed, configPath);
  const layout = checkpointLayout(header.model);
  const digests = recordedDigests(found.config);
  if ((parsed as { files?: unknown }).files !== undefined && digests === null) {
    throw new CheckpointError(
      `Cannot read ${configPath}: files must map model.safetensors and optimizer.safetensors to their ` +
        `{ sha256, bytes }`,
    );
  }
  /** A file of the set: the committed save's copy, or the final file bounded by what the model can need. */
  const read = async (file: string, slots: number): Promise<Uint8Array> => {
    const path = join(dir, file);
    const bytes = found.files ? found.files.get(file) ?? null : await readBoundedFile(
      path,
      MAX_HEADER_BYTES + slots * layout.size * 8,
    ).catch((error) => {
      throw new CheckpointError((error as Error).message, { cause: error });
    });
    if (!bytes) {
      throw new CheckpointError(
        `Cannot load the checkpoint in ${dir}: ${path} is missing (a checkpoint holds ${
          Object.values(CHECKPOINT_FILES).join(", ")
        })`,
      );
    }
    return bytes;
  };
  const verify = async (bytes: Uint8Array, file: string) => {
    try {
      await checkDigest(bytes, digests?.get(file), join(dir, file), configPath);
    } catch (error) {
      throw new CheckpointError((error as Error).message, { cause: error });
    }
  };

  // model.safetensors
  const modelPath = join(dir, CHECKPOINT_FILES.model);
  const modelBytes = await read(CHECKPOINT_FILES.model, 1);
  const model = decodeFile(modelBytes, modelPath);
  checkFileMetadata(model.metadata, modelPath, header.progress.step, configPath);
  const params = new Float64Array(layout.size);
  for (const entry of layout.entries) {
    const tensor = model.tensors.get(entry.name);
    if (!tensor) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" of shape ${
          JSON.stringify(entry.shape)
        } is missing ` +
          `(the model in ${configPath} needs it)`,
      );
    }
    const dtype = header.shipped ? "F32" : "F64";
    if (tensor.dtype !== dtype) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" must be ${dtype}${
          header.shipped ? " (config.json marks a shipped float32 model)" : ""
        }, got ${tensor.dtype}`,
      );
    }
    if (!sameShape(tensor.shape, entry.shape)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" has shape ${
          JSON.stringify(tensor.shape)
        }, but the ` +
          `model in ${configPath} needs ${
            JSON.stringify(entry.shape)
          } (is this checkpoint from another model?)`,
      );
    }
    const bad = firstNonFinite(tensor.data, 0, tensor.data.length);
    if (bad !== undefined) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" holds a non-finite value at ${bad}: ${
          tensor.data[bad]
        }`,
      );
    }
    params.set(tensor.data, entry.offset);
  }
  for (const name of model.tensors.keys()) {
    if (!layout.entries.some((e) => e.name === name)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: unexpected tensor "${name}", which the model in ${configPath} does not have`,
      );
    }
  }

  const common = {
    dir,
    layout,
    params,
    shipped: header.shipped,
    ...header.model,
    training: header.training,
    progress: header.progress,
    packageVersion: header.packageVersion,
    savedAt: header.savedAt,
  };
  await verify(modelBytes, CHECKPOINT_FILES.model);
  if (header.shipped) return { ...common, optimizer: null };

  // optimizer.safetensors
  const optimizerPath = join(dir, CHECKPOINT_FILES.optimizer);
  const optimizerBytes = await read(CHECKPOINT_FILES.optimizer, MAX_OPTIMIZER_SLOTS);
  const saved = decodeFile(optimizerBytes, optimizerPath);
  checkFileMetadata(saved.metadata, optimizerPath, header.progress.step, configPath);
  const name = saved.metadata.optimizer;
  if (name !== header.training.optimizer.name) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: it holds the state of optimiser ${
        JSON.stringify(name)
      }, but ${configPath} ` +
        `names ${JSON.stringify(header.training.optimizer.name)}`,
    );
  }
  const optimizerStep = Number(saved.metadata.optimizer_step);
  if (!Number.isSafeInteger(optimizerStep) || optimizerStep < 0) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: metadata optimizer_step must be an integer ≥ 0, got ${
        JSON.stringify(saved.metadata.optimizer_step)
      }`,
    );
  }
  const slots: Record<string, Float64Array> = {};
  for (const [slot, tensor] of saved.tensors) {
    if (tensor.dtype !== "F64" || !sameShape(tensor.shape, [layout.size])) {
      throw new CheckpointError(
        `Cannot read ${optimizerPath}: slot "${slot}" must be F64 of shape [${layout.size}] (the parameter ` +
          `count), got ${tensor.dtype} ${JSON.stringify(tensor.shape)}`,
      );
    }
    slots[slot] = tensor.data as Float64Array;
  }
  const optimizerState: OptimizerState = { name: name as OptimizerName, step: optimizerStep, slots };
  try {
    // Validates slot names, lengths and values exactly as a resume will use them.
    restoreOptimizer(optimizerState, header.training.optimizer.options, layout.size);
  } catch (error) {
    throw new CheckpointError(`Cannot read ${optimizerPath}: ${(error as Error).message}`, { cause: error });
  }

  await verify(optimizerBytes, CHECKPOINT_FILES.optimizer);
  return { ...common, optimizer: optimizerState };
}

/** The largest safetensors header a checkpoint file may have (names, shapes and metadata: a few KiB). */
const MAX_HEADER_BYTES = 1 << 20;

/** The most optimiser slots of P values any optimiser keeps (RMSProp: n, gbar, delta). */
const MAX_OPTIMIZER_SLOTS = 4;

/**
 * Whether `dir` holds a checkpoint's `config.json` (a quick test before overwriting, not a validation).
 *
 * @param dir The directory.
 * @returns Whether `dir/config.json` exists.
 *
 * @example
 * ```ts ignore
 * if (await hasCheckpoint("runs/copy-1")) console.log("resume with --resume runs/copy-1");
 * ```
 */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    await Deno.stat(join(dir, CHECKPOINT_FILES.config));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}

/** Decodes a safetensors file, its errors as {@linkcode CheckpointError}s. */
function decodeFile(bytes: Uint8Array, path: string): ReturnType<typeof decodeSafetensors> {
  try {
    return decodeSafetensors(bytes, path);
  } catch (error) {
    throw new CheckpointError((error as Error).message, { cause: error });
  }
}

/** Whether two shapes are the same. */
function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
