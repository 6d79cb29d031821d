/**
 * Float64 reference of the head-parameter activations (paper §3.3 and `docs/model.md`): one head's raw vector,
 * read off the controller by a linear map, becomes `k, β, g, s, γ` (and `e, a` for a write head).
 *
 * Layout of one head's raw and activated vectors (the same offsets):
 *
 * | field | offset | size | activation |
 * |---|---|---|---|
 * | k | 0 | M | tanh |
 * | β | M | 1 | softplus |
 * | g | M+1 | 1 | sigmoid |
 * | s | M+2 | S | softmax over the S shifts |
 * | γ | M+S+2 | 1 | 1 + softplus |
 * | e | M+S+3 | M | sigmoid (write heads only) |
 * | a | 2M+S+3 | M | tanh (write heads only) |
 *
 * @module
 */

import { sigmoid, softmaxBackwardInto, softmaxInto, softplus } from "./activations.ts";

/** Offsets of each field in one head's parameter vector. */
export interface HeadFieldOffsets {
  /** k: the key, M values. */
  readonly k: number;
  /** β: key strength. */
  readonly beta: number;
  /** g: interpolation gate. */
  readonly g: number;
  /** s: shift distribution, S values. */
  readonly s: number;
  /** γ: sharpening exponent. */
  readonly gamma: number;
  /** e: erase vector, M values (write heads). */
  readonly e: number;
  /** a: add vector, M values (write heads). */
  readonly a: number;
}

/**
 * The offsets of each field in one head's parameter vector.
 *
 * @param m M: memory row width.
 * @param shifts S: number of shifts.
 * @returns The offsets.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headFieldOffsets } from "./head_params.ts";
 * assert(headFieldOffsets(20, 3).gamma === 25);
 * ```
 */
export function headFieldOffsets(m: number, shifts: number): HeadFieldOffsets {
  return {
    k: 0,
    beta: m,
    g: m + 1,
    s: m + 2,
    gamma: m + shifts + 2,
    e: m + shifts + 3,
    a: 2 * m + shifts + 3,
  };
}

/**
 * Activates one head's raw parameters.
 *
 * @param act (width) output: activated parameters, same layout as `raw`.
 * @param raw (width) raw parameters from the controller.
 * @param m M.
 * @param shifts S.
 * @param isWrite Whether the head also has e and a.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headParamsForward } from "./head_params.ts";
 * const raw = new Float64Array(1 + 3 + 3), act = new Float64Array(7);
 * headParamsForward(act, raw, 1, 3, false);
 * assert(act[2] === 0.5); // g = sigmoid(0)
 * ```
 */
export function headParamsForward(
  act: Float64Array,
  raw: Float64Array,
  m: number,
  shifts: number,
  isWrite: boolean,
): void {
  const at = headFieldOffsets(m, shifts);
  for (let j = 0; j < m; j++) act[at.k + j] = Math.tanh(raw[at.k + j]!);
  act[at.beta] = softplus(raw[at.beta]!);
  act[at.g] = sigmoid(raw[at.g]!);
  softmaxInto(act, raw, at.s, shifts);
  act[at.gamma] = 1 + softplus(raw[at.gamma]!);
  if (!isWrite) return;
  for (let j = 0; j < m; j++) {
    act[at.e + j] = sigmoid(raw[at.e + j]!);
    act[at.a + j] = Math.tanh(raw[at.a + j]!);
  }
}

/**
 * Backward of {@linkcode headParamsForward}.
 *
 * @param draw (width) gradient of the raw parameters (added to).
 * @param dact (width) gradient of the activated parameters.
 * @param act (width) the forward's output.
 * @param raw (width) raw parameters.
 * @param m M.
 * @param shifts S.
 * @param isWrite Whether the head also has e and a.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { headParamsBackward, headParamsForward } from "./head_params.ts";
 * const raw = new Float64Array(7), act = new Float64Array(7), draw = new Float64Array(7);
 * headParamsForward(act, raw, 1, 3, false);
 * headParamsBackward(draw, Float64Array.of(0, 0, 1, 0, 0, 0, 0), act, raw, 1, 3, false);
 * assert(draw[2] === 0.25);
 * ```
 */
export function headParamsBackward(
  draw: Float64Array,
  dact: Float64Array,
  act: Float64Array,
  raw: Float64Array,
  m: number,
  shifts: number,
  isWrite: boolean,
): void {
  const at = headFieldOffsets(m, shifts);
  for (let j = 0; j < m; j++) draw[at.k + j]! += dact[at.k + j]! * (1 - act[at.k + j]! ** 2);
  draw[at.beta]! += dact[at.beta]! * sigmoid(raw[at.beta]!);
  draw[at.g]! += dact[at.g]! * act[at.g]! * (1 - act[at.g]!);
  softmaxBackwardInto(draw, dact, act, at.s, shifts);
  draw[at.gamma]! += dact[at.gamma]! * sigmoid(raw[at.gamma]!);
  if (!isWrite) return;
  for (let j = 0; j < m; j++) {
    const e = act[at.e + j]!, a = act[at.a + j]!;
    draw[at.e + j]! += dact[at.e + j]! * e * (1 - e);
    draw[at.a + j]! += dact[at.a + j]! * (1 - a * a);
  }
}
