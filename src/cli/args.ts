/**
 * Command-line flag parsing shared by the entry points: strict (an unknown flag is an error that names
 * it), and every value checked and converted with an error that names the flag, the value and what was
 * expected.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { quietMesa } from "./quiet_mesa.ts";

/** One flag: its type, default and help text. */
export interface FlagSpec {
  /** `string` flags take a value; `boolean` flags do not. */
  readonly type: "string" | "boolean";
  /** Shown in `--help`. */
  readonly help: string;
  /** The value an absent `string` flag takes: parsing fills it in, and `--help` shows it. */
  readonly default?: string;
  /**
   * Where an absent flag's value comes from when it is no one value ("from the preset"): shown in `--help`
   * only; parsing leaves the flag absent for the command to fill in.
   */
  readonly defaultFrom?: string;
}

/** A parsed command line. */
export interface CommandLine {
  /** Values by flag name: strings (given, or the flag's `default`), `true` for given boolean flags. */
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** The flags given on the command line (a flag at its default but not given is absent). */
  readonly given: ReadonlySet<string>;
  /** The arguments that are not flags (the program text of `deno task execute`, say). */
  readonly positionals: readonly string[];
}

/** A user error in the command line: printed without a stack trace. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   * @param options The cause, if another error led to this one.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/**
 * Parses `args` against `flags`.
 *
 * @param args The arguments (e.g. `Deno.args`).
 * @param flags The flags, by name without dashes.
 * @returns Values by flag name (strings or booleans; absent flags take their `default`, or are absent).
 * @throws {UsageError} for an unknown flag, a missing value or a stray argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseFlags } from "./args.ts";
 * const values = parseFlags(["--steps", "10"], { steps: { type: "string", help: "steps" } });
 * assert(values.steps === "10");
 * ```
 */
export function parseFlags(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
): Record<string, string | boolean | undefined> {
  return parseCommandLine(args, flags, false).values;
}

/**
 * Parses a command's arguments into flag values and positional arguments (the program text of
 * `deno task execute`, say).
 *
 * @param args The arguments (`Deno.args`).
 * @param flags The flags the command accepts.
 * @param positionals Whether arguments that are not flags are allowed (else each is a usage error).
 * @returns The flags' values (strings, or `true` for boolean flags; absent flags take their `default`),
 *   which flags were given, and the positional arguments.
 * @throws {UsageError} for an unknown flag, a missing value or (when not allowed) a positional argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine } from "./args.ts";
 * const { values, positionals } = parseCommandLine(["--n", "2", "print(1+2)"], { n: { type: "string", help: "n" } }, true);
 * assert(values.n === "2" && positionals[0] === "print(1+2)");
 * ```
 */
export function parseCommandLine(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
  positionals: boolean,
): CommandLine {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(flags)) options[name] = { type: spec.type };
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals });
    const given = new Set(Object.keys(parsed.values));
    const values: Record<string, string | boolean | undefined> = { ...parsed.values };
    for (const [name, spec] of Object.entries(flags)) {
      if (!given.has(name) && spec.type === "string" && spec.default !== undefined) {
        values[name] = spec.default;
      }
    }
    return { values, given, positionals: parsed.positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.replace(/\. To specify a positional.*$/s, "")} (see --help)`);
  }
}

/**
 * Formats the `--help` text.
 *
 * @param usage The first line, e.g. `deno task train [flags]`.
 * @param flags The flags.
 * @returns The text.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { helpText } from "./args.ts";
 * assert(helpText("x", { a: { type: "boolean", help: "A" } }).includes("--a"));
 * ```
 */
export function helpText(usage: string, flags: Readonly<Record<string, FlagSpec>>): string {
  const lines = [`Usage: ${usage}`, "", "Flags:"];
  for (const [name, spec] of Object.entries(flags)) {
    const left = `  --${name}${spec.type === "string" ? " VALUE" : ""}`;
    const shown = spec.default ?? spec.defaultFrom;
    const def = shown !== undefined ? ` (default: ${shown})` : "";
    lines.push(`${left.padEnd(30)} ${spec.help}${def}`);
  }
  return lines.join("\n");
}

