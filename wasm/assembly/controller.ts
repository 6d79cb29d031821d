// The controller (docs/model.md): the linear map y = W·x + b, batched over episodes, and the LSTM and
// feed-forward units; the float64 twins are in src/reference/controller.ts. Buffers are float32 at byte
// offsets; `batch` episodes lie one after another, each `cols` (inputs) or `rows` (outputs) wide.

import { add, at, dot, hsum, ptr, put } from "./access";
import { sigmoid, sigmoid4, tanh, tanh4 } from "./activations";


/** y[0..n) += g·x[0..n) (SIMD). */
// @ts-ignore: decorator
@inline function axpy(y: usize, g: f32, x: usize, n: i32): void {
  const gv = f32x4.splat(g);
  let k = 0;
  for (; k + 4 <= n; k += 4) {
    v128.store(ptr(y, k), f32x4.add(v128.load(ptr(y, k)), f32x4.mul(gv, v128.load(ptr(x, k)))));
  }
  for (; k < n; k++) add(y, k, g * at(x, k));
}

/**
 * y_e = W·x_e + b for each of `batch` episodes: W (rows, cols) row-major, b (rows), x (batch, cols),
 * y (batch, rows). Blocks of 4 rows × 4 episodes stay in registers, so each load of W serves 4 episodes
 * and each load of x 4 rows.
 */
export function linear_forward(y: usize, w: usize, b: usize, x: usize, rows: i32, cols: i32, batch: i32): void {
  let e = 0;
  for (; e + 4 <= batch; e += 4) linear_forward_4(y, w, b, x, rows, cols, e);
  for (; e < batch; e++) linear_forward_1(ptr(y, e * rows), w, b, ptr(x, e * cols), rows, cols);
}

/** One episode's y = W·x + b, 4 rows sharing each load of x. */
function linear_forward_1(ye: usize, w: usize, b: usize, xe: usize, rows: i32, cols: i32): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = ptr(w, r * cols), w1 = ptr(w, (r + 1) * cols), w2 = ptr(w, (r + 2) * cols);
    const w3 = ptr(w, (r + 3) * cols);
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let k = 0;
    for (; k + 4 <= cols; k += 4) {
      const xv = v128.load(ptr(xe, k));
      a0 = f32x4.add(a0, f32x4.mul(v128.load(ptr(w0, k)), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(ptr(w1, k)), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(ptr(w2, k)), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(ptr(w3, k)), xv));
    }
    let sums = transpose_sum(a0, a1, a2, a3);
    for (; k < cols; k++) {
      const xk = at(xe, k);
      sums = f32x4.add(sums, f32x4(at(w0, k) * xk, at(w1, k) * xk, at(w2, k) * xk, at(w3, k) * xk));
    }
    v128.store(ptr(ye, r), f32x4.add(sums, v128.load(ptr(b, r))));
  }
  for (; r < rows; r++) put(ye, r, dot(ptr(w, r * cols), xe, cols) + at(b, r));
}

