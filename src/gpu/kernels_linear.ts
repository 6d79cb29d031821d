/**
 * Typed constructors of the `linear.wgsl` kernels, the affine maps `Y = W·X + b` over rows (the head map,
 * the output layer) and the weight-gradient reductions of every map (those of the controller layers too),
 * with {@linkcode ntmLinearKernels}, every launch of them that one NTM needs. Rows are addressed by
 * `RowView`s (`kernels_rows.ts`).
 *
 * @module
 */

import linearCodeSource from "../../shaders/linear.wgsl" with { type: "text" };
import { headParamsWidth, type NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { KernelEntry, KernelLaunch, KernelOptions } from "./kernel.ts";
import { kernelModule, launch, positiveSizes, workgroupSize } from "./kernel.ts";
import {
  batchRows,
  controllerInputStride,
  layerRows,
  layerWidth,
  type RowView,
  stateRows,
  stepRows,
} from "./kernels_rows.ts";

const linearShader = kernelModule(linearCodeSource, "linear.wgsl");

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
  const bindings = { entryPoint: "linear_forward", inputs: ["params", "x"], outputs: ["y"] };
  return rowsLaunch(bindings, shape, options, false);
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
  const bindings = { entryPoint: "linear_backward_input", inputs: ["params", "dy"], outputs: ["dx"] };
  return rowsLaunch(bindings, shape, options, options.accumulate ?? false);
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
  const bindings = { entryPoint: "linear_weight_grad", inputs: ["dy_rows", "saved_x"], outputs: ["grad"] };
  return tilesLaunch(bindings, shape, options, 4);
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
 * import assert from "node:assert/strict";
 * import { stepRows } from "./kernels_rows.ts";
 * import { tiledWeightGradFits } from "./kernels_linear.ts";
 * const shape = { rows: 8, cols: 12, weightOffset: 0, biasOffset: 96, batch: 2, x: stepRows(2, 12), y: stepRows(2, 8) };
 * assert(tiledWeightGradFits(shape));
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
  const bindings = {
    entryPoint: "linear_weight_grad_tiled",
    inputs: ["dy_quads", "x_quads"],
    outputs: ["tiled_grad"],
  };
  return tilesLaunch(bindings, shape, options, 8);
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
  const wg = workgroupSize("controller", options);
  positiveSizes("controller", { rows: shape.rows, batch: shape.batch, steps: shape.steps ?? 1 });
  return launch(linearShader, {
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
  // The map of the parameters `${tensor}.weight` (rows × cols) and `${tensor}.bias` over the rows x and y.
  const affine = (tensor: string, rows: number, cols: number, x: RowView, y: RowView): LinearShape => ({
    rows,
    cols,
    weightOffset: layout.get(`${tensor}.weight`).offset,
    biasOffset: layout.get(`${tensor}.bias`).offset,
    batch,
    steps,
    x,
    y,
  });
  const headsShape = affine("heads", P, C, stateRows(L, batch, C, L - 1), stepRows(batch, P));
  const outputShape = affine("output", Y, outIn, stepRows(batch, outIn), stepRows(batch, Y));
  const kMax = controllerInputStride(config), gateRows = isLstm ? 4 * C : C;
  const weightGrad = (shape: LinearShape) =>
    tiledWeightGradFits(shape)
      ? linearWeightGradTiledKernel(shape, options)
      : linearWeightGradKernel(shape, options);
  const controllerWeightGrad = Array.from({ length: L }, (_, l) => {
    const x = layerRows(L, batch, kMax, l), y = layerRows(L, batch, gateRows, l);
    return weightGrad(affine(`controller.${l}`, gateRows, layerWidth(config, l), x, y));
  });
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

// ——— private helpers ———

function linearConstants(
  shape: LinearShape,
  perStep: boolean,
  accumulate: boolean,
  options: KernelOptions,
): Record<string, number> {
  positiveSizes("controller", {
    rows: shape.rows,
    cols: shape.cols,
    batch: shape.batch,
    steps: shape.steps ?? 1,
  });
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
    WORKGROUP: workgroupSize("controller", options),
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

/** The bindings of one entry point of `linear.wgsl`. */
type LinearBindings = Omit<KernelEntry, "constants">;

/** A dispatch of one workgroup per row: the B rows of step t (`perStep`), or all T·B rows. */
function rowsLaunch(
  bindings: LinearBindings,
  shape: LinearShape,
  options: LinearRowOptions,
  accumulate: boolean,
): KernelLaunch {
  const constants = linearConstants(shape, options.perStep ?? false, accumulate, options);
  const rows = options.perStep ? shape.batch : shape.batch * (shape.steps ?? 1);
  return launch(linearShader, { ...bindings, constants }, rows);
}

/** A weight-gradient reduction of one invocation per tile×tile block of dW or per `tile` entries of db. */
function tilesLaunch(
  bindings: LinearBindings,
  shape: LinearShape,
  options: KernelOptions,
  tile: number,
): KernelLaunch {
  const constants = linearConstants(shape, false, false, options);
  const rowTiles = Math.ceil(shape.rows / tile), colTiles = Math.ceil(shape.cols / tile);
  const invocations = rowTiles * (colTiles + 1);
  return launch(linearShader, { ...bindings, constants }, Math.ceil(invocations / constants.WORKGROUP!));
}
