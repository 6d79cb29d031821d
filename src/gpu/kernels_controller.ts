/**
 * Typed constructors of the {@linkcode KernelSpec}s of the controller (LSTM and feed-forward layers), the
 * affine maps (head parameters, output layer) with their weight-gradient reductions, the output loss, the
 * gradient clipping and both optimisers: one function per WGSL entry point, taking the sizes and offsets and
 * returning the spec (bindings in order, constants) with its dispatch size. Buffer shapes are those of
 * `shaders/README.md`, plus `logits` (T, B, Y) and `d_output_in` (T, B, C + R·M); `controller_in` rows are
 * {@linkcode controllerInputStride} wide.
 *
 * Forward, step t (after the engine has set slot 0 of `hidden`, `cell` and `reads`):
 * 1. for l = 0 … L − 1: {@linkcode lstmForwardKernel} (or {@linkcode feedforwardForwardKernel});
 * 2. the head map `heads.forward` of {@linkcode ntmLinearKernels} → `raw_heads` slot t; then the heads,
 *    addressing, read and write (`kernels_addressing.ts`).
 *
 * After the time loop: {@linkcode outputGatherForwardKernel} → `output_in`; `output.forward` → `logits`;
 * {@linkcode outputLossKernel} → `y`, `d_logits`, `metrics`; `output.backwardInput` → `d_output_in`.
 * Zero `d_hidden`, `d_cell` and `d_reads` (and the addressing's carried gradients).
 *
 * Backward, step t = T − 1 … 0:
 * 1. {@linkcode outputGatherBackwardKernel}: adds `d_output_in` slot t into `d_hidden[L − 1]` and `d_reads`;
 * 2. the memory and addressing backward (`kernels_addressing.ts`) → `d_raw_heads` slot t;
 * 3. `heads.backwardInput`: adds W_hᵀ·`d_raw_heads` slot t into `d_hidden[L − 1]`;
 * 4. for l = L − 1 … 0: {@linkcode lstmBackwardKernel} (or {@linkcode feedforwardBackwardKernel}): writes
 *    `d_preact` slot (t, l), turns `d_hidden[l]`, `d_cell[l]` into the gradients of step t − 1's state, adds
 *    into `d_hidden[l − 1]`, and at l = 0 writes the gradient of r_{t−1} into `d_reads`.
 *
 * After the reverse loop, the reductions into `grad` (all add; the engine zeroes `grad` once per training
 * step): `output.weightGrad`, `heads.weightGrad`,
 * `controllerWeightGrad[l]`, and the learned initial state `initRead` (from `d_reads`), `initHidden[l]`,
 * `initCell[l]` (from `d_hidden`, `d_cell`; LSTM only). Then {@linkcode optimizerKernels}: clip and update.
 *
 * @module
 */

import controllerGatherCodeSource from "../../shaders/controller_gather.wgsl" with { type: "text" };
import lstmCodeSource from "../../shaders/lstm.wgsl" with { type: "text" };
import feedforwardCodeSource from "../../shaders/feedforward.wgsl" with { type: "text" };
import linearCodeSource from "../../shaders/linear.wgsl" with { type: "text" };
import outputLossCodeSource from "../../shaders/output_loss.wgsl" with { type: "text" };
import clipCodeSource from "../../shaders/clip.wgsl" with { type: "text" };
import adamCodeSource from "../../shaders/adam.wgsl" with { type: "text" };
import rmspropCodeSource from "../../shaders/rmsprop.wgsl" with { type: "text" };
import { headParamsWidth, type NtmConfig, type OutputKind } from "../model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../model/layout.ts";
import { ADAM_DEFAULTS, type AdamOptions } from "../optim/adam.ts";
import type { OptimizerName } from "../optim/optimizer.ts";
import { RMSPROP_DEFAULTS, type RmsPropOptions } from "../optim/rmsprop.ts";
import type { KernelSpec } from "./kernel.ts";
import type { KernelLaunch, KernelOptions } from "./kernels_addressing.ts";
import { linkShader } from "./shader_source.ts";

const controllerGatherCode = linkShader(controllerGatherCodeSource, "controller_gather.wgsl");
const lstmCode = linkShader(lstmCodeSource, "lstm.wgsl");
const feedforwardCode = linkShader(feedforwardCodeSource, "feedforward.wgsl");
const linearCode = linkShader(linearCodeSource, "linear.wgsl");
const outputLossCode = linkShader(outputLossCodeSource, "output_loss.wgsl");
const clipCode = linkShader(clipCodeSource, "clip.wgsl");
const adamCode = linkShader(adamCodeSource, "adam.wgsl");
const rmspropCode = linkShader(rmspropCodeSource, "rmsprop.wgsl");

export type { KernelLaunch, KernelOptions } from "./kernels_addressing.ts";

/** The largest workgroup count per dimension that every WebGPU device supports. */
const MAX_WORKGROUPS = 65535;

