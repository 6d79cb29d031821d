// Sharpening (NTM paper §3.3.2, eq. 9), for time step t, one row = one head of one episode (ROWS = B·H),
// in log space exactly as the reference (src/reference/addressing.ts) computes it:
//   forward:  w(i) = exp(γ·(ln w̃(i) − ln max_j w̃(j))) / Σ_j (same), with w(i) = 0 where w̃(i) < 1e-30
//             (exact zeros stay zero; no ε is added anywhere else), written into w at slot t + 1
//   backward: dp(i) = w(i)·(dw(i) − Σ_j w(j)·dw(j)),  dγ = Σ_i dp(i)·ln w̃(i),  dw̃(i) = γ·dp(i)/w̃(i),
//             every term taken as 0 where w̃(i) < 1e-30 (x^γ·ln x → 0)
// The backward *writes* d_w_tilde and d_gamma (their only producer).
//
// Dispatch: both entry points one workgroup per row, ROWS workgroups of WORKGROUP (a power of two; rows
// longer than WORKGROUP are looped over).
//
// Engine order in the backward of step t: memory_write_backward and memory_read_backward (which add into
// d_w) → sharpen_backward → shift_backward (reads d_w_tilde).

//! include _step.wgsl
//! include _reduce.wgsl
//! include _sharpen.wgsl

override ROWS: u32;   // B·H
override N: u32;      // memory rows
override WORKGROUP: u32 = 64;

// sharpen_forward bindings (w_tilde and gamma are bound at the same numbers by sharpen_backward, which
// reads them through the same variables)
@group(0) @binding(0) var<storage, read> w_tilde: array<f32>;            // (T, ROWS, N) shifted weighting
@group(0) @binding(1) var<storage, read> gamma: array<f32>;              // (T, ROWS) sharpening exponent
@group(0) @binding(2) var<storage, read_write> w: array<f32>;            // (T + 1, ROWS, N) written at slot t + 1
@group(0) @binding(3) var<uniform> step: Step;

// sharpen_backward bindings (binding 0 is w_tilde, binding 1 gamma, as above)
@group(0) @binding(2) var<storage, read> saved_w: array<f32>;            // (T + 1, ROWS, N) slot t + 1
@group(0) @binding(3) var<storage, read> d_w: array<f32>;                // (ROWS, N) gradient of w_t
@group(0) @binding(4) var<storage, read_write> d_w_tilde: array<f32>;    // (ROWS, N) written
@group(0) @binding(5) var<storage, read_write> d_gamma: array<f32>;      // (ROWS) written
@group(0) @binding(6) var<uniform> backward_step: Step;

var<workgroup> scratch: array<f32, WORKGROUP>;

// Row `row` (= b·H + h) of step t: where it starts in w̃ (T, ROWS, N) slot t and in w (T + 1, ROWS, N) slot
// t + 1, and its γ.
struct SharpenedRow { in_at: u32, out_at: u32, exponent: f32 }

fn sharpened_row(t: u32, row: u32) -> SharpenedRow {
  return SharpenedRow((t * ROWS + row) * N, ((t + 1u) * ROWS + row) * N, gamma[t * ROWS + row]);
}

// One workgroup per row; invocation lid handles elements lid, lid + WORKGROUP, …
@compute @workgroup_size(WORKGROUP)
fn sharpen_forward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let at = sharpened_row(step.t, group.x);
  var x_max = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) { x_max = max(x_max, w_tilde[at.in_at + i]); }
  let log_max = log(workgroup_max(lid, x_max));
  var sum = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) {
    let x = w_tilde[at.in_at + i];
    let p = sharpened(vec4<f32>(x), at.exponent, log_max).x; // exact zeros (and below 1e-30) stay zero
    w[at.out_at + i] = p;
    sum += p;
  }
  sum = workgroup_sum(lid, sum);
  for (var i = lid; i < N; i += WORKGROUP) { w[at.out_at + i] /= sum; }
}

// One workgroup per row.
@compute @workgroup_size(WORKGROUP)
fn sharpen_backward(@builtin(workgroup_id) group: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let row = group.x;
  let at = sharpened_row(backward_step.t, row);
  var part = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) { part += saved_w[at.out_at + i] * d_w[row * N + i]; }
  let w_dot_dw = workgroup_sum(lid, part);
  var d_gamma_part = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) {
    let x = w_tilde[at.in_at + i];
    var d = 0.0;
    if (!(x < SHARPEN_ZERO)) {                       // w(i) = 0 there, and so is every term
      let dp = saved_w[at.out_at + i] * (d_w[row * N + i] - w_dot_dw);
      d_gamma_part += dp * log(x);
      d = at.exponent * dp / x;
    }
    d_w_tilde[row * N + i] = d;
  }
  let d_gamma_total = workgroup_sum(lid, d_gamma_part);
  if (lid == 0u) { d_gamma[row] = d_gamma_total; }
}
