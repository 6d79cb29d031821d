// Four columns of Wᵀ·dz, the inner loop of the backward mat-vecs (∂input = Wᵀ·∂output). The including
// shader binds `params: array<f32>`, includes `_matvec.wgsl` and declares
// `var<workgroup> dz: array<vec4<f32>, …>` holding the output's gradient, four rows to a vec4, zero-padded.

// Σ_r dz(r) · W[r, cols] over the `height` rows of the row-major (height, width) matrix at params[base].
fn dz_dot_cols(base: u32, height: u32, width: u32, cols: vec4<u32>) -> vec4<f32> {
  var acc = vec4<f32>(0.0);
  let full = height / 4u;
  for (var r4 = 0u; r4 < full; r4++) {
    let d = dz[r4];
    let w0 = base + 4u * r4 * width;
    let w1 = w0 + width;
    let w2 = w1 + width;
    let w3 = w2 + width;
    acc += d.x * weights_at(w0, cols) + d.y * weights_at(w1, cols) + d.z * weights_at(w2, cols)
      + d.w * weights_at(w3, cols);
  }
  for (var r = 4u * full; r < height; r++) {
    acc += dz[r / 4u][r % 4u] * weights_at(base + r * width, cols);
  }
  return acc;
}
