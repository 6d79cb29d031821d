// Addressing one head over N memory rows (NTM paper §3.3): content (eqs. 5–6), interpolation (eq. 7), the
// circular shift (eq. 8) and sharpening (eq. 9), each forward beside its backward; the float64 twins are in
// src/reference/addressing.ts. Memory is (N, M) row-major; weightings are (N).

import { add, at, dot, hsum, ptr, put } from "./access";
import { exp4, log4 } from "./activations";

/** The cosine's guard: K(u, v) = u·v / max(‖u‖‖v‖, ε) (eq. 6). */
const COSINE_EPSILON: f32 = 1e-8;
/** Sharpening keeps weights below this at exactly zero. */
const SHARPEN_ZERO: f32 = 1e-30;


/** Each memory row's norm ‖mem(i)‖, (N): computed once per step and shared by every head. */
export function memory_row_norms(norms: usize, mem: usize, n: i32, m: i32): void {
  for (let i = 0; i < n; i++) put(norms, i, Mathf.sqrt(dot(ptr(mem, i * m), ptr(mem, i * m), m)));
}

/** Four dot products k·mem(i) … k·mem(i + 3) in the lanes of one vector. */
// @ts-ignore: decorator
@inline function dot4rows(k: usize, mem: usize, i: i32, m: i32): v128 {
  const r0 = ptr(mem, i * m), r1 = ptr(mem, (i + 1) * m), r2 = ptr(mem, (i + 2) * m), r3 = ptr(mem, (i + 3) * m);
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  const m4 = m & ~3;
  for (let j = 0; j < m4; j += 4) {
    const kv = v128.load(ptr(k, j));
    a0 = f32x4.add(a0, f32x4.mul(kv, v128.load(ptr(r0, j))));
    a1 = f32x4.add(a1, f32x4.mul(kv, v128.load(ptr(r1, j))));
    a2 = f32x4.add(a2, f32x4.mul(kv, v128.load(ptr(r2, j))));
    a3 = f32x4.add(a3, f32x4.mul(kv, v128.load(ptr(r3, j))));
  }
  const u0 = f32x4.add(v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), v128.shuffle<f32>(a0, a1, 2, 6, 3, 7));
  const u1 = f32x4.add(v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), v128.shuffle<f32>(a2, a3, 2, 6, 3, 7));
  let sums = f32x4.add(v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
  for (let j = m4; j < m; j++) {
    const kj = at(k, j);
    sums = f32x4.add(sums, f32x4(kj * at(r0, j), kj * at(r1, j), kj * at(r2, j), kj * at(r3, j)));
  }
  return sums;
}

/**
 * wc = softmax(β·K(k, mem(i))) over the rows (eqs. 5–6), with the similarities K(i) kept in `sim` (N) for
 * the backward; `norms` (N) are the rows' norms.
 */
export function content_address_forward(wc: usize, sim: usize, k: usize, beta: f32, mem: usize, norms: usize, n: i32, m: i32): void {
  const k_norm = Mathf.sqrt(dot(k, k, m));
  const n4 = n & ~3, kn = f32x4.splat(k_norm), eps = f32x4.splat(COSINE_EPSILON), bv = f32x4.splat(beta);
  let zmax = f32x4.splat(-Infinity);
  for (let i = 0; i < n4; i += 4) {
    const similarity = f32x4.div(dot4rows(k, mem, i, m), f32x4.max(f32x4.mul(kn, v128.load(ptr(norms, i))), eps));
    v128.store(ptr(sim, i), similarity);
    const z = f32x4.mul(bv, similarity);
    v128.store(ptr(wc, i), z);
    zmax = f32x4.max(zmax, z);
  }
  let z_max = Mathf.max(Mathf.max(f32x4.extract_lane(zmax, 0), f32x4.extract_lane(zmax, 1)), Mathf.max(f32x4.extract_lane(zmax, 2), f32x4.extract_lane(zmax, 3)));
  for (let i = n4; i < n; i++) {
    const similarity = dot(k, ptr(mem, i * m), m) / Mathf.max(k_norm * at(norms, i), COSINE_EPSILON);
    put(sim, i, similarity);
    put(wc, i, beta * similarity);
    z_max = Mathf.max(z_max, beta * similarity);
  }
  const zv = f32x4.splat(z_max);
  let sums = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = exp4(f32x4.sub(v128.load(ptr(wc, i)), zv));
    v128.store(ptr(wc, i), v);
    sums = f32x4.add(sums, v);
  }
  let sum = hsum(sums);
  for (let i = n4; i < n; i++) {
    const v = Mathf.exp(at(wc, i) - z_max);
    put(wc, i, v);
    sum += v;
  }
  const inv = f32x4.splat(1 / sum);
  for (let i = 0; i < n4; i += 4) v128.store(ptr(wc, i), f32x4.mul(v128.load(ptr(wc, i)), inv));
  for (let i = n4; i < n; i++) put(wc, i, at(wc, i) / sum);
}

