/**
 * How a checkpoint's files reach the disk together: the commit protocol that makes a save all-or-nothing at
 * any instant of a crash, and the bounded reads that loading uses.
 *
 * A save writes every file in full under a staged name (`.<file>.next`, each atomically: temp file, fsync,
 * rename), `config.json` last; the staged `config.json` records the SHA-256 and size of every other file,
 * so once it exists the new set is complete: that is the commit point. Then the staged files are renamed over
 * the old ones, `config.json` last. A reader ({@linkcode resolveCheckpointFiles}) that finds a staged
 * `config.json` takes, for each file it lists, whichever of the staged and the final copy has the recorded
 * hash; so a crash before the commit point leaves the previous checkpoint, and a crash after it the new one,
 * and loading rolls a committed set forward where the directory is writable.
 *
 * @module
 */

import { join } from "node:path";
import { writeFileAtomic } from "./atomic_write.ts";
import {
  CHECKPOINT_FILES,
  CheckpointFileError,
  type FileDigest,
  MAX_CONFIG_BYTES,
  recordedDigests,
  sha256Hex,
} from "./checkpoint_digest.ts";

export {
  checkDigest,
  CHECKPOINT_FILES,
  CheckpointFileError,
  type FileDigest,
  fileDigest,
  MAX_CONFIG_BYTES,
  recordedDigests,
  sha256Hex,
} from "./checkpoint_digest.ts";

/** A step of the commit, named for the commit hook of {@linkcode commitCheckpointFiles}. */
export type CommitStep = `staged ${string}` | `renamed ${string}`;

/**
 * The staged name of a checkpoint file: written in full before it replaces the file.
 *
 * @param file The file's name.
 * @returns `.<file>.next`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stagedName } from "./checkpoint_files.ts";
 * assert(stagedName("config.json") === ".config.json.next");
 * ```
 */
export function stagedName(file: string): string {
  return `.${file}.next`;
}

/**
 * Reads a file after checking that it is a regular file (following a symbolic link) of at most `maxBytes`:
 * a FIFO, a device such as `/dev/zero`, a directory or an oversized file is refused before a byte is read.
 *
 * @param path The file.
 * @param maxBytes The largest size accepted.
 * @returns The bytes, or `null` when the file does not exist.
 * @throws {CheckpointFileError} naming the file, when it is not a regular file, is too large, or cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const config = new URL("../../models/copy/config.json", import.meta.url).pathname;
 * assert.ok((await readBoundedFile(config, MAX_CONFIG_BYTES))!.length > 0);
 * await assert.rejects(readBoundedFile(config, 10), /larger than|bytes/);
 * assert.equal(await readBoundedFile(`${config}.missing`, MAX_CONFIG_BYTES), null);
 * ```
 */
