/**
 * One time step of the float64 NTM, phase by phase, each phase's forward beside its backward (as llm.c
 * pairs them): 1. the controller, 2. the head parameters, 3. addressing (§3.3), 4. reading and writing the
 * memory (§3.1–3.2), 5. the output and its loss; and the learned initial state before step 0. `referenceForward` and `referenceBackward` (model.ts) run
 * these over every step of every episode; backward phases add into the parameter gradient `grad`.
 *
 * @module
 */

import { type NtmConfig, readHeadWidth, shiftCount, writeHeadWidth } from "../model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../model/layout.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { softmaxBackwardInto, softmaxInto } from "./activations.ts";
import {
  contentAddressBackward,
  contentAddressForward,
  interpolateBackward,
  interpolateForward,
  sharpenBackward,
  sharpenForward,
  shiftBackward,
  shiftForward,
} from "./addressing.ts";
import {
  feedforwardBackward,
  feedforwardForward,
  linearBackward,
  linearForward,
  lstmBackward,
  lstmForward,
} from "./controller.ts";
import {
  type HeadFieldOffsets,
  headFieldOffsets,
  headParamsBackward,
  headParamsForward,
} from "./head_params.ts";
import { memoryReadBackward, memoryReadForward, memoryWriteBackward, memoryWriteForward } from "./memory.ts";
import { crossEntropyBackward, sigmoidCrossEntropyForward, softmaxCrossEntropyForward } from "./output.ts";

/** Offsets of the parameter blocks the passes use. */
export interface ParameterViews {
  readonly layerWeight: number[];
  readonly layerBias: number[];
  readonly headsWeight: number;
  readonly headsBias: number;
  /** P: the raw head parameters' width (all heads). */
  readonly headsWidth: number;
  readonly outputWeight: number;
  readonly outputBias: number;
  readonly initRead: number;
  readonly initWeighting: number;
  readonly initHidden: number;
  readonly initCell: number;
}

/** What every phase reads: the model, its parameters and where their blocks and head fields lie. */
export interface StepContext {
  readonly config: NtmConfig;
  /** (P) the parameters. */
  readonly params: Float64Array;
  readonly view: ParameterViews;
  /** Offsets of k, β, g, s, γ, e, a inside one head's parameters. */
  readonly at: HeadFieldOffsets;
}

/**
 * The context of a model's passes.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params (P) the parameters.
 * @returns The context.
 * @throws {RangeError} when `params` does not match the layout.
 */
export function stepContext(config: NtmConfig, layout: ParameterLayout, params: Float64Array): StepContext {
  if (params.length !== layout.size) {
    throw new RangeError(
      `Cannot run the NTM: expected ${layout.size} parameters for this configuration, got ${params.length}`,
    );
  }
  const isLstm = config.controllerType === "lstm", layers = config.controllerLayers;
  const view = {
    layerWeight: Array.from({ length: layers }, (_, l) => layout.get(`controller.${l}.weight`).offset),
    layerBias: Array.from({ length: layers }, (_, l) => layout.get(`controller.${l}.bias`).offset),
    headsWeight: layout.get("heads.weight").offset,
    headsBias: layout.get("heads.bias").offset,
    headsWidth: layout.get("heads.bias").size,
    outputWeight: layout.get("output.weight").offset,
    outputBias: layout.get("output.bias").offset,
    initRead: layout.get("init.read").offset,
    initWeighting: layout.get("init.weighting").offset,
    initHidden: isLstm ? layout.get("init.hidden").offset : -1,
    initCell: isLstm ? layout.get("init.cell").offset : -1,
  };
  return { config, params, view, at: headFieldOffsets(config.memoryM, shiftCount(config)) };
}

/** Where head h's raw parameters start: read heads first, then write heads. */
export function headOffset(config: NtmConfig, h: number): number {
  const R = config.readHeads;
  return h < R ? h * readHeadWidth(config) : R * readHeadWidth(config) + (h - R) * writeHeadWidth(config);
}

/** The controller's saved state of one step, per layer. */
export interface ControllerTape {
  /** The layer's input (LSTM: `[in_l; h_prev]`, feed-forward: `in_l`). */
  readonly layerInput: Float64Array[];
  /** LSTM activated gates (4C); empty for feed-forward. */
  readonly gates: Float64Array[];
  /** LSTM cell state (C); empty for feed-forward. */
  readonly cell: Float64Array[];
  /** Hidden output h (C). */
  readonly hidden: Float64Array[];
}

