// Reading (NTM paper §3.1, eq. 2) and writing (§3.2, eqs. 3–4) the (N, M) memory of one episode; the
// float64 twins are in src/reference/memory.ts.

import { add, at, hsum, ptr, put } from "./access";

/** r = Σ_i w(i)·mem(i) (eq. 2), r (M). */
export function memory_read_forward(r: usize, w: usize, mem: usize, n: i32, m: i32): void {
  memory.fill(r, 0, <usize>m << 2);
  for (let i = 0; i < n; i++) {
    const wi = f32x4.splat(at(w, i)), row = ptr(mem, i * m);
    let j = 0;
    for (; j + 4 <= m; j += 4) {
      v128.store(ptr(r, j), f32x4.add(v128.load(ptr(r, j)), f32x4.mul(wi, v128.load(ptr(row, j)))));
    }
    for (; j < m; j++) add(r, j, at(w, i) * at(row, j));
  }
}

/** Reading's backward: dw (N) and dmem (N, M) added to, from dr (M). Four columns at a time. */
export function memory_read_backward(dw: usize, dmem: usize, dr: usize, w: usize, mem: usize, n: i32, m: i32): void {
  const m4 = m & ~3;
  for (let i = 0; i < n; i++) {
    const row = ptr(mem, i * m), drow = ptr(dmem, i * m), wi = at(w, i), wv = f32x4.splat(wi);
    let grad = f32x4.splat(0);
    for (let j = 0; j < m4; j += 4) {
      const d = v128.load(ptr(dr, j));
      grad = f32x4.add(grad, f32x4.mul(d, v128.load(ptr(row, j))));
      v128.store(ptr(drow, j), f32x4.add(v128.load(ptr(drow, j)), f32x4.mul(wv, d)));
    }
    let grad_w = hsum(grad);
    for (let j = m4; j < m; j++) {
      grad_w += at(dr, j) * at(row, j);
      add(drow, j, wi * at(dr, j));
    }
    add(dw, i, grad_w);
  }
}

/**
 * Mem_t(i, j) = Mem_{t−1}(i, j)·Π_h (1 − w_h(i)·e_h(j)) + Σ_h w_h(i)·a_h(j) (eqs. 3–4): w (heads, N),
 * e and a (heads, M). Four columns at a time.
 */
export function memory_write_forward(mem_out: usize, mem_in: usize, w: usize, e: usize, a: usize, n: i32, m: i32, heads: i32): void {
  const m4 = m & ~3;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m4; j += 4) {
      let keep = f32x4.splat(1), added = f32x4.splat(0);
      for (let h = 0; h < heads; h++) {
        const wi = f32x4.splat(at(w, h * n + i));
        keep = f32x4.mul(keep, f32x4.sub(f32x4.splat(1), f32x4.mul(wi, v128.load(ptr(e, h * m + j)))));
        added = f32x4.add(added, f32x4.mul(wi, v128.load(ptr(a, h * m + j))));
      }
      v128.store(ptr(mem_out, i * m + j), f32x4.add(f32x4.mul(v128.load(ptr(mem_in, i * m + j)), keep), added));
    }
    for (let j = m4; j < m; j++) {
      let keep: f32 = 1, added: f32 = 0;
      for (let h = 0; h < heads; h++) {
        const wi = at(w, h * n + i);
        keep *= 1 - wi * at(e, h * m + j);
        added += wi * at(a, h * m + j);
      }
      put(mem_out, i * m + j, at(mem_in, i * m + j) * keep + added);
    }
  }
}

/** The erase factors of heads other than `skip` at row i, columns j … j + 3: Π_{o≠skip} (1 − w_o(i)·e_o). */
// @ts-ignore: decorator
@inline function keep4(w: usize, e: usize, n: i32, m: i32, heads: i32, i: i32, j: i32, skip: i32): v128 {
  let keep = f32x4.splat(1);
  for (let o = 0; o < heads; o++) {
    if (o == skip) continue;
    const wo = f32x4.splat(at(w, o * n + i));
    keep = f32x4.mul(keep, f32x4.sub(f32x4.splat(1), f32x4.mul(wo, v128.load(ptr(e, o * m + j)))));
  }
  return keep;
}

/** Writing's backward: dmem_in, dw, de and da added to, from dmem_out. Four columns at a time. */
export function memory_write_backward(
  dmem_in: usize,
  dw: usize,
  de: usize,
  da: usize,
  dmem_out: usize,
  mem_in: usize,
  w: usize,
  e: usize,
  a: usize,
  n: i32,
  m: i32,
  heads: i32,
): void {
  const m4 = m & ~3;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m4; j += 4) {
      const cell = i * m + j, din = ptr(dmem_in, cell);
      const upstream = v128.load(ptr(dmem_out, cell));
      v128.store(din, f32x4.add(v128.load(din), f32x4.mul(upstream, keep4(w, e, n, m, heads, i, j, heads))));
    }
    for (let h = 0; h < heads; h++) {
      const wi = f32x4.splat(at(w, h * n + i));
      let grad = f32x4.splat(0);
      for (let j = 0; j < m4; j += 4) {
        const cell = i * m + j, upstream = v128.load(ptr(dmem_out, cell)), old = v128.load(ptr(mem_in, cell));
        const d_keep = f32x4.neg(f32x4.mul(f32x4.mul(upstream, old), keep4(w, e, n, m, heads, i, j, h)));
        grad = f32x4.add(grad, f32x4.add(f32x4.mul(d_keep, v128.load(ptr(e, h * m + j))), f32x4.mul(upstream, v128.load(ptr(a, h * m + j)))));
        const dep = ptr(de, h * m + j), dap = ptr(da, h * m + j);
        v128.store(dep, f32x4.add(v128.load(dep), f32x4.mul(d_keep, wi)));
        v128.store(dap, f32x4.add(v128.load(dap), f32x4.mul(upstream, wi)));
      }
      add(dw, h * n + i, hsum(grad));
    }
    for (let j = m4; j < m; j++) {
      const cell = i * m + j, upstream = at(dmem_out, cell);
      let keep: f32 = 1;
      for (let h = 0; h < heads; h++) keep *= 1 - at(w, h * n + i) * at(e, h * m + j);
      add(dmem_in, cell, upstream * keep);
      for (let h = 0; h < heads; h++) {
        let keep_others: f32 = 1;
        for (let o = 0; o < heads; o++) if (o != h) keep_others *= 1 - at(w, o * n + i) * at(e, o * m + j);
        const d_keep = -upstream * at(mem_in, cell) * keep_others; // ∂/∂(w_h(i)·e_h(j))
        add(dw, h * n + i, d_keep * at(e, h * m + j) + upstream * at(a, h * m + j));
        add(de, h * m + j, d_keep * at(w, h * n + i));
        add(da, h * m + j, upstream * at(w, h * n + i));
      }
    }
  }
}
