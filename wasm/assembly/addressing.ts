// Addressing one head over N memory rows (NTM paper §3.3): content (eqs. 5–6), interpolation (eq. 7), the
// circular shift (eq. 8) and sharpening (eq. 9), each forward beside its backward; the float64 twins are in
// src/reference/addressing.ts. Memory is (N, M) row-major; weightings are (N).

import { add, at, hsum, ptr, put } from "./access";

/** The cosine's guard: K(u, v) = u·v / max(‖u‖‖v‖, ε) (eq. 6). */
const COSINE_EPSILON: f32 = 1e-8;
/** Sharpening keeps weights below this at exactly zero. */
const SHARPEN_ZERO: f32 = 1e-30;

/** Σ a·b over m floats (SIMD). */
// @ts-ignore: decorator
@inline function dot(a: usize, b: usize, m: i32): f32 {
  let acc = f32x4.splat(0);
  let j = 0;
  for (; j + 4 <= m; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(ptr(a, j)), v128.load(ptr(b, j))));
  let sum = hsum(acc);
  for (; j < m; j++) sum += at(a, j) * at(b, j);
  return sum;
}

/** wc = softmax(β·K(k, mem(i))) over the rows (eqs. 5–6). */
export function content_address_forward(wc: usize, k: usize, beta: f32, mem: usize, n: i32, m: i32): void {
  const k_norm = Mathf.sqrt(dot(k, k, m));
  let z_max = -Infinity as f32;
  for (let i = 0; i < n; i++) {
    const row = ptr(mem, i * m);
    const z = beta * dot(k, row, m) / Mathf.max(k_norm * Mathf.sqrt(dot(row, row, m)), COSINE_EPSILON);
    put(wc, i, z);
    if (z > z_max) z_max = z;
  }
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = Mathf.exp(at(wc, i) - z_max);
    put(wc, i, v);
    sum += v;
  }
  for (let i = 0; i < n; i++) put(wc, i, at(wc, i) / sum);
}

/** Content addressing's backward: dk (M), dbeta (1) and dmem (N, M) added to, from dwc. */
export function content_address_backward(
  dk: usize,
  dbeta: usize,
  dmem: usize,
  dwc: usize,
  wc: usize,
  k: usize,
  beta: f32,
  mem: usize,
  n: i32,
  m: i32,
): void {
  const k_norm = Mathf.sqrt(dot(k, k, m));
  let w_dot_dw: f32 = 0;
  for (let i = 0; i < n; i++) w_dot_dw += at(wc, i) * at(dwc, i);
  let grad_beta: f32 = 0;
  const m4 = m & ~3;
  for (let i = 0; i < n; i++) {
    const row = ptr(mem, i * m), drow = ptr(dmem, i * m);
    const dz = at(wc, i) * (at(dwc, i) - w_dot_dw); // softmax backward
    const row_norm = Mathf.sqrt(dot(row, row, m));
    const denominator = k_norm * row_norm;
    const similarity = dot(k, row, m) / Mathf.max(denominator, COSINE_EPSILON);
    grad_beta += dz * similarity;
    const ds = beta * dz;
    // ∂K/∂k = mem(i)/D − K·k/‖k‖², ∂K/∂mem(i) = k/D − K·mem(i)/‖mem(i)‖²; below ε: mem(i)/ε and k/ε.
    const guarded = denominator > COSINE_EPSILON;
    const inv_d: f32 = guarded ? 1 / denominator : 1 / COSINE_EPSILON;
    const k_scale: f32 = guarded ? similarity / (k_norm * k_norm) : 0;
    const row_scale: f32 = guarded ? similarity / (row_norm * row_norm) : 0;
    const dsv = f32x4.splat(ds), dv = f32x4.splat(inv_d), ksv = f32x4.splat(k_scale), rsv = f32x4.splat(row_scale);
    for (let j = 0; j < m4; j += 4) {
      const kv = v128.load(ptr(k, j)), rv = v128.load(ptr(row, j));
      const dkp = ptr(dk, j), drp = ptr(drow, j);
      v128.store(dkp, f32x4.add(v128.load(dkp), f32x4.mul(dsv, f32x4.sub(f32x4.mul(rv, dv), f32x4.mul(ksv, kv)))));
      v128.store(drp, f32x4.add(v128.load(drp), f32x4.mul(dsv, f32x4.sub(f32x4.mul(kv, dv), f32x4.mul(rsv, rv)))));
    }
    for (let j = m4; j < m; j++) {
      add(dk, j, ds * (at(row, j) * inv_d - k_scale * at(k, j)));
      add(drow, j, ds * (at(k, j) * inv_d - row_scale * at(row, j)));
    }
  }
  add(dbeta, 0, grad_beta);
}

