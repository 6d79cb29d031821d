/**
 * Reading checkpoints back: {@linkcode loadCheckpoint} finds the newest complete set of a checkpoint's
 * files and has `parseCheckpoint` (checkpoint_parse.ts) check every file against `config.json` (metadata,
 * tensors, digests) and return the parameters and optimiser state; {@linkcode hasCheckpoint} tells whether a directory holds one.
 *
 * @module
 */

import { join } from "node:path";
import { CHECKPOINT_FILES, readBoundedFile, resolveCheckpointFiles } from "./checkpoint_files.ts";
import { parseCheckpoint } from "./checkpoint_parse.ts";
import { CheckpointError, type LoadedCheckpoint } from "./checkpoint_types.ts";

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
 * ```ts
 * import assert from "node:assert/strict";
 * const { params, progress, layout } = await loadCheckpoint(new URL("../../models/copy", import.meta.url).pathname);
 * assert.equal(params.length, layout.size);
 * assert.ok(progress.step > 0);
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
  return await parseCheckpoint({
    dir,
    config: found.config,
    configPath,
    path: (file) => join(dir, file),
    read: async (file, maxBytes) =>
      found.files ? found.files.get(file) ?? null : await readBoundedFile(join(dir, file), maxBytes).catch(
        (error) => {
          throw new CheckpointError((error as Error).message, { cause: error });
        },
      ),
  });
}

/**
 * Whether `dir` holds a checkpoint's `config.json` (a quick test before overwriting, not a validation).
 *
 * @param dir The directory.
 * @returns Whether `dir/config.json` exists.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(await hasCheckpoint(new URL("../../models/copy", import.meta.url).pathname), true);
 * assert.equal(await hasCheckpoint(await Deno.makeTempDir()), false);
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