/** The largest finite f32: the stand-in for an infinite clipping limit. */
const F32_MAX = 3.4028234663852886e38;

/** Words of the `clip_state` buffer written by {@linkcode clipNormKernel}: norm, scale, finite, updates. */
export const CLIP_STATE_WORDS = 4;

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
 * import { stepRows } from "./kernels_controller.ts";
 * console.assert(stepRows(3, 5).groupStride === 15);
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
 * import { layerRows } from "./kernels_controller.ts";
 * console.assert(layerRows(2, 3, 5, 1).base === 15);
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
 * import { stateRows } from "./kernels_controller.ts";
 * console.assert(stateRows(1, 2, 4, 0).base === 8); // slot 1
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
 * import { batchRows } from "./kernels_controller.ts";
 * console.assert(batchRows(7, 21).groupStride === 0);
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
 * import { ntmConfig } from "../model/config.ts";
 * import { controllerInputStride } from "./kernels_controller.ts";
 * console.assert(controllerInputStride(ntmConfig({ inputSize: 9, outputSize: 8 })) === 132);
 * ```
 */
export function controllerInputStride(config: NtmConfig): number {
  let widest = 0;
  for (let l = 0; l < config.controllerLayers; l++) widest = Math.max(widest, layerWidth(config, l));
  return Math.ceil(widest / 4) * 4;
}

/**
 * `lstm_forward`: layer l of the LSTM at step t, its input gathered in (one workgroup per episode).
 *
 * Bindings: `params`, `input` (T, B, X), `reads` (T + 1, B, R, M) slot t → writes `controller_in`
 * (T, L, B, K_max) slot (t, l), `gates` (T, L, B, 4C) slot (t, l), `cell` and `hidden` (T + 1, L, B, C)
 * slot t + 1 of layer l (reading slot t, and for l > 0 slot t + 1 of layer l − 1).
 *
 * @param config The configuration (an LSTM controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = lstmForwardKernel(config, layout, 32, 0);
 * dispatch(pass, cache.get(spec), group, t, workgroups);
 * ```
 */
export function lstmForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "lstm", options);
  return launch({
    label: "lstm",
    code: lstmCode,
    entryPoint: "lstm_forward",
    inputs: ["params", "input", "reads"],
    outputs: ["controller_in", "gates", "cell", "hidden"],
    constants,
  }, batch);
}

/**
 * `lstm_backward`: layer l of the LSTM at reverse step t (one workgroup per episode). See the top of
 * `shaders/lstm.wgsl` for what the carried buffers hold before and after.
 *
 * Bindings: `params`, `saved_gates` (bind `gates`), `saved_cell` (bind `cell`) → writes `d_preact`
 * (T, L, B, 4C) slot (t, l); reads and writes `d_hidden` (L, B, C) (writes layer l, adds into layer l − 1)
 * and `d_cell` (L, B, C) layer l; at l = 0 writes `d_reads_prev` (B, R, M) (bind the carried `d_reads`).
 *
 * @param config The configuration (an LSTM controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * for (let l = L - 1; l >= 0; l--) {
 *   const { spec, workgroups } = lstmBackwardKernel(config, layout, 32, l);
 *   dispatch(pass, cache.get(spec), groups[l], t, workgroups);
 * }
 * ```
 */
export function lstmBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "lstm", options);
  return launch({
    label: "lstm",
    code: lstmCode,
    entryPoint: "lstm_backward",
    inputs: ["params", "saved_gates", "saved_cell"],
    outputs: ["d_preact", "d_hidden", "d_cell", "d_reads_prev"],
    constants,
  }, batch);
}

/**
 * `feedforward_forward`: layer l of the feed-forward controller at step t, its input gathered in (one
 * workgroup per episode).
 *
 * Bindings: `params`, `input` (T, B, X), `reads` (T + 1, B, R, M) slot t → writes `controller_in`
 * (T, L, B, K_max) slot (t, l) and `hidden` (T + 1, L, B, C) slot t + 1 of layer l.
 *
 * @param config The configuration (a feed-forward controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = feedforwardForwardKernel(config, layout, 32, 0);
 * ```
 */
export function feedforwardForwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "feedforward", options);
  return launch({
    label: "feedforward",
    code: feedforwardCode,
    entryPoint: "feedforward_forward",
    inputs: ["params", "input", "reads"],
    outputs: ["controller_in", "hidden"],
    constants,
  }, batch);
}

/**
 * `feedforward_backward`: layer l of the feed-forward controller at reverse step t (one workgroup per
 * episode). See the top of `shaders/feedforward.wgsl` for what the carried buffers hold.
 *
 * Bindings: `params`, `saved_hidden` (bind `hidden`) → writes `d_preact` (T, L, B, C) slot (t, l); reads
 * `d_hidden` (L, B, C) layer l and zeroes it, adds into layer l − 1; at l = 0 writes `d_reads_prev`
 * (B, R, M) (bind the carried `d_reads`).
 *
 * @param config The configuration (a feed-forward controller).
 * @param layout Its parameter layout.
 * @param batch B.
 * @param layer l.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = feedforwardBackwardKernel(config, layout, 32, 0);
 * ```
 */