/**
 * 1. The controller, bottom layer up: layer 0 reads `[x_t; r_{t−1}]`, layer l the hidden output of l − 1.
 *
 * @param ctx The context.
 * @param input (X + R·M) `[x_t; r_{t−1}]`.
 * @param hiddenPrev Per layer: h_{t−1} (C).
 * @param cellPrev Per layer: c_{t−1} (C; LSTM only).
 * @returns The step's controller tape.
 */
export function controllerStepForward(
  ctx: StepContext,
  input: Float64Array,
  hiddenPrev: readonly Float64Array[],
  cellPrev: readonly Float64Array[],
): ControllerTape {
  const { config, params, view } = ctx, C = config.controllerSize;
  const tape: ControllerTape = { layerInput: [], gates: [], cell: [], hidden: [] };
  let below = input;
  for (let l = 0; l < config.controllerLayers; l++) {
    const inWidth = layerInputWidth(config, l);
    const h = new Float64Array(C);
    if (config.controllerType === "lstm") {
      const concat = new Float64Array(inWidth + C);
      concat.set(below), concat.set(hiddenPrev[l]!, inWidth);
      const preact = new Float64Array(4 * C), g = new Float64Array(4 * C), c = new Float64Array(C);
      linearForward(
        preact,
        params,
        params,
        concat,
        4 * C,
        inWidth + C,
        view.layerWeight[l]!,
        view.layerBias[l]!,
      );
      lstmForward(h, c, g, preact, cellPrev[l]!, C);
      tape.layerInput.push(concat), tape.gates.push(g), tape.cell.push(c);
    } else {
      const preact = new Float64Array(C);
      linearForward(preact, params, params, below, C, inWidth, view.layerWeight[l]!, view.layerBias[l]!);
      feedforwardForward(h, preact, C);
      tape.layerInput.push(below);
    }
    tape.hidden.push(h);
    below = h;
  }
  return tape;
}

/**
 * 1. The controller's backward, top layer down.
 *
 * @param ctx The context.
 * @param grad (P) the parameter gradient (added to).
 * @param step The step's controller tape.
 * @param cellPrev Per layer: c_{t−1} (C; LSTM only).
 * @param dTop (C) the gradient reaching the top layer's output from the heads and the output.
 * @param dhNext Per layer: the gradient reaching h_t from step t + 1.
 * @param dcNext Per layer: the gradient reaching c_t from step t + 1.
 * @returns The gradient of `[x_t; r_{t−1}]` and, per layer, of h_{t−1} and c_{t−1}.
 */
export function controllerStepBackward(
  ctx: StepContext,
  grad: Float64Array,
  step: ControllerTape,
  cellPrev: (l: number) => Float64Array,
  dTop: Float64Array,
  dhNext: readonly Float64Array[],
  dcNext: readonly Float64Array[],
): { dInput: Float64Array; dhPrev: Float64Array[]; dcPrev: Float64Array[] } {
  const { config, params, view } = ctx, C = config.controllerSize;
  let dAbove = dTop;
  const dhPrev: Float64Array[] = [], dcPrev: Float64Array[] = [];
  for (let l = config.controllerLayers - 1; l >= 0; l--) {
    const inWidth = layerInputWidth(config, l);
    const dh = dAbove.slice();
    for (let u = 0; u < C; u++) dh[u]! += dhNext[l]![u]!;
    const weight = view.layerWeight[l]!, bias = view.layerBias[l]!;
    if (config.controllerType === "lstm") {
      const dpreact = new Float64Array(4 * C),
        dc = new Float64Array(C),
        dConcat = new Float64Array(inWidth + C);
      lstmBackward(dpreact, dc, dh, dcNext[l]!, step.gates[l]!, step.cell[l]!, cellPrev(l), C);
      linearBackward(
        dConcat,
        grad,
        grad,
        dpreact,
        params,
        step.layerInput[l]!,
        4 * C,
        inWidth + C,
        weight,
        bias,
      );
      dAbove = dConcat.slice(0, inWidth);
      dhPrev[l] = dConcat.slice(inWidth), dcPrev[l] = dc;
    } else {
      const dpreact = new Float64Array(C), dIn = new Float64Array(inWidth);
      feedforwardBackward(dpreact, dh, step.hidden[l]!, C);
      linearBackward(dIn, grad, grad, dpreact, params, step.layerInput[l]!, C, inWidth, weight, bias);
      dAbove = dIn;
      dhPrev[l] = new Float64Array(C), dcPrev[l] = new Float64Array(C);
    }
  }
  return { dInput: dAbove, dhPrev, dcPrev };
}

