// Write (NTM paper §3.2, eqs 3–4), for time step t: the W write heads (heads R … H − 1, weightings
// w_t = w slot t + 1) erase, all of them, then add, all of them, so the order of the heads does not matter:
//   forward:  keep(i, m) = Π_h (1 − w_h(i)·e_h(m)),
//             Mem_t(i, m) = Mem_{t−1}(i, m)·keep(i, m) + Σ_h w_h(i)·a_h(m)
//             reading memory slot t and writing slot t + 1 of the same (T + 1, B, N, M) buffer
//   backward, with dM = dMem_t and keep_¬h the erase product leaving out head h (recomputed, never divided
//   out, so w_h(i)·e_h(m) = 1 is safe):
//             dMem_{t−1}(i, m) = dM(i, m)·keep(i, m)
//             dw_h(i) += Σ_m dM(i, m)·(a_h(m) − Mem_{t−1}(i, m)·keep_¬h(i, m)·e_h(m))
//             de_h(m)  = −Σ_i dM(i, m)·Mem_{t−1}(i, m)·keep_¬h(i, m)·w_h(i),   da_h(m) = Σ_i dM(i, m)·w_h(i)
// The backward *writes* d_memory_prev (it is the first of its three producers at step t: the read and
// content-addressing backwards add into it afterwards), *adds* into d_w's write-head rows (which hold the
// gradient of w_t carried from step t + 1), and *writes* d_e and d_a (their only producer).
//
// Dispatch: forward ceil(B·N·M / WORKGROUP) workgroups (one invocation per memory element); backward
// ceil(B·(N·M + W·N + W·M) / WORKGROUP): one invocation per element of d_memory_prev, then one per
// write-head element of d_w (looping over M), then one per (b, h, m) writing both d_e and d_a (looping over N).
//
// Engine order in the backward of step t: memory_write_backward first (d_memory holds dMem_t), then
// memory_read_backward, the addressing chain, content_address_backward_memory; then the engine swaps
// d_memory and d_memory_prev for step t − 1.

//! include _step.wgsl
//! include _index.wgsl
//! include _memory_write.wgsl

override B: u32;      // batch
override H: u32;      // heads, R + W (the weighting buffers hold all heads)
override R: u32;      // read heads (the write heads follow them)
override W: u32;      // write heads
override N: u32;      // memory rows
override M: u32;      // memory row width
override WORKGROUP: u32 = 64;

// memory_write_forward bindings
@group(0) @binding(0) var<storage, read> w: array<f32>;                  // (T + 1, B, H, N) read at slot t + 1
@group(0) @binding(1) var<storage, read> e: array<f32>;                  // (T, B, W, M) erase vectors
@group(0) @binding(2) var<storage, read> a: array<f32>;                  // (T, B, W, M) add vectors
@group(0) @binding(3) var<storage, read_write> memory: array<f32>;       // (T + 1, B, N, M) slot t → slot t + 1
@group(0) @binding(4) var<uniform> step: Step;

// memory_write_backward bindings
@group(0) @binding(0) var<storage, read> d_memory: array<f32>;           // (B, N, M) gradient of Mem_t
@group(0) @binding(1) var<storage, read> saved_memory: array<f32>;       // (T + 1, B, N, M) slot t
@group(0) @binding(2) var<storage, read> saved_w: array<f32>;            // (T + 1, B, H, N) slot t + 1
@group(0) @binding(3) var<storage, read> saved_e: array<f32>;            // (T, B, W, M)
@group(0) @binding(4) var<storage, read> saved_a: array<f32>;            // (T, B, W, M)
@group(0) @binding(5) var<storage, read_write> d_memory_prev: array<f32>; // (B, N, M) written
@group(0) @binding(6) var<storage, read_write> d_w: array<f32>;          // (B, H, N) added to (rows h ≥ R)
@group(0) @binding(7) var<storage, read_write> d_e: array<f32>;          // (B, W, M) written
@group(0) @binding(8) var<storage, read_write> d_a: array<f32>;          // (B, W, M) written
@group(0) @binding(9) var<uniform> backward_step: Step;

// One invocation per memory element (b, i, m): B·N·M.
@compute @workgroup_size(WORKGROUP)
fn memory_write_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * N * M) { return; }
  let t = step.t;
  let cell = coords3(id.x, N, M);                    // (b, i, m)
  var keep = 1.0;
  var add = 0.0;
  for (var h = 0u; h < W; h++) {
    let weight = w[(((t + 1u) * B + cell.x) * H + R + h) * N + cell.y];
    let at = ((t * B + cell.x) * W + h) * M + cell.z;
    keep *= erase_factor(weight, vec4<f32>(e[at])).x;
    add += weight * a[at];
  }
  let previous = vec4<f32>(memory[t * B * N * M + id.x]);
  memory[(t + 1u) * B * N * M + id.x] = written_row(previous, vec4<f32>(keep), vec4<f32>(add)).x;
}

// The erase product at (b, i, m) of step t over the write heads other than `skip` (skip = W: all heads).
fn keep_except(t: u32, b: u32, i: u32, j: u32, skip: u32) -> f32 {
  var keep = 1.0;
  for (var h = 0u; h < W; h++) {
    if (h != skip) {
      let weight = saved_w[(((t + 1u) * B + b) * H + R + h) * N + i];
      keep *= erase_factor(weight, vec4<f32>(saved_e[((t * B + b) * W + h) * M + j])).x;
    }
  }
  return keep;
}

// B·N·M invocations for d_memory_prev, then B·W·N for d_w, then B·W·M for d_e and d_a.
@compute @workgroup_size(WORKGROUP)
fn memory_write_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let t = backward_step.t;
  let cells = B * N * M;
  if (id.x < cells) {
    let at = coords3(id.x, N, M);                    // (b, i, m)
    d_memory_prev[id.x] = d_memory[id.x] * keep_except(t, at.x, at.y, at.z, W);
  } else if (id.x < cells + B * W * N) {
    let index = id.x - cells;                        // (b, h, i)
    let at = coords3(index, W, N);
    let b = at.x;
    let h = at.y;
    let i = at.z;
    let ea_at = ((t * B + b) * W + h) * M;
    var sum = 0.0;
    for (var j = 0u; j < M; j++) {
      let cell = (b * N + i) * M + j;
      let erased = saved_memory[t * cells + cell] * keep_except(t, b, i, j, h);
      sum += d_memory[cell] * (saved_a[ea_at + j] - erased * saved_e[ea_at + j]);
    }
    d_w[(b * H + R + h) * N + i] += sum;
  } else if (id.x < cells + B * W * (N + M)) {
    let index = id.x - cells - B * W * N;            // (b, h, m)
    let at = coords3(index, W, M);
    let b = at.x;
    let h = at.y;
    let j = at.z;
    let w_at = (((t + 1u) * B + b) * H + R + h) * N;
    var d_erase = 0.0;
    var d_add = 0.0;
    for (var i = 0u; i < N; i++) {
      let cell = (b * N + i) * M + j;
      let upstream = d_memory[cell] * saved_w[w_at + i];
      d_erase -= upstream * saved_memory[t * cells + cell] * keep_except(t, b, i, j, h);
      d_add += upstream;
    }
    d_e[index] = d_erase;
    d_a[index] = d_add;
  }
}