/** wg = g·wc + (1 − g)·w_prev (eq. 7). */
export function interpolate_forward(wg: usize, wc: usize, w_prev: usize, g: f32, n: i32): void {
  for (let i = 0; i < n; i++) put(wg, i, g * at(wc, i) + (1 - g) * at(w_prev, i));
}

/** Interpolation's backward: dwc, dw_prev and dg (1) added to. */
export function interpolate_backward(
  dwc: usize,
  dw_prev: usize,
  dg: usize,
  dwg: usize,
  wc: usize,
  w_prev: usize,
  g: f32,
  n: i32,
): void {
  let grad_gate: f32 = 0;
  for (let i = 0; i < n; i++) {
    const d = at(dwg, i);
    add(dwc, i, g * d);
    add(dw_prev, i, (1 - g) * d);
    grad_gate += d * (at(wc, i) - at(w_prev, i));
  }
  add(dg, 0, grad_gate);
}

/** i mod n for any integer i (the rows are a ring). */
// @ts-ignore: decorator
@inline function wrap(i: i32, n: i32): i32 {
  return ((i % n) + n) % n;
}

/** w̃(i) = Σ_o wg(i − o mod N)·s(o), o = −range … range (eq. 8). */
export function shift_forward(w_tilde: usize, wg: usize, s: usize, n: i32, shifts: i32): void {
  const range = (shifts - 1) / 2;
  for (let i = 0; i < n; i++) {
    let sum: f32 = 0;
    for (let o = -range; o <= range; o++) sum += at(wg, wrap(i - o, n)) * at(s, o + range);
    put(w_tilde, i, sum);
  }
}

/** The shift's backward: dwg and ds added to. */
export function shift_backward(dwg: usize, ds: usize, dw_tilde: usize, wg: usize, s: usize, n: i32, shifts: i32): void {
  const range = (shifts - 1) / 2;
  for (let i = 0; i < n; i++) {
    const d = at(dw_tilde, i);
    for (let o = -range; o <= range; o++) {
      const j = wrap(i - o, n);
      add(dwg, j, d * at(s, o + range));
      add(ds, o + range, d * at(wg, j));
    }
  }
}

/** w(i) = w̃(i)^γ / Σ_j w̃(j)^γ in log space relative to the largest, zeros below 1e-30 kept (eq. 9). */
export function sharpen_forward(w: usize, w_tilde: usize, gamma: f32, n: i32): void {
  let max_w: f32 = 0;
  for (let i = 0; i < n; i++) max_w = Mathf.max(max_w, at(w_tilde, i));
  const log_max = Mathf.log(max_w);
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) {
    const x = at(w_tilde, i);
    const v: f32 = x < SHARPEN_ZERO ? 0 : Mathf.exp(gamma * (Mathf.log(x) - log_max));
    put(w, i, v);
    sum += v;
  }
  for (let i = 0; i < n; i++) put(w, i, at(w, i) / sum);
}

/** Sharpening's backward: dw_tilde and dgamma (1) added to. */
export function sharpen_backward(dw_tilde: usize, dgamma: usize, dw: usize, w: usize, w_tilde: usize, gamma: f32, n: i32): void {
  let w_dot_dw: f32 = 0;
  for (let i = 0; i < n; i++) w_dot_dw += at(w, i) * at(dw, i);
  let grad_gamma: f32 = 0;
  for (let i = 0; i < n; i++) {
    const x = at(w_tilde, i);
    if (x < SHARPEN_ZERO) continue; // w(i) = 0 here and so is every term of its gradient
    const dp = at(w, i) * (at(dw, i) - w_dot_dw);
    grad_gamma += dp * Mathf.log(x);
    add(dw_tilde, i, gamma * dp / x);
  }
  add(dgamma, 0, grad_gamma);
}
