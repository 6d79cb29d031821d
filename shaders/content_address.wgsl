// Content addressing (NTM paper §3.3.1, eqs 5–6), for time step t, every head h of every episode b
// addressing the memory before this step's write, Mem_{t−1} = memory slot t:
//   forward:  K(i) = k·Mem(i) / max(‖k‖·‖Mem(i)‖, ε),  wc(i) = softmax_i(β·K(i))  (max subtracted)
//   backward: dz(i) = wc(i)·(dwc(i) − Σ_j wc(j)·dwc(j)),  dK(i) = β·dz(i),  dβ = Σ_i dz(i)·K(i),
//             with D(i) = ‖k‖·‖Mem(i)‖ > ε:  ∂K/∂k = Mem(i)/D − K·k/‖k‖²,  ∂K/∂Mem(i) = k/D − K·Mem(i)/‖Mem(i)‖²;
//             with D(i) ≤ ε (a zero key or a zero row): ∂K/∂k = Mem(i)/ε, ∂K/∂Mem(i) = k/ε.
//
// The backward is split in two entry points so that no two invocations write the same element:
// 1. content_address_backward, one workgroup per (b, h): writes d_k and d_beta (their only producer) and
//    the per-row coefficients d_cosine(b, h, i) = (dK/max(D, ε), [D > ε]·dK·K/‖Mem(i)‖²);
// 2. content_address_backward_memory, one invocation per memory element (b, i, m), loops over the heads:
//    d_memory_prev(b, i, m) += Σ_h d_cosine(b,h,i).x · k_h(m) − Mem(i, m) · Σ_h d_cosine(b,h,i).y.
//
// Dispatch: content_address_forward and content_address_backward: B·H workgroups of WORKGROUP (a power of
// two; rows are looped over when N > WORKGROUP); content_address_backward_memory: ceil(B·N·M / WORKGROUP).
//
// Engine order in the backward of step t: … → interpolate_backward (writes d_wc) →
// content_address_backward → content_address_backward_memory (after memory_write_backward, which writes
// d_memory_prev, and memory_read_backward, which adds into it) → head_params_backward.

//! include _step.wgsl
//! include _index.wgsl
//! include _reduce.wgsl
//! include _content.wgsl

override B: u32;      // batch
override H: u32;      // heads, R + W
override N: u32;      // memory rows
override M: u32;      // memory row width
override WORKGROUP: u32 = 64;

const LOWEST = -3.4028234e38;

// content_address_forward bindings (k, beta and memory are bound at the same numbers by
// content_address_backward, which reads them through the same variables and helpers)
@group(0) @binding(0) var<storage, read> k: array<f32>;                      // (T, B, H, M) keys
@group(0) @binding(1) var<storage, read> beta: array<f32>;                   // (T, B, H) key strengths
@group(0) @binding(2) var<storage, read> memory: array<f32>;                 // (T + 1, B, N, M) read at slot t
@group(0) @binding(3) var<storage, read_write> wc: array<f32>;               // (T, B, H, N) content weightings
@group(0) @binding(4) var<uniform> step: Step;

// content_address_backward bindings (binding 0 is k, binding 1 beta, binding 2 memory, as above)
@group(0) @binding(3) var<storage, read> saved_wc: array<f32>;               // (T, B, H, N)
@group(0) @binding(4) var<storage, read> d_wc: array<f32>;                   // (B, H, N) gradient of wc
@group(0) @binding(5) var<storage, read_write> d_k: array<f32>;              // (B, H, M) written
@group(0) @binding(6) var<storage, read_write> d_beta: array<f32>;           // (B, H) written
@group(0) @binding(7) var<storage, read_write> d_cosine: array<vec2<f32>>;   // (B, H, N) written, see above
@group(0) @binding(8) var<uniform> backward_step: Step;

// content_address_backward_memory bindings (binding 2 is memory, as above)
@group(0) @binding(0) var<storage, read> cosine_grad: array<vec2<f32>>;     // (B, H, N) from the entry above
@group(0) @binding(1) var<storage, read> key: array<f32>;                    // (T, B, H, M)
@group(0) @binding(3) var<storage, read_write> d_memory_prev: array<f32>;    // (B, N, M) added to
@group(0) @binding(4) var<uniform> memory_step: Step;

var<workgroup> scratch: array<f32, WORKGROUP>;

// Head row `row` = b·H + h at step t (forward and backward): where its key k (T, B, H, M), its episode's
// memory slot t (T + 1, B, N, M) and its weighting (T, B, H, N) start, its β and ‖k‖².
struct AddressedHead { k_at: u32, mem_at: u32, wc_at: u32, strength: f32, k_sq: f32 }

