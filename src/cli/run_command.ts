/**
 * The one way every `deno task` command ends: the exit code and the one-line error of each failure a user
 * can cause, shared by train, eval, viz, ship and execute.
 *
 * | failure                                              | exit | printed              |
 * |------------------------------------------------------|------|----------------------|
 * | {@linkcode UsageError} (a bad flag or argument)      | 2    | `error: <message>`   |
 * | {@linkcode TrainingInterruptedError} (SIGINT/SIGTERM) | 130/143 | (the command printed how to resume) |
 * | one of the command's expected errors (a bad checkpoint, no WebGPU, a locked run, …) | 1 | `error: <message>` |
 * | anything else (a bug)                                | Deno's | the stack trace   |
 *
 * @module
 */

import { UsageError } from "./args.ts";
import { TrainingInterruptedError } from "./stop_signals.ts";

/** A class of errors a command expects (its message is written for the user). */
// deno-lint-ignore no-explicit-any
export type ExpectedError = abstract new (...args: any[]) => Error;

/**
 * Runs a command on `Deno.args` and exits as the module doc's table says.
 *
 * @param command The command, e.g. `evalCommand`.
 * @param expected The error classes whose message is a complete one-line explanation (exit 1).
 * @returns When the command succeeds (the process then exits 0 on its own).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * let ran = false;
 * await runCommand(async () => void (ran = true), []); // succeeds: returns, and the process goes on
 * assert.ok(ran);
 * ```
 */
export async function runCommand(
  command: (args: string[]) => Promise<unknown>,
  expected: readonly ExpectedError[],
): Promise<void> {
  try {
    await command(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    if (error instanceof TrainingInterruptedError) Deno.exit(error.exitCode);
    if (expected.some((kind) => error instanceof kind)) {
      console.error(`error: ${(error as Error).message}`);
      Deno.exit(1);
    }
    throw error;
  }
}