/**
 * 2. The head parameters: the linear map of the top hidden output, each head's fields activated.
 *
 * @param ctx The context.
 * @param top (C) the top layer's hidden output.
 * @returns (P) the raw and the activated head parameters.
 */
export function headsStepForward(
  ctx: StepContext,
  top: Float64Array,
): { raw: Float64Array; act: Float64Array } {
  const { config, params, view } = ctx, P = view.headsWidth, R = config.readHeads;
  const raw = new Float64Array(P), act = new Float64Array(P);
  linearForward(raw, params, params, top, P, config.controllerSize, view.headsWeight, view.headsBias);
  for (let h = 0; h < R + config.writeHeads; h++) {
    const o = headOffset(config, h), width = h < R ? readHeadWidth(config) : writeHeadWidth(config);
    headParamsForward(
      act.subarray(o, o + width),
      raw.subarray(o, o + width),
      config.memoryM,
      shiftCount(config),
      h >= R,
    );
  }
  return { raw, act };
}

/**
 * 2. The head parameters' backward: adds the top hidden output's gradient into `dTop`.
 *
 * @param ctx The context.
 * @param grad (P) the parameter gradient (added to).
 * @param dTop (C) the top layer's output gradient (added to).
 * @param dact (P) the activated head parameters' gradient.
 * @param raw (P) the raw head parameters.
 * @param act (P) the activated head parameters.
 * @param top (C) the top layer's hidden output.
 */
export function headsStepBackward(
  ctx: StepContext,
  grad: Float64Array,
  dTop: Float64Array,
  dact: Float64Array,
  raw: Float64Array,
  act: Float64Array,
  top: Float64Array,
): void {
  const { config, params, view } = ctx, P = view.headsWidth, R = config.readHeads;
  const draw = new Float64Array(P);
  for (let h = 0; h < R + config.writeHeads; h++) {
    const o = headOffset(config, h), width = h < R ? readHeadWidth(config) : writeHeadWidth(config);
    headParamsBackward(
      draw.subarray(o, o + width),
      dact.subarray(o, o + width),
      act.subarray(o, o + width),
      raw.subarray(o, o + width),
      config.memoryM,
      shiftCount(config),
      h >= R,
    );
  }
  linearBackward(
    dTop,
    grad,
    grad,
    draw,
    params,
    top,
    P,
    config.controllerSize,
    view.headsWeight,
    view.headsBias,
  );
}

/** Addressing's saved weightings of one step, per head (R + W), each (N). */
export interface AddressingTape {
  /** Content weighting w^c. */
  readonly wc: Float64Array[];
  /** Gated weighting w^g. */
  readonly wg: Float64Array[];
  /** Shifted weighting w̃. */
  readonly wTilde: Float64Array[];
  /** Final weighting w. */
  readonly w: Float64Array[];
}

/**
 * 3. Addressing, every head on Mem_{t−1}: content (eq. 5), interpolation (7), shift (8), sharpening (9).
 *
 * @param ctx The context.
 * @param act (P) the activated head parameters.
 * @param memPrev (N, M) Mem_{t−1}.
 * @param wPrev Per head: w_{t−1} (N).
 * @returns The step's weightings.
 */
export function addressingStepForward(
  ctx: StepContext,
  act: Float64Array,
  memPrev: Float64Array,
  wPrev: readonly Float64Array[],
): AddressingTape {
  const { config, at } = ctx, N = config.memoryN, M = config.memoryM, S = shiftCount(config);
  const tape: AddressingTape = { wc: [], wg: [], wTilde: [], w: [] };
  for (let h = 0; h < config.readHeads + config.writeHeads; h++) {
    const o = headOffset(config, h);
    const c = new Float64Array(N), gated = new Float64Array(N);
    const shifted = new Float64Array(N), final = new Float64Array(N);
    contentAddressForward(c, act.subarray(o + at.k, o + at.k + M), act[o + at.beta]!, memPrev, N, M);
    interpolateForward(gated, c, wPrev[h]!, act[o + at.g]!, N);
    shiftForward(shifted, gated, act.subarray(o + at.s, o + at.s + S), N, S);
    sharpenForward(final, shifted, act[o + at.gamma]!, N);
    tape.wc.push(c), tape.wg.push(gated), tape.wTilde.push(shifted), tape.w.push(final);
  }
  return tape;
}

