// Interpolation (NTM paper §3.3.2, eq. 7) of four rows: w^g = g·w^c + (1 − g)·w_{t−1}. The float64 twin is
// src/reference/addressing.ts, interpolateForward. A one-row caller passes splats and takes `.x`.

fn interpolate(g: f32, wc: vec4<f32>, w_prev: vec4<f32>) -> vec4<f32> {
  return g * wc + (1.0 - g) * w_prev;
}
