/**
 * Where the WebAssembly engine keeps one batch's forward tape and the backward's scratch, for B episodes of
 * up to T steps: every buffer a float32 array in the kernels' memory, with its shape. The engine lays it out
 * again only when a batch is wider or longer than the last (never inside the time loop).
 *
 * @module
 */

import { type NtmConfig, readHeadWidth, shiftCount, writeHeadWidth } from "../model/config.ts";
import { layerInputWidth } from "../model/layout.ts";
import { Arena } from "./arena.ts";
import type { Ptr } from "./kernels.ts";

/** The model's sizes the schedule reads. */
export interface TapeSizes {
  readonly X: number;
  readonly Y: number;
  /** Controller units C and layers L. */
  readonly C: number;
  readonly L: number;
  readonly N: number;
  readonly M: number;
  readonly R: number;
  readonly W: number;
  /** Heads R + W. */
  readonly H: number;
  /** Shift weights S. */
  readonly S: number;
  /** The raw head parameters of all heads, P_h. */
  readonly P: number;
  /** R·M. */
  readonly RM: number;
  /** Each layer's input width (LSTM: [in_l; h_prev]). */
  readonly K: readonly number[];
  /** Each layer's input width without h_prev (in_l). */
  readonly IN: readonly number[];
  readonly lstm: boolean;
}

/**
 * The sizes of a configuration.
 *
 * @param config The configuration.
 * @returns Its sizes.
 */
export function tapeSizes(config: NtmConfig): TapeSizes {
  const { inputSize: X, outputSize: Y, controllerSize: C, controllerLayers: L } = config;
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = config;
  const lstm = config.controllerType === "lstm";
  const IN = Array.from({ length: L }, (_, l) => layerInputWidth(config, l));
  return {
    X,
    Y,
    C,
    L,
    N,
    M,
    R,
    W,
    H: R + W,
    S: shiftCount(config),
    P: R * readHeadWidth(config) + W * writeHeadWidth(config),
    RM: R * M,
    IN,
    K: IN.map((width) => lstm ? width + C : width),
    lstm,
  };
}

/** One batch's buffers (shapes in comments; "slot t" of a (T + 1, …) buffer is after step t − 1). */
export interface Tape {
  /** B and T the tape was laid out for. */
  readonly batch: number;
  readonly steps: number;
  /** (B, T, X) inputs, (B, T, Y) targets, (B, T) mask. */
  readonly input: Ptr;
  readonly target: Ptr;
  readonly mask: Ptr;
  /** Per layer: (T, B, K_l) the layer's input. */
  readonly layerInput: Ptr[];
  /** Per layer: (T, B, 4C) LSTM gates. */
  readonly gates: Ptr[];
  /** Per layer: (T + 1, B, C) cell state and hidden output, slot 0 the initial state. */
  readonly cell: Ptr[];
  readonly hidden: Ptr[];
  /** (B, 4C) a layer's pre-activations (scratch). */
  readonly preact: Ptr;
  /** (T, B, P) raw and activated head parameters. */
  readonly raw: Ptr;
  readonly act: Ptr;
  /** (T, B, H, N) content, gated and shifted weightings; (T + 1, B, H, N) final weightings, slot 0 w_0. */
  readonly wc: Ptr;
  readonly wg: Ptr;
  readonly wTilde: Ptr;
  readonly w: Ptr;
  /** (T, B, N) the norms of Mem_{t−1}'s rows; (T, B, H, N) each head's similarities K(k, mem(i)). */
  readonly norms: Ptr;
  readonly sim: Ptr;
  /** (T + 1, B, R·M) read vectors, slot 0 r_0. */
  readonly reads: Ptr;
  /** (T + 1, B, N, M) memories, slot 0 Mem_0. */
  readonly memory: Ptr;
  /** (T, B, C + R·M) the output layer's input [h_t; r_t]; (T, B, Y) logits and outputs. */
  readonly outIn: Ptr;
  readonly logits: Ptr;
  readonly y: Ptr;
  /** (W, N), (W, M), (W, M): one episode's write weightings, erase and add vectors (scratch). */
  readonly writeW: Ptr;
  readonly erase: Ptr;
  readonly add: Ptr;
  /** (T, B, Y) the logits' gradients, kept for the output layer's weight gradient after the time loop. */
  readonly dlogits: Ptr;
  /** Backward scratch: (B, C + R·M), (B, C), (B, R·M) ×2. */
  readonly dOutIn: Ptr;
  readonly dTop: Ptr;
  readonly dReads: Ptr;
  readonly drNext: Ptr;
  /** (B, H, N) ×3: w_t's gradient from step t + 1, at step t, and w_{t−1}'s. */
  readonly dwNext: Ptr;
  readonly dw: Ptr;
  readonly dwPrev: Ptr;
  /** (B, N, M) ×2: Mem_t's and Mem_{t−1}'s gradients. */
  readonly dMem: Ptr;
  readonly dMemPrev: Ptr;
  /** (B, P) the activated head parameters' gradient; (T, B, P) the raw ones', kept for the head map's. */
  readonly dact: Ptr;
  readonly draw: Ptr;
  /** (N) ×3: one head's w̃, w_g and w_c gradients. */
  readonly dwTilde: Ptr;
  readonly dwg: Ptr;
  readonly dwc: Ptr;
  /** (W, M) ×2: one episode's erase and add gradients. */
  readonly dErase: Ptr;
  readonly dAdd: Ptr;
  /** Per layer (B, C) ×2 each: h's and c's gradients from step t + 1, and those going to step t − 1. */
  readonly dhNext: Ptr[];
  readonly dcNext: Ptr[];
  readonly dhPrev: Ptr[];
  readonly dcPrev: Ptr[];
  /** (B, C), (B, max K): a layer's h gradient and input gradient. */
  readonly dh: Ptr;
  readonly dIn: Ptr;
  /** Per layer: (T, B, 4C) (feed-forward: (T, B, C)) the pre-activations' gradients, kept for the weights'. */
  readonly dpreact: Ptr[];
  /** The first byte past the tape. */
  readonly end: number;
}

