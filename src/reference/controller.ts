/**
 * Float64 reference of the controller's pieces: the affine map `y = W·x + b` used by every layer (the
 * controller, the head-parameter map and the output layer), the LSTM cell and the feed-forward tanh layer.
 *
 * @module
 */

import { sigmoid } from "./activations.ts";

/**
 * Affine map `y = W·x + b`.
 *
 * @param y (rows) output.
 * @param weight (rows, cols) W, row-major; read from `weightOffset`.
 * @param bias (rows) b; read from `biasOffset`.
 * @param x (cols) input.
 * @param rows Output width.
 * @param cols Input width.
 * @param weightOffset Where W starts in `weight` (default 0).
 * @param biasOffset Where b starts in `bias` (default 0).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearForward } from "./controller.ts";
 * const y = new Float64Array(1);
 * linearForward(y, Float64Array.of(1, 2), Float64Array.of(3), Float64Array.of(1, 1), 1, 2);
 * assert(y[0] === 6);
 * ```
 */
export function linearForward(
  y: Float64Array,
  weight: Float64Array,
  bias: Float64Array,
  x: Float64Array,
  rows: number,
  cols: number,
  weightOffset = 0,
  biasOffset = 0,
): void {
  for (let r = 0; r < rows; r++) {
    let sum = bias[biasOffset + r]!;
    const row = weightOffset + r * cols;
    for (let c = 0; c < cols; c++) sum += weight[row + c]! * x[c]!;
    y[r] = sum;
  }
}

/**
 * Backward of {@linkcode linearForward}: `dx += Wᵀ·dy`, `dW += dy ⊗ x`, `db += dy`.
 *
 * @param dx (cols) gradient of the input (added to).
 * @param dweight (rows, cols) gradient of W (added to, at `weightOffset`).
 * @param dbias (rows) gradient of b (added to, at `biasOffset`).
 * @param dy (rows) gradient of the output.
 * @param weight (rows, cols) W.
 * @param x (cols) input.
 * @param rows Output width.
 * @param cols Input width.
 * @param weightOffset Where W starts in `weight` and `dweight`.
 * @param biasOffset Where b starts in `dbias`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { linearBackward } from "./controller.ts";
 * const dx = new Float64Array(2), dw = new Float64Array(2), db = new Float64Array(1);
 * linearBackward(dx, dw, db, Float64Array.of(1), Float64Array.of(1, 2), Float64Array.of(3, 4), 1, 2);
 * assert(dx[1] === 2 && dw[1] === 4 && db[0] === 1);
 * ```
 */
export function linearBackward(
  dx: Float64Array,
  dweight: Float64Array,
  dbias: Float64Array,
  dy: Float64Array,
  weight: Float64Array,
  x: Float64Array,
  rows: number,
  cols: number,
  weightOffset = 0,
  biasOffset = 0,
): void {
  for (let r = 0; r < rows; r++) {
    const g = dy[r]!;
    if (g === 0) continue;
    dbias[biasOffset + r]! += g;
    const row = weightOffset + r * cols;
    for (let c = 0; c < cols; c++) {
      dx[c]! += weight[row + c]! * g;
      dweight[row + c]! += g * x[c]!;
    }
  }
}

/**
 * LSTM cell on the gate pre-activations `z = W·[x; h_prev] + b`, stored as four blocks of C rows in the
 * order i, f, o, g: `c = σ(f)⊙c_prev + σ(i)⊙tanh(g)`, `h = σ(o)⊙tanh(c)`.
 *
 * @param h (C) output: hidden state.
 * @param c (C) output: cell state.
 * @param gates (4C) output: activated gates (i, f, o, g), saved for the backward.
 * @param preact (4C) gate pre-activations.
 * @param cPrev (C) previous cell state.
 * @param units C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmForward } from "./controller.ts";
 * const h = new Float64Array(1), c = new Float64Array(1), gates = new Float64Array(4);
 * lstmForward(h, c, gates, new Float64Array(4), Float64Array.of(2), 1);
 * assert(c[0] === 1); // σ(0)·2 + σ(0)·tanh(0)
 * ```
 */