export async function readBoundedFile(path: string, maxBytes: number): Promise<Uint8Array | null> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return null;
    throw new CheckpointFileError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  if (!info.isFile) {
    const kind = info.isDirectory ? "a directory" : "not a regular file (a device, FIFO or socket)";
    throw new CheckpointFileError(
      `Cannot read ${path}: it is ${kind}; a checkpoint file must be a regular file`,
    );
  }
  if (info.size > maxBytes) {
    throw new CheckpointFileError(
      `Cannot read ${path}: it has ${info.size} bytes, more than the ${maxBytes} its checkpoint can need`,
    );
  }
  try {
    const bytes = await Deno.readFile(path);
    if (bytes.length > maxBytes) {
      throw new CheckpointFileError(`Cannot read ${path}: it grew past ${maxBytes} bytes while being read`);
    }
    return bytes;
  } catch (error) {
    if (error instanceof CheckpointFileError) throw error;
    throw new CheckpointFileError(`Cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

/** What {@linkcode resolveCheckpointFiles} found. */
export interface ResolvedFiles {
  /** The bytes of `config.json` of the newest complete set. */
  readonly config: Uint8Array;
  /** Where that `config.json` was read from (the staged copy when a committed save was not finished). */
  readonly configPath: string;
  /**
   * A committed save that had not finished renaming: each file its `config.json` lists, read from whichever
   * copy has the recorded digest. `null` when the final `config.json` is the newest: the caller reads the
   * other files (bounded by what the configuration needs) and checks them with {@linkcode checkDigest}.
   */
  readonly files: ReadonlyMap<string, Uint8Array> | null;
}

/**
 * Finds the newest complete set of a checkpoint's files. When a staged `config.json` exists (a save passed
 * its commit point), every file it lists is taken from the staged or the final copy, whichever matches the
 * recorded digest (so no file is read past its recorded size), and the set is rolled forward on disk where
 * the directory allows; a staged `config.json` whose files cannot all be found is ignored.
 *
 * @param dir The checkpoint directory.
 * @returns The set, or `null` when there is no `config.json` at all.
 * @throws {CheckpointFileError} when `config.json` is not a regular file, is too large, or cannot be read.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const found = await resolveCheckpointFiles(new URL("../../models/copy", import.meta.url).pathname);
 * assert.ok(found !== null && found.files === null); // a finished save: config.json is the newest
 * assert.equal(await resolveCheckpointFiles(await Deno.makeTempDir()), null);
 * ```
 */
export async function resolveCheckpointFiles(dir: string): Promise<ResolvedFiles | null> {
  const stagedConfigPath = join(dir, stagedName(CHECKPOINT_FILES.config));
  const staged = await readBoundedFile(stagedConfigPath, MAX_CONFIG_BYTES).catch(() => null);
  const digests = staged ? recordedDigests(staged) : null;
  if (staged && digests) {
    const files = new Map<string, Uint8Array>();
    for (const [name, digest] of digests) {
      const bytes = await matchingCopy(dir, name, digest);
      if (!bytes) break;
      files.set(name, bytes);
    }
    if (files.size === digests.size) {
      await rollForward(dir, [...digests.keys()]).catch(() => {/* read-only: the staged copies serve */});
      return { config: staged, configPath: stagedConfigPath, files };
    }
  }
  const configPath = join(dir, CHECKPOINT_FILES.config);
  const config = await readBoundedFile(configPath, MAX_CONFIG_BYTES);
  return config ? { config, configPath, files: null } : null;
}

/** The staged or the final copy of `name` whose bytes match `digest`, or `null`. */
async function matchingCopy(dir: string, name: string, digest: FileDigest): Promise<Uint8Array | null> {
  for (const path of [join(dir, stagedName(name)), join(dir, name)]) {
    const bytes = await readBoundedFile(path, digest.bytes).catch(() => null);
    if (bytes && bytes.length === digest.bytes && (await sha256Hex(bytes)) === digest.sha256) return bytes;
  }
  return null;
}

/** Renames every staged file of a committed set over its final name, `config.json` last. */
async function rollForward(dir: string, names: readonly string[]): Promise<void> {
  for (const name of [...names, CHECKPOINT_FILES.config]) {
    try {
      await Deno.rename(join(dir, stagedName(name)), join(dir, name));
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error; // already renamed
    }
  }
}

/**
 * Completes a committed save that a crash interrupted, then removes what interrupted saves left behind:
 * staged files of an uncommitted set and atomic writes' temporary files (`.<file>.tmp-<hex>`).
 *
 * @param dir The checkpoint directory.
 * @returns A promise that resolves when the directory holds at most one complete set and no leftovers.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/${stagedName("config.json")}`, "{"); // left by a crash mid-save
 * await tidyCheckpointDir(dir);
 * assert.deepEqual([...Deno.readDirSync(dir)], []);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function tidyCheckpointDir(dir: string): Promise<void> {
  const stagedConfig = join(dir, stagedName(CHECKPOINT_FILES.config));
  const staged = await readBoundedFile(stagedConfig, MAX_CONFIG_BYTES).catch(() => null);
  const digests = staged ? recordedDigests(staged) : null;
  if (digests) {
    let complete = true;
    for (const [name, digest] of digests) {
      if (!(await matchingCopy(dir, name, digest))) complete = false;
    }
    if (complete) await rollForward(dir, [...digests.keys()]);
  }
  const names = Object.values(CHECKPOINT_FILES) as string[];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch {
    return;
  }
  for (const entry of entries) {
    const leftover = names.some((n) =>
      entry.name === stagedName(n) || entry.name.startsWith(`.${n}.tmp-`) ||
      entry.name.startsWith(`.${stagedName(n)}.tmp-`)
    );
    if (leftover && entry.isFile) await Deno.remove(join(dir, entry.name)).catch(() => {});
  }
}

/** How {@linkcode commitCheckpointFiles} commits (the default is right outside tests). */
export interface CommitOptions {
  /**
   * Called after each step of the commit (`staged <file>`, `renamed <file>`). A test throws from it to stop
   * the save there, as a crash would: nothing after that step runs and nothing is cleaned up.
   */
  readonly afterStep?: (step: CommitStep) => void | Promise<void>;
}

/**
 * Writes a checkpoint's files with the commit protocol of this module: first {@linkcode tidyCheckpointDir},
 * then each file staged in full with {@linkcode writeFileAtomic} (`config.json`, which must already record
 * the others' digests, last: the commit point), then each renamed over the old one (`config.json` last).
 *
 * @param dir The checkpoint directory (it must exist).
 * @param files The files other than `config.json`, by name.
 * @param config The text of `config.json`, recording the digests of `files`.
 * @param options The commit hook.
 * @returns A promise that resolves once every file is in place.
 * @throws {CheckpointFileError} when staging fails (the staged files are removed and the previous checkpoint
 *   is untouched) or a rename fails (a later load or save completes the committed set).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * const bytes = new Uint8Array([1, 2, 3]);
 * await commitCheckpointFiles(dir, new Map([["model.safetensors", bytes]]), "{}\n");
 * assert.deepEqual(await Deno.readFile(`${dir}/model.safetensors`), bytes);
 * assert.equal(await Deno.readTextFile(`${dir}/config.json`), "{}\n");
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function commitCheckpointFiles(
  dir: string,
  files: ReadonlyMap<string, Uint8Array>,
  config: string,
  options: CommitOptions = {},
): Promise<void> {
  const hook = options.afterStep ?? (() => {});
  await tidyCheckpointDir(dir);
  const order: [string, Uint8Array | string][] = [...files, [CHECKPOINT_FILES.config, config]];
  const staged: string[] = [];
  for (const [name, data] of order) {
    const path = join(dir, stagedName(name));
    try {
      staged.push(path);
      await writeFileAtomic(path, data);
    } catch (error) {
      for (const p of staged) await Deno.remove(p).catch(() => {});
      throw new CheckpointFileError(
        `writing ${path} failed (${(error as Error).message}); the previous checkpoint is kept`,
        { cause: error },
      );
    }
    await hook(`staged ${name}`);
  }
  for (const [name] of order) {
    try {
      await Deno.rename(join(dir, stagedName(name)), join(dir, name));
    } catch (error) {
      throw new CheckpointFileError(
        `replacing ${join(dir, name)} failed (${
          (error as Error).message
        }); the new checkpoint is committed ` +
          `and the next load completes it`,
        { cause: error },
      );
    }
    await hook(`renamed ${name}`);
  }
}
