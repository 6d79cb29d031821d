// The optimisers' updates over the flat float32 parameters and the gradient's clipping; the float64 twins
// are in src/optim/. Norms are accumulated in float64.

import { at, put } from "./access";

/** ‖g‖₂ over `size` floats, the squares summed in float64 (NaN or ∞ when the gradient holds one). */
export function l2_norm(g: usize, size: i32): f64 {
  let lo = f64x2.splat(0), hi = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const v = v128.load(g + (<usize>i << 2));
    const a = f64x2.promote_low_f32x4(v), b = f64x2.promote_low_f32x4(v128.swizzle(v, v128(8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7)));
    lo = f64x2.add(lo, f64x2.mul(a, a));
    hi = f64x2.add(hi, f64x2.mul(b, b));
  }
  let sum = f64x2.extract_lane(lo, 0) + f64x2.extract_lane(lo, 1) + f64x2.extract_lane(hi, 0) +
    f64x2.extract_lane(hi, 1);
  for (; i < size; i++) {
    const v = <f64>at(g, i);
    sum += v * v;
  }
  return Math.sqrt(sum);
}

/** g ← g·scale (global-norm clipping's second half). */
export function clip_scale(g: usize, size: i32, scale: f32): void {
  const s = f32x4.splat(scale);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const p = g + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), s));
  }
  for (; i < size; i++) put(g, i, at(g, i) * scale);
}

/** g ← clamp(g, −limit, limit), elementwise. */
export function clip_elementwise(g: usize, size: i32, limit: f32): void {
  const hi = f32x4.splat(limit), lo = f32x4.splat(-limit);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const p = g + (<usize>i << 2);
    v128.store(p, f32x4.pmax(lo, f32x4.pmin(hi, v128.load(p))));
  }
  for (; i < size; i++) put(g, i, Mathf.max(-limit, Mathf.min(limit, at(g, i))));
}

/**
 * Graves' centred RMSProp (2013, eqs. 38–41): n = ρn + (1−ρ)g², ḡ = ρḡ + (1−ρ)g,
 * Δ = momentum·Δ − lr·g/√(n − ḡ² + ε), θ += Δ.
 */
export function rmsprop_update(
  params: usize,
  n: usize,
  gbar: usize,
  delta: usize,
  grad: usize,
  size: i32,
  lr: f32,
  rho: f32,
  momentum: f32,
  epsilon: f32,
): void {
  const rv = f32x4.splat(rho), cv = f32x4.splat(1 - rho), mv = f32x4.splat(momentum);
  const lv = f32x4.splat(lr), ev = f32x4.splat(epsilon);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grad + o);
    const ni = f32x4.add(f32x4.mul(rv, v128.load(n + o)), f32x4.mul(cv, f32x4.mul(g, g)));
    const gi = f32x4.add(f32x4.mul(rv, v128.load(gbar + o)), f32x4.mul(cv, g));
    const root = f32x4.sqrt(f32x4.add(f32x4.sub(ni, f32x4.mul(gi, gi)), ev));
    const di = f32x4.sub(f32x4.mul(mv, v128.load(delta + o)), f32x4.div(f32x4.mul(lv, g), root));
    v128.store(n + o, ni), v128.store(gbar + o, gi), v128.store(delta + o, di);
    v128.store(params + o, f32x4.add(v128.load(params + o), di));
  }
  for (; i < size; i++) {
    const g = at(grad, i);
    const ni = rho * at(n, i) + (1 - rho) * g * g;
    const gi = rho * at(gbar, i) + (1 - rho) * g;
    const di = momentum * at(delta, i) - lr * g / Mathf.sqrt(ni - gi * gi + epsilon);
    put(n, i, ni), put(gbar, i, gi), put(delta, i, di);
    put(params, i, at(params, i) + di);
  }
}

/** Adam (Kingma & Ba) at update t ≥ 1, bias-corrected. */
export function adam_update(
  params: usize,
  m: usize,
  v: usize,
  grad: usize,
  size: i32,
  t: i32,
  lr: f32,
  beta1: f32,
  beta2: f32,
  epsilon: f32,
): void {
  const correction1 = <f32>(1 - Math.pow(<f64>beta1, <f64>t));
  const correction2 = <f32>(1 - Math.pow(<f64>beta2, <f64>t));
  const b1 = f32x4.splat(beta1), c1 = f32x4.splat(1 - beta1), b2 = f32x4.splat(beta2), c2 = f32x4.splat(1 - beta2);
  const k1 = f32x4.splat(correction1), k2 = f32x4.splat(correction2), lv = f32x4.splat(lr), ev = f32x4.splat(epsilon);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(grad + o);
    const mi = f32x4.add(f32x4.mul(b1, v128.load(m + o)), f32x4.mul(c1, g));
    const vi = f32x4.add(f32x4.mul(b2, v128.load(v + o)), f32x4.mul(c2, f32x4.mul(g, g)));
    v128.store(m + o, mi), v128.store(v + o, vi);
    const step = f32x4.div(f32x4.mul(lv, f32x4.div(mi, k1)), f32x4.add(f32x4.sqrt(f32x4.div(vi, k2)), ev));
    v128.store(params + o, f32x4.sub(v128.load(params + o), step));
  }
  for (; i < size; i++) {
    const g = at(grad, i);
    const mi = beta1 * at(m, i) + (1 - beta1) * g;
    const vi = beta2 * at(v, i) + (1 - beta2) * g * g;
    put(m, i, mi), put(v, i, vi);
    put(params, i, at(params, i) - lr * (mi / correction1) / (Mathf.sqrt(vi / correction2) + epsilon));
  }
}

/** Plain stochastic gradient descent: θ −= lr·g. */
export function sgd_update(params: usize, grad: usize, size: i32, lr: f32): void {
  const lv = f32x4.splat(lr);
  let i = 0;
  for (; i + 4 <= size; i += 4) {
    const o = <usize>i << 2;
    v128.store(params + o, f32x4.sub(v128.load(params + o), f32x4.mul(lv, v128.load(grad + o))));
  }
  for (; i < size; i++) put(params, i, at(params, i) - lr * at(grad, i));
}
