/**
 * Stopping a training run cleanly on Ctrl-C (SIGINT) or SIGTERM: the first signal asks the loop to stop
 * after the current step, which the run then saves and reports before exiting with 130 (SIGINT) or 143
 * (SIGTERM); a second signal exits at once with the same code, which the checkpoint's commit protocol makes
 * safe at any instant.
 *
 * @module
 */

/** The signals a run stops on. */
export type StopSignal = "SIGINT" | "SIGTERM";

/** The exit code of a process stopped by each signal (128 + its number). */
export const STOP_EXIT_CODES: Readonly<Record<StopSignal, number>> = Object.freeze({
  SIGINT: 130,
  SIGTERM: 143,
});

/** The listeners of a run. */
export interface StopListener {
  /** The first signal received, or `null`. */
  readonly signal: StopSignal | null;
  /** Calls `fn` on the first signal (once). */
  onFirst(fn: (signal: StopSignal) => void): void;
  /** Removes the listeners: signals act as usual again. Idempotent. */
  remove(): void;
}

/** Training stopped on a signal after saving; the process should exit with {@linkcode exitCode}. */
export class TrainingInterruptedError extends Error {
  /** The signal. */
  readonly signal: StopSignal;
  /** 130 for SIGINT, 143 for SIGTERM. */
  readonly exitCode: number;
  /**
   * Creates the error.
   *
   * @param signal The signal that stopped training.
   */
  constructor(signal: StopSignal) {
    super(`training stopped by ${signal}; the checkpoint is saved`);
    this.name = "TrainingInterruptedError";
    this.signal = signal;
    this.exitCode = STOP_EXIT_CODES[signal];
  }
}

/**
 * Listens for SIGINT and SIGTERM (where the platform has them).
 *
 * @returns The listener; `remove()` it when the run ends.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { listenForStop } from "./stop_signals.ts";
 * const stop = listenForStop();
 * assert(stop.signal === null);
 * stop.remove();
 * ```
 */
export function listenForStop(): StopListener {
  let signal: StopSignal | null = null;
  let first: ((signal: StopSignal) => void) | undefined;
  const handlers: [StopSignal, () => void][] = [];
  for (const name of ["SIGINT", "SIGTERM"] as const) {
    const handler = () => {
      if (signal !== null) Deno.exit(STOP_EXIT_CODES[name]);
      signal = name;
      first?.(name);
    };
    try {
      Deno.addSignalListener(name, handler);
      handlers.push([name, handler]);
    } catch { /* not on this platform (SIGTERM on Windows) */ }
  }
  return {
    get signal() {
      return signal;
    },
    onFirst(fn) {
      first = fn;
    },
    remove() {
      for (const [name, handler] of handlers.splice(0)) Deno.removeSignalListener(name, handler);
    },
  };
}