export function lstmForward(
  h: Float64Array,
  c: Float64Array,
  gates: Float64Array,
  preact: Float64Array,
  cPrev: Float64Array,
  units: number,
): void {
  for (let u = 0; u < units; u++) {
    const i = sigmoid(preact[u]!), f = sigmoid(preact[units + u]!);
    const o = sigmoid(preact[2 * units + u]!), g = Math.tanh(preact[3 * units + u]!);
    gates[u] = i, gates[units + u] = f, gates[2 * units + u] = o, gates[3 * units + u] = g;
    c[u] = f * cPrev[u]! + i * g;
    h[u] = o * Math.tanh(c[u]!);
  }
}

/**
 * Backward of {@linkcode lstmForward}.
 *
 * @param dpreact (4C) gradient of the gate pre-activations (added to).
 * @param dcPrev (C) gradient of the previous cell state (added to).
 * @param dh (C) gradient of h.
 * @param dc (C) gradient of c from later steps (not counting the path through h).
 * @param gates (4C) activated gates.
 * @param c (C) cell state.
 * @param cPrev (C) previous cell state.
 * @param units C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmBackward } from "./controller.ts";
 * const dz = new Float64Array(4), dcPrev = new Float64Array(1);
 * lstmBackward(dz, dcPrev, Float64Array.of(0), Float64Array.of(1), Float64Array.of(0.5, 0.5, 0.5, 0), Float64Array.of(1), Float64Array.of(2), 1);
 * assert(dcPrev[0] === 0.5);
 * ```
 */
export function lstmBackward(
  dpreact: Float64Array,
  dcPrev: Float64Array,
  dh: Float64Array,
  dc: Float64Array,
  gates: Float64Array,
  c: Float64Array,
  cPrev: Float64Array,
  units: number,
): void {
  for (let u = 0; u < units; u++) {
    const i = gates[u]!, f = gates[units + u]!, o = gates[2 * units + u]!, g = gates[3 * units + u]!;
    const tanhC = Math.tanh(c[u]!);
    const dcTotal = dc[u]! + dh[u]! * o * (1 - tanhC * tanhC);
    dpreact[u]! += dcTotal * g * i * (1 - i);
    dpreact[units + u]! += dcTotal * cPrev[u]! * f * (1 - f);
    dpreact[2 * units + u]! += dh[u]! * tanhC * o * (1 - o);
    dpreact[3 * units + u]! += dcTotal * i * (1 - g * g);
    dcPrev[u]! += dcTotal * f;
  }
}

/**
 * Feed-forward controller layer activation: `h = tanh(z)`.
 *
 * @param h (C) output.
 * @param preact (C) pre-activations `W·x + b`.
 * @param units C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { feedforwardForward } from "./controller.ts";
 * const h = new Float64Array(1);
 * feedforwardForward(h, Float64Array.of(0), 1);
 * assert(h[0] === 0);
 * ```
 */
export function feedforwardForward(h: Float64Array, preact: Float64Array, units: number): void {
  for (let u = 0; u < units; u++) h[u] = Math.tanh(preact[u]!);
}

/**
 * Backward of {@linkcode feedforwardForward}: `dz += dh·(1 − h²)`.
 *
 * @param dpreact (C) gradient of the pre-activations (added to).
 * @param dh (C) gradient of h.
 * @param h (C) the forward's output.
 * @param units C.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { feedforwardBackward } from "./controller.ts";
 * const dz = new Float64Array(1);
 * feedforwardBackward(dz, Float64Array.of(2), Float64Array.of(0), 1);
 * assert(dz[0] === 2);
 * ```
 */
export function feedforwardBackward(
  dpreact: Float64Array,
  dh: Float64Array,
  h: Float64Array,
  units: number,
): void {
  for (let u = 0; u < units; u++) dpreact[u]! += dh[u]! * (1 - h[u]! * h[u]!);
}