export function feedforwardBackwardKernel(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = controllerConstants(config, layout, batch, layer, "feedforward", options);
  return launch({
    label: "feedforward",
    code: feedforwardCode,
    entryPoint: "feedforward_backward",
    inputs: ["params", "saved_hidden"],
    outputs: ["d_preact", "d_hidden", "d_reads_prev"],
    constants,
  }, batch);
}

/**
 * `output_gather_forward`: `output_in` = [h_t of the top layer; r_t] for all T steps at once (one
 * invocation per element).
 *
 * Bindings: `hidden` (T + 1, L, B, C), `reads` (T + 1, B, R, M) → writes `output_in` (T, B, C + R·M).
 *
 * @param config The configuration.
 * @param batch B.
 * @param steps T.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputGatherForwardKernel(config, 32, 42);
 * ```
 */
export function outputGatherForwardKernel(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = gatherConstants(config, batch, steps, options);
  return launch({
    label: "controller_gather",
    code: controllerGatherCode,
    entryPoint: "output_gather_forward",
    inputs: ["hidden", "reads"],
    outputs: ["output_in"],
    constants,
  }, Math.ceil((steps * batch * (constants.C! + constants.RM!)) / constants.WORKGROUP!));
}

/**
 * `output_gather_backward`: at reverse step t, adds `d_output_in` slot t into the carried gradients of the
 * top layer's h_t and of r_t (one invocation per element of a step).
 *
 * Bindings: `d_output_in` (T, B, C + R·M) → adds into `d_hidden` (L, B, C) layer L − 1 and `d_reads`
 * (B, R, M).
 *
 * @param config The configuration.
 * @param batch B.
 * @param steps T.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputGatherBackwardKernel(config, 32, 42);
 * ```
 */
export function outputGatherBackwardKernel(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions = {},
): KernelLaunch {
  const constants = gatherConstants(config, batch, steps, options);
  return launch({
    label: "controller_gather",
    code: controllerGatherCode,
    entryPoint: "output_gather_backward",
    inputs: ["d_output_in"],
    outputs: ["d_hidden", "d_reads"],
    constants,
  }, Math.ceil((batch * (constants.C! + constants.RM!)) / constants.WORKGROUP!));
}

/** The shape of an affine map `Y = W·X + b` over rows, for the `linear.wgsl` kernels. */
export interface LinearShape {
  /** Output width: rows of W. */
  readonly rows: number;
  /** Input width: columns of W. */
  readonly cols: number;
  /** Where W (rows, cols) starts in `params` and `grad`. */
  readonly weightOffset: number;
  /** Where b (rows) starts in `params` and `grad`. */
  readonly biasOffset: number;
  /** B: rows per step. */
  readonly batch: number;
  /** T: steps covered by the all-rows dispatches and the reductions (default 1). */
  readonly steps?: number;
  /** Where the rows of X (and dX) lie. */
  readonly x: RowView;
  /** Where the rows of Y (and dY) lie. */
  readonly y: RowView;
}

/** How a forward or input-gradient dispatch of `linear.wgsl` covers the rows. */
export interface LinearRowOptions extends KernelOptions {
  /** Only the B rows of step t (from the step uniform); otherwise all T·B rows at once. */
  readonly perStep?: boolean;
}

/**
 * `linear_forward`: `Y[q] = W·X[q] + b` (one workgroup per row q).
 *
 * Bindings: `params`, `x` (rows by `shape.x`) → writes `y` (rows by `shape.y`).
 *
 * @param shape The map and where its rows lie.
 * @param options Per step or all rows; workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups per step, T·B for all rows).
 *
 * @example
 * ```ts ignore
 * const heads = ntmLinearKernels(config, layout, 32, 42).heads.forward; // or build the shape yourself
 * ```
 */
export function linearForwardKernel(shape: LinearShape, options: LinearRowOptions = {}): KernelLaunch {
  const constants = linearConstants(shape, options.perStep ?? false, false, options);
  return launch({
    label: "linear",
    code: linearCode,
    entryPoint: "linear_forward",
    inputs: ["params", "x"],
    outputs: ["y"],
    constants,
  }, rowCount(shape, options));
}

/**
 * `linear_backward_input`: `dX[q] = Wᵀ·dY[q]`, written, or added into dX when `accumulate` (one
 * workgroup per row q).
 *
 * Bindings: `params`, `dy` (rows by `shape.y`) → writes or adds into `dx` (rows by `shape.x`).
 *
 * @param shape The map and where its rows lie.
 * @param options Per step or all rows; whether to add; workgroup size (default 64).
 * @returns The spec and its dispatch size (B workgroups per step, T·B for all rows).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = ntmLinearKernels(config, layout, 32, 42).heads.backwardInput;
 * ```
 */
