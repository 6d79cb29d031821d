/**
 * The NTM's configuration: every size and choice that fixes the shape of the model, with validation.
 *
 * @module
 */

/** The controller network: an LSTM (paper default) or a feed-forward layer of tanh units. */
export type ControllerType = "lstm" | "feedforward";

/**
 * How memory starts each episode: a learned N×M matrix (the default), a small constant (1e-6, Collier &
 * Beel's choice), or fresh random values drawn per episode.
 *
 * Measured on the copy task (LSTM 32, N = 16, M = 8, lengths 1..3, batch 8, Adam 1e-3, three seeds): a
 * learned memory reaches 0.1 bit errors per sequence in 3,500–5,000 steps; a constant one had not got
 * there after 8,000. With a constant memory all rows look alike, so content addressing cannot start.
 */
export type MemoryInit = "constant" | "learned" | "random";

/** The output layer: independent sigmoid bits with binary cross-entropy, or a softmax with categorical cross-entropy. */
export type OutputKind = "sigmoid" | "softmax";

/** Every size and choice that fixes the shape of an NTM. Letters are those of `docs/model.md` "Dimensions". */
export interface NtmConfig {
  /** X: input channels per step. */
  readonly inputSize: number;
  /** Y: output channels per step. */
  readonly outputSize: number;
  /** Controller network type. */
  readonly controllerType: ControllerType;
  /** C: units per controller layer. */
  readonly controllerSize: number;
  /** Stacked controller layers (the paper's priority-sort LSTM has 2). */
  readonly controllerLayers: number;
  /** N: memory rows. */
  readonly memoryN: number;
  /** M: memory row width. */
  readonly memoryM: number;
  /** R: read heads. */
  readonly readHeads: number;
  /** W: write heads. */
  readonly writeHeads: number;
  /** K: shifts range over −K..K, so S = 2K + 1. */
  readonly shiftRange: number;
  /** How memory starts each episode. */
  readonly memoryInit: MemoryInit;
  /** The output layer and its loss. */
  readonly outputKind: OutputKind;
}

/** The value every memory cell starts at when {@linkcode NtmConfig.memoryInit} is `constant`. */
export const CONSTANT_MEMORY_INIT = 1e-6;

/** Defaults for every field but the task-given input and output widths. */
export const DEFAULT_NTM_CONFIG: Omit<NtmConfig, "inputSize" | "outputSize"> = {
  controllerType: "lstm",
  controllerSize: 100,
  controllerLayers: 1,
  memoryN: 128,
  memoryM: 20,
  readHeads: 1,
  writeHeads: 1,
  shiftRange: 1,
  memoryInit: "learned",
  outputKind: "sigmoid",
};

/** The most parameters a model may have (64 Mi: 512 MiB of float64 values, before the optimiser's slots). */
export const MAX_PARAMETERS = 2 ** 26;

/**
 * The largest size of each field {@linkcode ntmConfig} accepts: far beyond the paper's models (C = 100,
 * N = 128, M = 20, up to 8 heads), small enough that a mistyped size is refused with a message instead of
 * an allocation failure. The run's total memory is bounded separately (`src/train/run_size.ts`).
 */
export const NTM_SIZE_LIMITS: Readonly<
  Record<
    | "inputSize"
    | "outputSize"
    | "controllerSize"
    | "controllerLayers"
    | "memoryN"
    | "memoryM"
    | "readHeads"
    | "writeHeads",
    number
  >
> = Object.freeze({
  inputSize: 4096,
  outputSize: 4096,
  controllerSize: 4096,
  controllerLayers: 16,
  memoryN: 65_536,
  memoryM: 4096,
  readHeads: 64,
  writeHeads: 64,
});

/**
 * Builds a complete, validated configuration from the input and output widths and any overrides.
 *
 * @param fields X and Y, and any other fields to override the defaults.
 * @returns The validated configuration.
 * @throws {TypeError} when a field has the wrong kind of value.
 * @throws {RangeError} when a size is out of range (e.g. N = 0, or K ≥ N/2).
 *
 * @example A copy-task model
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "./config.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, memoryN: 16, memoryM: 8 });
 * assert(config.controllerType === "lstm");
 * ```
 */
