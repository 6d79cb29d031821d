/**
 * Float64 reference of the NTM's addressing (paper §3.3, eqs 5–9) for one head of one episode:
 * content addressing, interpolation, circular shift and sharpening. Each op has its backward beside it;
 * forwards write their outputs, backwards *add* into their gradients.
 *
 * @module
 */

/** ε of eq. 6's cosine: the denominator is max(‖u‖·‖v‖, ε), so ordinary inputs are computed exactly. */
export const COSINE_EPSILON = 1e-8;

/** Weightings below this are treated as exact zeros by sharpening (x^γ·ln x → 0). */
export const SHARPEN_ZERO = 1e-30;

/**
 * Content addressing (eqs 5–6): `wc(i) = softmax_i(β · K(k, mem(i)))` with the cosine similarity
 * `K(u, v) = u·v / max(‖u‖‖v‖, ε)`.
 *
 * @param wc (N) output: the content weighting.
 * @param k (M) key.
 * @param beta key strength β > 0.
 * @param mem (N, M) memory.
 * @param n N: memory rows.
 * @param m M: row width.
 *
 * @example Address the row most like the key
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentAddressForward } from "./addressing.ts";
 * const wc = new Float64Array(2);
 * contentAddressForward(wc, Float64Array.of(1, 0), 10, Float64Array.of(1, 0, 0, 1), 2, 2);
 * assert(wc[0]! > 0.99);
 * ```
 */
