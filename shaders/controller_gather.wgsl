// The output layer's input `[h_t; r_t]` (docs/model.md "Output": y_t = σ(W_y·[h_t; r_t] + b_y)), gathered from
// the controller's top layer and the read vectors, and its gradient scattered back. (The controller's own
// input, [x_t; r_{t−1}; h_prev], is gathered inside lstm_forward / feedforward_forward.)
//
// output_gather_forward: output_in[t, b] = [hidden slot t + 1, layer L − 1; reads slot t + 1], for all T
//   steps at once (after the time loop, before the output layer's linear_forward). Writes output_in.
// output_gather_backward, at reverse step t: ADDS d_output_in[t, b, 0..C] into d_hidden[L − 1, b] and
//   d_output_in[t, b, C..C+RM] into d_reads[b] (the carried gradients of h_t and r_t; see lstm.wgsl for
//   what they hold on entry). d_output_in = W_yᵀ·d_logits comes from linear_backward_input over all T·B rows.

//! include _step.wgsl

override B: u32;          // episodes
override T: u32;          // steps
override C: u32;          // units of the top controller layer
override L: u32;          // controller layers
override RM: u32;         // R·M, the read vectors' width
override WORKGROUP: u32 = 64;

override WIDTH: u32 = C + RM;

// output_gather_forward bindings
@group(0) @binding(0) var<storage, read> hidden: array<f32>;              // (T + 1, L, B, C) h
@group(0) @binding(1) var<storage, read> reads: array<f32>;               // (T + 1, B, R, M) r
@group(0) @binding(2) var<storage, read_write> output_in: array<f32>;     // (T, B, C + R·M) [h_t; r_t]
// binding 3: the step uniform (unused)

// output_gather_backward bindings
@group(0) @binding(0) var<storage, read> d_output_in: array<f32>;         // (T, B, C + R·M) ∂[h_t; r_t]
@group(0) @binding(1) var<storage, read_write> d_hidden: array<f32>;      // (L, B, C) ∂h_t, + into layer L − 1
@group(0) @binding(2) var<storage, read_write> d_reads: array<f32>;       // (B, R, M) ∂r_t, added into
@group(0) @binding(3) var<uniform> step: Step;

// One invocation per element of output_in: T·B·(C + R·M).
@compute @workgroup_size(WORKGROUP)
fn output_gather_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= T * B * WIDTH) { return; }
  let tb = id.x / WIDTH;   // t·B + b
  let j = id.x % WIDTH;
  let t = tb / B;
  let b = tb % B;
  if (j < C) {
    output_in[id.x] = hidden[(((t + 1u) * L + L - 1u) * B + b) * C + j];
  } else {
    output_in[id.x] = reads[((t + 1u) * B + b) * RM + j - C];
  }
}

// One invocation per element of one step's d_output_in: B·(C + R·M).
@compute @workgroup_size(WORKGROUP)
fn output_gather_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * WIDTH) { return; }
  let b = id.x / WIDTH;
  let j = id.x % WIDTH;
  let d = d_output_in[step.t * B * WIDTH + id.x];
  if (j < C) {
    d_hidden[((L - 1u) * B + b) * C + j] += d;
  } else {
    d_reads[b * RM + j - C] += d;
  }
}
