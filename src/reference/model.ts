/**
 * The whole NTM in float64: the forward pass over a batch of episodes and backpropagation through time.
 * This is the oracle every GPU kernel and the whole GPU training step are checked against, and the
 * engine of the `cpu` backend.
 *
 * Order within one step t (the same in every backend):
 * 1. controller on `[x_t; r_{t−1}]` (and its own state) → h_t;
 * 2. every head's raw parameters from h_t, activated;
 * 3. every head addresses `Mem_{t−1}` from its own `w_{t−1}` (eqs 5–9);
 * 4. read heads read `Mem_{t−1}` (eq. 2) → r_t; write heads erase and add → `Mem_t` (eqs 3–4);
 * 5. output `y_t` from `[h_t; r_t]`.
 *
 * Reading the memory as it was before this step's write (as pytorch-ntm does) lets all heads address in
 * parallel and the read and the write run side by side.
 *
 * @module
 */

import { type NtmConfig, readHeadWidth, shiftCount, writeHeadWidth } from "../model/config.ts";
import { layerInputWidth, type ParameterLayout } from "../model/layout.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { initialMemory } from "../model/initial_memory.ts";
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
  linearBackward,
  linearForward,
  lstmCellBackward,
  lstmCellForward,
  tanhBackward,
  tanhForward,
} from "./controller.ts";
import { headFieldOffsets, headParamsBackward, headParamsForward } from "./head_params.ts";
import { readBackward, readForward, writeBackward, writeForward } from "./memory.ts";
import { crossEntropyBackward, sigmoidCrossEntropyForward, softmaxCrossEntropyForward } from "./output.ts";

/** What the forward pass saved for one time step of one episode. */
export interface StepTape {
  /** Per layer: the layer's input (LSTM: `[in_l; h_prev]`, feed-forward: `in_l`). */
  readonly layerInput: Float64Array[];
  /** Per layer: LSTM activated gates (4C); empty for feed-forward. */
  readonly gates: Float64Array[];
  /** Per layer: LSTM cell state (C); empty for feed-forward. */
  readonly cell: Float64Array[];
  /** Per layer: hidden output h (C). */
  readonly hidden: Float64Array[];
  /** (P) raw head parameters. */
  readonly rawHeads: Float64Array;
  /** (P) activated head parameters. */
  readonly heads: Float64Array;
  /** Per head (R + W): content weighting w^c (N). */
  readonly wc: Float64Array[];
  /** Per head: gated weighting w^g (N). */
  readonly wg: Float64Array[];
  /** Per head: shifted weighting w̃ (N). */
  readonly wTilde: Float64Array[];
  /** Per head: final weighting w (N). */
  readonly w: Float64Array[];
  /** (R·M) read vectors r_t. */
  readonly reads: Float64Array;
  /** (Y) output probabilities y_t. */
  readonly y: Float64Array;
}

/** What the forward pass saved for one episode. */
export interface EpisodeTape {
  /** Per step. */
  readonly steps: StepTape[];
  /** (T + 1) memories, `memory[t]` = Mem_t (N, M); `memory[0]` is the initial memory. */
  readonly memory: Float64Array[];
  /** Per head: w_0 = softmax(init.weighting) (N). */
  readonly w0: Float64Array[];
}

/** The result of {@linkcode referenceForward}. */
export interface ReferenceForward {
  /** (B, T, Y) output probabilities (0 on padding steps). */
  readonly output: Float64Array;
  /** (B) loss per episode in nats, summed over its masked steps. */
  readonly loss: Float64Array;
  /** Per episode, what the backward needs. */
  readonly tapes: EpisodeTape[];
}

/**
 * The forward pass of the NTM over a batch of episodes.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params Flat parameters.
 * @param batch The episodes.
 * @param memory0 (B, N, M) initial memories (default: {@linkcode initialMemory}).
 * @returns Outputs, per-episode losses and the tapes for {@linkcode referenceBackward}.
 *
 * @example
 * ```ts ignore
 * const forward = referenceForward(config, layout, params, copyTask().generate(new Rng(1), 4, { minLen: 1, maxLen: 3 }));
 * ```
 */