/** Content addressing's backward: dk (M), dbeta (1) and dmem (N, M) added to, from dwc. */
export function content_address_backward(
  dk: usize,
  dbeta: usize,
  dmem: usize,
  dwc: usize,
  wc: usize,
  sim: usize,
  k: usize,
  beta: f32,
  mem: usize,
  norms: usize,
  n: i32,
  m: i32,
): void {
  const k_norm = Mathf.sqrt(dot(k, k, m));
  let w_dot_dw: f32 = 0;
  for (let i = 0; i < n; i++) w_dot_dw += at(wc, i) * at(dwc, i);
  const n4 = n & ~3, kn = f32x4.splat(k_norm), wd = f32x4.splat(w_dot_dw), eps = f32x4.splat(COSINE_EPSILON);
  const bv = f32x4.splat(beta), inv_k2 = f32x4.splat(1 / (k_norm * k_norm));
  let betas = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    // Four rows' coefficients at once: dz (the softmax's backward), the guard, 1/D, K/‖k‖², K/‖mem(i)‖².
    const dz = f32x4.mul(v128.load(ptr(wc, i)), f32x4.sub(v128.load(ptr(dwc, i)), wd));
    const similarity = v128.load(ptr(sim, i)), row_norm = v128.load(ptr(norms, i));
    const denominator = f32x4.mul(kn, row_norm), guarded = f32x4.gt(denominator, eps);
    betas = f32x4.add(betas, f32x4.mul(dz, similarity));
    const ds = f32x4.mul(bv, dz);
    const inv_d = v128.bitselect(f32x4.div(f32x4.splat(1), denominator), f32x4.splat(1 / COSINE_EPSILON), guarded);
    const k_scale = v128.and(f32x4.mul(similarity, inv_k2), guarded);
    const row_scale = v128.and(f32x4.div(similarity, f32x4.mul(row_norm, row_norm)), guarded);
    content_rows_backward(dk, dmem, k, mem, i, m, ds, inv_d, k_scale, row_scale);
  }
  let grad_beta = hsum(betas);
  const m4 = m & ~3;
  for (let i = n4; i < n; i++) {
    const row = ptr(mem, i * m), drow = ptr(dmem, i * m);
    const dz = at(wc, i) * (at(dwc, i) - w_dot_dw); // softmax backward
    const row_norm = at(norms, i), denominator = k_norm * row_norm, similarity = at(sim, i);
    grad_beta += dz * similarity;
    const ds = beta * dz;
    // ∂K/∂k = mem(i)/D − K·k/‖k‖², ∂K/∂mem(i) = k/D − K·mem(i)/‖mem(i)‖²; below ε: mem(i)/ε and k/ε.
    const guarded = denominator > COSINE_EPSILON;
    const inv_d: f32 = guarded ? 1 / denominator : 1 / COSINE_EPSILON;
    const k_scale: f32 = guarded ? similarity / (k_norm * k_norm) : 0;
    const row_scale: f32 = guarded ? similarity / (row_norm * row_norm) : 0;
    content_row_backward(dk, drow, k, row, m, m4, ds, inv_d, k_scale, row_scale);
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

/** Rows i … i + 3's share of content addressing's backward, their coefficients in the lanes of vectors. */
// @ts-ignore: decorator
@inline function content_rows_backward(dk: usize, dmem: usize, k: usize, mem: usize, i: i32, m: i32, ds: v128, inv_d: v128, k_scale: v128, row_scale: v128): void {
  const m4 = m & ~3;
  content_row_backward(dk, ptr(dmem, i * m), k, ptr(mem, i * m), m, m4, f32x4.extract_lane(ds, 0), f32x4.extract_lane(inv_d, 0), f32x4.extract_lane(k_scale, 0), f32x4.extract_lane(row_scale, 0));
  content_row_backward(dk, ptr(dmem, (i + 1) * m), k, ptr(mem, (i + 1) * m), m, m4, f32x4.extract_lane(ds, 1), f32x4.extract_lane(inv_d, 1), f32x4.extract_lane(k_scale, 1), f32x4.extract_lane(row_scale, 1));
  content_row_backward(dk, ptr(dmem, (i + 2) * m), k, ptr(mem, (i + 2) * m), m, m4, f32x4.extract_lane(ds, 2), f32x4.extract_lane(inv_d, 2), f32x4.extract_lane(k_scale, 2), f32x4.extract_lane(row_scale, 2));
  content_row_backward(dk, ptr(dmem, (i + 3) * m), k, ptr(mem, (i + 3) * m), m, m4, f32x4.extract_lane(ds, 3), f32x4.extract_lane(inv_d, 3), f32x4.extract_lane(k_scale, 3), f32x4.extract_lane(row_scale, 3));
}

/** One row's dk += ds·(mem(i)/D − K·k/‖k‖²) and dmem(i) += ds·(k/D − K·mem(i)/‖mem(i)‖²). */
// @ts-ignore: decorator
@inline function content_row_backward(dk: usize, drow: usize, k: usize, row: usize, m: i32, m4: i32, ds: f32, inv_d: f32, k_scale: f32, row_scale: f32): void {
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

/** i mod n for any integer i (the rows are a ring). */
// @ts-ignore: decorator
@inline function wrap(i: i32, n: i32): i32 {
  return ((i % n) + n) % n;
}

/** w̃(i) = Σ_o wg(i − o mod N)·s(o), o = −range … range (eq. 8); the rows away from the ring's seam 4 at a time. */
export function shift_forward(w_tilde: usize, wg: usize, s: usize, n: i32, shifts: i32): void {
  const range = (shifts - 1) / 2;
  let i = 0;
  for (; i < min(range, n); i++) put(w_tilde, i, shifted(wg, s, n, range, i));
  for (; i + 4 <= n - range; i += 4) {
    let sum = f32x4.splat(0);
    for (let o = -range; o <= range; o++) sum = f32x4.add(sum, f32x4.mul(f32x4.splat(at(s, o + range)), v128.load(ptr(wg, i - o))));
    v128.store(ptr(w_tilde, i), sum);
  }
  for (; i < n; i++) put(w_tilde, i, shifted(wg, s, n, range, i));
}

/** Σ_o wg(i − o mod N)·s(o) at one row. */
// @ts-ignore: decorator
@inline function shifted(wg: usize, s: usize, n: i32, range: i32, i: i32): f32 {
  let sum: f32 = 0;
  for (let o = -range; o <= range; o++) sum += at(wg, wrap(i - o, n)) * at(s, o + range);
  return sum;
}

/** The shift's backward: dwg and ds added to; dwg(j) = Σ_o dw̃(j + o)·s(o), 4 rows at a time away from the seam. */
export function shift_backward(dwg: usize, ds: usize, dw_tilde: usize, wg: usize, s: usize, n: i32, shifts: i32): void {
  const range = (shifts - 1) / 2;
  let j = 0;
  for (; j < min(range, n); j++) add(dwg, j, unshifted(dw_tilde, s, n, range, j));
  for (; j + 4 <= n - range; j += 4) {
    let sum = f32x4.splat(0);
    for (let o = -range; o <= range; o++) sum = f32x4.add(sum, f32x4.mul(f32x4.splat(at(s, o + range)), v128.load(ptr(dw_tilde, j + o))));
    v128.store(ptr(dwg, j), f32x4.add(v128.load(ptr(dwg, j)), sum));
  }
  for (; j < n; j++) add(dwg, j, unshifted(dw_tilde, s, n, range, j));
  for (let o = -range; o <= range; o++) {
    // ds(o) = Σ_i dw̃(i)·wg(i − o mod N): the rows whose source does not wrap 4 at a time.
    const lo = max(o, 0), hi = min(n, n + o);
    let acc = f32x4.splat(0), i = lo;
    for (; i + 4 <= hi; i += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(ptr(dw_tilde, i)), v128.load(ptr(wg, i - o))));
    let sum = hsum(acc);
    for (; i < hi; i++) sum += at(dw_tilde, i) * at(wg, i - o);
    for (let w = 0; w < lo; w++) sum += at(dw_tilde, w) * at(wg, wrap(w - o, n));
    for (let w = hi; w < n; w++) sum += at(dw_tilde, w) * at(wg, wrap(w - o, n));
    add(ds, o + range, sum);
  }
}

/** Σ_o dw̃(j + o mod N)·s(o) at one row. */
// @ts-ignore: decorator
@inline function unshifted(dw_tilde: usize, s: usize, n: i32, range: i32, j: i32): f32 {
  let sum: f32 = 0;
  for (let o = -range; o <= range; o++) sum += at(dw_tilde, wrap(j + o, n)) * at(s, o + range);
  return sum;
}

/** w(i) = w̃(i)^γ / Σ_j w̃(j)^γ in log space relative to the largest, zeros below 1e-30 kept (eq. 9). */
export function sharpen_forward(w: usize, w_tilde: usize, gamma: f32, n: i32): void {
  const n4 = n & ~3;
  let mv = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) mv = f32x4.max(mv, v128.load(ptr(w_tilde, i)));
  let max_w = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let i = n4; i < n; i++) max_w = Mathf.max(max_w, at(w_tilde, i));
  const log_max = Mathf.log(max_w);
  const gv = f32x4.splat(gamma), lm = f32x4.splat(log_max), zero = f32x4.splat(SHARPEN_ZERO);
  let sums = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const x = v128.load(ptr(w_tilde, i));
    const v = v128.andnot(exp4(f32x4.mul(gv, f32x4.sub(log4(x), lm))), f32x4.lt(x, zero));
    v128.store(ptr(w, i), v);
    sums = f32x4.add(sums, v);
  }
  let sum = hsum(sums);
  for (let i = n4; i < n; i++) {
    const x = at(w_tilde, i);
    const v: f32 = x < SHARPEN_ZERO ? 0 : Mathf.exp(gamma * (Mathf.log(x) - log_max));
    put(w, i, v);
    sum += v;
  }
  const inv = f32x4.splat(1 / sum);
  for (let i = 0; i < n4; i += 4) v128.store(ptr(w, i), f32x4.mul(v128.load(ptr(w, i)), inv));
  for (let i = n4; i < n; i++) put(w, i, at(w, i) / sum);
}