/** Episodes e … e + 3's y = W·x + b: 4 rows × 4 episodes of accumulators. */
function linear_forward_4(y: usize, w: usize, b: usize, x: usize, rows: i32, cols: i32, e: i32): void {
  const x0 = ptr(x, e * cols), x1 = ptr(x, (e + 1) * cols), x2 = ptr(x, (e + 2) * cols), x3 = ptr(x, (e + 3) * cols);
  const c4 = cols & ~3;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = ptr(w, r * cols), w1 = ptr(w, (r + 1) * cols), w2 = ptr(w, (r + 2) * cols);
    const w3 = ptr(w, (r + 3) * cols);
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
    let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
    let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a22 = f32x4.splat(0), a23 = f32x4.splat(0);
    let a30 = f32x4.splat(0), a31 = f32x4.splat(0), a32 = f32x4.splat(0), a33 = f32x4.splat(0);
    for (let k = 0; k < c4; k += 4) {
      const v0 = v128.load(ptr(w0, k)), v1 = v128.load(ptr(w1, k)), v2 = v128.load(ptr(w2, k)), v3 = v128.load(ptr(w3, k));
      let xv = v128.load(ptr(x0, k));
      a00 = f32x4.add(a00, f32x4.mul(v0, xv)), a01 = f32x4.add(a01, f32x4.mul(v1, xv));
      a02 = f32x4.add(a02, f32x4.mul(v2, xv)), a03 = f32x4.add(a03, f32x4.mul(v3, xv));
      xv = v128.load(ptr(x1, k));
      a10 = f32x4.add(a10, f32x4.mul(v0, xv)), a11 = f32x4.add(a11, f32x4.mul(v1, xv));
      a12 = f32x4.add(a12, f32x4.mul(v2, xv)), a13 = f32x4.add(a13, f32x4.mul(v3, xv));
      xv = v128.load(ptr(x2, k));
      a20 = f32x4.add(a20, f32x4.mul(v0, xv)), a21 = f32x4.add(a21, f32x4.mul(v1, xv));
      a22 = f32x4.add(a22, f32x4.mul(v2, xv)), a23 = f32x4.add(a23, f32x4.mul(v3, xv));
      xv = v128.load(ptr(x3, k));
      a30 = f32x4.add(a30, f32x4.mul(v0, xv)), a31 = f32x4.add(a31, f32x4.mul(v1, xv));
      a32 = f32x4.add(a32, f32x4.mul(v2, xv)), a33 = f32x4.add(a33, f32x4.mul(v3, xv));
    }
    const bias = v128.load(ptr(b, r));
    store_rows(ptr(y, e * rows + r), x0, w0, w1, w2, w3, c4, cols, transpose_sum(a00, a01, a02, a03), bias);
    store_rows(ptr(y, (e + 1) * rows + r), x1, w0, w1, w2, w3, c4, cols, transpose_sum(a10, a11, a12, a13), bias);
    store_rows(ptr(y, (e + 2) * rows + r), x2, w0, w1, w2, w3, c4, cols, transpose_sum(a20, a21, a22, a23), bias);
    store_rows(ptr(y, (e + 3) * rows + r), x3, w0, w1, w2, w3, c4, cols, transpose_sum(a30, a31, a32, a33), bias);
  }
  for (; r < rows; r++) {
    for (let q = 0; q < 4; q++) put(y, (e + q) * rows + r, dot(ptr(w, r * cols), ptr(x, (e + q) * cols), cols) + at(b, r));
  }
}

/** Stores 4 rows' sums (plus the columns past the last full vector, and the bias) of one episode. */
// @ts-ignore: decorator
@inline function store_rows(ye: usize, xe: usize, w0: usize, w1: usize, w2: usize, w3: usize, c4: i32, cols: i32, sums: v128, bias: v128): void {
  for (let k = c4; k < cols; k++) {
    const xk = at(xe, k);
    sums = f32x4.add(sums, f32x4(at(w0, k) * xk, at(w1, k) * xk, at(w2, k) * xk, at(w3, k) * xk));
  }
  v128.store(ye, f32x4.add(sums, bias));
}

/** The lane sums of four vectors, as one vector: (Σa, Σb, Σc, Σd). */
// @ts-ignore: decorator
@inline function transpose_sum(a: v128, b: v128, c: v128, d: v128): v128 {
  const u0 = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
}

/**
 * The linear map's input gradient for each episode: dx_e += Wᵀ·dy_e (added to), four rows of W per pass
 * over dx; groups of four rows whose gradient is zero are skipped.
 */
export function linear_backward_input(dx: usize, dy: usize, w: usize, rows: i32, cols: i32, batch: i32): void {
  const c4 = cols & ~3;
  for (let e = 0; e < batch; e++) {
    const dxe = ptr(dx, e * cols), dye = ptr(dy, e * rows);
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const g0 = at(dye, r), g1 = at(dye, r + 1), g2 = at(dye, r + 2), g3 = at(dye, r + 3);
      if (g0 == 0 && g1 == 0 && g2 == 0 && g3 == 0) continue;
      const w0 = ptr(w, r * cols), w1 = ptr(w, (r + 1) * cols), w2 = ptr(w, (r + 2) * cols);
      const w3 = ptr(w, (r + 3) * cols);
      const v0 = f32x4.splat(g0), v1 = f32x4.splat(g1), v2 = f32x4.splat(g2), v3 = f32x4.splat(g3);
      for (let k = 0; k < c4; k += 4) {
        const sum = f32x4.add(
          f32x4.add(f32x4.mul(v0, v128.load(ptr(w0, k))), f32x4.mul(v1, v128.load(ptr(w1, k)))),
          f32x4.add(f32x4.mul(v2, v128.load(ptr(w2, k))), f32x4.mul(v3, v128.load(ptr(w3, k)))),
        );
        v128.store(ptr(dxe, k), f32x4.add(v128.load(ptr(dxe, k)), sum));
      }
      for (let k = c4; k < cols; k++) {
        add(dxe, k, g0 * at(w0, k) + g1 * at(w1, k) + g2 * at(w2, k) + g3 * at(w3, k));
      }
    }
    for (; r < rows; r++) {
      const g = at(dye, r);
      if (g != 0) axpy(dxe, g, ptr(w, r * cols), cols);
    }
  }
}

