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

import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { initialMemory } from "../model/initial_memory.ts";
import {
  addressingStepBackward,
  addressingStepForward,
  type AddressingTape,
  type CarriedGradients,
  controllerStepBackward,
  controllerStepForward,
  type ControllerTape,
  headsStepBackward,
  headsStepForward,
  initStateBackward,
  initStateForward,
  outputStepBackward,
  outputStepForward,
  readWriteStepBackward,
  readWriteStepForward,
  type StepContext,
  stepContext,
} from "./model_step.ts";

/** What the forward pass saved for one time step of one episode. */
export interface StepTape extends ControllerTape, AddressingTape {
  /** (P) raw head parameters. */
  readonly rawHeads: Float64Array;
  /** (P) activated head parameters. */
  readonly heads: Float64Array;
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { ntmConfig } from "../model/config.ts";
 * import { initParameters } from "../model/init.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { Rng } from "../model/random.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const layout = parameterLayout(config);
 * const batch = copyTask().generate(new Rng(1), 4, { minLen: 1, maxLen: 3 });
 * const forward = referenceForward(config, layout, initParameters(config, layout, 1), batch);
 * assert.equal(forward.output.length, 4 * batch.steps * 8);
 * assert.ok(forward.loss.every((l) => l > 0));
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
  const ctx = stepContext(config, layout, params);
  const { batch: episodes, steps: T, outputSize: Y } = batch;
  const output = new Float64Array(episodes * T * Y), loss = new Float64Array(episodes);
  const tapes: EpisodeTape[] = [];
  for (let b = 0; b < episodes; b++) {
    const { tape, losses } = episodeForward(ctx, batch, b, memory0, output);
    for (const l of losses) loss[b]! += l;
    tapes.push(tape);
  }
  return { output, loss, tapes };
}

/**
 * One episode's forward from the learned initial state: its tape and each step's loss; the outputs of its
 * real steps (not the padding) go into `output`.
 */
function episodeForward(
  ctx: StepContext,
  batch: EpisodeBatch,
  b: number,
  memory0: Float64Array,
  output: Float64Array,
): { tape: EpisodeTape; losses: number[] } {
  const { config } = ctx;
  const { steps: T, inputSize: X, outputSize: Y } = batch;
  const { memoryN: N, memoryM: M, readHeads: R } = config;
  const L = config.controllerLayers;
  const initial = initStateForward(ctx);
  const w0 = initial.w;
  const memory: Float64Array[] = [memory0.slice(b * N * M, (b + 1) * N * M)];
  const steps: StepTape[] = [], losses: number[] = [];
  let readsPrev = initial.reads, hiddenPrev = initial.hidden, cellPrev = initial.cell, wPrev = initial.w;
  for (let t = 0; t < T; t++) {
    const memPrev = memory[t]!, bt = b * T + t;
    const input = new Float64Array(X + R * M);
    for (let x = 0; x < X; x++) input[x] = batch.input[bt * X + x]!;
    input.set(readsPrev, X);
    const controller = controllerStepForward(ctx, input, hiddenPrev, cellPrev);
    const top = controller.hidden[L - 1]!;
    const heads = headsStepForward(ctx, top);
    const addressing = addressingStepForward(ctx, heads.act, memPrev, wPrev);
    const { reads, memory: memNext } = readWriteStepForward(ctx, heads.act, addressing.w, memPrev);
    memory.push(memNext);
    const { y, loss } = outputStepForward(ctx, top, reads, batch, bt);
    if (t < batch.lengths[b]!) output.set(y, bt * Y);
    losses.push(loss);
    steps.push({ ...controller, rawHeads: heads.raw, heads: heads.act, ...addressing, reads, y });
    readsPrev = reads, hiddenPrev = controller.hidden, cellPrev = controller.cell, wPrev = addressing.w;
  }
  return { tape: { steps, memory, w0 }, losses };
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { ntmConfig } from "../model/config.ts";
 * import { initParameters } from "../model/init.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { Rng } from "../model/random.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const layout = parameterLayout(config), params = initParameters(config, layout, 1);
 * const batch = copyTask().generate(new Rng(1), 2, { minLen: 1, maxLen: 3 });
 * const grad = new Float64Array(layout.size);
 * referenceBackward(config, layout, params, batch, referenceForward(config, layout, params, batch), grad);
 * assert.ok(grad.some((g) => g !== 0) && grad.every(Number.isFinite));
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
  const ctx = stepContext(config, layout, params);
  const scale = options.lossScale ?? 1 / batch.batch;
  for (let b = 0; b < batch.batch; b++) {
    const carried = episodeBackward(ctx, grad, batch, b, forward.tapes[b]!, scale, options.inputGrad);
    initStateBackward(ctx, layout, grad, forward.tapes[b]!.w0, carried);
    if (options.memoryGrad) {
      const NM = config.memoryN * config.memoryM;
      for (let i = 0; i < NM; i++) options.memoryGrad[b * NM + i]! += carried.dMem[i]!;
    }
  }
}

