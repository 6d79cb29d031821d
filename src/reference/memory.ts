/**
 * Float64 reference of the NTM's memory access for one episode: the read (paper §3.1, eq. 2) and the
 * erase/add write of any number of heads (§3.2, eqs 3–4). Forwards write their outputs, backwards *add*
 * into their gradients.
 *
 * @module
 */

/**
 * Read (eq. 2): `r = Σ_i w(i)·mem(i)`.
 *
 * @param r (M) output: the read vector.
 * @param w (N) the read head's weighting.
 * @param mem (N, M) memory.
 * @param n N.
 * @param m M.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryReadForward } from "./memory.ts";
 * const r = new Float64Array(2);
 * memoryReadForward(r, Float64Array.of(0, 1), Float64Array.of(1, 2, 3, 4), 2, 2);
 * assert(r[0] === 3 && r[1] === 4);
 * ```
 */
export function memoryReadForward(
  r: Float64Array,
  w: Float64Array,
  mem: Float64Array,
  n: number,
  m: number,
): void {
  r.fill(0, 0, m);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) r[j]! += w[i]! * mem[i * m + j]!;
  }
}

/**
 * Backward of {@linkcode memoryReadForward}.
 *
 * @param dw (N) gradient of the weighting (added to).
 * @param dmem (N, M) gradient of the memory (added to).
 * @param dr (M) gradient of the read vector.
 * @param w (N) weighting.
 * @param mem (N, M) memory.
 * @param n N.
 * @param m M.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryReadBackward } from "./memory.ts";
 * const dw = new Float64Array(2), dmem = new Float64Array(4);
 * memoryReadBackward(dw, dmem, Float64Array.of(1, 0), Float64Array.of(0, 1), Float64Array.of(1, 2, 3, 4), 2, 2);
 * assert(dw[1] === 3 && dmem[2] === 1);
 * ```
 */
export function memoryReadBackward(
  dw: Float64Array,
  dmem: Float64Array,
  dr: Float64Array,
  w: Float64Array,
  mem: Float64Array,
  n: number,
  m: number,
): void {
  for (let i = 0; i < n; i++) {
    let gradW = 0;
    for (let j = 0; j < m; j++) {
      gradW += dr[j]! * mem[i * m + j]!;
      dmem[i * m + j]! += w[i]! * dr[j]!;
    }
    dw[i]! += gradW;
  }
}

/**
 * Erase then add, for W write heads (eqs 3–4): all erases first, then all adds, so the order of the heads
 * does not matter: `memOut(i) = memIn(i) ⊙ Π_h (1 − w_h(i)·e_h) + Σ_h w_h(i)·a_h`.
 *
 * @param memOut (N, M) output: memory after the write.
 * @param memIn (N, M) memory before the write.
 * @param w (W, N) write weightings.
 * @param e (W, M) erase vectors in (0, 1).
 * @param a (W, M) add vectors.
 * @param n N.
 * @param m M.
 * @param heads W.
 *
 * @example Overwrite a row
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryWriteForward } from "./memory.ts";
 * const out = new Float64Array(2);
 * memoryWriteForward(out, Float64Array.of(5, 5), Float64Array.of(1), Float64Array.of(1, 1), Float64Array.of(2, 3), 1, 2, 1);
 * assert(out[0] === 2 && out[1] === 3);
 * ```
 */
export function memoryWriteForward(
  memOut: Float64Array,
  memIn: Float64Array,
  w: Float64Array,
  e: Float64Array,
  a: Float64Array,
  n: number,
  m: number,
  heads: number,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      let keep = 1, add = 0;
      for (let h = 0; h < heads; h++) {
        keep *= 1 - w[h * n + i]! * e[h * m + j]!;
        add += w[h * n + i]! * a[h * m + j]!;
      }
      memOut[i * m + j] = memIn[i * m + j]! * keep + add;
    }
  }
}

/**
 * Backward of {@linkcode memoryWriteForward}. The erase product leaving out head h is recomputed (never
 * divided out), so `w_h(i)·e_h(j) = 1` is safe.
 *
 * @param dmemIn (N, M) gradient of the memory before the write (added to).
 * @param dw (W, N) gradients of the write weightings (added to).
 * @param de (W, M) gradients of the erase vectors (added to).
 * @param da (W, M) gradients of the add vectors (added to).
 * @param dmemOut (N, M) gradient of the memory after the write.
 * @param memIn (N, M) memory before the write.
 * @param w (W, N) write weightings.
 * @param e (W, M) erase vectors.
 * @param a (W, M) add vectors.
 * @param n N.
 * @param m M.
 * @param heads W.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { memoryWriteBackward } from "./memory.ts";
 * const dmemIn = new Float64Array(1), dw = new Float64Array(1), de = new Float64Array(1), da = new Float64Array(1);
 * memoryWriteBackward(dmemIn, dw, de, da, Float64Array.of(1), Float64Array.of(2), Float64Array.of(0.5), Float64Array.of(0.5), Float64Array.of(3), 1, 1, 1);
 * assert(dmemIn[0] === 0.75 && da[0] === 0.5);
 * ```
 */
export function memoryWriteBackward(
  dmemIn: Float64Array,
  dw: Float64Array,
  de: Float64Array,
  da: Float64Array,
  dmemOut: Float64Array,
  memIn: Float64Array,
  w: Float64Array,
  e: Float64Array,
  a: Float64Array,
  n: number,
  m: number,
  heads: number,
): void {
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const cell = i * m + j, upstream = dmemOut[cell]!;
      let keep = 1;
      for (let h = 0; h < heads; h++) keep *= 1 - w[h * n + i]! * e[h * m + j]!;
      dmemIn[cell]! += upstream * keep;
      for (let h = 0; h < heads; h++) {
        let keepOthers = 1;
        for (let o = 0; o < heads; o++) if (o !== h) keepOthers *= 1 - w[o * n + i]! * e[o * m + j]!;
        const dKeep = -upstream * memIn[cell]! * keepOthers; // ∂/∂(w_h(i)·e_h(j))
        dw[h * n + i]! += dKeep * e[h * m + j]! + upstream * a[h * m + j]!;
        de[h * m + j]! += dKeep * w[h * n + i]!;
        da[h * m + j]! += upstream * w[h * n + i]!;
      }
    }
  }
}
