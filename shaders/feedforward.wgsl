// Feed-forward controller layer l = LAYER at time step t (docs/model.md "One time step"), B episodes, one
// workgroup per episode. Float64 twin: `linearForward` + `feedforwardForward` / `feedforwardBackward` + `linearBackward`
// in src/reference/controller.ts.
//
// feedforward_forward (gather fused in):
//   z = in_l             in_0 = [x_t; r_{t−1}] (input slot t, reads slot t), in_l = h_t of layer l − 1
//                        (hidden slot t + 1); K = IN
//   h_t = tanh(W·z + b)  W = controller.{l}.weight (C, IN)
//   Writes controller_in slot (t, l) (columns IN..K_MAX are left alone) and hidden slot t + 1 of layer l
//   (slot 0 of hidden is unused: a feed-forward layer has no h_prev). Each invocation computes 4 units.
//
// feedforward_backward: da = dh⊙(1 − h_t²),  ∂z = Wᵀ·da (the weight gradient is one reduction after the
// loop: linear_weight_grad).
//
// The carried buffers over one reverse step t (the engine zeroes d_hidden and d_reads before the reverse
// loop; the same protocol as lstm.wgsl, with no cell and no h_prev):
//   on entry to step t   d_hidden[l] = 0 for l < L − 1; the engine has ADDED the output layer's and the
//                        heads' ∂J/∂h_t into d_hidden[L − 1] (output_gather_backward, linear_backward_input).
//   layer l, L−1 down to 0 (one dispatch each; d_hidden[l] is complete: layer l + 1 has added its share):
//                        writes d_preact slot (t, l);
//                        writes d_hidden[l] ← 0 (no step t − 1 dependence through h_prev);
//                        l > 0: ADDS ∂z into d_hidden[l − 1];
//                        l = 0: WRITES columns X..X+RM (∂J/∂r_{t−1}) into d_reads_prev; drops columns 0..X.
//   on exit              d_hidden is all zeros again: the entry state of step t − 1.
// d_reads_prev may be the carried d_reads buffer itself (see lstm.wgsl).

//! include _step.wgsl
//! include _activations.wgsl
//! include _matvec.wgsl

override B: u32;          // episodes
override C: u32;          // units per layer
override L: u32;          // layers
override LAYER: u32;      // l, this layer
override X: u32;          // input width
override RM: u32;         // R·M, the read vectors' width
override IN: u32;         // in_l: X + R·M at layer 0, C above
override K_MAX: u32;      // row stride of controller_in (≥ IN of every layer)
override W_OFFSET: u32;   // controller.{l}.weight in params, (C, IN)
override B_OFFSET: u32;   // controller.{l}.bias in params, (C)
override WORKGROUP: u32 = 64;

// feedforward_forward bindings
@group(0) @binding(0) var<storage, read> params: array<f32>;              // (parameter count) flat
@group(0) @binding(1) var<storage, read> input: array<f32>;               // (T, B, X) x
@group(0) @binding(2) var<storage, read> reads: array<f32>;               // (T + 1, B, R, M) r, slot 0 = r_0
@group(0) @binding(3) var<storage, read_write> controller_in: array<f32>; // (T, L, B, K_MAX) in_l
@group(0) @binding(4) var<storage, read_write> hidden: array<f32>;        // (T + 1, L, B, C) h
@group(0) @binding(5) var<uniform> step: Step;

// feedforward_backward bindings (binding 0 is params, binding 5 the step uniform, as above)
@group(0) @binding(1) var<storage, read> saved_hidden: array<f32>;        // (T + 1, L, B, C) h
@group(0) @binding(2) var<storage, read_write> d_preact: array<f32>;      // (T, L, B, C) ∂a, slot t written
@group(0) @binding(3) var<storage, read_write> d_hidden: array<f32>;      // (L, B, C) carried ∂h (see above)
@group(0) @binding(4) var<storage, read_write> d_reads_prev: array<f32>;  // (B, R, M) ∂r_{t−1}, at l = 0

var<workgroup> z: array<vec4<f32>, (IN + 3u) / 4u>;   // this episode's in_l, zero-padded
// After z: naga sizes override-length workgroup arrays in declaration order.
//! include _rows_dot.wgsl
var<workgroup> dz: array<vec4<f32>, (C + 3u) / 4u>;   // (C) da, zero-padded
//! include _cols_dot.wgsl
//! include _layer_input.wgsl

// Element k of layer LAYER's input for episode b at step t: [x_t; r_{t−1}] or h_t^{l−1}.
fn layer_input(b: u32, k: u32, t: u32) -> f32 {
  if (LAYER > 0u) { return hidden[(((t + 1u) * L + LAYER - 1u) * B + b) * C + k]; }
  if (k < X) { return input[(t * B + b) * X + k]; }
  return reads[(t * B + b) * RM + k - X];
}

// (W·z) of the rows u0..u0+3 (rows past C repeat row C − 1; the caller drops them).
fn unit_preacts(u0: u32) -> vec4<f32> {
  let r0 = W_OFFSET + u0 * IN;
  let r1 = W_OFFSET + min(u0 + 1u, C - 1u) * IN;
  let r2 = W_OFFSET + min(u0 + 2u, C - 1u) * IN;
  let r3 = W_OFFSET + min(u0 + 3u, C - 1u) * IN;
  return rows_dot_z(vec4<u32>(r0, r1, r2, r3), IN);
}

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn feedforward_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = step.t;
  stage_layer_input(b, t, IN, lid);
  let state_next = layer_row(t + 1u, b, C);
  for (var u0 = 4u * lid; u0 < C; u0 += 4u * WORKGROUP) {
    let a = unit_preacts(u0);
    for (var j = 0u; j < 4u && u0 + j < C; j++) {
      hidden[state_next + u0 + j] = tanh_stable(a[j] + params[B_OFFSET + u0 + j]);
    }
  }
}

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn feedforward_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = step.t;
  let carried = layer_row(0u, b, C);                 // (L, B, C)
  let state_now = layer_row(t + 1u, b, C);
  let preact_row = layer_row(t, b, C);
  for (var u = lid; u < 4u * ((C + 3u) / 4u); u += WORKGROUP) {
    var da = 0.0;
    if (u < C) {
      let h = saved_hidden[state_now + u];
      da = d_hidden[carried + u] * (1.0 - h * h);
      d_preact[preact_row + u] = da;
      d_hidden[carried + u] = 0.0;
    }
    dz[u / 4u][u % 4u] = da;
  }
  workgroupBarrier();
  // ∂z = Wᵀ·da, 4 columns per invocation.
  for (var k0 = 4u * lid; k0 < IN; k0 += 4u * WORKGROUP) {
    let cols = min(vec4<u32>(k0, k0 + 1u, k0 + 2u, k0 + 3u), vec4<u32>(IN - 1u));  // clamped; extras dropped
    let acc = dz_dot_cols(W_OFFSET, C, IN, cols);
    for (var j = 0u; j < 4u && k0 + j < IN; j++) {
      route_layer_input_gradient(b, k0 + j, acc[j]);
    }
  }
}
