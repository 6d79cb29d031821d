// Circular shift (NTM paper §3.3.2, eq. 8), for time step t, one row = one head of one episode (ROWS = B·H):
//   forward:  w̃(i) = Σ_o wg(i − o mod N) · s(o),  o in −K..K,  s stored as [s(−K), …, s(0), …, s(K)]
//   backward: dwg(j) = Σ_o dw̃(j + o mod N) · s(o),  ds(o) = Σ_i dw̃(i) · wg(i − o mod N)
// The backward writes its gradients (it is their only producer).

//! include _step.wgsl
//! include _shift.wgsl

override ROWS: u32;   // B·H
override N: u32;      // memory rows
override S: u32;      // shifts, 2K + 1
override WORKGROUP: u32 = 64;

// shift_forward bindings
@group(0) @binding(0) var<storage, read> wg: array<f32>;                 // (T, ROWS, N) gated weighting
@group(0) @binding(1) var<storage, read> s: array<f32>;                  // (T, ROWS, S) shift distribution
@group(0) @binding(2) var<storage, read_write> w_tilde: array<f32>;      // (T, ROWS, N) shifted weighting
@group(0) @binding(3) var<uniform> step: Step;

// shift_backward bindings
@group(0) @binding(0) var<storage, read> d_w_tilde: array<f32>;          // (ROWS, N) gradient of w̃ at step t
@group(0) @binding(1) var<storage, read> saved_wg: array<f32>;           // (T, ROWS, N) gated weighting
@group(0) @binding(2) var<storage, read> saved_s: array<f32>;            // (T, ROWS, S) shift distribution
@group(0) @binding(3) var<storage, read_write> d_wg: array<f32>;         // (ROWS, N) gradient of wg
@group(0) @binding(4) var<storage, read_write> d_s: array<f32>;          // (ROWS, S) gradient of s
@group(0) @binding(5) var<uniform> backward_step: Step;

// One invocation per element of w̃: ROWS·N.
@compute @workgroup_size(WORKGROUP)
fn shift_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= ROWS * N) { return; }
  let row = id.x / N;
  let i = i32(id.x % N);
  let k = i32(S / 2u);
  let w_at = (step.t * ROWS + row) * N;
  let s_at = (step.t * ROWS + row) * S;
  var sum = 0.0;
  for (var o = -k; o <= k; o++) {
    sum += wg[w_at + shift_source(i, o)] * s[s_at + u32(o + k)];
  }
  w_tilde[w_at + u32(i)] = sum;
}

// One invocation per element of dwg, then one per element of ds: ROWS·(N + S).
@compute @workgroup_size(WORKGROUP)
fn shift_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let k = i32(S / 2u);
  let t = backward_step.t;
  if (id.x < ROWS * N) {
    let row = id.x / N;
    let j = i32(id.x % N);
    var sum = 0.0;
    for (var o = -k; o <= k; o++) {
      sum += d_w_tilde[row * N + wrap(j + o)] * saved_s[(t * ROWS + row) * S + u32(o + k)];
    }
    d_wg[id.x] = sum;
  } else if (id.x < ROWS * (N + S)) {
    let row = (id.x - ROWS * N) / S;
    let o = i32((id.x - ROWS * N) % S) - k;
    var sum = 0.0;
    for (var i = 0; i < i32(N); i++) {
      sum += d_w_tilde[row * N + u32(i)] * saved_wg[(t * ROWS + row) * N + wrap(i - o)];
    }
    d_s[row * S + u32(o + k)] = sum;
  }
}