export function linearBackwardInputKernel(
  shape: LinearShape,
  options: LinearRowOptions & { readonly accumulate?: boolean } = {},
): KernelLaunch {
  const constants = linearConstants(shape, options.perStep ?? false, options.accumulate ?? false, options);
  return launch({
    label: "linear",
    code: linearCode,
    entryPoint: "linear_backward_input",
    inputs: ["params", "dy"],
    outputs: ["dx"],
    constants,
  }, rowCount(shape, options));
}

/**
 * `linear_weight_grad`: `dW += Σ_q dY[q] ⊗ X[q]`, `db += Σ_q dY[q]` over all T·B rows, into the flat
 * gradient at the map's offsets (one invocation per 4×4 tile of dW or 4 entries of db; no atomics).
 *
 * Bindings: `dy_rows` (rows by `shape.y`), `saved_x` (rows by `shape.x`) → adds into `grad` (parameter
 * count).
 *
 * @param shape The map and where its rows lie.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = ntmLinearKernels(config, layout, 32, 42).output.weightGrad;
 * ```
 */
export function linearWeightGradKernel(shape: LinearShape, options: KernelOptions = {}): KernelLaunch {
  const constants = linearConstants(shape, false, false, options);
  const rowTiles = Math.ceil(shape.rows / 4), colTiles = Math.ceil(shape.cols / 4);
  return launch({
    label: "linear",
    code: linearCode,
    entryPoint: "linear_weight_grad",
    inputs: ["dy_rows", "saved_x"],
    outputs: ["grad"],
    constants,
  }, Math.ceil((rowTiles * (colTiles + 1)) / constants.WORKGROUP!));
}

/**
 * Whether {@linkcode linearWeightGradTiledKernel} can run a shape: every base and stride of its row views a
 * multiple of 4 (its rows are read as vec4s).
 *
 * @param shape The map and where its rows lie.
 * @returns Whether the tiled reduction applies.
 *
 * @example
 * ```ts
 * import { stepRows, tiledWeightGradFits } from "./kernels_controller.ts";
 * const shape = { rows: 8, cols: 12, weightOffset: 0, biasOffset: 96, batch: 2, x: stepRows(2, 12), y: stepRows(2, 8) };
 * console.assert(tiledWeightGradFits(shape));
 * ```
 */
export function tiledWeightGradFits(shape: LinearShape): boolean {
  return [shape.x, shape.y].every((view) =>
    view.base % 4 === 0 && view.stride % 4 === 0 && view.groupStride % 4 === 0
  );
}

/**
 * `linear_weight_grad_tiled`: the sums of {@linkcode linearWeightGradKernel} (`dW += Σ_q dY[q] ⊗ X[q]`,
 * `db += Σ_q dY[q]` over all T·B rows), from vec4 loads: one invocation per 8×8 tile of dW or 8 entries of
 * db, 64 FMAs per 4 loads (on a software adapter about 10× faster than the 4×4 scalar tiles). Needs
 * {@linkcode tiledWeightGradFits}.
 *
 * Bindings: `dy_quads` (rows by `shape.y`), `x_quads` (rows by `shape.x`) → adds into `tiled_grad` (bind
 * `grad`).
 *
 * @param shape The map and where its rows lie.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 * @throws {RangeError} when a base or stride is not a multiple of 4.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = linearWeightGradTiledKernel(shape);
 * ```
 */
export function linearWeightGradTiledKernel(shape: LinearShape, options: KernelOptions = {}): KernelLaunch {
  if (!tiledWeightGradFits(shape)) {
    throw new RangeError(
      "Cannot build the tiled weight gradient: every base and stride of its rows must be a multiple of 4",
    );
  }
  const constants = linearConstants(shape, false, false, options);
  const rowTiles = Math.ceil(shape.rows / 8), colTiles = Math.ceil(shape.cols / 8);
  return launch({
    label: "linear",
    code: linearCode,
    entryPoint: "linear_weight_grad_tiled",
    inputs: ["dy_quads", "x_quads"],
    outputs: ["tiled_grad"],
    constants,
  }, Math.ceil((rowTiles * (colTiles + 1)) / constants.WORKGROUP!));
}

/** The shape of a sum over rows for `linear_bias_grad`. */
export interface RowSumShape {
  /** Row width. */
  readonly rows: number;
  /** Where the sums are added in `grad`. */
  readonly biasOffset: number;
  /** B: rows per step. */
  readonly batch: number;
  /** T: steps summed over (default 1). */
  readonly steps?: number;
  /** Where the rows lie. */
  readonly y: RowView;
}