/**
 * The linear map's weight and bias gradients over `count` rows at once (every step of every episode):
 * dW += Σ_n dy_n ⊗ x_n, db += Σ_n dy_n (added to); dy (count, rows), x (count, cols). Blocks of 4 rows of W
 * × 8 columns stay in registers while n runs, so each dy and x value is loaded once per block.
 */
export function linear_weight_grad(dw: usize, db: usize, dy: usize, x: usize, rows: i32, cols: i32, count: i32): void {
  for (let r = 0; r < rows; r++) {
    let sum: f32 = 0;
    for (let n = 0; n < count; n++) sum += at(dy, n * rows + r);
    add(db, r, sum);
  }
  // Chunks of n small enough that a chunk of dy and x and all of dW stay in the core's cache.
  for (let n0 = 0; n0 < count; n0 += WEIGHT_GRAD_CHUNK) {
    weight_grad_chunk(dw, ptr(dy, n0 * rows), ptr(x, n0 * cols), rows, cols, min(WEIGHT_GRAD_CHUNK, count - n0));
  }
}

/** Rows of dy and x per pass of {@linkcode linear_weight_grad}. */
const WEIGHT_GRAD_CHUNK: i32 = 64;

/** dW += Σ_n dy_n ⊗ x_n over `count` rows, 4 rows of W × 8 columns in registers. */
function weight_grad_chunk(dw: usize, dy: usize, x: usize, rows: i32, cols: i32, count: i32): void {
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    let k = 0;
    for (; k + 8 <= cols; k += 8) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
      let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
      for (let n = 0; n < count; n++) {
        const xn = ptr(x, n * cols + k), dn = ptr(dy, n * rows + r);
        const x0 = v128.load(xn), x1 = v128.load(xn, 16);
        const g0 = v128.load32_splat(dn), g1 = v128.load32_splat(dn, 4);
        const g2 = v128.load32_splat(dn, 8), g3 = v128.load32_splat(dn, 12);
        a0 = f32x4.add(a0, f32x4.mul(g0, x0)), b0 = f32x4.add(b0, f32x4.mul(g0, x1));
        a1 = f32x4.add(a1, f32x4.mul(g1, x0)), b1 = f32x4.add(b1, f32x4.mul(g1, x1));
        a2 = f32x4.add(a2, f32x4.mul(g2, x0)), b2 = f32x4.add(b2, f32x4.mul(g2, x1));
        a3 = f32x4.add(a3, f32x4.mul(g3, x0)), b3 = f32x4.add(b3, f32x4.mul(g3, x1));
      }
      accumulate(ptr(dw, r * cols + k), a0, b0);
      accumulate(ptr(dw, (r + 1) * cols + k), a1, b1);
      accumulate(ptr(dw, (r + 2) * cols + k), a2, b2);
      accumulate(ptr(dw, (r + 3) * cols + k), a3, b3);
    }
    for (; k < cols; k++) {
      for (let q = 0; q < 4; q++) {
        let sum: f32 = 0;
        for (let n = 0; n < count; n++) sum += at(dy, n * rows + r + q) * at(x, n * cols + k);
        add(dw, (r + q) * cols + k, sum);
      }
    }
  }
  for (; r < rows; r++) {
    for (let n = 0; n < count; n++) {
      const g = at(dy, n * rows + r);
      if (g != 0) axpy(ptr(dw, r * cols), g, ptr(x, n * cols), cols);
    }
  }
}

/** p[0..8) += (lo, hi). */
// @ts-ignore: decorator
@inline function accumulate(p: usize, lo: v128, hi: v128): void {
  v128.store(p, f32x4.add(v128.load(p), lo));
  v128.store(p, f32x4.add(v128.load(p, 16), hi), 16);
}

/**
 * The LSTM units of `batch` episodes from their gates' pre-activations (batch, 4C) in the order i, f, o, g:
 * gates (batch, 4C) activated, c = f·c_prev + i·g, h = o·tanh(c).
 */
