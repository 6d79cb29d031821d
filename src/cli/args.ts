/**
 * Command-line flag parsing shared by the entry points: strict (an unknown flag is an error that names
 * it), and every value checked and converted with an error that names the flag, the value and what was
 * expected.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** One flag: its type, default and help text. */
export interface FlagSpec {
  /** `string` flags take a value; `boolean` flags do not. */
  readonly type: "string" | "boolean";
  /** Shown in `--help`. */
  readonly help: string;
  /** Default value, shown in `--help`. */
  readonly default?: string;
}

/** A user error in the command line: printed without a stack trace. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * Parses `args` against `flags`.
 *
 * @param args The arguments (e.g. `Deno.args`).
 * @param flags The flags, by name without dashes.
 * @returns Values by flag name (strings or booleans; absent flags are absent).
 * @throws {UsageError} for an unknown flag, a missing value or a stray argument.
 *
 * @example
 * ```ts
 * import { parseFlags } from "./args.ts";
 * const values = parseFlags(["--steps", "10"], { steps: { type: "string", help: "steps" } });
 * console.assert(values.steps === "10");
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
 * @returns The flags' values (strings, or `true` for boolean flags) and the positional arguments.
 * @throws {UsageError} for an unknown flag, a missing value or (when not allowed) a positional argument.
 *
 * @example
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * const { values, positionals } = parseCommandLine(["--n", "2", "print(1+2)"], { n: { type: "string", help: "n" } }, true);
 * console.assert(values.n === "2" && positionals[0] === "print(1+2)");
 * ```
 */
export function parseCommandLine(
  args: string[],
  flags: Readonly<Record<string, FlagSpec>>,
  positionals: boolean,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const [name, spec] of Object.entries(flags)) options[name] = { type: spec.type };
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: positionals });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
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
 * import { helpText } from "./args.ts";
 * console.assert(helpText("x", { a: { type: "boolean", help: "A" } }).includes("--a"));
 * ```
 */
export function helpText(usage: string, flags: Readonly<Record<string, FlagSpec>>): string {
  const lines = [`Usage: ${usage}`, "", "Flags:"];
  for (const [name, spec] of Object.entries(flags)) {
    const left = `  --${name}${spec.type === "string" ? " VALUE" : ""}`;
    const def = spec.default !== undefined ? ` (default: ${spec.default})` : "";
    lines.push(`${left.padEnd(30)} ${spec.help}${def}`);
  }
  return lines.join("\n");
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
 * import { integerFlag } from "./args.ts";
 * console.assert(integerFlag("8", "batch", 1) === 8);
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
 * import { numberFlag } from "./args.ts";
 * console.assert(numberFlag("1e-3", "lr", 0) === 0.001);
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
 * import { choiceFlag } from "./args.ts";
 * console.assert(choiceFlag("cpu", "backend", ["cpu", "webgpu"] as const) === "cpu");
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
