// Activations, overflow-safe in f32; each has one float64 twin in src/reference/activations.ts.

// σ(x) = 1 / (1 + e^−x), without overflow for large |x|.
fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) { return 1.0 / (1.0 + exp(-x)); }
  let z = exp(x);
  return z / (1.0 + z);
}

// log(1 + y), accurate for small y (the float64 reference uses Math.log1p).
fn log1p(y: f32) -> f32 {
  let u = 1.0 + y;
  if (u == 1.0) { return y; }
  return log(u) * (y / (u - 1.0));
}

// softplus(x) = log(1 + e^x), overflow-safe.
fn softplus(x: f32) -> f32 {
  if (x > 0.0) { return x + log1p(exp(-x)); }
  return log1p(exp(x));
}

// tanh(x) with full relative accuracy near 0 (a series below 0.25, where 1 − 2/(e^2x + 1) cancels) and
// exactly ±1 past 15 (where e^2x overflows f32).
fn tanh_stable(x: f32) -> f32 {
  let ax = abs(x);
  if (ax < 0.25) {
    let x2 = x * x;
    return x * (1.0 + x2 * (-1.0 / 3.0 + x2 * (2.0 / 15.0 + x2 * (-17.0 / 315.0))));
  }
  if (ax > 15.0) { return sign(x); }
  return sign(x) * (1.0 - 2.0 / (exp(2.0 * ax) + 1.0));
}