/** Sharpening's backward: dw_tilde and dgamma (1) added to. */
export function sharpen_backward(dw_tilde: usize, dgamma: usize, dw: usize, w: usize, w_tilde: usize, gamma: f32, n: i32): void {
  const n4 = n & ~3;
  let dots = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) dots = f32x4.add(dots, f32x4.mul(v128.load(ptr(w, i)), v128.load(ptr(dw, i))));
  let w_dot_dw = hsum(dots);
  for (let i = n4; i < n; i++) w_dot_dw += at(w, i) * at(dw, i);
  const wd = f32x4.splat(w_dot_dw), gv = f32x4.splat(gamma), zero = f32x4.splat(SHARPEN_ZERO);
  let grads = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    // w(i) = 0 where w̃(i) < 1e-30, and so is every term of its gradient
    const x = v128.load(ptr(w_tilde, i)), dead = f32x4.lt(x, zero);
    const dp = f32x4.mul(v128.load(ptr(w, i)), f32x4.sub(v128.load(ptr(dw, i)), wd));
    grads = f32x4.add(grads, v128.andnot(f32x4.mul(dp, log4(x)), dead));
    const at_i = ptr(dw_tilde, i);
    v128.store(at_i, f32x4.add(v128.load(at_i), v128.andnot(f32x4.div(f32x4.mul(gv, dp), x), dead)));
  }
  let grad_gamma = hsum(grads);
  for (let i = n4; i < n; i++) {
    const x = at(w_tilde, i);
    if (x < SHARPEN_ZERO) continue;
    const dp = at(w, i) * (at(dw, i) - w_dot_dw);
    grad_gamma += dp * Mathf.log(x);
    add(dw_tilde, i, gamma * dp / x);
  }
  add(dgamma, 0, grad_gamma);
}