/**
 * 3. Addressing's backward: the head fields' gradients into `dact`, Mem_{t−1}'s into `dMemPrev`.
 *
 * @param ctx The context.
 * @param dact (P) the activated head parameters' gradient (added to).
 * @param dMemPrev (N, M) Mem_{t−1}'s gradient (added to).
 * @param dw Per head: the final weighting's gradient.
 * @param step The step's weightings.
 * @param act (P) the activated head parameters.
 * @param memPrev (N, M) Mem_{t−1}.
 * @param wPrev Per head: w_{t−1}.
 * @returns Per head: w_{t−1}'s gradient.
 */
export function addressingStepBackward(
  ctx: StepContext,
  dact: Float64Array,
  dMemPrev: Float64Array,
  dw: readonly Float64Array[],
  step: AddressingTape,
  act: Float64Array,
  memPrev: Float64Array,
  wPrev: readonly Float64Array[],
): Float64Array[] {
  const { config, at } = ctx, N = config.memoryN, M = config.memoryM, S = shiftCount(config);
  const heads = config.readHeads + config.writeHeads;
  const dwPrev = Array.from({ length: heads }, () => new Float64Array(N));
  const field = (o: number, width: number) =>
    [dact.subarray(o, o + width), act.subarray(o, o + width)] as const;
  for (let h = 0; h < heads; h++) {
    const o = headOffset(config, h);
    const dwTilde = new Float64Array(N), dwg = new Float64Array(N), dwc = new Float64Array(N);
    const [dGamma] = field(o + at.gamma, 1), [ds, s] = field(o + at.s, S), [dg] = field(o + at.g, 1);
    const [dk, k] = field(o + at.k, M), [dBeta] = field(o + at.beta, 1);
    sharpenBackward(dwTilde, dGamma, dw[h]!, step.w[h]!, step.wTilde[h]!, act[o + at.gamma]!, N);
    shiftBackward(dwg, ds, dwTilde, step.wg[h]!, s, N, S);
    interpolateBackward(dwc, dwPrev[h]!, dg, dwg, step.wc[h]!, wPrev[h]!, act[o + at.g]!, N);
    contentAddressBackward(dk, dBeta, dMemPrev, dwc, step.wc[h]!, k, act[o + at.beta]!, memPrev, N, M);
  }
  return dwPrev;
}

/** The write heads' weightings, erase and add vectors of one step, gathered: (W, N), (W, M), (W, M). */
function writeInputs(ctx: StepContext, act: Float64Array, w: readonly Float64Array[]) {
  const { config, at } = ctx, N = config.memoryN, M = config.memoryM, R = config.readHeads;
  const W = config.writeHeads;
  const writeW = new Float64Array(W * N), erase = new Float64Array(W * M), add = new Float64Array(W * M);
  for (let h = 0; h < W; h++) {
    const o = headOffset(config, R + h);
    writeW.set(w[R + h]!, h * N);
    erase.set(act.subarray(o + at.e, o + at.e + M), h * M);
    add.set(act.subarray(o + at.a, o + at.a + M), h * M);
  }
  return { writeW, erase, add };
}

/**
 * 4. Every read head reads Mem_{t−1} (eq. 2), then the write heads erase and add (eqs. 3–4) to make Mem_t.
 *
 * @param ctx The context.
 * @param act (P) the activated head parameters.
 * @param w Per head: the final weighting (N).
 * @param memPrev (N, M) Mem_{t−1}.
 * @returns (R·M) the read vectors r_t and (N, M) Mem_t.
 */
export function readWriteStepForward(
  ctx: StepContext,
  act: Float64Array,
  w: readonly Float64Array[],
  memPrev: Float64Array,
): { reads: Float64Array; memory: Float64Array } {
  const { config } = ctx, N = config.memoryN, M = config.memoryM, R = config.readHeads;
  const reads = new Float64Array(R * M);
  for (let h = 0; h < R; h++) memoryReadForward(reads.subarray(h * M, (h + 1) * M), w[h]!, memPrev, N, M);
  const { writeW, erase, add } = writeInputs(ctx, act, w);
  const memory = new Float64Array(N * M);
  memoryWriteForward(memory, memPrev, writeW, erase, add, N, M, config.writeHeads);
  return { reads, memory };
}

