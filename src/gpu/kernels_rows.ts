/**
 * Where the rows of the engine's buffers lie, for the kernels that take a {@linkcode RowView} (a base, a
 * stride between episodes and one between steps) instead of a fixed layout: the affine maps of
 * `linear.wgsl`. And how wide the controller's layer inputs are: {@linkcode layerWidth} of layer l, and
 * {@linkcode controllerInputStride}, the row width of `controller_in`.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import { layerInputWidth } from "../model/layout.ts";

/**
 * Where the rows of one tensor lie in its buffer. Row (g, i), episode i of step g, starts at
 * `base + g·groupStride + i·stride`; a buffer without a time axis has `groupStride` 0.
 */
export interface RowView {
  /** First element of row (0, 0). */
  readonly base: number;
  /** Elements between the rows of two consecutive episodes. */
  readonly stride: number;
  /** Elements between the rows of two consecutive steps. */
  readonly groupStride: number;
}

/**
 * The rows of a (T, B, width) buffer, e.g. `raw_heads`, `output_in`, `logits`.
 *
 * @param batch B.
 * @param width The row width.
 * @returns The view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stepRows } from "./kernels_rows.ts";
 * assert(stepRows(3, 5).groupStride === 15);
 * ```
 */
export function stepRows(batch: number, width: number): RowView {
  return { base: 0, stride: width, groupStride: batch * width };
}

/**
 * The rows of layer l in a (T, L, B, width) buffer, e.g. `controller_in`, `d_preact`.
 *
 * @param layers L.
 * @param batch B.
 * @param width The row width (K_max for `controller_in`, 4C or C for `d_preact`).
 * @param layer l.
 * @returns The view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { layerRows } from "./kernels_rows.ts";
 * assert(layerRows(2, 3, 5, 1).base === 15);
 * ```
 */
export function layerRows(layers: number, batch: number, width: number, layer: number): RowView {
  return { base: layer * batch * width, stride: width, groupStride: layers * batch * width };
}

/**
 * The rows of layer l that step t writes in a (T + 1, L, B, C) state buffer (`hidden`, `cell`): slot t + 1.
 *
 * @param layers L.
 * @param batch B.
 * @param units C.
 * @param layer l.
 * @returns The view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { stateRows } from "./kernels_rows.ts";
 * assert(stateRows(1, 2, 4, 0).base === 8); // slot 1
 * ```
 */
export function stateRows(layers: number, batch: number, units: number, layer: number): RowView {
  return { base: (layers + layer) * batch * units, stride: units, groupStride: layers * batch * units };
}

/**
 * The rows of a (B, width) buffer without a time axis, e.g. the carried `d_hidden` of one layer.
 *
 * @param width The row width.
 * @param base Where episode 0's row starts (e.g. l·B·C for layer l of `d_hidden`).
 * @returns The view.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { batchRows } from "./kernels_rows.ts";
 * assert(batchRows(7, 21).groupStride === 0);
 * ```
 */
export function batchRows(width: number, base = 0): RowView {
  return { base, stride: width, groupStride: 0 };
}

/**
 * The row width of `controller_in` (T, L, B, K_max): the widest layer input `[in_l; h_prev]` (LSTM) or
 * `in_l` (feed-forward), rounded up to a multiple of 4.
 *
 * @param config The configuration.
 * @returns K_max.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { controllerInputStride } from "./kernels_rows.ts";
 * assert(controllerInputStride(ntmConfig({ inputSize: 9, outputSize: 8 })) === 132);
 * ```
 */
export function controllerInputStride(config: NtmConfig): number {
  let widest = 0;
  for (let l = 0; l < config.controllerLayers; l++) widest = Math.max(widest, layerWidth(config, l));
  return Math.ceil(widest / 4) * 4;
}

/**
 * K_l: layer l's input width, plus C for an LSTM (its h_prev): the columns of layer l's weight.
 *
 * @param config The configuration.
 * @param layer l.
 * @returns K_l.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { layerWidth } from "./kernels_rows.ts";
 * assert(layerWidth(ntmConfig({ inputSize: 9, outputSize: 8 }), 0) === 129);
 * ```
 */
export function layerWidth(config: NtmConfig, layer: number): number {
  return layerInputWidth(config, layer) + (config.controllerType === "lstm" ? config.controllerSize : 0);
}