/**
 * `linear_bias_grad`: `grad[biasOffset + r] += Σ_q dY[q, r]` over all rows; also sums the carried
 * per-episode gradients of the learned initial state over the batch (one invocation per entry).
 *
 * Bindings: `dy_rows` (rows by `shape.y`) → adds into `bias_grad` (bind `grad`).
 *
 * @param shape The rows and where the sums go.
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = ntmLinearKernels(config, layout, 32, 42).initRead;
 * ```
 */
export function linearBiasGradKernel(shape: RowSumShape, options: KernelOptions = {}): KernelLaunch {
  const wg = workgroup(options, 64);
  positive("rows", shape.rows), positive("batch", shape.batch), positive("steps", shape.steps ?? 1);
  return launch({
    label: "linear",
    code: linearCode,
    entryPoint: "linear_bias_grad",
    inputs: ["dy_rows"],
    outputs: ["bias_grad"],
    constants: {
      OUT: shape.rows,
      IN: 1,
      W_OFFSET: 0,
      B_OFFSET: shape.biasOffset,
      GROUP: shape.batch,
      GROUPS: shape.steps ?? 1,
      ...viewConstants("Y", shape.y),
      WORKGROUP: wg,
    },
  }, Math.ceil(shape.rows / wg));
}

/** The launches of `linear.wgsl` that one NTM needs, from {@linkcode ntmLinearKernels}. */
export interface NtmLinearKernels {
  /** The head-parameter map `raw_heads = W_h·h_top + b_h`. */
  readonly heads: {
    /** Per step t: bind `params`, `hidden` → `raw_heads` slot t. */
    readonly forward: KernelLaunch;
    /** Per reverse step t: bind `params`, `d_raw_heads` → adds into `d_hidden` layer L − 1. */
    readonly backwardInput: KernelLaunch;
    /** After the loop: bind `d_raw_heads`, `hidden` → adds into `grad` (heads.weight, heads.bias). */
    readonly weightGrad: KernelLaunch;
  };
  /** The output layer `logits = W_y·[h; r] + b_y`, over all T·B rows. */
  readonly output: {
    /** After the time loop: bind `params`, `output_in` → `logits`. */
    readonly forward: KernelLaunch;
    /** Before the reverse loop: bind `params`, `d_logits` → `d_output_in` (written). */
    readonly backwardInput: KernelLaunch;
    /** After the reverse loop: bind `d_logits`, `output_in` → adds into `grad` (output.weight, .bias). */
    readonly weightGrad: KernelLaunch;
  };
  /** Per layer l, after the reverse loop: bind `d_preact`, `controller_in` → adds into `grad`. */
  readonly controllerWeightGrad: readonly KernelLaunch[];
  /** After the reverse loop: bind `d_reads` → adds Σ_b ∂r_0 into `grad` (init.read). */
  readonly initRead: KernelLaunch;
  /** LSTM, per layer l, after the reverse loop: bind `d_hidden` → adds Σ_b ∂h_0 into `grad` (init.hidden). */
  readonly initHidden: readonly KernelLaunch[];
  /** LSTM, per layer l, after the reverse loop: bind `d_cell` → adds Σ_b ∂c_0 into `grad` (init.cell). */
  readonly initCell: readonly KernelLaunch[];
}

/**
 * Every `linear.wgsl` launch of one NTM, with the row views of the README buffers filled in. Each weight
 * gradient is {@linkcode linearWeightGradTiledKernel} where its rows are vec4-aligned
 * ({@linkcode tiledWeightGradFits}), else {@linkcode linearWeightGradKernel}.
 *
 * @param config The configuration.
 * @param layout Its parameter layout.
 * @param batch B.
 * @param steps T.
 * @param options Workgroup size (default 64).
 * @returns The launches.
 *
 * @example
 * ```ts ignore
 * const linear = ntmLinearKernels(config, layout, 32, 42);
 * dispatch(pass, cache.get(linear.heads.forward.spec), headsGroup, t, linear.heads.forward.workgroups);
 * ```
 */