export function referenceForward(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  memory0: Float64Array = initialMemory(config, layout, params, batch.batch),
): ReferenceForward {
  checkBatch(config, batch);
  const { batch: episodes, steps: T, inputSize: X, outputSize: Y } = batch;
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W, controllerSize: C } = config;
  const L = config.controllerLayers,
    heads = R + W,
    S = shiftCount(config),
    isLstm = config.controllerType === "lstm";
  const view = viewsOf(config, layout, params);
  const at = headFieldOffsets(M, S);
  const output = new Float64Array(episodes * T * Y), loss = new Float64Array(episodes);
  const tapes: EpisodeTape[] = [];

  for (let b = 0; b < episodes; b++) {
    const w0 = Array.from({ length: heads }, (_, h) => {
      const w = new Float64Array(N);
      softmaxInto(w, params.subarray(view.initWeighting + h * N, view.initWeighting + (h + 1) * N), 0, N);
      return w;
    });
    const memory = [memory0.slice(b * N * M, (b + 1) * N * M)];
    const tapeSteps: StepTape[] = [];
    let readsPrev: Float64Array = params.slice(view.initRead, view.initRead + R * M);
    let hiddenPrev: Float64Array[] = Array.from(
      { length: L },
      (_, l) =>
        isLstm ? params.slice(view.initHidden + l * C, view.initHidden + (l + 1) * C) : new Float64Array(C),
    );
    let cellPrev: Float64Array[] = Array.from(
      { length: L },
      (_, l) =>
        isLstm ? params.slice(view.initCell + l * C, view.initCell + (l + 1) * C) : new Float64Array(C),
    );
    let wPrev: Float64Array[] = w0;

    for (let t = 0; t < T; t++) {
      const memPrev = memory[t]!;
      // 1. Controller.
      const layerInput: Float64Array[] = [],
        gates: Float64Array[] = [],
        cell: Float64Array[] = [],
        hidden: Float64Array[] = [];
      let below: Float64Array = new Float64Array(X + R * M);
      for (let x = 0; x < X; x++) below[x] = batch.input[(b * T + t) * X + x]!;
      below.set(readsPrev, X);
      for (let l = 0; l < L; l++) {
        const inWidth = layerInputWidth(config, l);
        const h = new Float64Array(C);
        if (isLstm) {
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
          lstmCellForward(h, c, g, preact, cellPrev[l]!, C);
          layerInput.push(concat), gates.push(g), cell.push(c);
        } else {
          const preact = new Float64Array(C);
          linearForward(preact, params, params, below, C, inWidth, view.layerWeight[l]!, view.layerBias[l]!);
          tanhForward(h, preact, C);
          layerInput.push(below);
        }
        hidden.push(h);
        below = h;
      }
      const top = hidden[L - 1]!;
      // 2. Head parameters.
      const P = view.headsWidth;
      const rawHeads = new Float64Array(P), act = new Float64Array(P);
      linearForward(rawHeads, params, params, top, P, C, view.headsWeight, view.headsBias);
      for (let h = 0; h < heads; h++) {
        const o = headOffset(config, h), width = h < R ? readHeadWidth(config) : writeHeadWidth(config);
        headParamsForward(act.subarray(o, o + width), rawHeads.subarray(o, o + width), M, S, h >= R);
      }
      // 3. Addressing, every head on Mem_{t−1}.
      const wc: Float64Array[] = [],
        wg: Float64Array[] = [],
        wTilde: Float64Array[] = [],
        w: Float64Array[] = [];
      for (let h = 0; h < heads; h++) {
        const o = headOffset(config, h);
        const c = new Float64Array(N),
          gated = new Float64Array(N),
          shifted = new Float64Array(N),
          final = new Float64Array(N);
        contentAddressForward(c, act.subarray(o + at.k, o + at.k + M), act[o + at.beta]!, memPrev, N, M);
        interpolateForward(gated, c, wPrev[h]!, act[o + at.g]!, N);
        shiftForward(shifted, gated, act.subarray(o + at.s, o + at.s + S), N, S);
        sharpenForward(final, shifted, act[o + at.gamma]!, N);
        wc.push(c), wg.push(gated), wTilde.push(shifted), w.push(final);
      }
      // 4. Read Mem_{t−1}, then write Mem_t.
      const reads = new Float64Array(R * M);
      for (let h = 0; h < R; h++) readForward(reads.subarray(h * M, (h + 1) * M), w[h]!, memPrev, N, M);
      const writeW = new Float64Array(W * N), erase = new Float64Array(W * M), add = new Float64Array(W * M);
      for (let h = 0; h < W; h++) {
        const o = headOffset(config, R + h);
        writeW.set(w[R + h]!, h * N);
        erase.set(act.subarray(o + at.e, o + at.e + M), h * M);
        add.set(act.subarray(o + at.a, o + at.a + M), h * M);
      }
      const memNext = new Float64Array(N * M);
      writeForward(memNext, memPrev, writeW, erase, add, N, M, W);
      memory.push(memNext);
      // 5. Output and loss.
      const outIn = new Float64Array(C + R * M), logits = new Float64Array(Y), y = new Float64Array(Y);
      outIn.set(top), outIn.set(reads, C);
      linearForward(logits, params, params, outIn, Y, C + R * M, view.outputWeight, view.outputBias);
      const bt = b * T + t, mask = batch.mask[bt]!;
      const stepLoss = config.outputKind === "sigmoid"
        ? sigmoidCrossEntropyForward(y, logits, batch.target, mask, Y, bt * Y)
        : softmaxCrossEntropyForward(y, logits, batch.target, mask, Y, bt * Y);
      if (t < batch.lengths[b]!) output.set(y, bt * Y);
      loss[b]! += stepLoss;

      tapeSteps.push({ layerInput, gates, cell, hidden, rawHeads, heads: act, wc, wg, wTilde, w, reads, y });
      readsPrev = reads, hiddenPrev = hidden, cellPrev = cell, wPrev = w;
    }
    tapes.push({ steps: tapeSteps, memory, w0 });
  }
  return { output, loss, tapes };
}