/** One episode's backpropagation through time, last step first; returns what reaches the initial state. */
function episodeBackward(
  ctx: StepContext,
  grad: Float64Array,
  batch: EpisodeBatch,
  b: number,
  tape: EpisodeTape,
  scale: number,
  inputGrad: Float64Array | undefined,
): CarriedGradients {
  const { config, params, view } = ctx;
  const { steps: T, inputSize: X } = batch;
  const { memoryN: N, memoryM: M, readHeads: R, controllerSize: C } = config;
  const L = config.controllerLayers;
  const zeros = (count: number, size: number) => Array.from({ length: count }, () => new Float64Array(size));
  let next: CarriedGradients = {
    dh: zeros(L, C),
    dc: zeros(L, C),
    dr: new Float64Array(R * M),
    dw: zeros(R + config.writeHeads, N),
    dMem: new Float64Array(N * M),
  };
  for (let t = T - 1; t >= 0; t--) {
    const step = tape.steps[t]!, memPrev = tape.memory[t]!, bt = b * T + t;
    const wPrev = t > 0 ? tape.steps[t - 1]!.w : tape.w0;
    const top = step.hidden[L - 1]!;
    const { dTop, dReads } = outputStepBackward(ctx, grad, step.y, top, step.reads, batch, bt, scale);
    for (let i = 0; i < R * M; i++) dReads[i]! += next.dr[i]!;
    const dact = new Float64Array(view.headsWidth);
    const { dw, dMemPrev } = readWriteStepBackward(
      ctx,
      dact,
      dReads,
      next.dMem,
      next.dw,
      step.heads,
      step.w,
      memPrev,
    );
    const dwPrev = addressingStepBackward(ctx, dact, dMemPrev, dw, step, step.heads, memPrev, wPrev);
    headsStepBackward(ctx, grad, dTop, dact, step.rawHeads, step.heads, top);
    const cellPrev = (l: number) =>
      t > 0
        ? tape.steps[t - 1]!.cell[l]!
        : params.subarray(view.initCell + l * C, view.initCell + (l + 1) * C);
    const { dInput, dhPrev, dcPrev } = controllerStepBackward(
      ctx,
      grad,
      step,
      cellPrev,
      dTop,
      next.dh,
      next.dc,
    );
    if (inputGrad) { for (let x = 0; x < X; x++) inputGrad[bt * X + x]! += dInput[x]!; }
    next = { dh: dhPrev, dc: dcPrev, dr: dInput.slice(X), dw: dwPrev, dMem: dMemPrev };
  }
  return next;
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
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { ntmConfig } from "../model/config.ts";
 * import { initParameters } from "../model/init.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { Rng } from "../model/random.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const layout = parameterLayout(config);
 * const batch = copyTask().generate(new Rng(1), 2, { minLen: 1, maxLen: 3 });
 * const { loss, grad } = referenceLossAndGradient(config, layout, initParameters(config, layout, 1), batch);
 * assert.ok(loss > 0 && grad.length === layout.size);
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

function checkBatch(config: NtmConfig, batch: EpisodeBatch): void {
  if (batch.inputSize !== config.inputSize || batch.outputSize !== config.outputSize) {
    throw new RangeError(
      `Cannot run the NTM on this batch: the model expects X = ${config.inputSize}, Y = ${config.outputSize}, the batch has X = ${batch.inputSize}, Y = ${batch.outputSize}`,
    );
  }
}
