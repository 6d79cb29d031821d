/**
 * Writing a file so that readers (and a crash) see either the old content or the new, never a mixture:
 * checkpoints and metrics summaries are written this way.
 *
 * @module
 */

import { basename, dirname, join } from "node:path";

/** How many bytes go to the file per write call. */
const CHUNK_BYTES = 1 << 20;

/**
 * Writes `data` to `path` atomically: into a new temporary file in the same directory
 * (`.<name>.tmp-<random hex>`), flushed to disk with fsync, then renamed over `path` (and the directory
 * synced, where the platform allows, so that the rename itself survives a crash).
 *
 * On any failure the temporary file is removed, an existing file at `path` is left as it was, and the error
 * is rethrown as is (a `Deno.errors.*` error for file-system failures).
 *
 * Notes: the new file gets default permissions, not those of the file it replaces; a symbolic link at `path`
 * is replaced by a regular file rather than written through.
 *
 * @param path The file to write; its directory must exist.
 * @param data The content: bytes, or a string written as UTF-8.
 * @returns A promise that resolves once the new content is in place.
 * @throws {TypeError} If `path` is empty or `data` is neither a `Uint8Array` nor a string.
 *
 * @example Save a checkpoint and a summary
 * ```ts
 * import assert from "node:assert/strict";
 * import { writeFileAtomic } from "./atomic_write.ts";
 * const dir = await Deno.makeTempDir();
 * await writeFileAtomic(`${dir}/checkpoint.safetensors`, new Uint8Array([1, 2, 3]));
 * await writeFileAtomic(`${dir}/summary.json`, JSON.stringify({ step: 100 }));
 * assert((await Deno.readTextFile(`${dir}/summary.json`)) === '{"step":100}');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot write a file atomically: path must be a non-empty string, got ${JSON.stringify(path)}`,
    );
  }
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(
      `Cannot write ${path} atomically: data must be a Uint8Array or a string, got ${typeof data}`,
    );
  }
  const directory = dirname(path);
  const temporary = join(directory, `.${basename(path)}.tmp-${randomHex(6)}`);

  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(temporary, { write: true, createNew: true });
    for (let offset = 0; offset < bytes.length; offset += CHUNK_BYTES) {
      let chunk = bytes.subarray(offset, Math.min(offset + CHUNK_BYTES, bytes.length));
      while (chunk.length > 0) chunk = chunk.subarray(await file.write(chunk));
    }
    await file.sync();
    file.close();
    file = undefined;
    await Deno.rename(temporary, path);
  } catch (error) {
    try {
      file?.close();
    } catch { /* already closed */ }
    try {
      await Deno.remove(temporary);
    } catch { /* never created, or already gone */ }
    throw error;
  }
  await syncDirectory(directory);
}

/** Flushes a directory's entries (the rename) to disk; a no-op where directories cannot be opened (Windows). */
async function syncDirectory(directory: string): Promise<void> {
  let handle: Deno.FsFile | undefined;
  try {
    handle = await Deno.open(directory, { read: true });
    await handle.sync();
  } catch {
    // Durability of the rename is best effort; the content itself is already synced.
  } finally {
    handle?.close();
  }
}

function randomHex(bytes: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}
