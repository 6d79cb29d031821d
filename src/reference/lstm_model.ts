/**
 * A plain LSTM without memory, the baseline the NTM is compared with (the paper's Figures 3–5; Learning
 * to Execute's model): L stacked LSTM layers on `x_t`, and the same output layer and losses as the NTM,
 * from the top layer's h_t. Float64 forward and backpropagation through time, built from the same ops.
 *
 * Parameter layout (flat, in this order): `lstm.{l}.weight` (4C, in_l + C) with in_0 = X and in_l = C,
 * rows in gate order i, f, o, g and columns `[input; h_prev]`; `lstm.{l}.bias` (4C); `output.weight`
 * (Y, C); `output.bias` (Y); `init.hidden` (L, C); `init.cell` (L, C).
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import { Rng } from "../model/random.ts";
import { linearBackward, linearForward, lstmBackward, lstmForward } from "./controller.ts";
import { crossEntropyBackward, sigmoidCrossEntropyForward, softmaxCrossEntropyForward } from "./output.ts";

/**
 * Seeded initialisation: Glorot-uniform weights, zero biases but the forget gates' (1), zero initial state.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param seed The seed.
 * @returns (P) parameters.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { initLstmParameters } from "./lstm_model.ts";
 * import { lstmConfig, lstmLayout } from "../model/lstm_config.ts";
 * const config = lstmConfig({ inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "sigmoid" });
 * assert(initLstmParameters(config, lstmLayout(config), 1).length === lstmLayout(config).size);
 * ```
 */
export function initLstmParameters(config: LstmConfig, layout: ParameterLayout, seed: number): Float64Array {
  const rng = new Rng(seed), params = new Float64Array(layout.size);
  for (const { name, shape, offset, size } of layout.entries) {
    if (name.endsWith(".weight")) {
      const limit = Math.sqrt(6 / (shape[0]! + shape[1]!));
      for (let i = 0; i < size; i++) params[offset + i] = (2 * rng.uniform() - 1) * limit;
    } else if (name.startsWith("lstm.") && name.endsWith(".bias")) {
      params.fill(1, offset + config.units, offset + 2 * config.units);
    }
  }
  return params;
}

/** The result of {@linkcode lstmLossAndGradient}. */
export interface LstmLossAndGradient {
  /** Mean loss per episode in nats. */
  readonly loss: number;
  /** (B) loss per episode in nats. */
  readonly episodeLoss: Float64Array;
  /** (B, T, Y) output probabilities. */
  readonly output: Float64Array;
  /** (P) gradient of the mean loss (zeros when `withGradient` is false). */
  readonly grad: Float64Array;
}

/**
 * Forward pass over a batch, and (optionally) backpropagation through time.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params (P) parameters.
 * @param batch The episodes.
 * @param withGradient Whether to run the backward pass.
 * @returns The loss, outputs and gradient.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatePrograms } from "../../tasks/program.ts";
 * import { lstmLayout } from "../model/lstm_config.ts";
 * import { Rng } from "../model/random.ts";
 * const config = { inputSize: 49, outputSize: 49, units: 8, layers: 1, outputKind: "softmax" as const };
 * const layout = lstmLayout(config);
 * const batch = generatePrograms(new Rng(2), 2, { length: 1, nesting: 1 });
 * const { loss, grad } = lstmLossAndGradient(config, layout, initLstmParameters(config, layout, 1), batch);
 * assert.ok(loss > 0 && grad.length === layout.size);
 * ```
 */
export function lstmLossAndGradient(
  config: LstmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  withGradient = true,
): LstmLossAndGradient {
  const { batch: B, steps: T, inputSize: X, outputSize: Y } = batch;
  if (X !== config.inputSize || Y !== config.outputSize) {
    throw new RangeError(
      `Cannot run the LSTM baseline on this batch: it expects X = ${config.inputSize}, Y = ${config.outputSize}, the batch has X = ${X}, Y = ${Y}`,
    );
  }
  const model: LstmPass = { config, params, at: (name: string) => layout.get(name).offset, batch };
  const output = new Float64Array(B * T * Y), episodeLoss = new Float64Array(B);
  const grad = new Float64Array(layout.size);
  for (let b = 0; b < B; b++) {
    const tape = lstmEpisodeForward(model, b, output);
    episodeLoss[b] = tape.loss;
    if (withGradient) lstmEpisodeBackward(model, b, tape, grad);
  }
  let loss = 0;
  for (const l of episodeLoss) loss += l;
  return { loss: loss / B, episodeLoss, output, grad };
}

/** What both passes read: the model, its parameters (by block name) and the batch. */
interface LstmPass {
  readonly config: LstmConfig;
  /** (P) the parameters. */
  readonly params: Float64Array;
  /** A parameter block's offset. */
  readonly at: (name: string) => number;
  readonly batch: EpisodeBatch;
}

/** One episode's saved forward state, per step and layer. */
interface LstmTape {
  /** `[in_l; h_{t−1}]` per step and layer. */
  readonly concat: Float64Array[][];
  /** Activated gates (4C) per step and layer. */
  readonly gates: Float64Array[][];
  /** Cell states (C) per step and layer. */
  readonly cells: Float64Array[][];
  /** Hidden outputs (C) per step and layer. */
  readonly hiddens: Float64Array[][];
  /** (Y) output probabilities per step. */
  readonly ys: Float64Array[];
  /** The episode's loss in nats. */
  readonly loss: number;
}

