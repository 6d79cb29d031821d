/**
 * An exclusive lock on a training run's output directory, held for the whole run, so that two runs never
 * train into one directory (interleaving `metrics.jsonl` and racing each other's saves). The lock is the
 * file `.lock`, created exclusively, holding the holder's pid, host and start time. A lock whose holder is
 * gone (same host, no such process) is stale and taken over; any other is refused with the holder's pid.
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
  /** Removes the lock file (if it is still this process's); idempotent. */
  release(): Promise<void>;
}

interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly started: string;
}

/** The machine's name, read without `--allow-sys` (Linux), else "this machine". */
async function hostName(): Promise<string> {
  try {
    return (await Deno.readTextFile("/proc/sys/kernel/hostname")).trim() || "this machine";
  } catch {
    return "this machine";
  }
}

/** Whether a process with this pid runs on this host (`true` when it cannot be told). */
async function isAlive(pid: number): Promise<boolean> {
  if (Deno.build.os !== "linux") return true;
  try {
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

function readHolder(text: string): Holder | null {
  try {
    const h = JSON.parse(text) as Partial<Holder>;
    return typeof h.pid === "number" && typeof h.host === "string"
      ? { pid: h.pid, host: h.host, started: String(h.started ?? "unknown") }
      : null;
  } catch {
    return null;
  }
}

/**
 * Takes the lock on `dir` (which must exist).
 *
 * @param dir The output directory.
 * @returns The held lock; release it when the run ends.
 * @throws {RunLockedError} when another live process holds it.
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
  const me: Holder = { pid: Deno.pid, host: await hostName(), started: new Date().toISOString() };
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const file = await Deno.open(path, { write: true, createNew: true });
      await file.write(new TextEncoder().encode(JSON.stringify(me) + "\n"));
      file.close();
      let released = false;
      return {
        path,
        async release() {
          if (released) return;
          released = true;
          const holder = readHolder(await Deno.readTextFile(path).catch(() => ""));
          if (holder?.pid === me.pid && holder.host === me.host) await Deno.remove(path).catch(() => {});
        },
      };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
    const holder = readHolder(await Deno.readTextFile(path).catch(() => ""));
    const stale = holder !== null && holder.host === me.host && holder.pid !== me.pid &&
      !(await isAlive(holder.pid));
    if (!stale) {
      throw new RunLockedError(
        holder
          ? `${dir} is in use by another training run (pid ${holder.pid} on ${holder.host}, started ` +
            `${holder.started}); wait for it to finish or stop it, or train into another --out`
          : `${dir} is locked (${path} exists but names no holder); if no run uses the directory, remove ${path}`,
      );
    }
    await Deno.remove(path).catch(() => {}); // the holder is gone: take the lock over
  }
  throw new RunLockedError(`${dir}: could not take the lock ${path}; another run keeps taking it`);
}
