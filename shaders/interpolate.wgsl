// Interpolation (NTM paper §3.3.2, eq. 7), for time step t, one row = one head of one episode
// (ROWS = B·H), gating the content weighting with the head's previous weighting w_{t−1} = w slot t:
//   forward:  wg(i) = g·wc(i) + (1 − g)·w_{t−1}(i)
//   backward: dwc(i) = g·dwg(i),  dw_{t−1}(i) = (1 − g)·dwg(i),  dg = Σ_i dwg(i)·(wc(i) − w_{t−1}(i))
// The backward *writes* all three gradients (it is their only producer at step t); d_w_prev is the
// gradient of w_{t−1}, which the engine carries to step t − 1 as its d_w (e.g. by swapping the two
// (B, H, N) buffers), where memory_read_backward and memory_write_backward add into it.
//
// Dispatch: forward ceil(ROWS·N / WORKGROUP) workgroups (one invocation per element of wg); backward
// ceil(ROWS·(N + 1) / WORKGROUP) (one invocation per element of d_wc and d_w_prev, then one per row for dg).
//
// Engine order in the backward of step t: shift_backward (writes d_wg) → interpolate_backward →
// content_address_backward (reads d_wc).

//! include _step.wgsl
//! include _interpolate.wgsl

override ROWS: u32;   // B·H
override N: u32;      // memory rows
override WORKGROUP: u32 = 64;

// interpolate_forward bindings
@group(0) @binding(0) var<storage, read> wc: array<f32>;                 // (T, ROWS, N) content weighting
@group(0) @binding(1) var<storage, read> g: array<f32>;                  // (T, ROWS) interpolation gate
@group(0) @binding(2) var<storage, read> w: array<f32>;                  // (T + 1, ROWS, N) read at slot t
@group(0) @binding(3) var<storage, read_write> wg: array<f32>;           // (T, ROWS, N) gated weighting
@group(0) @binding(4) var<uniform> step: Step;

// interpolate_backward bindings
@group(0) @binding(0) var<storage, read> d_wg: array<f32>;               // (ROWS, N) gradient of wg
@group(0) @binding(1) var<storage, read> saved_wc: array<f32>;           // (T, ROWS, N)
@group(0) @binding(2) var<storage, read> saved_g: array<f32>;            // (T, ROWS)
@group(0) @binding(3) var<storage, read> saved_w: array<f32>;            // (T + 1, ROWS, N) slot t
@group(0) @binding(4) var<storage, read_write> d_wc: array<f32>;         // (ROWS, N) written
@group(0) @binding(5) var<storage, read_write> d_w_prev: array<f32>;     // (ROWS, N) written: gradient of w_{t−1}
@group(0) @binding(6) var<storage, read_write> d_g: array<f32>;          // (ROWS) written
@group(0) @binding(7) var<uniform> backward_step: Step;

// One invocation per element of wg: ROWS·N.
@compute @workgroup_size(WORKGROUP)
fn interpolate_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= ROWS * N) { return; }
  let t = step.t;
  let gate = g[t * ROWS + id.x / N];
  let at = t * ROWS * N + id.x;
  wg[at] = interpolate(gate, vec4<f32>(wc[at]), vec4<f32>(w[at])).x;
}

// One invocation per element of d_wc and d_w_prev, then one per row for dg: ROWS·(N + 1).
@compute @workgroup_size(WORKGROUP)
fn interpolate_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let t = backward_step.t;
  if (id.x < ROWS * N) {
    let gate = saved_g[t * ROWS + id.x / N];
    d_wc[id.x] = gate * d_wg[id.x];
    d_w_prev[id.x] = (1.0 - gate) * d_wg[id.x];
  } else if (id.x < ROWS * (N + 1u)) {
    let row = id.x - ROWS * N;
    let at = (t * ROWS + row) * N;
    var sum = 0.0;
    for (var i = 0u; i < N; i++) { sum += d_wg[row * N + i] * (saved_wc[at + i] - saved_w[at + i]); }
    d_g[row] = sum;
  }
}