/**
 * 4. Reading and writing's backward: the weightings' gradients (starting from w_t's from step t + 1), the
 * erase and add vectors' into `dact`, and Mem_{t−1}'s.
 *
 * @param ctx The context.
 * @param dact (P) the activated head parameters' gradient (added to).
 * @param dReads (R·M) r_t's gradient.
 * @param dMem (N, M) Mem_t's gradient.
 * @param dwNext Per head: the gradient reaching w_t from step t + 1.
 * @param act (P) the activated head parameters.
 * @param w Per head: the final weighting.
 * @param memPrev (N, M) Mem_{t−1}.
 * @returns Per head: w_t's gradient, and (N, M) Mem_{t−1}'s.
 */
export function readWriteStepBackward(
  ctx: StepContext,
  dact: Float64Array,
  dReads: Float64Array,
  dMem: Float64Array,
  dwNext: readonly Float64Array[],
  act: Float64Array,
  w: readonly Float64Array[],
  memPrev: Float64Array,
): { dw: Float64Array[]; dMemPrev: Float64Array } {
  const { config, at } = ctx, N = config.memoryN, M = config.memoryM, R = config.readHeads;
  const W = config.writeHeads;
  const dw = dwNext.map((d) => d.slice());
  const dMemPrev = new Float64Array(N * M);
  for (let h = 0; h < R; h++) {
    memoryReadBackward(dw[h]!, dMemPrev, dReads.subarray(h * M, (h + 1) * M), w[h]!, memPrev, N, M);
  }
  const { writeW, erase, add } = writeInputs(ctx, act, w);
  const dWriteW = new Float64Array(W * N), dErase = new Float64Array(W * M), dAdd = new Float64Array(W * M);
  memoryWriteBackward(dMemPrev, dWriteW, dErase, dAdd, dMem, memPrev, writeW, erase, add, N, M, W);
  for (let h = 0; h < W; h++) {
    const o = headOffset(config, R + h), dwh = dw[R + h]!;
    for (let i = 0; i < N; i++) dwh[i]! += dWriteW[h * N + i]!;
    dact.set(dErase.subarray(h * M, (h + 1) * M), o + at.e);
    dact.set(dAdd.subarray(h * M, (h + 1) * M), o + at.a);
  }
  return { dw, dMemPrev };
}

/**
 * 5. The output y_t from `[h_t; r_t]` and the step's loss (masked).
 *
 * @param ctx The context.
 * @param top (C) the top layer's hidden output.
 * @param reads (R·M) r_t.
 * @param batch The episodes (targets and mask).
 * @param bt The step's index b·T + t.
 * @returns (Y) the output probabilities and the step's loss in nats.
 */
export function outputStepForward(
  ctx: StepContext,
  top: Float64Array,
  reads: Float64Array,
  batch: EpisodeBatch,
  bt: number,
): { y: Float64Array; loss: number } {
  const { config, params, view } = ctx, C = config.controllerSize, RM = config.readHeads * config.memoryM;
  const Y = config.outputSize;
  const outIn = new Float64Array(C + RM), logits = new Float64Array(Y), y = new Float64Array(Y);
  outIn.set(top), outIn.set(reads, C);
  linearForward(logits, params, params, outIn, Y, C + RM, view.outputWeight, view.outputBias);
  const mask = batch.mask[bt]!;
  const loss = config.outputKind === "sigmoid"
    ? sigmoidCrossEntropyForward(y, logits, batch.target, mask, Y, bt * Y)
    : softmaxCrossEntropyForward(y, logits, batch.target, mask, Y, bt * Y);
  return { y, loss };
}

/**
 * 5. The output's backward.
 *
 * @param ctx The context.
 * @param grad (P) the parameter gradient (added to).
 * @param y (Y) the output probabilities.
 * @param top (C) the top layer's hidden output.
 * @param reads (R·M) r_t.
 * @param batch The episodes (targets and mask).
 * @param bt The step's index b·T + t.
 * @param scale The loss's scale.
 * @returns (C) h_t's and (R·M) r_t's gradients.
 */