/**
 * The prologue every `deno task` command shares: silence Mesa's stray Wayland line ({@linkcode quietMesa}),
 * parse its flags (and, if it takes them, positional arguments), answer `--help` with the help text, and
 * hand back the parsed line otherwise.
 *
 * @param args The arguments (`Deno.args`).
 * @param usage The help text's first line, e.g. `deno task eval --checkpoint DIR [flags]`.
 * @param flags The flags the command accepts (it must have `help`).
 * @param write Writes the help text.
 * @param positionals Whether arguments that are not flags are allowed.
 * @returns The parsed command line, or `undefined` when `--help` was answered.
 * @throws {UsageError} for an unknown flag, a missing value or a stray argument.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { readCommand } from "./args.ts";
 * const flags = { n: { type: "string", help: "n", default: "2" }, help: { type: "boolean", help: "help" } } as const;
 * const line = readCommand([], "x [flags]", flags, console.log);
 * assert(line?.values.n === "2" && !line.given.has("n"));
 * ```
 */
export function readCommand(
  args: string[],
  usage: string,
  flags: Readonly<Record<string, FlagSpec>>,
  write: (text: string) => void,
  positionals = false,
): CommandLine | undefined {
  quietMesa();
  const line = parseCommandLine(args, flags, positionals);
  if (line.values.help === true) {
    write(helpText(usage, flags) + "\n");
    return undefined;
  }
  return line;
}

/**
 * A string flag's value (given, or its default).
 *
 * @param line The parsed command line.
 * @param flag The flag's name.
 * @returns The value, or `undefined` for an absent flag without a default.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine, stringFlag } from "./args.ts";
 * const line = parseCommandLine(["--out", "x"], { out: { type: "string", help: "o" } }, false);
 * assert(stringFlag(line, "out") === "x");
 * ```
 */
export function stringFlag(line: CommandLine, flag: string): string | undefined {
  const value = line.values[flag];
  return typeof value === "string" ? value : undefined;
}

/**
 * A flag's value parsed, or `undefined` when the flag is absent and has no default.
 *
 * @param line The parsed command line.
 * @param flag The flag's name.
 * @param parse Parses (and checks) the value.
 * @returns The parsed value, or `undefined`.
 * @throws {UsageError} when `parse` refuses the value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerFlag, optionalFlag, parseCommandLine } from "./args.ts";
 * const line = parseCommandLine(["--seed", "4"], { seed: { type: "string", help: "seed" } }, false);
 * assert(optionalFlag(line, "seed", (v) => integerFlag(v, "seed", 0)) === 4);
 * ```
 */
export function optionalFlag<T>(line: CommandLine, flag: string, parse: (value: string) => T): T | undefined {
  const value = stringFlag(line, flag);
  return value === undefined ? undefined : parse(value);
}

/**
 * A flag the command cannot run without, such as `--checkpoint DIR`.
 *
 * @param line The parsed command line.
 * @param flag The flag's name.
 * @param what What its value names, for the error (`DIR`).
 * @returns The value.
 * @throws {UsageError} when the flag is absent.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseCommandLine, requiredFlag } from "./args.ts";
 * const line = parseCommandLine(["--checkpoint", "runs/a"], { checkpoint: { type: "string", help: "c" } }, false);
 * assert(requiredFlag(line, "checkpoint", "DIR") === "runs/a");
 * ```
 */
export function requiredFlag(line: CommandLine, flag: string, what: string): string {
  const value = stringFlag(line, flag);
  if (value === undefined) throw new UsageError(`--${flag} ${what} is required (see --help)`);
  return value;
}

