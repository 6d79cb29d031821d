/**
 * An exclusive lock on a training run's output directory, held for the whole run, so that two runs never
 * train into one directory (interleaving `metrics.jsonl` and racing each other's saves). The lock is an
 * advisory file-system lock (flock) on the file `.lock`, which also records the holder's pid and start
 * time for the error message. The operating system releases the lock when its process ends, however it
 * ends, so a crashed run never leaves the directory locked; the file itself stays (empty) between runs.
 *
 * @module
 */

import { join } from "node:path";

/** The lock file's name inside the output directory. */
export const LOCK_FILE = ".lock";

/** The directory is locked by another run; the message names the directory and the holder's pid. */
export class RunLockedError extends Error {
  /**
   * Creates the error.
   *
   * @param message What holds the lock.
   */
  constructor(message: string) {
    super(message);
    this.name = "RunLockedError";
  }
}

/** A held lock. */
export interface RunLock {
  /** The lock file. */
  readonly path: string;
  /** Releases the lock (and clears the holder's record); idempotent. */
  release(): Promise<void>;
}

/**
 * Takes the lock on `dir` (which must exist), without waiting.
 *
 * @param dir The output directory.
 * @returns The held lock; release it when the run ends (or let the process end).
 * @throws {RunLockedError} when another open handle, in this process or another, holds it.
 *
 * @example
 * ```ts
 * import { acquireRunLock } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * const lock = await acquireRunLock(dir);
 * await lock.release();
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function acquireRunLock(dir: string): Promise<RunLock> {
  const path = join(dir, LOCK_FILE);
  const file = await Deno.open(path, { read: true, write: true, create: true });
  let locked: boolean;
  try {
    locked = await file.tryLock(true);
  } catch (error) {
    file.close();
    throw error;
  }
  if (!locked) {
    file.close();
    let holder = "";
    try {
      const record = JSON.parse(await Deno.readTextFile(path)) as { pid?: unknown; started?: unknown };
      holder = ` (pid ${record.pid}, started ${record.started})`;
    } catch { /* the holder has not written its record yet */ }
    throw new RunLockedError(
      `${dir} is in use by another training run${holder}; wait for it to finish or stop it, or train into ` +
        `another --out`,
    );
  }
  const record = new TextEncoder().encode(
    JSON.stringify({ pid: Deno.pid, started: new Date().toISOString() }) + "\n",
  );
  await file.truncate(0);
  await file.write(record);
  let released = false;
  return {
    path,
    async release() {
      if (released) return;
      released = true;
      try {
        await file.truncate(0);
        await file.unlock();
      } finally {
        file.close();
      }
    },
  };
}
