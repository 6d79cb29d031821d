/**
 * The flat parameter array's layout: every learned tensor's name, shape and offset. All backends, the
 * optimisers and checkpoints share it.
 *
 * | name | shape | what |
 * |---|---|---|
 * | `controller.{l}.weight` | LSTM (4C, in_l + C), feed-forward (C, in_l) | layer l; in_0 = X + R·M, in_l = C; LSTM rows in gate order i, f, o, g; LSTM columns are `[input; h_prev]` |
 * | `controller.{l}.bias` | LSTM (4C), feed-forward (C) | |
 * | `heads.weight` | (P, C) | raw head parameters from the top layer's h; P = R·(M+S+3) + W·(3M+S+3), read heads first |
 * | `heads.bias` | (P) | |
 * | `output.weight` | (Y, C + R·M) | output logits from `[h; r]` |
 * | `output.bias` | (Y) | |
 * | `init.read` | (R, M) | r_0, the read vectors before the first step |
 * | `init.weighting` | (R + W, N) | logits of w_0 = softmax(·) per head, read heads first |
 * | `init.hidden` | (L, C) | LSTM h_0 per layer (LSTM only) |
 * | `init.cell` | (L, C) | LSTM c_0 per layer (LSTM only) |
 * | `init.memory` | (N, M) | Mem_0 (only when memoryInit is `learned`) |
 *
 * @module
 */

import { controllerInputWidth, headParamsWidth, type NtmConfig } from "./config.ts";

/** One named tensor in the flat parameter array. */
export interface LayoutEntry {
  /** Dotted name, e.g. `controller.0.weight`. */
  readonly name: string;
  /** Row-major shape. */
  readonly shape: readonly number[];
  /** First element in the flat array. */
  readonly offset: number;
  /** Number of elements (the product of the shape). */
  readonly size: number;
}

/** The layout of all parameters of one configuration. */
export interface ParameterLayout {
  /** Entries in storage order. */
  readonly entries: readonly LayoutEntry[];
  /** Total number of parameters. */
  readonly size: number;
  /**
   * Looks up an entry by name.
   *
   * @param name The tensor's name.
   * @returns The entry.
   * @throws {RangeError} when no tensor has that name.
   */
  get(name: string): LayoutEntry;
}

/**
 * The input width of controller layer `layer`: X + R·M for layer 0, C above it.
 *
 * @param config The configuration.
 * @param layer The layer index.
 * @returns in_l.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "./config.ts";
 * import { layerInputWidth } from "./layout.ts";
 * assert(layerInputWidth(ntmConfig({ inputSize: 9, outputSize: 8 }), 0) === 29);
 * ```
 */
export function layerInputWidth(config: NtmConfig, layer: number): number {
  return layer === 0 ? controllerInputWidth(config) : config.controllerSize;
}

/**
 * Builds the parameter layout of a configuration.
 *
 * @param config The configuration.
 * @returns The layout.
 *
 * @example Count the paper's copy model
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "./config.ts";
 * import { parameterLayout } from "./layout.ts";
 * const layout = parameterLayout(ntmConfig({ inputSize: 9, outputSize: 8 }));
 * assert(layout.get("heads.weight").shape[1] === 100);
 * ```
 */
export function parameterLayout(config: NtmConfig): ParameterLayout {
  const shapes: [string, number[]][] = [];
  const c = config.controllerSize, isLstm = config.controllerType === "lstm";
  for (let l = 0; l < config.controllerLayers; l++) {
    const input = layerInputWidth(config, l);
    shapes.push([`controller.${l}.weight`, isLstm ? [4 * c, input + c] : [c, input]]);
    shapes.push([`controller.${l}.bias`, [isLstm ? 4 * c : c]]);
  }
  const p = headParamsWidth(config), rm = config.readHeads * config.memoryM;
  shapes.push(["heads.weight", [p, c]], ["heads.bias", [p]]);
  shapes.push(["output.weight", [config.outputSize, c + rm]], ["output.bias", [config.outputSize]]);
  shapes.push(["init.read", [config.readHeads, config.memoryM]]);
  shapes.push(["init.weighting", [config.readHeads + config.writeHeads, config.memoryN]]);
  if (isLstm) {
    shapes.push(["init.hidden", [config.controllerLayers, c]], ["init.cell", [config.controllerLayers, c]]);
  }
  if (config.memoryInit === "learned") shapes.push(["init.memory", [config.memoryN, config.memoryM]]);

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
      if (!entry) {
        throw new RangeError(
          `Cannot find parameter "${name}": the layout has ${entries.map((e) => e.name).join(", ")}`,
        );
      }
      return entry;
    },
  };
}