/**
 * Runs a check of a lower layer, turning its `RangeError` (a value out of what it accepts, said in words a
 * user reads) into a {@linkcode UsageError}.
 *
 * @param check The check.
 * @returns What the check returns.
 * @throws {UsageError} with the check's message when it throws a `RangeError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { asUsage, UsageError } from "./args.ts";
 * try {
 *   asUsage(() => { throw new RangeError("--n must be 1"); });
 * } catch (error) {
 *   assert(error instanceof UsageError);
 * }
 * ```
 */
export function asUsage<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message, { cause: error });
    throw error;
  }
}

/**
 * Runs a step of a command whose `RangeError` is the fault of one flag's value (a length the task cannot
 * make, say), and reports it as that flag's usage error.
 *
 * @param flag The flag the range errors are blamed on, without dashes.
 * @param run The step.
 * @returns What the step resolves to.
 * @throws {UsageError} `--flag: message` when the step throws a `RangeError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { blameFlag, UsageError } from "./args.ts";
 * const error = await blameFlag("length", () => Promise.reject(new RangeError("too long"))).catch((e) => e);
 * assert(error instanceof UsageError && error.message === "--length: too long");
 * ```
 */
export async function blameFlag<T>(flag: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(`--${flag}: ${error.message}`, { cause: error });
    throw error;
  }
}

/**
 * Reads a flag as an integer in [min, max].
 *
 * @param value The flag's raw value.
 * @param flag The flag's name, for the error.
 * @param min Smallest allowed value.
 * @param max Largest allowed value.
 * @returns The integer.
 * @throws {UsageError} when the value is not an integer in range.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { integerFlag } from "./args.ts";
 * assert(integerFlag("8", "batch", 1) === 8);
 * ```
 */
export function integerFlag(value: string, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    throw new UsageError(`--${flag} must be an integer ${range}, got "${value}"`);
  }
  return n;
}

/**
 * Reads a flag as a finite number greater than `min` (or equal, if `inclusive`).
 *
 * @param value The flag's raw value.
 * @param flag The flag's name, for the error.
 * @param min The bound.
 * @param inclusive Whether `min` itself is allowed.
 * @returns The number.
 * @throws {UsageError} when the value is not such a number.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { numberFlag } from "./args.ts";
 * assert(numberFlag("1e-3", "lr", 0) === 0.001);
 * ```
 */
export function numberFlag(value: string, flag: string, min: number, inclusive = false): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || n < min || (!inclusive && n === min)) {
    throw new UsageError(`--${flag} must be a number ${inclusive ? "≥" : ">"} ${min}, got "${value}"`);
  }
  return n;
}

/**
 * Reads a flag that must be one of a list of words.
 *
 * @param value The flag's raw value.
 * @param flag The flag's name, for the error.
 * @param allowed The words.
 * @returns The word.
 * @throws {UsageError} for any other value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { choiceFlag } from "./args.ts";
 * assert(choiceFlag("cpu", "backend", ["cpu", "webgpu"] as const) === "cpu");
 * ```
 */
export function choiceFlag<T extends string>(value: string, flag: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${allowed.join(", ")}, got "${value}"`);
  }
  return value as T;
}

/**
 * A writer to standard output (or error) that survives a closed pipe (`deno task train | head`): after the
 * first `BrokenPipe` it drops further text instead of throwing, so the command finishes its work (a training
 * run keeps its checkpoints) and exits normally.
 *
 * @param stream Standard output or standard error.
 * @returns The writer.
 *
 * @example
 * ```ts
 * import { pipeSafeWriter } from "./args.ts";
 * pipeSafeWriter(Deno.stdout)("hello\n");
 * ```
 */
export function pipeSafeWriter(stream: { writeSync(p: Uint8Array): number }): (text: string) => void {
  const encoder = new TextEncoder();
  let closed = false;
  return (text) => {
    if (closed) return;
    try {
      let bytes = encoder.encode(text);
      while (bytes.length > 0) bytes = bytes.subarray(stream.writeSync(bytes));
    } catch (error) {
      if (!(error instanceof Deno.errors.BrokenPipe)) throw error;
      closed = true;
    }
  };
}
