/**
 * The flags several commands share, written once: `--checkpoint DIR`, `--backend`, `--help`, and the
 * shape of a flag whose default comes from the training preset; and the prologue of the commands that run
 * a saved checkpoint.
 *
 * @module
 */

import { type CommandLine, type FlagSpec, readCommand, requiredFlag } from "./args.ts";

/** `--help`. */
export const HELP_FLAG: FlagSpec = { type: "boolean", help: "show this help" };

/** `--backend` of the commands that run a saved model: `auto` (a hardware GPU if any, else the CPU). */
export const BACKEND_FLAG: FlagSpec = { type: "string", help: "auto, webgpu or cpu", default: "auto" };

/** `--seed` of the commands that draw held-out episodes from a checkpoint. */
export const HELD_OUT_SEED_FLAG: FlagSpec = {
  type: "string",
  help: "seeds the episodes",
  defaultFrom: "the checkpoint's held-out seed",
};

/**
 * `--checkpoint DIR`, which eval, viz, execute and ship cannot run without.
 *
 * @param what What the directory must hold, for the help text.
 * @returns The flag.
 *
 * @example
 * ```ts
 * import { checkpointFlag } from "./common_flags.ts";
 * console.assert(checkpointFlag().help.includes("required"));
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
 * import { presetFlag } from "./common_flags.ts";
 * console.assert(presetFlag("B: episodes per step").defaultFrom === "from the preset");
 * ```
 */
export function presetFlag(help: string): FlagSpec {
  return { type: "string", help, defaultFrom: "from the preset" };
}

/**
 * The prologue of eval, viz, execute and ship: {@linkcode readCommand}, then the required `--checkpoint`.
 *
 * @param args The arguments (`Deno.args`).
 * @param usage The help text's first line.
 * @param flags The command's flags (with `checkpoint` and `help`).
 * @param write Writes the help text.
 * @param positionals Whether arguments that are not flags are allowed.
 * @returns The parsed line and the checkpoint directory, or `undefined` when `--help` was answered.
 * @throws {UsageError} for a bad command line or a missing `--checkpoint`.
 *
 * @example
 * ```ts
 * import { checkpointFlag, HELP_FLAG, readCheckpointCommand } from "./common_flags.ts";
 * const flags = { checkpoint: checkpointFlag(), help: HELP_FLAG };
 * const read = readCheckpointCommand(["--checkpoint", "runs/a"], "x", flags, console.log);
 * console.assert(read?.dir === "runs/a");
 * ```
 */
export function readCheckpointCommand(
  args: string[],
  usage: string,
  flags: Readonly<Record<string, FlagSpec>>,
  write: (text: string) => void,
  positionals = false,
): { readonly line: CommandLine; readonly dir: string } | undefined {
  const line = readCommand(args, usage, flags, write, positionals);
  return line && { line, dir: requiredFlag(line, "checkpoint", "DIR") };
}