export function outputStepBackward(
  ctx: StepContext,
  grad: Float64Array,
  y: Float64Array,
  top: Float64Array,
  reads: Float64Array,
  batch: EpisodeBatch,
  bt: number,
  scale: number,
): { dTop: Float64Array; dReads: Float64Array } {
  const { config, params, view } = ctx, C = config.controllerSize, RM = config.readHeads * config.memoryM;
  const Y = config.outputSize;
  const dlogits = new Float64Array(Y);
  crossEntropyBackward(dlogits, y, batch.target, batch.mask[bt]!, scale, Y, bt * Y);
  const outIn = new Float64Array(C + RM), dOutIn = new Float64Array(C + RM);
  outIn.set(top), outIn.set(reads, C);
  linearBackward(dOutIn, grad, grad, dlogits, params, outIn, Y, C + RM, view.outputWeight, view.outputBias);
  return { dTop: dOutIn.slice(0, C), dReads: dOutIn.slice(C) };
}

/** The learned initial state of every episode: w_0, r_0, and the controller's h_0 and c_0. */
export interface InitialState {
  /** Per head: w_0 = softmax(init.weighting) (N). */
  readonly w: Float64Array[];
  /** (R·M) r_0 = init.read. */
  readonly reads: Float64Array;
  /** Per layer: h_0 (C; zeros for feed-forward). */
  readonly hidden: Float64Array[];
  /** Per layer: c_0 (C; zeros for feed-forward). */
  readonly cell: Float64Array[];
}

/**
 * The learned initial state: each head's w_0 the softmax of its `init.weighting` row, r_0, and (LSTM) each
 * layer's h_0 and c_0.
 *
 * @param ctx The context.
 * @returns The state (copies).
 */
export function initStateForward(ctx: StepContext): InitialState {
  const { config, params, view } = ctx;
  const { memoryN: N, memoryM: M, readHeads: R, controllerSize: C } = config;
  const isLstm = config.controllerType === "lstm";
  const w = Array.from({ length: R + config.writeHeads }, (_, h) => {
    const row = new Float64Array(N);
    softmaxInto(row, params.subarray(view.initWeighting + h * N, view.initWeighting + (h + 1) * N), 0, N);
    return row;
  });
  const state = (offset: number, l: number) =>
    isLstm ? params.slice(offset + l * C, offset + (l + 1) * C) : new Float64Array(C);
  return {
    w,
    reads: params.slice(view.initRead, view.initRead + R * M),
    hidden: Array.from({ length: config.controllerLayers }, (_, l) => state(view.initHidden, l)),
    cell: Array.from({ length: config.controllerLayers }, (_, l) => state(view.initCell, l)),
  };
}

/** The gradients one step hands to the step before it (and, after step 0, to the initial state). */
export interface CarriedGradients {
  /** Per layer: h's (C). */
  readonly dh: Float64Array[];
  /** Per layer: c's (C). */
  readonly dc: Float64Array[];
  /** (R·M) the read vectors'. */
  readonly dr: Float64Array;
  /** Per head: the weighting's (N). */
  readonly dw: Float64Array[];
  /** (N, M) the memory's. */
  readonly dMem: Float64Array;
}

/**
 * The learned initial state's backward: r_0's, w_0's (through its softmax), h_0's and c_0's gradients and,
 * with `learned` memory init, Mem_0's, added into the parameter gradient.
 *
 * @param ctx The context.
 * @param layout The layout (for `init.memory`).
 * @param grad (P) the parameter gradient (added to).
 * @param w0 Per head: w_0 (N).
 * @param carried What reaches the initial state from step 0.
 */
export function initStateBackward(
  ctx: StepContext,
  layout: ParameterLayout,
  grad: Float64Array,
  w0: readonly Float64Array[],
  carried: CarriedGradients,
): void {
  const { config, view } = ctx;
  const { memoryN: N, memoryM: M, readHeads: R, controllerSize: C } = config;
  for (let i = 0; i < R * M; i++) grad[view.initRead + i]! += carried.dr[i]!;
  for (let h = 0; h < R + config.writeHeads; h++) {
    const at = view.initWeighting + h * N;
    softmaxBackwardInto(grad.subarray(at, at + N), carried.dw[h]!, w0[h]!, 0, N);
  }
  if (config.controllerType === "lstm") {
    for (let l = 0; l < config.controllerLayers; l++) {
      for (let u = 0; u < C; u++) {
        grad[view.initHidden + l * C + u]! += carried.dh[l]![u]!;
        grad[view.initCell + l * C + u]! += carried.dc[l]![u]!;
      }
    }
  }
  if (config.memoryInit === "learned") {
    const offset = layout.get("init.memory").offset;
    for (let i = 0; i < N * M; i++) grad[offset + i]! += carried.dMem[i]!;
  }
}
