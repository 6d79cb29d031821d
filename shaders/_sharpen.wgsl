// Sharpening (NTM paper §3.3.2, eq. 9): w(i) = w̃(i)^γ / Σ_j w̃(j)^γ, computed in log space relative to the
// row's largest weight, with exact zeros (below 1e-30) kept at zero. The float64 twin is
// src/reference/addressing.ts, sharpenForward.

const SHARPEN_ZERO = 1e-30;

// The unnormalised sharpened weights exp(γ·(ln w̃ − ln max_j w̃(j))) of four entries, 0 where w̃ < 1e-30.
fn sharpened(x: vec4<f32>, exponent: f32, log_max: f32) -> vec4<f32> {
  return select(exp(exponent * (log(x) - log_max)), vec4<f32>(0.0), x < vec4<f32>(SHARPEN_ZERO));
}
