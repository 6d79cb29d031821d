// The learned initial state of every episode (docs/model.md "Initial state"), written into slot 0 of the state
// buffers, and its backward, which sums the gradients of slot 0 over the batch into the flat `grad`.
//   r_0 = init.read,  w_0 = softmax(init.weighting) per head,  h_0 = init.hidden,  c_0 = init.cell (LSTM),
//   Mem_0 = 1e-6 (constant) | init.memory (learned) | a given (B, N, M) draw (random).

//! include _step.wgsl

override B: u32;
override L: u32;            // controller layers
override C: u32;            // controller units
override R: u32;            // read heads
override H: u32;            // heads, R + W
override N: u32;
override M: u32;
override IS_LSTM: u32;      // 1: hidden and cell come from init.hidden / init.cell; 0: feed-forward, no state
override MEMORY_MODE: u32;  // 0 constant, 1 learned, 2 given per episode
override READ_OFFSET: u32;      // init.read (R, M) in params
override WEIGHTING_OFFSET: u32; // init.weighting (H, N)
override HIDDEN_OFFSET: u32;    // init.hidden (L, C) (LSTM)
override CELL_OFFSET: u32;      // init.cell (L, C) (LSTM)
override MEMORY_OFFSET: u32;    // init.memory (N, M) (learned memory)
override WORKGROUP: u32 = 64;

const CONSTANT_MEMORY: f32 = 1e-6;

// init_state_forward bindings
@group(0) @binding(0) var<storage, read> params: array<f32>;             // (parameter count) flat
@group(0) @binding(1) var<storage, read> memory_draw: array<f32>;        // (B, N, M) Mem_0 when MEMORY_MODE = 2
@group(0) @binding(2) var<storage, read_write> hidden: array<f32>;       // (T + 1, L, B, C) writes slot 0
@group(0) @binding(3) var<storage, read_write> cell: array<f32>;         // (T + 1, L, B, C) writes slot 0
@group(0) @binding(4) var<storage, read_write> reads: array<f32>;        // (T + 1, B, R, M) writes slot 0
@group(0) @binding(5) var<storage, read_write> w: array<f32>;            // (T + 1, B, H, N) writes slot 0
@group(0) @binding(6) var<storage, read_write> memory: array<f32>;       // (T + 1, B, N, M) writes slot 0
@group(0) @binding(7) var<uniform> step: Step;

// init_state_backward bindings
@group(0) @binding(0) var<storage, read> d_hidden0: array<f32>;          // (L, B, C) dL/dh_0
@group(0) @binding(1) var<storage, read> d_cell0: array<f32>;            // (L, B, C) dL/dc_0
@group(0) @binding(2) var<storage, read> d_reads0: array<f32>;           // (B, R, M) dL/dr_0
@group(0) @binding(3) var<storage, read> d_w0: array<f32>;               // (B, H, N) dL/dw_0
@group(0) @binding(4) var<storage, read> d_memory0: array<f32>;          // (B, N, M) dL/dMem_0
@group(0) @binding(5) var<storage, read> saved_w: array<f32>;            // (T + 1, B, H, N) slot 0 = w_0
@group(0) @binding(6) var<storage, read_write> grad: array<f32>;         // (parameter count) ADDS into init.*
@group(0) @binding(7) var<uniform> backward_step: Step;

fn softmax_weighting(head: u32, b: u32) {
  let logits = WEIGHTING_OFFSET + head * N;
  var largest = params[logits];
  for (var n = 1u; n < N; n++) { largest = max(largest, params[logits + n]); }
  var total = 0.0;
  for (var n = 0u; n < N; n++) { total += exp(params[logits + n] - largest); }
  let out = (b * H + head) * N;
  for (var n = 0u; n < N; n++) { w[out + n] = exp(params[logits + n] - largest) / total; }
}

// One invocation per element of: hidden and cell slot 0 (L·B·C), reads (B·R·M), one softmax per
// (episode, head) (B·H), memory (B·N·M).
@compute @workgroup_size(WORKGROUP)
fn init_state_forward(@builtin(global_invocation_id) id: vec3<u32>) {
  var i = id.x;
  if (i < L * B * C) {
    let layer = i / (B * C);
    let unit = i % C;
    if (IS_LSTM == 1u) {
      hidden[i] = params[HIDDEN_OFFSET + layer * C + unit];
      cell[i] = params[CELL_OFFSET + layer * C + unit];
    } else {
      hidden[i] = 0.0;
      cell[i] = 0.0;
    }
    return;
  }
  i -= L * B * C;
  if (i < B * R * M) {
    reads[i] = params[READ_OFFSET + i % (R * M)];
    return;
  }
  i -= B * R * M;
  if (i < B * H) {
    softmax_weighting(i % H, i / H);
    return;
  }
  i -= B * H;
  if (i < B * N * M) {
    if (MEMORY_MODE == 0u) {
      memory[i] = CONSTANT_MEMORY;
    } else if (MEMORY_MODE == 1u) {
      memory[i] = params[MEMORY_OFFSET + i % (N * M)];
    } else {
      memory[i] = memory_draw[i];
    }
  }
}

// One invocation per initial-state parameter: init.hidden and init.cell (L·C each, LSTM), init.read (R·M),
// init.weighting (H·N), init.memory (N·M, learned memory); each sums its gradient over the B episodes.
@compute @workgroup_size(WORKGROUP)
fn init_state_backward(@builtin(global_invocation_id) id: vec3<u32>) {
  var i = id.x;
  if (i < L * C) {
    if (IS_LSTM == 1u) {
      let layer = i / C;
      let unit = i % C;
      var dh = 0.0;
      var dc = 0.0;
      for (var b = 0u; b < B; b++) {
        dh += d_hidden0[(layer * B + b) * C + unit];
        dc += d_cell0[(layer * B + b) * C + unit];
      }
      grad[HIDDEN_OFFSET + i] += dh;
      grad[CELL_OFFSET + i] += dc;
    }
    return;
  }
  i -= L * C;
  if (i < R * M) {
    var dr = 0.0;
    for (var b = 0u; b < B; b++) { dr += d_reads0[b * R * M + i]; }
    grad[READ_OFFSET + i] += dr;
    return;
  }
  i -= R * M;
  if (i < H * N) {
    // Softmax backward: d logit(n) = Σ_b w_0(n) · (dw_b(n) − Σ_j w_0(j) · dw_b(j)).
    let head = i / N;
    let n = i % N;
    var total = 0.0;
    for (var b = 0u; b < B; b++) {
      let row = (b * H + head) * N;
      var dot = 0.0;
      for (var j = 0u; j < N; j++) { dot += saved_w[row + j] * d_w0[row + j]; }
      total += saved_w[row + n] * (d_w0[row + n] - dot);
    }
    grad[WEIGHTING_OFFSET + i] += total;
    return;
  }
  i -= H * N;
  if (i < N * M && MEMORY_MODE == 1u) {
    var dm = 0.0;
    for (var b = 0u; b < B; b++) { dm += d_memory0[b * N * M + i]; }
    grad[MEMORY_OFFSET + i] += dm;
  }
}