export function ntmLinearKernels(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  steps: number,
  options: KernelOptions = {},
): NtmLinearKernels {
  const C = config.controllerSize, L = config.controllerLayers, Y = config.outputSize;
  const P = headParamsWidth(config), outIn = C + config.readHeads * config.memoryM;
  const isLstm = config.controllerType === "lstm";
  const headsShape: LinearShape = {
    rows: P,
    cols: C,
    weightOffset: layout.get("heads.weight").offset,
    biasOffset: layout.get("heads.bias").offset,
    batch,
    steps,
    x: stateRows(L, batch, C, L - 1),
    y: stepRows(batch, P),
  };
  const outputShape: LinearShape = {
    rows: Y,
    cols: outIn,
    weightOffset: layout.get("output.weight").offset,
    biasOffset: layout.get("output.bias").offset,
    batch,
    steps,
    x: stepRows(batch, outIn),
    y: stepRows(batch, Y),
  };
  const kMax = controllerInputStride(config), gateRows = isLstm ? 4 * C : C;
  const weightGrad = (shape: LinearShape) =>
    tiledWeightGradFits(shape)
      ? linearWeightGradTiledKernel(shape, options)
      : linearWeightGradKernel(shape, options);
  const controllerWeightGrad = Array.from({ length: L }, (_, l) =>
    weightGrad({
      rows: gateRows,
      cols: layerWidth(config, l),
      weightOffset: layout.get(`controller.${l}.weight`).offset,
      biasOffset: layout.get(`controller.${l}.bias`).offset,
      batch,
      steps,
      x: layerRows(L, batch, kMax, l),
      y: layerRows(L, batch, gateRows, l),
    }));
  const initState = (name: string) =>
    isLstm
      ? Array.from({ length: L }, (_, l) =>
        linearBiasGradKernel({
          rows: C,
          biasOffset: layout.get(name).offset + l * C,
          batch,
          y: batchRows(C, l * batch * C),
        }, options))
      : [];
  return {
    heads: {
      forward: linearForwardKernel(headsShape, { ...options, perStep: true }),
      backwardInput: linearBackwardInputKernel(
        { ...headsShape, x: batchRows(C, (L - 1) * batch * C) },
        { ...options, perStep: true, accumulate: true },
      ),
      weightGrad: weightGrad(headsShape),
    },
    output: {
      forward: linearForwardKernel(outputShape, options),
      backwardInput: linearBackwardInputKernel(outputShape, options),
      weightGrad: weightGrad(outputShape),
    },
    controllerWeightGrad,
    initRead: linearBiasGradKernel({
      rows: config.readHeads * config.memoryM,
      biasOffset: layout.get("init.read").offset,
      batch,
      y: batchRows(config.readHeads * config.memoryM),
    }, options),
    initHidden: initState("init.hidden"),
    initCell: initState("init.cell"),
  };
}

/**
 * `sigmoid_cross_entropy` or `softmax_cross_entropy`: outputs, loss gradient and per-episode metrics over
 * all T steps (one invocation per episode).
 *
 * Bindings: `logits` (T, B, Y), `targets` (bind `target`, (T, B, Y)), `mask` (T, B) → writes `y`,
 * `d_logits` (T, B, Y) and `metrics` (B, 2): loss in nats summed over the masked steps, then the error
 * count (both f32).
 *
 * @param kind `sigmoid` (bits, binary cross-entropy) or `softmax` (classes, categorical cross-entropy).
 * @param batch B.
 * @param steps T.
 * @param outputs Y.
 * @param scale The factor on the loss in `d_logits` (default 1/B: the gradient of the batch mean).
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputLossKernel(config.outputKind, 32, 42, 8);
 * ```
 */
export function outputLossKernel(
  kind: OutputKind,
  batch: number,
  steps: number,
  outputs: number,
  scale: number = 1 / batch,
  options: KernelOptions = {},
): KernelLaunch {
  if (kind !== "sigmoid" && kind !== "softmax") {
    throw new TypeError(`Cannot build the output loss kernel: kind must be sigmoid or softmax, got ${kind}`);
  }
  positive("B", batch), positive("T", steps), positive("Y", outputs);
  const wg = workgroup(options, 64);
  return launch({
    label: "output_loss",
    code: outputLossCode,
    entryPoint: `${kind}_cross_entropy`,
    inputs: ["logits", "targets", "mask"],
    outputs: ["y", "d_logits", "metrics"],
    constants: { B: batch, T: steps, Y: outputs, SCALE: scale, WORKGROUP: wg },
  }, Math.ceil(batch / wg));
}

/**
 * `clip_norm`: the gradient's L2 norm (one workgroup of 256), the clipping scale, whether the norm is
 * finite, and the update count, into `clip_state` (see `shaders/clip.wgsl`).
 *
 * Bindings: `grad_in` (bind `grad`) → reads and writes `clip_state` ({@linkcode CLIP_STATE_WORDS} words).
 *
 * @param size P, the parameter count.
 * @param maxNorm The global-norm limit (`Infinity`, the default, measures without clipping).
 * @returns The spec and its dispatch size (1 workgroup).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipNormKernel(layout.size, 50);
 * ```
 */
export function clipNormKernel(size: number, maxNorm: number = Infinity): KernelLaunch {
  positive("P", size);
  return launch({
    label: "clip",
    code: clipCode,
    entryPoint: "clip_norm",
    inputs: ["grad_in"],
    outputs: ["clip_state"],
    constants: { P: size, MAX_NORM: limitConstant("maxNorm", maxNorm), WORKGROUP: 256 },
  }, 1);
}

/**
 * `clip_scale`: multiplies the gradient by the scale {@linkcode clipNormKernel} chose, if the norm was
 * finite (one invocation per parameter).
 *
 * Bindings: `clip_state_in` (bind `clip_state`) → `grad` (scaled in place).
 *
 * @param size P, the parameter count.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipScaleKernel(layout.size);
 * ```
 */
