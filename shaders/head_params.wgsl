// Head activations (NTM paper §3.3, docs/model.md "Each head reads its raw parameters"), for time step t,
// batched over B episodes and all H = R + W heads.
//
// raw_heads holds, per episode, P = R·(M + S + 3) + W·(3M + S + 3) values: the read heads first, each
// [k (M), β, g, s (S), γ], then the write heads, each [k (M), β, g, s (S), γ, e (M), a (M)]
// (the layout of `headFieldOffsets` in src/reference/head_params.ts).
//   forward:  k = tanh, β = softplus, g = σ, s = softmax over the S shifts, γ = 1 + softplus,
//             e = σ, a = tanh, each written into its own buffer.
//   backward: d_raw = d_field · activation′(raw); softmax: d_raw(j) = s(j)·(ds(j) − Σ_o s(o)·ds(o)).
//             The activations are recomputed from raw_heads (the saved forward input, bit-identical to
//             what the forward wrote), so the backward binds 9 buffers instead of 14.
// Both entry points: one invocation per element of raw_heads at step t, ceil(B·P / WORKGROUP) workgroups.
// The backward *writes* d_raw_heads at slot t (it is its only producer).
//
// Engine order: forward: head_params_forward first in the step (after the head linear layer).
// Backward: head_params_backward last among the addressing kernels, after every producer of the field
// gradients (content_address_backward: d_k, d_beta; interpolate_backward: d_g; shift_backward: d_s;
// sharpen_backward: d_gamma; memory_write_backward: d_e, d_a).

//! include _step.wgsl
//! include _activations.wgsl
//! include _head_fields.wgsl

override B: u32;      // batch
override M: u32;      // memory row width
override S: u32;      // shifts, 2K + 1
override R: u32;      // read heads
override W: u32;      // write heads
override WORKGROUP: u32 = 64;

override H: u32 = R + W;
override READ_WIDTH: u32 = M + S + 3u;            // one read head's raw parameters
override WRITE_WIDTH: u32 = 3u * M + S + 3u;      // one write head's raw parameters
override P: u32 = R * READ_WIDTH + W * WRITE_WIDTH;

// head_params_forward bindings
@group(0) @binding(0) var<storage, read> raw_heads: array<f32>;          // (T, B, P) raw head parameters
@group(0) @binding(1) var<storage, read_write> k: array<f32>;            // (T, B, H, M) keys
@group(0) @binding(2) var<storage, read_write> beta: array<f32>;         // (T, B, H) key strengths
@group(0) @binding(3) var<storage, read_write> g: array<f32>;            // (T, B, H) interpolation gates
@group(0) @binding(4) var<storage, read_write> s: array<f32>;            // (T, B, H, S) shift distributions
@group(0) @binding(5) var<storage, read_write> gamma: array<f32>;        // (T, B, H) sharpening exponents
@group(0) @binding(6) var<storage, read_write> e: array<f32>;            // (T, B, W, M) erase vectors
@group(0) @binding(7) var<storage, read_write> a: array<f32>;            // (T, B, W, M) add vectors
@group(0) @binding(8) var<uniform> step: Step;

// head_params_backward bindings (binding 0 is raw_heads, as above)
@group(0) @binding(1) var<storage, read> d_k: array<f32>;                // (B, H, M) gradient of k
@group(0) @binding(2) var<storage, read> d_beta: array<f32>;             // (B, H) gradient of β
@group(0) @binding(3) var<storage, read> d_g: array<f32>;                // (B, H) gradient of g
@group(0) @binding(4) var<storage, read> d_s: array<f32>;                // (B, H, S) gradient of s
@group(0) @binding(5) var<storage, read> d_gamma: array<f32>;            // (B, H) gradient of γ
@group(0) @binding(6) var<storage, read> d_e: array<f32>;                // (B, W, M) gradient of e
@group(0) @binding(7) var<storage, read> d_a: array<f32>;                // (B, W, M) gradient of a
@group(0) @binding(8) var<storage, read_write> d_raw_heads: array<f32>;  // (T, B, P) written at slot t
@group(0) @binding(9) var<uniform> backward_step: Step;

// One invocation per raw parameter (b, p).
@compute @workgroup_size(WORKGROUP)
fn head_params_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * P) { return; }
  let t = step.t;
  let q = raw_param(t, id.x);
  let f = q.field;
  let v = activated(q.row, q.p);
  let bh = (t * B + q.b) * H + f.head;               // (T, B, H) index
  let bw = (t * B + q.b) * W + f.head - R;           // (T, B, W) index (write heads only)
  switch (f.kind) {
    case FIELD_K: { k[bh * M + f.j] = v; }
    case FIELD_BETA: { beta[bh] = v; }
    case FIELD_G: { g[bh] = v; }
    case FIELD_S: { s[bh * S + f.j] = v; }
    case FIELD_GAMMA: { gamma[bh] = v; }
    case FIELD_E: { e[bw * M + f.j] = v; }
    default: { a[bw * M + f.j] = v; }
  }
}

// One invocation per raw parameter (b, p).
@compute @workgroup_size(WORKGROUP)
fn head_params_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * P) { return; }
  let q = raw_param(backward_step.t, id.x);
  let f = q.field;
  let x = raw_heads[q.row + q.p];
  let bh = q.b * H + f.head;                         // (B, H) index
  let bw = q.b * W + f.head - R;                     // (B, W) index (write heads only)
  var d: f32;
  switch (f.kind) {
    case FIELD_K: { d = d_k[bh * M + f.j] * head_activation_slope(FIELD_K, x); }
    case FIELD_BETA: { d = d_beta[bh] * head_activation_slope(FIELD_BETA, x); }
    case FIELD_G: { d = d_g[bh] * head_activation_slope(FIELD_G, x); }
    case FIELD_S: {                                  // s ⊙ (ds − s·ds)
      let first = q.row + q.p - f.j;
      let softmax = shift_softmax(first);
      var s_dot_ds = 0.0;
      for (var o = 0u; o < S; o++) {
        s_dot_ds += head_activation(FIELD_S, raw_heads[first + o], softmax) * d_s[bh * S + o];
      }
      d = head_activation(FIELD_S, x, softmax) * (d_s[bh * S + f.j] - s_dot_ds);
    }
    case FIELD_GAMMA: { d = d_gamma[bh] * head_activation_slope(FIELD_GAMMA, x); }
    case FIELD_E: { d = d_e[bw * M + f.j] * head_activation_slope(FIELD_E, x); }
    default: { d = d_a[bw * M + f.j] * head_activation_slope(FIELD_A, x); }
  }
  d_raw_heads[q.row + q.p] = d;
}