/** Optional outputs of {@linkcode referenceBackward}. */
export interface ReferenceBackwardOptions {
  /** Multiplies every episode's loss (default 1/B: the gradient of the batch mean). */
  readonly lossScale?: number;
  /** (B, T, X) if given, receives (adds) the gradient with respect to the inputs. */
  readonly inputGrad?: Float64Array;
  /** (B, N, M) if given, receives (adds) the gradient with respect to the initial memories. */
  readonly memoryGrad?: Float64Array;
}

/**
 * Backpropagation through time: adds the gradient of `lossScale · Σ_b loss_b` with respect to every
 * parameter into `grad`.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params Flat parameters (as given to the forward).
 * @param batch The episodes (as given to the forward).
 * @param forward The forward's result.
 * @param grad (P) gradient of the parameters (added to).
 * @param options Loss scale and optional input / initial-memory gradients.
 *
 * @example
 * ```ts ignore
 * const grad = new Float64Array(layout.size);
 * referenceBackward(config, layout, params, batch, referenceForward(config, layout, params, batch), grad);
 * ```
 */
export function referenceBackward(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  forward: ReferenceForward,
  grad: Float64Array,
  options: ReferenceBackwardOptions = {},
): void {
  const { batch: episodes, steps: T, inputSize: X, outputSize: Y } = batch;
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W, controllerSize: C } = config;
  const L = config.controllerLayers,
    heads = R + W,
    S = shiftCount(config),
    isLstm = config.controllerType === "lstm";
  const view = viewsOf(config, layout, params), P = view.headsWidth;
  const at = headFieldOffsets(M, S);
  const scale = options.lossScale ?? 1 / episodes;

  for (let b = 0; b < episodes; b++) {
    const tape = forward.tapes[b]!;
    let dhNext: Float64Array[] = Array.from({ length: L }, () => new Float64Array(C));
    let dcNext: Float64Array[] = Array.from({ length: L }, () => new Float64Array(C));
    let drNext: Float64Array = new Float64Array(R * M);
    let dwNext: Float64Array[] = Array.from({ length: heads }, () => new Float64Array(N));
    let dMem: Float64Array = new Float64Array(N * M);

    for (let t = T - 1; t >= 0; t--) {
      const step = tape.steps[t]!, memPrev = tape.memory[t]!;
      const wPrev = t > 0 ? tape.steps[t - 1]!.w : tape.w0;
      const top = step.hidden[L - 1]!;
      // 5. Output and loss.
      const bt = b * T + t, dlogits = new Float64Array(Y);
      crossEntropyBackward(dlogits, step.y, batch.target, batch.mask[bt]!, scale, Y, bt * Y);
      const outIn = new Float64Array(C + R * M), dOutIn = new Float64Array(C + R * M);
      outIn.set(top), outIn.set(step.reads, C);
      linearBackward(
        dOutIn,
        grad,
        grad,
        dlogits,
        params,
        outIn,
        Y,
        C + R * M,
        view.outputWeight,
        view.outputBias,
      );
      const dTop = dOutIn.slice(0, C);
      const dReads = dOutIn.slice(C);
      for (let i = 0; i < R * M; i++) dReads[i]! += drNext[i]!;
      // 4. Read and write.
      const dw = dwNext.map((d) => d.slice());
      const dMemPrev = new Float64Array(N * M);
      for (let h = 0; h < R; h++) {
        readBackward(dw[h]!, dMemPrev, dReads.subarray(h * M, (h + 1) * M), step.w[h]!, memPrev, N, M);
      }
      const dact = new Float64Array(P);
      const writeW = new Float64Array(W * N), erase = new Float64Array(W * M), add = new Float64Array(W * M);
      for (let h = 0; h < W; h++) {
        const o = headOffset(config, R + h);
        writeW.set(step.w[R + h]!, h * N);
        erase.set(step.heads.subarray(o + at.e, o + at.e + M), h * M);
        add.set(step.heads.subarray(o + at.a, o + at.a + M), h * M);
      }
      const dWriteW = new Float64Array(W * N),
        dErase = new Float64Array(W * M),
        dAdd = new Float64Array(W * M);
      writeBackward(dMemPrev, dWriteW, dErase, dAdd, dMem, memPrev, writeW, erase, add, N, M, W);
      for (let h = 0; h < W; h++) {
        const o = headOffset(config, R + h), dwh = dw[R + h]!;
        for (let i = 0; i < N; i++) dwh[i]! += dWriteW[h * N + i]!;
        dact.set(dErase.subarray(h * M, (h + 1) * M), o + at.e);
        dact.set(dAdd.subarray(h * M, (h + 1) * M), o + at.a);
      }
      // 3. Addressing.
      const dwPrev = Array.from({ length: heads }, () => new Float64Array(N));
      for (let h = 0; h < heads; h++) {
        const o = headOffset(config, h), act = step.heads;
        const dwTilde = new Float64Array(N), dwg = new Float64Array(N), dwc = new Float64Array(N);
        sharpenBackward(
          dwTilde,
          dact.subarray(o + at.gamma, o + at.gamma + 1),
          dw[h]!,
          step.w[h]!,
          step.wTilde[h]!,
          act[o + at.gamma]!,
          N,
        );
        shiftBackward(
          dwg,
          dact.subarray(o + at.s, o + at.s + S),
          dwTilde,
          step.wg[h]!,
          act.subarray(o + at.s, o + at.s + S),
          N,
          S,
        );
        interpolateBackward(
          dwc,
          dwPrev[h]!,
          dact.subarray(o + at.g, o + at.g + 1),
          dwg,
          step.wc[h]!,
          wPrev[h]!,
          act[o + at.g]!,
          N,
        );
        contentAddressBackward(
          dact.subarray(o + at.k, o + at.k + M),
          dact.subarray(o + at.beta, o + at.beta + 1),
          dMemPrev,
          dwc,
          step.wc[h]!,
          act.subarray(o + at.k, o + at.k + M),
          act[o + at.beta]!,
          memPrev,
          N,
          M,
        );
      }
      // 2. Head parameters.
      const draw = new Float64Array(P);
      for (let h = 0; h < heads; h++) {
        const o = headOffset(config, h), width = h < R ? readHeadWidth(config) : writeHeadWidth(config);
        headParamsBackward(
          draw.subarray(o, o + width),
          dact.subarray(o, o + width),
          step.heads.subarray(o, o + width),
          step.rawHeads.subarray(o, o + width),
          M,
          S,
          h >= R,
        );
      }
      linearBackward(dTop, grad, grad, draw, params, top, P, C, view.headsWeight, view.headsBias);
      // 1. Controller, top layer down.
      let dAbove = dTop;
      const dhPrev: Float64Array[] = [], dcPrev: Float64Array[] = [];
      for (let l = L - 1; l >= 0; l--) {
        const inWidth = layerInputWidth(config, l);
        const dh = dAbove.slice();
        for (let u = 0; u < C; u++) dh[u]! += dhNext[l]![u]!;
        if (isLstm) {
          const cPrev = t > 0
            ? tape.steps[t - 1]!.cell[l]!
            : params.subarray(view.initCell + l * C, view.initCell + (l + 1) * C);
          const dpreact = new Float64Array(4 * C),
            dc = new Float64Array(C),
            dConcat = new Float64Array(inWidth + C);
          lstmCellBackward(dpreact, dc, dh, dcNext[l]!, step.gates[l]!, step.cell[l]!, cPrev, C);
          linearBackward(
            dConcat,
            grad,
            grad,
            dpreact,
            params,
            step.layerInput[l]!,
            4 * C,
            inWidth + C,
            view.layerWeight[l]!,
            view.layerBias[l]!,
          );
          dAbove = dConcat.slice(0, inWidth);
          dhPrev[l] = dConcat.slice(inWidth), dcPrev[l] = dc;
        } else {
          const dpreact = new Float64Array(C), dIn = new Float64Array(inWidth);
          tanhBackward(dpreact, dh, step.hidden[l]!, C);
          linearBackward(
            dIn,
            grad,
            grad,
            dpreact,
            params,
            step.layerInput[l]!,
            C,
            inWidth,
            view.layerWeight[l]!,
            view.layerBias[l]!,
          );
          dAbove = dIn;
          dhPrev[l] = new Float64Array(C), dcPrev[l] = new Float64Array(C);
        }
      }
      if (options.inputGrad) {
        for (let x = 0; x < X; x++) options.inputGrad[(b * T + t) * X + x]! += dAbove[x]!;
      }
      drNext = dAbove.slice(X);
      dhNext = dhPrev, dcNext = dcPrev, dwNext = dwPrev, dMem = dMemPrev;
    }
    // The learned initial state.
    for (let i = 0; i < R * M; i++) grad[view.initRead + i]! += drNext[i]!;
    for (let h = 0; h < heads; h++) {
      softmaxBackwardInto(
        grad.subarray(view.initWeighting + h * N, view.initWeighting + (h + 1) * N),
        dwNext[h]!,
        tape.w0[h]!,
        0,
        N,
      );
    }
    if (isLstm) {
      for (let l = 0; l < L; l++) {
        for (let u = 0; u < C; u++) {
          grad[view.initHidden + l * C + u]! += dhNext[l]![u]!;
          grad[view.initCell + l * C + u]! += dcNext[l]![u]!;
        }
      }
    }
    if (config.memoryInit === "learned") {
      const offset = layout.get("init.memory").offset;
      for (let i = 0; i < N * M; i++) grad[offset + i]! += dMem[i]!;
    }
    if (options.memoryGrad) {
      for (let i = 0; i < N * M; i++) options.memoryGrad[b * N * M + i]! += dMem[i]!;
    }
  }
}