export function clipScaleKernel(size: number): KernelLaunch {
  positive("P", size);
  return launch({
    label: "clip",
    code: clipCode,
    entryPoint: "clip_scale",
    inputs: ["clip_state_in"],
    outputs: ["grad"],
    constants: { P: size, WORKGROUP: 256 },
  }, Math.ceil(size / 256));
}

/**
 * `clip_elementwise`: clamps the gradient to [−limit, limit], if its norm was finite (one invocation per
 * parameter).
 *
 * Bindings: `clip_state_in` (bind `clip_state`) → `grad` (clamped in place).
 *
 * @param size P, the parameter count.
 * @param limit The largest magnitude of one element (`Infinity` for none).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = clipElementwiseKernel(layout.size, 10);
 * ```
 */
export function clipElementwiseKernel(size: number, limit: number): KernelLaunch {
  positive("P", size);
  return launch({
    label: "clip",
    code: clipCode,
    entryPoint: "clip_elementwise",
    inputs: ["clip_state_in"],
    outputs: ["grad"],
    constants: { P: size, LIMIT: limitConstant("limit", limit), WORKGROUP: 256 },
  }, Math.ceil(size / 256));
}

/**
 * `adam_update`: one Adam step over the flat parameters, the step count read from `clip_state` (one
 * invocation per parameter). Changes nothing when the gradient's norm was not finite.
 *
 * Bindings: `grad`, `clip_state` → `params`, `m`, `v` (updated in place).
 *
 * @param size P, the parameter count.
 * @param options Hyper-parameters (defaults: `ADAM_DEFAULTS`; `clip` belongs to {@linkcode clipNormKernel}).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = adamUpdateKernel(layout.size, { learningRate: 1e-3 });
 * ```
 */
export function adamUpdateKernel(size: number, options: Partial<AdamOptions> = {}): KernelLaunch {
  positive("P", size);
  const o = { ...ADAM_DEFAULTS, ...options };
  return launch({
    label: "adam",
    code: adamCode,
    entryPoint: "adam_update",
    inputs: ["grad", "clip_state"],
    outputs: ["params", "m", "v"],
    constants: {
      P: size,
      LEARNING_RATE: o.learningRate,
      BETA1: o.beta1,
      BETA2: o.beta2,
      EPSILON: o.epsilon,
      WORKGROUP: 256,
    },
  }, Math.ceil(size / 256));
}

/**
 * `rmsprop_update`: one step of Graves' centred RMSProp over the flat parameters (one invocation per
 * parameter). Changes nothing when the gradient's norm was not finite.
 *
 * Bindings: `grad`, `clip_state` → `params`, `n`, `gbar`, `delta` (updated in place).
 *
 * @param size P, the parameter count.
 * @param options Hyper-parameters (defaults: `RMSPROP_DEFAULTS`; `clip` belongs to
 *   {@linkcode clipElementwiseKernel}).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = rmspropUpdateKernel(layout.size);
 * ```
 */
export function rmspropUpdateKernel(size: number, options: Partial<RmsPropOptions> = {}): KernelLaunch {
  positive("P", size);
  const o = { ...RMSPROP_DEFAULTS, ...options };
  return launch({
    label: "rmsprop",
    code: rmspropCode,
    entryPoint: "rmsprop_update",
    inputs: ["grad", "clip_state"],
    outputs: ["params", "n", "gbar", "delta"],
    constants: {
      P: size,
      LEARNING_RATE: o.learningRate,
      RHO: o.rho,
      MOMENTUM: o.momentum,
      EPSILON: o.epsilon,
      WORKGROUP: 256,
    },
  }, Math.ceil(size / 256));
}

/**
 * The three dispatches of one optimiser step, in order: {@linkcode clipNormKernel}, then
 * {@linkcode clipScaleKernel} (Adam) or {@linkcode clipElementwiseKernel} (RMSProp), then the update. The
 * same semantics as `Optimizer.step` of `src/optim`, including a non-finite gradient changing nothing.
 *
 * @param name `adam` or `rmsprop`.
 * @param size P, the parameter count.
 * @param options Hyper-parameters, `clip` included (defaults: `ADAM_DEFAULTS`, `RMSPROP_DEFAULTS`).
 * @returns The launches, in dispatch order.
 *
 * @example
 * ```ts ignore
 * for (const { spec, workgroups } of optimizerKernels("adam", layout.size)) { ... }
 * ```
 */