/**
 * Lays a tape out from byte offset `start`.
 *
 * @param z The model's sizes.
 * @param batch B.
 * @param steps T.
 * @param start The first free byte.
 * @returns The tape.
 */
export function layTape(z: TapeSizes, batch: number, steps: number, start: number): Tape {
  const a = new Arena(start), B = batch, T = steps;
  const perLayer = (floats: number) => Array.from({ length: z.L }, () => a.floats(floats));
  const Kmax = Math.max(...z.K);
  return {
    batch,
    steps,
    input: a.floats(B * T * z.X),
    target: a.floats(B * T * z.Y),
    mask: a.floats(B * T),
    layerInput: z.K.map((k) => a.floats(T * B * k)),
    gates: perLayer(z.lstm ? T * B * 4 * z.C : 0),
    cell: perLayer((T + 1) * B * z.C),
    hidden: perLayer((T + 1) * B * z.C),
    preact: a.floats(B * 4 * z.C),
    raw: a.floats(T * B * z.P),
    act: a.floats(T * B * z.P),
    wc: a.floats(T * B * z.H * z.N),
    wg: a.floats(T * B * z.H * z.N),
    wTilde: a.floats(T * B * z.H * z.N),
    w: a.floats((T + 1) * B * z.H * z.N),
    norms: a.floats(T * B * z.N),
    sim: a.floats(T * B * z.H * z.N),
    reads: a.floats((T + 1) * B * z.RM),
    memory: a.floats((T + 1) * B * z.N * z.M),
    outIn: a.floats(T * B * (z.C + z.RM)),
    logits: a.floats(T * B * z.Y),
    y: a.floats(T * B * z.Y),
    writeW: a.floats(z.W * z.N),
    erase: a.floats(z.W * z.M),
    add: a.floats(z.W * z.M),
    dlogits: a.floats(T * B * z.Y),
    dOutIn: a.floats(B * (z.C + z.RM)),
    dTop: a.floats(B * z.C),
    dReads: a.floats(B * z.RM),
    drNext: a.floats(B * z.RM),
    dwNext: a.floats(B * z.H * z.N),
    dw: a.floats(B * z.H * z.N),
    dwPrev: a.floats(B * z.H * z.N),
    dMem: a.floats(B * z.N * z.M),
    dMemPrev: a.floats(B * z.N * z.M),
    dact: a.floats(B * z.P),
    draw: a.floats(T * B * z.P),
    dwTilde: a.floats(z.N),
    dwg: a.floats(z.N),
    dwc: a.floats(z.N),
    dErase: a.floats(z.W * z.M),
    dAdd: a.floats(z.W * z.M),
    dhNext: perLayer(B * z.C),
    dcNext: perLayer(B * z.C),
    dhPrev: perLayer(B * z.C),
    dcPrev: perLayer(B * z.C),
    dh: a.floats(B * z.C),
    dIn: a.floats(B * Kmax),
    dpreact: perLayer(T * B * (z.lstm ? 4 : 1) * z.C),
    end: a.end,
  };
}