export function ntmConfig(
  fields: Pick<NtmConfig, "inputSize" | "outputSize"> & Partial<NtmConfig>,
): NtmConfig {
  const config: NtmConfig = { ...DEFAULT_NTM_CONFIG, ...fields };
  const sizes: [keyof NtmConfig, string][] = [
    ["inputSize", "X"],
    ["outputSize", "Y"],
    ["controllerSize", "C"],
    ["controllerLayers", "controller layers"],
    ["memoryN", "N"],
    ["memoryM", "M"],
    ["readHeads", "R"],
    ["writeHeads", "W"],
    ["shiftRange", "K"],
  ];
  for (const [field, letter] of sizes) {
    requirePositiveInteger(config[field], `${letter} (${field})`);
    const limit = NTM_SIZE_LIMITS[field as keyof typeof NTM_SIZE_LIMITS];
    if (limit !== undefined && (config[field] as number) > limit) {
      throw new RangeError(
        `Cannot build the NTM: ${letter} (${field}) must be ≤ ${limit}, got ${config[field]}`,
      );
    }
  }
  if (2 * config.shiftRange >= config.memoryN) {
    throw new RangeError(
      `Cannot build the NTM: the shift range K (shiftRange) must be below N/2 = ${
        config.memoryN / 2
      }, got ${config.shiftRange}`,
    );
  }
  requireOneOf(config.controllerType, "controllerType", ["lstm", "feedforward"]);
  requireOneOf(config.memoryInit, "memoryInit", ["constant", "learned", "random"]);
  requireOneOf(config.outputKind, "outputKind", ["sigmoid", "softmax"]);
  return config;
}

/**
 * Checks that a value is a positive integer.
 *
 * @param value The value to check.
 * @param name The field's name, for the error message.
 * @returns The value.
 * @throws {TypeError} when the value is not a number.
 * @throws {RangeError} when it is not a positive integer.
 */
export function requirePositiveInteger(value: unknown, name: string): number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Cannot build the NTM: ${name} must be a positive integer, got ${JSON.stringify(value)}`,
    );
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`Cannot build the NTM: ${name} must be a positive integer, got ${value}`);
  }
  return value;
}

function requireOneOf(value: unknown, name: string, allowed: string[]): void {
  if (typeof value !== "string" || !allowed.includes(value)) {
    throw new TypeError(
      `Cannot build the NTM: ${name} must be one of ${allowed.join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
}

/**
 * S = 2K + 1: the number of allowed shifts.
 *
 * @param config The configuration.
 * @returns S.
 */
export function shiftCount(config: NtmConfig): number {
  return 2 * config.shiftRange + 1;
}

/**
 * Raw head-parameter width of a read head: k (M), β, g, s (S), γ.
 *
 * @param config The configuration.
 * @returns M + S + 3.
 */
export function readHeadWidth(config: NtmConfig): number {
  return config.memoryM + shiftCount(config) + 3;
}

/**
 * Raw head-parameter width of a write head: a read head's, then e (M) and a (M).
 *
 * @param config The configuration.
 * @returns 3M + S + 3.
 */
export function writeHeadWidth(config: NtmConfig): number {
  return readHeadWidth(config) + 2 * config.memoryM;
}

/**
 * P: all heads' raw parameters, read heads first, then write heads.
 *
 * @param config The configuration.
 * @returns R·(M + S + 3) + W·(3M + S + 3).
 */
export function headParamsWidth(config: NtmConfig): number {
  return config.readHeads * readHeadWidth(config) + config.writeHeads * writeHeadWidth(config);
}

/**
 * The controller's input width at layer 0: X + R·M (the input and the previous read vectors).
 *
 * @param config The configuration.
 * @returns X + R·M.
 */
export function controllerInputWidth(config: NtmConfig): number {
  return config.inputSize + config.readHeads * config.memoryM;
}