/** The result of {@linkcode referenceLossAndGradient}. */
export interface ReferenceLossAndGradient {
  /** Mean loss per episode in nats (the training objective). */
  readonly loss: number;
  /** The forward pass (outputs and per-episode losses). */
  readonly forward: ReferenceForward;
  /** (P) gradient of the mean loss. */
  readonly grad: Float64Array;
}

/**
 * The batch-mean loss and its gradient: one forward and one backward pass.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params Flat parameters.
 * @param batch The episodes.
 * @param memory0 (B, N, M) initial memories (default: {@linkcode initialMemory}).
 * @returns The loss, the forward pass and the gradient.
 *
 * @example
 * ```ts ignore
 * const { loss, grad } = referenceLossAndGradient(config, layout, params, batch);
 * ```
 */
export function referenceLossAndGradient(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  memory0?: Float64Array,
): ReferenceLossAndGradient {
  const forward = referenceForward(config, layout, params, batch, memory0);
  const grad = new Float64Array(layout.size);
  referenceBackward(config, layout, params, batch, forward, grad);
  let loss = 0;
  for (const l of forward.loss) loss += l;
  return { loss: loss / batch.batch, forward, grad };
}

/** Offsets of the parameter blocks the passes use. */
interface ParameterViews {
  readonly layerWeight: number[];
  readonly layerBias: number[];
  readonly headsWeight: number;
  readonly headsBias: number;
  readonly headsWidth: number;
  readonly outputWeight: number;
  readonly outputBias: number;
  readonly initRead: number;
  readonly initWeighting: number;
  readonly initHidden: number;
  readonly initCell: number;
}