/** The width of layer l's input `[in_l; h_{t−1}]`. */
function lstmInputWidth(pass: LstmPass, l: number): number {
  const C = pass.config.units;
  return (l === 0 ? pass.batch.inputSize : C) + C;
}

/** One episode's forward, saving each layer's input, gates, cell and hidden state. */
function lstmEpisodeForward(pass: LstmPass, b: number, output: Float64Array): LstmTape {
  const { config, params, at, batch } = pass;
  const { steps: T, inputSize: X, outputSize: Y } = batch;
  const { units: C, layers: L } = config;
  const forwardLoss = config.outputKind === "sigmoid"
    ? sigmoidCrossEntropyForward
    : softmaxCrossEntropyForward;
  const tape = {
    concat: [] as Float64Array[][],
    gates: [] as Float64Array[][],
    cells: [] as Float64Array[][],
  };
  const hiddens: Float64Array[][] = [], ys: Float64Array[] = [];
  const initial = (name: string, l: number) => params.slice(at(name) + l * C, at(name) + (l + 1) * C);
  let hPrev: Float64Array[] = Array.from({ length: L }, (_, l) => initial("init.hidden", l));
  let cPrev: Float64Array[] = Array.from({ length: L }, (_, l) => initial("init.cell", l));
  let loss = 0;
  for (let t = 0; t < T; t++) {
    let below: Float64Array = Float64Array.from(batch.input.subarray((b * T + t) * X, (b * T + t + 1) * X));
    const stepConcat: Float64Array[] = [], stepGates: Float64Array[] = [], stepCells: Float64Array[] = [];
    const stepHidden: Float64Array[] = [];
    for (let l = 0; l < L; l++) {
      const width = lstmInputWidth(pass, l);
      const z = new Float64Array(width);
      z.set(below), z.set(hPrev[l]!, width - C);
      const preact = new Float64Array(4 * C), g = new Float64Array(4 * C);
      const c = new Float64Array(C), h = new Float64Array(C);
      linearForward(preact, params, params, z, 4 * C, width, at(`lstm.${l}.weight`), at(`lstm.${l}.bias`));
      lstmForward(h, c, g, preact, cPrev[l]!, C);
      stepConcat.push(z), stepGates.push(g), stepCells.push(c), stepHidden.push(h);
      below = h;
    }
    const logits = new Float64Array(Y), y = new Float64Array(Y);
    linearForward(logits, params, params, below, Y, C, at("output.weight"), at("output.bias"));
    const bt = b * T + t;
    loss += forwardLoss(y, logits, batch.target, batch.mask[bt]!, Y, bt * Y);
    if (t < batch.lengths[b]!) output.set(y, bt * Y);
    tape.concat.push(stepConcat), tape.gates.push(stepGates), tape.cells.push(stepCells);
    hiddens.push(stepHidden), ys.push(y);
    hPrev = stepHidden, cPrev = stepCells;
  }
  return { ...tape, hiddens, ys, loss };
}

/** One episode's backpropagation through time, adding into `grad` (the gradient of the batch mean). */
function lstmEpisodeBackward(pass: LstmPass, b: number, tape: LstmTape, grad: Float64Array): void {
  const { config, params, at, batch } = pass;
  const { batch: B, steps: T, outputSize: Y } = batch;
  const { units: C, layers: L } = config;
  let dhNext: Float64Array[] = Array.from({ length: L }, () => new Float64Array(C));
  let dcNext: Float64Array[] = Array.from({ length: L }, () => new Float64Array(C));
  for (let t = T - 1; t >= 0; t--) {
    const bt = b * T + t, dlogits = new Float64Array(Y);
    crossEntropyBackward(dlogits, tape.ys[t]!, batch.target, batch.mask[bt]!, 1 / B, Y, bt * Y);
    let dAbove: Float64Array = new Float64Array(C);
    const top = tape.hiddens[t]![L - 1]!;
    linearBackward(dAbove, grad, grad, dlogits, params, top, Y, C, at("output.weight"), at("output.bias"));
    const dhPrev: Float64Array[] = [], dcPrev: Float64Array[] = [];
    for (let l = L - 1; l >= 0; l--) {
      const width = lstmInputWidth(pass, l);
      const dh = dAbove.slice();
      for (let u = 0; u < C; u++) dh[u]! += dhNext[l]![u]!;
      const cBefore = t > 0
        ? tape.cells[t - 1]![l]!
        : params.subarray(at("init.cell") + l * C, at("init.cell") + (l + 1) * C);
      const dpreact = new Float64Array(4 * C), dc = new Float64Array(C), dz = new Float64Array(width);
      lstmBackward(dpreact, dc, dh, dcNext[l]!, tape.gates[t]![l]!, tape.cells[t]![l]!, cBefore, C);
      const weight = at(`lstm.${l}.weight`), bias = at(`lstm.${l}.bias`);
      linearBackward(dz, grad, grad, dpreact, params, tape.concat[t]![l]!, 4 * C, width, weight, bias);
      dAbove = dz.slice(0, width - C);
      dhPrev[l] = dz.slice(width - C), dcPrev[l] = dc;
    }
    dhNext = dhPrev, dcNext = dcPrev;
  }
  for (let l = 0; l < L; l++) {
    for (let u = 0; u < C; u++) {
      grad[at("init.hidden") + l * C + u]! += dhNext[l]![u]!;
      grad[at("init.cell") + l * C + u]! += dcNext[l]![u]!;
    }
  }
}
