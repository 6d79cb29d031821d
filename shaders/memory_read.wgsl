// Read (NTM paper §3.1, eq. 2), for time step t: every read head h < R of every episode b reads the memory
// before this step's write, Mem_{t−1} = memory slot t, with its weighting w_t = w slot t + 1:
//   forward:  r(m) = Σ_i w(i)·Mem(i, m), written into reads at slot t + 1
//   backward: dw(i) += Σ_m dr(m)·Mem(i, m),  dMem(i, m) += Σ_h w_h(i)·dr_h(m)
// The backward *adds* into d_w (the read heads' rows; d_w already holds the gradient of w_t carried from
// step t + 1) and into d_memory_prev (which memory_write_backward writes first at this step).
//
// Dispatch: forward ceil(B·R·M / WORKGROUP) workgroups (one invocation per element of r, looping over N);
// backward ceil(B·(R·N + N·M) / WORKGROUP) (one invocation per element of d_w's read rows, looping over M,
// then one per element of d_memory_prev, looping over the R heads).
//
// Engine order in the backward of step t: memory_write_backward (writes d_memory_prev, adds d_w of the
// write heads) → memory_read_backward → sharpen_backward (reads d_w) → … → content_address_backward_memory
// (adds the content part into d_memory_prev).

//! include _step.wgsl
//! include _index.wgsl

override B: u32;      // batch
override H: u32;      // heads, R + W (the weighting buffers hold all heads)
override R: u32;      // read heads, heads 0 … R − 1
override N: u32;      // memory rows
override M: u32;      // memory row width
override WORKGROUP: u32 = 64;

// memory_read_forward bindings
@group(0) @binding(0) var<storage, read> w: array<f32>;                  // (T + 1, B, H, N) read at slot t + 1
@group(0) @binding(1) var<storage, read> memory: array<f32>;             // (T + 1, B, N, M) read at slot t
@group(0) @binding(2) var<storage, read_write> reads: array<f32>;        // (T + 1, B, R, M) written at slot t + 1
@group(0) @binding(3) var<uniform> step: Step;

// memory_read_backward bindings
@group(0) @binding(0) var<storage, read> d_reads: array<f32>;            // (B, R, M) gradient of r_t
@group(0) @binding(1) var<storage, read> saved_w: array<f32>;            // (T + 1, B, H, N) slot t + 1
@group(0) @binding(2) var<storage, read> saved_memory: array<f32>;       // (T + 1, B, N, M) slot t
@group(0) @binding(3) var<storage, read_write> d_w: array<f32>;          // (B, H, N) added to (rows h < R)
@group(0) @binding(4) var<storage, read_write> d_memory_prev: array<f32>; // (B, N, M) added to
@group(0) @binding(5) var<uniform> backward_step: Step;

// One invocation per element (b, h, m) of r: B·R·M.
@compute @workgroup_size(WORKGROUP)
fn memory_read_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= B * R * M) { return; }
  let t = step.t;
  let at = coords3(id.x, R, M);                      // (b, h, m)
  let w_at = (((t + 1u) * B + at.x) * H + at.y) * N;
  let mem_at = (t * B + at.x) * N * M + at.z;
  var sum = 0.0;
  for (var i = 0u; i < N; i++) { sum += w[w_at + i] * memory[mem_at + i * M]; }
  reads[(((t + 1u) * B + at.x) * R + at.y) * M + at.z] = sum;
}

// One invocation per read-head element (b, h, i) of d_w: B·R·N, then one per (b, i, m) of d_memory_prev.
@compute @workgroup_size(WORKGROUP)
fn memory_read_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  let t = backward_step.t;
  if (id.x < B * R * N) {
    let at = coords3(id.x, R, N);                    // (b, h, i)
    let dr_at = (at.x * R + at.y) * M;
    let mem_at = ((t * B + at.x) * N + at.z) * M;
    var sum = 0.0;
    for (var j = 0u; j < M; j++) { sum += d_reads[dr_at + j] * saved_memory[mem_at + j]; }
    d_w[(at.x * H + at.y) * N + at.z] += sum;
  } else if (id.x < B * (R * N + N * M)) {
    let cell = id.x - B * R * N;                     // (b, i, m)
    let at = coords3(cell, N, M);
    var sum = 0.0;
    for (var h = 0u; h < R; h++) {
      sum += saved_w[(((t + 1u) * B + at.x) * H + h) * N + at.y] * d_reads[(at.x * R + h) * M + at.z];
    }
    d_memory_prev[cell] += sum;
  }
}