function viewsOf(config: NtmConfig, layout: ParameterLayout, params: Float64Array): ParameterViews {
  if (params.length !== layout.size) {
    throw new RangeError(
      `Cannot run the NTM: expected ${layout.size} parameters for this configuration, got ${params.length}`,
    );
  }
  const isLstm = config.controllerType === "lstm";
  return {
    layerWeight: Array.from(
      { length: config.controllerLayers },
      (_, l) => layout.get(`controller.${l}.weight`).offset,
    ),
    layerBias: Array.from(
      { length: config.controllerLayers },
      (_, l) => layout.get(`controller.${l}.bias`).offset,
    ),
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
}

/** Where head h's raw parameters start: read heads first, then write heads. */
function headOffset(config: NtmConfig, h: number): number {
  const R = config.readHeads;
  return h < R ? h * readHeadWidth(config) : R * readHeadWidth(config) + (h - R) * writeHeadWidth(config);
}

function checkBatch(config: NtmConfig, batch: EpisodeBatch): void {
  if (batch.inputSize !== config.inputSize || batch.outputSize !== config.outputSize) {
    throw new RangeError(
      `Cannot run the NTM on this batch: the model expects X = ${config.inputSize}, Y = ${config.outputSize}, the batch has X = ${batch.inputSize}, Y = ${batch.outputSize}`,
    );
  }
}
