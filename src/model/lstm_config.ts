/**
 * The shape of the plain LSTM baseline (no memory) and its flat parameter layout, shared by the float64
 * reference that runs it, the checkpoints that store it and the commands that build it.
 *
 * Parameter layout (flat, in this order): `lstm.{l}.weight` (4C, in_l + C) with in_0 = X and in_l = C,
 * rows in gate order i, f, o, g and columns `[input; h_prev]`; `lstm.{l}.bias` (4C); `output.weight`
 * (Y, C); `output.bias` (Y); `init.hidden` (L, C); `init.cell` (L, C).
 *
 * @module
 */

import { NTM_SIZE_LIMITS, requirePositiveInteger } from "./config.ts";
import type { LayoutEntry, ParameterLayout } from "./layout.ts";

/** The shape of a plain LSTM baseline. */
export interface LstmConfig {
  /** X: input channels. */
  readonly inputSize: number;
  /** Y: output channels. */
  readonly outputSize: number;
  /** C: units per layer. */
  readonly units: number;
  /** L: stacked layers. */
  readonly layers: number;
  /** The output layer and its loss. */
  readonly outputKind: "sigmoid" | "softmax";
}

/**
 * Validates a baseline configuration.
 *
 * @param config The fields.
 * @returns The same configuration.
 * @throws {RangeError} when a size is not a positive integer.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmConfig } from "./lstm_config.ts";
 * const config = lstmConfig({ inputSize: 49, outputSize: 49, units: 128, layers: 2, outputKind: "softmax" });
 * assert(config.layers === 2);
 * ```
 */
export function lstmConfig(config: LstmConfig): LstmConfig {
  requirePositiveInteger(config.inputSize, "X (inputSize)");
  requirePositiveInteger(config.outputSize, "Y (outputSize)");
  requirePositiveInteger(config.units, "C (units)");
  requirePositiveInteger(config.layers, "layers");
  const limits: [keyof LstmConfig, number][] = [
    ["inputSize", NTM_SIZE_LIMITS.inputSize],
    ["outputSize", NTM_SIZE_LIMITS.outputSize],
    ["units", NTM_SIZE_LIMITS.controllerSize],
    ["layers", NTM_SIZE_LIMITS.controllerLayers],
  ];
  for (const [field, limit] of limits) {
    if ((config[field] as number) > limit) {
      throw new RangeError(
        `Cannot build the LSTM baseline: ${field} must be ≤ ${limit}, got ${config[field]}`,
      );
    }
  }
  return config;
}

/**
 * The parameter layout of a baseline.
 *
 * @param config The configuration.
 * @returns The layout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmConfig, lstmLayout } from "./lstm_config.ts";
 * const layout = lstmLayout(lstmConfig({ inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "sigmoid" }));
 * assert(layout.get("lstm.0.weight").shape[1] === 5);
 * ```
 */
export function lstmLayout(config: LstmConfig): ParameterLayout {
  const { units: C, layers: L } = config;
  const shapes: [string, number[]][] = [];
  for (let l = 0; l < L; l++) {
    shapes.push([`lstm.${l}.weight`, [4 * C, (l === 0 ? config.inputSize : C) + C]], [`lstm.${l}.bias`, [
      4 * C,
    ]]);
  }
  shapes.push(["output.weight", [config.outputSize, C]], ["output.bias", [config.outputSize]]);
  shapes.push(["init.hidden", [L, C]], ["init.cell", [L, C]]);
  const entries: LayoutEntry[] = [];
  let offset = 0;
  for (const [name, shape] of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    entries.push({ name, shape, offset, size });
    offset += size;
  }
  const byName = new Map(entries.map((e) => [e.name, e]));
  return {
    entries,
    size: offset,
    get(name: string): LayoutEntry {
      const entry = byName.get(name);
      if (!entry) throw new RangeError(`Cannot find parameter "${name}" in the LSTM baseline's layout`);
      return entry;
    },
  };
}