fn addressed_head(t: u32, row: u32) -> AddressedHead {
  let k_at = (t * B * H + row) * M;
  var k_sq = 0.0;
  for (var j = 0u; j < M; j++) { k_sq += k[k_at + j] * k[k_at + j]; }
  return AddressedHead(k_at, (t * B + row / H) * N * M, (t * B * H + row) * N, beta[t * B * H + row], k_sq);
}

// Eq. 6's terms of memory row i: (k·Mem(i), ‖Mem(i)‖²).
fn key_row_terms(head: AddressedHead, i: u32) -> vec2<f32> {
  var dot = 0.0;
  var row_sq = 0.0;
  for (var j = 0u; j < M; j++) {
    let v = memory[head.mem_at + i * M + j];
    dot += k[head.k_at + j] * v;
    row_sq += v * v;
  }
  return vec2<f32>(dot, row_sq);
}

// One workgroup per (b, h); invocation lid handles rows lid, lid + WORKGROUP, …
@compute @workgroup_size(WORKGROUP)
fn content_address_forward(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let head = addressed_head(step.t, group.x);        // row b·H + h
  let k_norm = sqrt(head.k_sq);
  // z(i) = β·K(i), kept in wc until normalised.
  var z_max = LOWEST;
  for (var i = lid; i < N; i += WORKGROUP) {
    let terms = key_row_terms(head, i);
    let z = head.strength * cosine(terms.x, k_norm * sqrt(terms.y));
    wc[head.wc_at + i] = z;
    z_max = max(z_max, z);
  }
  z_max = workgroup_max(lid, z_max);
  var sum = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) {
    let p = exp(wc[head.wc_at + i] - z_max);
    wc[head.wc_at + i] = p;
    sum += p;
  }
  sum = workgroup_sum(lid, sum);
  for (var i = lid; i < N; i += WORKGROUP) { wc[head.wc_at + i] /= sum; }
}

// One workgroup per (b, h).
@compute @workgroup_size(WORKGROUP)
fn content_address_backward(
  @builtin(workgroup_id) group: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let row = group.x;                                 // b·H + h
  let head = addressed_head(backward_step.t, row);
  let k_norm = sqrt(head.k_sq);
  // Softmax backward needs Σ_j wc(j)·dwc(j).
  var part = 0.0;
  for (var i = lid; i < N; i += WORKGROUP) { part += saved_wc[head.wc_at + i] * d_wc[row * N + i]; }
  let w_dot_dw = workgroup_sum(lid, part);
  var d_beta_part = 0.0;
  var k_coef_part = 0.0;                             // Σ_i [D > ε]·dK(i)·K(i)/‖k‖²
  for (var i = lid; i < N; i += WORKGROUP) {
    let dz = saved_wc[head.wc_at + i] * (d_wc[row * N + i] - w_dot_dw);
    let terms = key_row_terms(head, i);
    let denominator = k_norm * sqrt(terms.y);
    let similarity = cosine(terms.x, denominator);
    d_beta_part += dz * similarity;
    let d_similarity = head.strength * dz;
    var row_coef = 0.0;
    if (denominator > COSINE_EPSILON) {
      row_coef = d_similarity * similarity / terms.y;
      k_coef_part += d_similarity * similarity / head.k_sq;
    }
    d_cosine[row * N + i] = vec2<f32>(d_similarity / max(denominator, COSINE_EPSILON), row_coef);
  }
  storageBarrier();                                  // d_cosine rows of other invocations, read below
  let d_beta_total = workgroup_sum(lid, d_beta_part);
  let k_coef = workgroup_sum(lid, k_coef_part);
  if (lid == 0u) { d_beta[row] = d_beta_total; }
  // dk(m) = Σ_i d_cosine(i).x · Mem(i, m) − k(m) · Σ_i [D > ε]·dK(i)·K(i)/‖k‖².
  for (var j = lid; j < M; j += WORKGROUP) {
    var sum = 0.0;
    for (var i = 0u; i < N; i++) { sum += d_cosine[row * N + i].x * memory[head.mem_at + i * M + j]; }
    d_k[row * M + j] = sum - k_coef * k[head.k_at + j];
  }
}

// One invocation per memory element (b, i, m), looping over the heads.
@compute @workgroup_size(WORKGROUP)
fn content_address_backward_memory(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * N * M) { return; }
  let t = memory_step.t;
  let at = coords3(id.x, N, M);                      // (b, i, m)
  let v = memory[t * B * N * M + id.x];
  var sum = 0.0;
  for (var h = 0u; h < H; h++) {
    let c = cosine_grad[(at.x * H + h) * N + at.y];
    sum += c.x * key[((t * B + at.x) * H + h) * M + at.z] - c.y * v;
  }
  d_memory_prev[id.x] += sum;
}