export function contentAddressForward(
  wc: Float64Array,
  k: Float64Array,
  beta: number,
  mem: Float64Array,
  n: number,
  m: number,
): void {
  const kNorm = norm(k, 0, m);
  let zMax = -Infinity;
  for (let i = 0; i < n; i++) {
    const z = beta * cosine(k, kNorm, mem, i * m, m);
    wc[i] = z;
    if (z > zMax) zMax = z;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += wc[i] = Math.exp(wc[i]! - zMax);
  for (let i = 0; i < n; i++) wc[i]! /= sum;
}

/**
 * Backward of {@linkcode contentAddressForward}: adds the gradients of k, β and the memory.
 *
 * @param dk (M) gradient of the key (added to).
 * @param dbeta (1) gradient of β (added to).
 * @param dmem (N, M) gradient of the memory (added to).
 * @param dwc (N) gradient of the content weighting.
 * @param wc (N) the forward's output.
 * @param k (M) key.
 * @param beta key strength.
 * @param mem (N, M) memory.
 * @param n N.
 * @param m M.
 *
 * @example Gradient of one weight
 * ```ts
 * import assert from "node:assert/strict";
 * import { contentAddressBackward, contentAddressForward } from "./addressing.ts";
 * const k = Float64Array.of(1, 0.5), mem = Float64Array.of(1, 0, 0, 1), wc = new Float64Array(2);
 * contentAddressForward(wc, k, 2, mem, 2, 2);
 * const dk = new Float64Array(2), dbeta = new Float64Array(1), dmem = new Float64Array(4);
 * contentAddressBackward(dk, dbeta, dmem, Float64Array.of(1, 0), wc, k, 2, mem, 2, 2);
 * assert(dbeta[0]! > 0);
 * ```
 */
export function contentAddressBackward(
  dk: Float64Array,
  dbeta: Float64Array,
  dmem: Float64Array,
  dwc: Float64Array,
  wc: Float64Array,
  k: Float64Array,
  beta: number,
  mem: Float64Array,
  n: number,
  m: number,
): void {
  const kNorm = norm(k, 0, m);
  let wDotDw = 0;
  for (let i = 0; i < n; i++) wDotDw += wc[i]! * dwc[i]!;
  for (let i = 0; i < n; i++) {
    const row = i * m;
    const dz = wc[i]! * (dwc[i]! - wDotDw); // softmax backward
    const rowNorm = norm(mem, row, m);
    const denominator = kNorm * rowNorm;
    let dot = 0;
    for (let j = 0; j < m; j++) dot += k[j]! * mem[row + j]!;
    const similarity = dot / Math.max(denominator, COSINE_EPSILON);
    dbeta[0]! += dz * similarity;
    const dSimilarity = beta * dz;
    if (denominator > COSINE_EPSILON) {
      // ∂K/∂k = mem(i)/D − K·k/‖k‖², ∂K/∂mem(i) = k/D − K·mem(i)/‖mem(i)‖².
      const kScale = similarity / (kNorm * kNorm), rowScale = similarity / (rowNorm * rowNorm);
      for (let j = 0; j < m; j++) {
        dk[j]! += dSimilarity * (mem[row + j]! / denominator - kScale * k[j]!);
        dmem[row + j]! += dSimilarity * (k[j]! / denominator - rowScale * mem[row + j]!);
      }
    } else {
      for (let j = 0; j < m; j++) {
        dk[j]! += dSimilarity * mem[row + j]! / COSINE_EPSILON;
        dmem[row + j]! += dSimilarity * k[j]! / COSINE_EPSILON;
      }
    }
  }
}

/**
 * Interpolation (eq. 7): `wg = g·wc + (1 − g)·wPrev`.
 *
 * @param wg (N) output: the gated weighting.
 * @param wc (N) content weighting.
 * @param wPrev (N) the head's weighting of the previous step.
 * @param g interpolation gate in (0, 1).
 * @param n N.
 *
 * @example Halfway
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpolateForward } from "./addressing.ts";
 * const wg = new Float64Array(2);
 * interpolateForward(wg, Float64Array.of(1, 0), Float64Array.of(0, 1), 0.5, 2);
 * assert(wg[0] === 0.5);
 * ```
 */
export function interpolateForward(
  wg: Float64Array,
  wc: Float64Array,
  wPrev: Float64Array,
  g: number,
  n: number,
): void {
  for (let i = 0; i < n; i++) wg[i] = g * wc[i]! + (1 - g) * wPrev[i]!;
}

/**
 * Backward of {@linkcode interpolateForward}.
 *
 * @param dwc (N) gradient of wc (added to).
 * @param dwPrev (N) gradient of wPrev (added to).
 * @param dg (1) gradient of g (added to).
 * @param dwg (N) gradient of the output.
 * @param wc (N) content weighting.
 * @param wPrev (N) previous weighting.
 * @param g gate.
 * @param n N.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { interpolateBackward } from "./addressing.ts";
 * const dwc = new Float64Array(2), dwPrev = new Float64Array(2), dg = new Float64Array(1);
 * interpolateBackward(dwc, dwPrev, dg, Float64Array.of(1, 0), Float64Array.of(1, 0), Float64Array.of(0, 1), 0.25, 2);
 * assert(dg[0] === 1 && dwc[0] === 0.25);
 * ```
 */
export function interpolateBackward(
  dwc: Float64Array,
  dwPrev: Float64Array,
  dg: Float64Array,
  dwg: Float64Array,
  wc: Float64Array,
  wPrev: Float64Array,
  g: number,
  n: number,
): void {
  let gradGate = 0;
  for (let i = 0; i < n; i++) {
    dwc[i]! += g * dwg[i]!;
    dwPrev[i]! += (1 - g) * dwg[i]!;
    gradGate += dwg[i]! * (wc[i]! - wPrev[i]!);
  }
  dg[0]! += gradGate;
}

/**
 * Circular shift (eq. 8): `w̃(i) = Σ_o wg(i − o mod N) · s(o)` for offsets o in −K..K, with `s` stored as
 * `[s(−K), …, s(0), …, s(K)]`.
 *
 * @param wTilde (N) output: the shifted weighting.
 * @param wg (N) gated weighting.
 * @param s (S) shift distribution, S = 2K + 1.
 * @param n N.
 * @param shifts S.
 *
 * @example Shift by +1
 * ```ts
 * import assert from "node:assert/strict";
 * import { shiftForward } from "./addressing.ts";
 * const w = new Float64Array(3);
 * shiftForward(w, Float64Array.of(1, 0, 0), Float64Array.of(0, 0, 1), 3, 3);
 * assert(w[1] === 1);
 * ```
 */
export function shiftForward(
  wTilde: Float64Array,
  wg: Float64Array,
  s: Float64Array,
  n: number,
  shifts: number,
): void {
  const range = (shifts - 1) / 2;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let o = -range; o <= range; o++) sum += wg[modulo(i - o, n)]! * s[o + range]!;
    wTilde[i] = sum;
  }
}

/**
 * Backward of {@linkcode shiftForward}.
 *
 * @param dwg (N) gradient of wg (added to).
 * @param ds (S) gradient of s (added to).
 * @param dwTilde (N) gradient of the output.
 * @param wg (N) gated weighting.
 * @param s (S) shift distribution.
 * @param n N.
 * @param shifts S.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { shiftBackward } from "./addressing.ts";
 * const dwg = new Float64Array(3), ds = new Float64Array(3);
 * shiftBackward(dwg, ds, Float64Array.of(0, 1, 0), Float64Array.of(1, 0, 0), Float64Array.of(0, 0, 1), 3, 3);
 * assert(dwg[0] === 1 && ds[2] === 1);
 * ```
 */
