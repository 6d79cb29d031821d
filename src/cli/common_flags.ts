/**
 * The flags several commands share, written once: `--checkpoint DIR`, `--backend`, `--help`, and the
 * shape of a flag whose default comes from the training preset; and the prologue of the commands that run
 * a saved checkpoint.
 *
 * @module
 */

import {
  type CommandLine,
  type FlagSpec,
  integerFlag,
  optionalFlag,
  pipeSafeWriter,
  readCommand,
  requiredFlag,
} from "./args.ts";

/** `--help`. */
export const HELP_FLAG: FlagSpec = { type: "boolean", help: "show this help" };

/** `--backend` of the commands that run a saved model: `auto` (a hardware GPU if any, else the CPU). */
export const BACKEND_FLAG: FlagSpec = { type: "string", help: "auto, wasm, webgpu or cpu", default: "auto" };

/** `--seed` of the commands that draw held-out episodes from a checkpoint. */
export const HELD_OUT_SEED_FLAG: FlagSpec = {
  type: "string",
  help: "seeds the episodes",
  defaultFrom: "the checkpoint's held-out seed",
};

/**
 * The value of {@linkcode HELD_OUT_SEED_FLAG}, or `undefined` for the checkpoint's own held-out seed.
 *
 * @param line The parsed command line.
 * @returns The seed, a non-negative integer, or `undefined`.
 * @throws {UsageError} when the value is not a non-negative integer.
 */
export function heldOutSeed(line: CommandLine): number | undefined {
  return optionalFlag(line, "seed", (v) => integerFlag(v, "seed", 0));
}

/**
 * `--checkpoint DIR`, which eval, viz, execute and ship cannot run without.
 *
 * @param what What the directory must hold, for the help text.
 * @returns The flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointFlag } from "./common_flags.ts";
 * assert(checkpointFlag().help.includes("required"));
 * ```
 */
export function checkpointFlag(what = "the checkpoint directory"): FlagSpec {
  return { type: "string", help: `${what} (required)` };
}

/**
 * A training flag whose default the preset sets.
 *
 * @param help The help text.
 * @returns The flag.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetFlag } from "./common_flags.ts";
 * assert(presetFlag("B: episodes per step").defaultFrom === "from the preset");
 * ```
 */
export function presetFlag(help: string): FlagSpec {
  return { type: "string", help, defaultFrom: "from the preset" };
}

/** What a checkpoint command's body gets: the parsed line, the checkpoint directory and its outputs. */
export interface CheckpointCommandContext {
  /** The parsed command line. */
  readonly line: CommandLine;
  /** The `--checkpoint` directory. */
  readonly dir: string;
  /** Writes text to standard output. */
  readonly write: (text: string) => void;
  /** Writes a notice line to standard error. */
  readonly notice: (line: string) => void;
}

/**
 * A command of `deno task` that reads a checkpoint (eval, viz, execute, ship): it takes the arguments and
 * where to write, and resolves to its result, or `undefined` when it answered `--help`.
 */
export type CheckpointCommand<T> = (
  args: string[],
  write?: (text: string) => void,
  notice?: (line: string) => void,
) => Promise<T | undefined>;

/** How {@linkcode checkpointCommand} reads the command line beyond the command's own flags. */
export interface CheckpointCommandOptions {
  /** Whether arguments that are not flags are allowed (default false). */
  readonly positionals?: boolean;
  /** What `--checkpoint` names, for the help text (default "the checkpoint directory"). */
  readonly checkpointHelp?: string;
}

/**
 * Makes a {@linkcode CheckpointCommand}. Its prologue, written once for eval, viz, execute and ship: the
 * flags are the command's own between `--checkpoint DIR` (required) and `--help`; `--help` prints the help
 * text and resolves to `undefined`; then the body runs. Output goes to a pipe-safe standard output and
 * notices to standard error unless the caller passes its own.
 *
 * @param usage The help text's first line.
 * @param flags The command's own flags.
 * @param body Runs the command once its line is read.
 * @param options Positional arguments, and the help of `--checkpoint`.
 * @returns The command.
 * @throws {UsageError} (from the command) for a bad command line or a missing `--checkpoint`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkpointCommand } from "./common_flags.ts";
 * const command = checkpointCommand("x --checkpoint DIR", {}, ({ dir }) => Promise.resolve(dir));
 * assert(await command(["--checkpoint", "runs/a"]) === "runs/a");
 * ```
 */
export function checkpointCommand<T>(
  usage: string,
  flags: Readonly<Record<string, FlagSpec>>,
  body: (context: CheckpointCommandContext) => Promise<T | undefined>,
  options: CheckpointCommandOptions = {},
): CheckpointCommand<T> {
  const all = { checkpoint: checkpointFlag(options.checkpointHelp), ...flags, help: HELP_FLAG };
  return async (args, write = pipeSafeWriter(Deno.stdout), notice = console.error) => {
    const line = readCommand(args, usage, all, write, options.positionals);
    if (line === undefined) return undefined;
    return await body({ line, dir: requiredFlag(line, "checkpoint", "DIR"), write, notice });
  };
}