export function optimizerKernels(
  name: OptimizerName,
  size: number,
  options: Partial<AdamOptions> | Partial<RmsPropOptions> = {},
): KernelLaunch[] {
  if (name === "adam") {
    const o: AdamOptions = { ...ADAM_DEFAULTS, ...options as Partial<AdamOptions> };
    return [clipNormKernel(size, o.clip), clipScaleKernel(size), adamUpdateKernel(size, o)];
  }
  if (name === "rmsprop") {
    const o: RmsPropOptions = { ...RMSPROP_DEFAULTS, ...options as Partial<RmsPropOptions> };
    return [clipNormKernel(size), clipElementwiseKernel(size, o.clip), rmspropUpdateKernel(size, o)];
  }
  throw new TypeError(`Cannot build the optimiser kernels: name must be adam or rmsprop, got ${name}`);
}

// ——— private helpers ———

/** K_l: layer l's input width, plus C for an LSTM (its h_prev). */
function layerWidth(config: NtmConfig, layer: number): number {
  return layerInputWidth(config, layer) + (config.controllerType === "lstm" ? config.controllerSize : 0);
}

function controllerConstants(
  config: NtmConfig,
  layout: ParameterLayout,
  batch: number,
  layer: number,
  type: "lstm" | "feedforward",
  options: KernelOptions,
): Record<string, number> {
  if (config.controllerType !== type) {
    throw new TypeError(
      `Cannot build the ${type} kernels: the configuration has a ${config.controllerType} controller`,
    );
  }
  positive("B", batch);
  if (!Number.isInteger(layer) || layer < 0 || layer >= config.controllerLayers) {
    throw new RangeError(
      `Cannot build the ${type} kernels: layer must be an integer in 0 … ${
        config.controllerLayers - 1
      }, got ${layer}`,
    );
  }
  return {
    B: batch,
    C: config.controllerSize,
    L: config.controllerLayers,
    LAYER: layer,
    X: config.inputSize,
    RM: config.readHeads * config.memoryM,
    IN: layerInputWidth(config, layer),
    K_MAX: controllerInputStride(config),
    W_OFFSET: layout.get(`controller.${layer}.weight`).offset,
    B_OFFSET: layout.get(`controller.${layer}.bias`).offset,
    WORKGROUP: workgroup(options, 64),
  };
}

function gatherConstants(
  config: NtmConfig,
  batch: number,
  steps: number,
  options: KernelOptions,
): Record<string, number> {
  positive("B", batch), positive("T", steps);
  return {
    B: batch,
    T: steps,
    C: config.controllerSize,
    L: config.controllerLayers,
    RM: config.readHeads * config.memoryM,
    WORKGROUP: workgroup(options, 64),
  };
}

function linearConstants(
  shape: LinearShape,
  perStep: boolean,
  accumulate: boolean,
  options: KernelOptions,
): Record<string, number> {
  positive("rows", shape.rows), positive("cols", shape.cols), positive("batch", shape.batch);
  positive("steps", shape.steps ?? 1);
  return {
    OUT: shape.rows,
    IN: shape.cols,
    W_OFFSET: shape.weightOffset,
    B_OFFSET: shape.biasOffset,
    GROUP: shape.batch,
    GROUPS: shape.steps ?? 1,
    PER_STEP: perStep ? 1 : 0,
    ACCUMULATE: accumulate ? 1 : 0,
    ...viewConstants("X", shape.x),
    ...viewConstants("Y", shape.y),
    WORKGROUP: workgroup(options, 64),
  };
}

function viewConstants(prefix: "X" | "Y", view: RowView): Record<string, number> {
  for (const [field, value] of Object.entries(view)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(
        `Cannot build the linear kernels: ${prefix.toLowerCase()}.${field} must be a non-negative integer, got ${value}`,
      );
    }
  }
  return {
    [`${prefix}_BASE`]: view.base,
    [`${prefix}_STRIDE`]: view.stride,
    [`${prefix}_GROUP_STRIDE`]: view.groupStride,
  };
}

function rowCount(shape: LinearShape, options: LinearRowOptions): number {
  return options.perStep ? shape.batch : shape.batch * (shape.steps ?? 1);
}

function positive(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot build the controller kernels: ${name} must be a positive integer, got ${value}`,
    );
  }
}

function workgroup(options: KernelOptions, fallback: number): number {
  const size = options.workgroupSize ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > 256 || (size & (size - 1)) !== 0) {
    throw new RangeError(
      `Cannot build the controller kernels: the workgroup size must be a power of two in 1 … 256, got ${size}`,
    );
  }
  return size;
}

function limitConstant(name: string, value: number): number {
  if (!(value > 0)) throw new RangeError(`Cannot build the clip kernels: ${name} must be > 0, got ${value}`);
  return Math.min(value, F32_MAX);
}

function launch(spec: KernelSpec, groups: number): KernelLaunch {
  if (groups > MAX_WORKGROUPS) {
    throw new RangeError(
      `Cannot dispatch ${spec.label}.${spec.entryPoint}: ${groups} workgroups exceed the limit of ${MAX_WORKGROUPS}`,
    );
  }
  return { spec, workgroups: [Math.max(1, groups), 1, 1] };
}