export function shiftBackward(
  dwg: Float64Array,
  ds: Float64Array,
  dwTilde: Float64Array,
  wg: Float64Array,
  s: Float64Array,
  n: number,
  shifts: number,
): void {
  const range = (shifts - 1) / 2;
  for (let i = 0; i < n; i++) {
    for (let o = -range; o <= range; o++) {
      const j = modulo(i - o, n);
      dwg[j]! += dwTilde[i]! * s[o + range]!;
      ds[o + range]! += dwTilde[i]! * wg[j]!;
    }
  }
}

/**
 * Sharpening (eq. 9): `w(i) = w̃(i)^γ / Σ_j w̃(j)^γ`, computed as `exp(γ·(ln w̃(i) − ln max w̃))` so that
 * no power underflows to 0/0; exact zeros (below {@linkcode SHARPEN_ZERO}) stay zero.
 *
 * @param w (N) output: the final weighting.
 * @param wTilde (N) shifted weighting (non-negative, not all zero).
 * @param gamma γ ≥ 1.
 * @param n N.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharpenForward } from "./addressing.ts";
 * const w = new Float64Array(2);
 * sharpenForward(w, Float64Array.of(0.75, 0.25), 2, 2);
 * assert(Math.abs(w[0]! - 0.9) < 1e-12);
 * ```
 */
export function sharpenForward(w: Float64Array, wTilde: Float64Array, gamma: number, n: number): void {
  let maxW = 0;
  for (let i = 0; i < n; i++) maxW = Math.max(maxW, wTilde[i]!);
  const logMax = Math.log(maxW);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const x = wTilde[i]!;
    sum += w[i] = x < SHARPEN_ZERO ? 0 : Math.exp(gamma * (Math.log(x) - logMax));
  }
  for (let i = 0; i < n; i++) w[i]! /= sum;
}

/**
 * Backward of {@linkcode sharpenForward}: `∂w(i)/∂γ = w(i)·(ln w̃(i) − Σ_j w(j) ln w̃(j))` with
 * `0·ln 0 = 0`, and `∂w(i)/∂w̃(j) = γ·(δ_ij − w(i))·w(j)/w̃(j)`.
 *
 * @param dwTilde (N) gradient of w̃ (added to).
 * @param dgamma (1) gradient of γ (added to).
 * @param dw (N) gradient of the output.
 * @param w (N) the forward's output.
 * @param wTilde (N) shifted weighting.
 * @param gamma γ.
 * @param n N.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { sharpenBackward, sharpenForward } from "./addressing.ts";
 * const wTilde = Float64Array.of(0.75, 0.25), w = new Float64Array(2);
 * sharpenForward(w, wTilde, 2, 2);
 * const dwTilde = new Float64Array(2), dgamma = new Float64Array(1);
 * sharpenBackward(dwTilde, dgamma, Float64Array.of(1, 0), w, wTilde, 2, 2);
 * assert(dgamma[0]! > 0);
 * ```
 */
export function sharpenBackward(
  dwTilde: Float64Array,
  dgamma: Float64Array,
  dw: Float64Array,
  w: Float64Array,
  wTilde: Float64Array,
  gamma: number,
  n: number,
): void {
  let wDotDw = 0;
  for (let i = 0; i < n; i++) wDotDw += w[i]! * dw[i]!;
  let gradGamma = 0;
  for (let i = 0; i < n; i++) {
    const x = wTilde[i]!;
    if (x < SHARPEN_ZERO) continue; // w(i) = 0 here and so is every term of its gradient
    const dp = w[i]! * (dw[i]! - wDotDw);
    gradGamma += dp * Math.log(x);
    dwTilde[i]! += gamma * dp / x;
  }
  dgamma[0]! += gradGamma;
}

/** x mod n in [0, n). */
function modulo(x: number, n: number): number {
  return ((x % n) + n) % n;
}

function norm(v: Float64Array, offset: number, length: number): number {
  let sum = 0;
  for (let j = 0; j < length; j++) sum += v[offset + j]! * v[offset + j]!;
  return Math.sqrt(sum);
}

function cosine(k: Float64Array, kNorm: number, mem: Float64Array, row: number, m: number): number {
  let dot = 0;
  for (let j = 0; j < m; j++) dot += k[j]! * mem[row + j]!;
  return dot / Math.max(kNorm * norm(mem, row, m), COSINE_EPSILON);
}