export function lstm_forward(h: usize, c: usize, gates: usize, preact: usize, c_prev: usize, units: i32, batch: i32): void {
  const u4 = units & ~3;
  for (let e = 0; e < batch; e++) {
    const p = ptr(preact, 4 * units * e), gt = ptr(gates, 4 * units * e);
    const ce = ptr(c, e * units), he = ptr(h, e * units), cp = ptr(c_prev, e * units);
    for (let u = 0; u < u4; u += 4) {
      const i = sigmoid4(v128.load(ptr(p, u))), f = sigmoid4(v128.load(ptr(p, units + u)));
      const o = sigmoid4(v128.load(ptr(p, 2 * units + u))), g = tanh4(v128.load(ptr(p, 3 * units + u)));
      v128.store(ptr(gt, u), i), v128.store(ptr(gt, units + u), f);
      v128.store(ptr(gt, 2 * units + u), o), v128.store(ptr(gt, 3 * units + u), g);
      const cell = f32x4.add(f32x4.mul(f, v128.load(ptr(cp, u))), f32x4.mul(i, g));
      v128.store(ptr(ce, u), cell);
      v128.store(ptr(he, u), f32x4.mul(o, tanh4(cell)));
    }
    for (let u = u4; u < units; u++) {
      const i = sigmoid(at(p, u)), f = sigmoid(at(p, units + u));
      const o = sigmoid(at(p, 2 * units + u)), g = tanh(at(p, 3 * units + u));
      put(gt, u, i), put(gt, units + u, f), put(gt, 2 * units + u, o), put(gt, 3 * units + u, g);
      const cell = f * at(cp, u) + i * g;
      put(ce, u, cell);
      put(he, u, o * tanh(cell));
    }
  }
}

/** The LSTM units' backward: dpreact (batch, 4C) and dc_prev (batch, C) added to, from dh and dc. */
export function lstm_backward(
  dpreact: usize,
  dc_prev: usize,
  dh: usize,
  dc: usize,
  gates: usize,
  c: usize,
  c_prev: usize,
  units: i32,
  batch: i32,
): void {
  const u4 = units & ~3, one = f32x4.splat(1);
  for (let e = 0; e < batch; e++) {
    const gt = ptr(gates, 4 * units * e), dp = ptr(dpreact, 4 * units * e), n = e * units;
    for (let u = 0; u < u4; u += 4) {
      const i = v128.load(ptr(gt, u)), f = v128.load(ptr(gt, units + u));
      const o = v128.load(ptr(gt, 2 * units + u)), g = v128.load(ptr(gt, 3 * units + u));
      const tanh_c = tanh4(v128.load(ptr(c, n + u))), dh_u = v128.load(ptr(dh, n + u));
      const dc_total = f32x4.add(
        v128.load(ptr(dc, n + u)),
        f32x4.mul(f32x4.mul(dh_u, o), f32x4.sub(one, f32x4.mul(tanh_c, tanh_c))),
      );
      accumulate4(ptr(dp, u), f32x4.mul(f32x4.mul(dc_total, g), f32x4.mul(i, f32x4.sub(one, i))));
      accumulate4(ptr(dp, units + u), f32x4.mul(f32x4.mul(dc_total, v128.load(ptr(c_prev, n + u))), f32x4.mul(f, f32x4.sub(one, f))));
      accumulate4(ptr(dp, 2 * units + u), f32x4.mul(f32x4.mul(dh_u, tanh_c), f32x4.mul(o, f32x4.sub(one, o))));
      accumulate4(ptr(dp, 3 * units + u), f32x4.mul(f32x4.mul(dc_total, i), f32x4.sub(one, f32x4.mul(g, g))));
      accumulate4(ptr(dc_prev, n + u), f32x4.mul(dc_total, f));
    }
    for (let u = u4; u < units; u++) {
      const i = at(gt, u), f = at(gt, units + u), o = at(gt, 2 * units + u), g = at(gt, 3 * units + u);
      const tanh_c = tanh(at(c, n + u));
      const dh_u = at(dh, n + u);
      const dc_total = at(dc, n + u) + dh_u * o * (1 - tanh_c * tanh_c);
      add(dp, u, dc_total * g * i * (1 - i));
      add(dp, units + u, dc_total * at(c_prev, n + u) * f * (1 - f));
      add(dp, 2 * units + u, dh_u * tanh_c * o * (1 - o));
      add(dp, 3 * units + u, dc_total * i * (1 - g * g));
      add(dc_prev, n + u, dc_total * f);
    }
  }
}

/** p[0..4) += v. */
// @ts-ignore: decorator
@inline function accumulate4(p: usize, v: v128): void {
  v128.store(p, f32x4.add(v128.load(p), v));
}

/** The feed-forward units: h = tanh(preact), n = batch·C values. */
export function feedforward_forward(h: usize, preact: usize, n: i32): void {
  const n4 = n & ~3;
  for (let u = 0; u < n4; u += 4) v128.store(ptr(h, u), tanh4(v128.load(ptr(preact, u))));
  for (let u = n4; u < n; u++) put(h, u, tanh(at(preact, u)));
}

/** The feed-forward units' backward: dpreact += dh·(1 − h²). */
export function feedforward_backward(dpreact: usize, dh: usize, h: usize, n: i32): void {
  for (let u = 0; u < n; u++) add(dpreact, u, at(dh, u) * (1 - at(h, u) * at(h, u)));
}
