// The controller's whole time step, fused (the `fused` path of the engine): every layer of the LSTM or
// feed-forward controller and the head-parameter map, forward and backward, for a group of up to 8
// episodes per workgroup, each weight load shared by those 8 episodes. Float64 twin: `linearForward`,
// `lstmForward`, `feedforwardForward` and their backwards in src/reference/controller.ts. The same
// equations, buffers and carried-gradient protocol as lstm.wgsl, feedforward.wgsl, linear.wgsl (per-step
// head map) and controller_gather.wgsl (output_gather_backward), which this file replaces one step at a time.
//
// Why it is shaped this way (measured on llvmpipe, see bench/RESULTS.md): a software adapter pays for every
// load, from storage or workgroup memory, per invocation and per component, while arithmetic is nearly
// free. So each invocation computes a register tile of 8 weight rows × 8 episodes from one `vec4` load of
// each of the 8 rows and each of the 8 episodes' inputs per 4 columns (256 FMAs per 16 loads), reading the
// weights from `packed`, a zero-padded copy with rows of whole vec4s that pack_weights writes once per
// training step. With B = 1 (WIDE off) the tiles are 8 rows × 1 episode instead: no work on absent episodes.
//
// pack_weights          packed ← controller.{l}.weight (ROWS, K_l) per layer, rows padded to KQ_l vec4s
//                       and ROWS padded to RQ·4 rows, then heads.weight (P, C), rows padded to CQ vec4s and
//                       P padded to PQ·4 rows; pads are zeros. One invocation per vec4 of packed.
// controller_step_forward  at step t, per layer l = 0 … L − 1: gathers z = [in_l; h_prev] (LSTM) or in_l
//                       (feed-forward) of its episodes into workgroup memory and controller_in slot (t, l);
//                       a = W·z + b; LSTM: writes gates, cell and hidden slot t + 1; feed-forward: hidden
//                       slot t + 1. Then raw_heads slot t = W_h·h_top + b_h.
// controller_step_backward at reverse step t (after memory_step_backward has written d_raw_heads slot t):
//                       the top layer's ∂h_t = d_hidden[L − 1] (carried) + d_output_in[t, b, 0..C]
//                       (the output layer) + W_hᵀ·d_raw_heads[t, b] (the heads), then per layer l = L − 1 … 0
//                       exactly lstm_backward / feedforward_backward: writes d_preact slot (t, l), d_cell[l],
//                       d_hidden[l] (LSTM: ∂h_{t−1}; feed-forward: 0), adds ∂in_l into d_hidden[l − 1], and
//                       at l = 0 writes ∂r_{t−1} into d_reads.
// Steps that do not matter (see memory_step_forward.wgsl): a workgroup skips step t when t ≥ active_steps[b] for
// all its episodes (the engine orders them longest first); the backward then writes zero ∂a.
// Dispatch: pack_weights ceil(packed vec4s / WORKGROUP); the two step kernels ceil(B / 8) workgroups.

//! include _step.wgsl
//! include _activations.wgsl
//! include _lstm_cell.wgsl

override B: u32;            // episodes
override C: u32;            // units per layer
override L: u32;            // layers
override X: u32;            // input width
override RM: u32;           // R·M, the read vectors' width
override P: u32;            // raw head parameters per episode
override IS_LSTM: bool;     // LSTM (4 gates, h_prev in z) or feed-forward (tanh units)
override K_MAX: u32;        // row stride of controller_in
override W0_OFFSET: u32;    // controller.0.weight in params
override B0_OFFSET: u32;    // controller.0.bias
override W1_OFFSET: u32 = 0u; // controller.1.weight (L > 1)
override B1_OFFSET: u32 = 0u; // controller.1.bias (L > 1)
override LAYER_STRIDE: u32 = 0u; // params between controller.l and controller.(l + 1) for l ≥ 1
override HW_OFFSET: u32;    // heads.weight (P, C)
override HB_OFFSET: u32;    // heads.bias (P)
override KQ0: u32;          // layer 0's packed row width in vec4s, ceil(K_0 / 4)
override KQ1: u32 = 1u;     // layers ≥ 1, ceil(K_1 / 4)
override KQ_MAX: u32;       // max(KQ0, KQ1)
override WORKGROUP: u32 = 64;
override WIDE: bool = true; // B > 1: tiles of 8 episodes; B = 1: tiles of 1 (no work on absent episodes)

override GATES: u32 = select(1u, 4u, IS_LSTM);
override ROWS: u32 = GATES * C;                   // weight rows per layer
override RQ: u32 = (ROWS + 3u) / 4u;              // row quads (ROWS padded to 4 for the backward)
override K0: u32 = X + RM + select(0u, C, IS_LSTM);
override K1: u32 = C + select(0u, C, IS_LSTM);
override CQ: u32 = (C + 3u) / 4u;
override PQ: u32 = (P + 3u) / 4u;
override PACK_L1: u32 = 4u * RQ * KQ0;           // layer 1's packed weights (vec4 index)
override PACK_STRIDE: u32 = 4u * RQ * KQ1;        // between layers ≥ 1
override PACK_H: u32 = PACK_L1 + (L - 1u) * PACK_STRIDE; // heads.weight, (PQ·4, CQ)
override PACKED: u32 = PACK_H + 4u * PQ * CQ;     // packed length in vec4s

const EPISODES = 8u;                              // episodes per workgroup (the register tile's width)

// pack_weights bindings
@group(0) @binding(0) var<storage, read> pack_params: array<f32>;        // (parameter count) flat
@group(0) @binding(1) var<storage, read_write> pack_out: array<vec4<f32>>; // (PACKED) padded weights
// binding 2: the step uniform (unused)

// controller_step_forward bindings
@group(0) @binding(0) var<storage, read> params: array<f32>;             // (parameter count) flat
@group(0) @binding(1) var<storage, read> packed: array<vec4<f32>>;       // (PACKED) from pack_weights
@group(0) @binding(2) var<storage, read> input: array<f32>;              // (T, B, X) x
@group(0) @binding(3) var<storage, read> reads: array<f32>;              // (T + 1, B, R·M) r, slot t read
@group(0) @binding(4) var<storage, read> active_steps: array<u32>;       // (B) steps that matter, see above
@group(0) @binding(5) var<storage, read_write> controller_in: array<f32>; // (T, L, B, K_MAX) slot (t, l)
@group(0) @binding(6) var<storage, read_write> gates: array<f32>;        // (T, L, B, 4C) LSTM: i, f, o, g
@group(0) @binding(7) var<storage, read_write> cell: array<f32>;         // (T + 1, L, B, C) LSTM: c
@group(0) @binding(8) var<storage, read_write> hidden: array<f32>;       // (T + 1, L, B, C) h
@group(0) @binding(9) var<storage, read_write> raw_heads: array<f32>;    // (T, B, P) slot t written
@group(0) @binding(10) var<uniform> step: Step;

// controller_step_backward bindings (binding 0 is params, binding 1 packed, as above)
@group(0) @binding(2) var<storage, read> saved_gates: array<f32>;        // (T, L, B, 4C) LSTM
@group(0) @binding(3) var<storage, read> saved_cell: array<f32>;         // (T + 1, L, B, C) LSTM
@group(0) @binding(4) var<storage, read> saved_hidden: array<f32>;       // (T + 1, L, B, C) feed-forward
@group(0) @binding(5) var<storage, read> d_raw_heads: array<f32>;        // (T, B, P) slot t
@group(0) @binding(6) var<storage, read> d_output_in: array<f32>;        // (T, B, C + R·M) slot t
@group(0) @binding(7) var<storage, read> saved_active_steps: array<u32>; // (B) steps that matter
@group(0) @binding(8) var<storage, read_write> d_preact: array<f32>;     // (T, L, B, ROWS) slot (t, l) written
@group(0) @binding(9) var<storage, read_write> d_hidden: array<f32>;     // (L, B, C) carried ∂h
@group(0) @binding(10) var<storage, read_write> d_cell: array<f32>;      // (L, B, C) carried ∂c (LSTM)
@group(0) @binding(11) var<storage, read_write> d_reads: array<f32>;     // (B, R·M) ∂r_{t−1} written
@group(0) @binding(12) var<uniform> backward_step: Step;

// Forward: the 8 episodes' z of one layer (then their h_top), zero-padded; backward: their ∂a.
var<workgroup> z: array<vec4<f32>, EPISODES * KQ_MAX>;
// Backward: the 8 episodes' ∂raw_heads (then reused for ∂a, see controller_step_backward).
var<workgroup> dz: array<vec4<f32>, EPISODES * max(RQ, PQ)>;
var<workgroup> group_steps: u32;                  // the group's most active steps, made uniform

// ——— shared helpers ———

fn layer_width(l: u32) -> u32 {
  return select(K1, K0, l == 0u);
}

fn layer_quads(l: u32) -> u32 {
  return select(KQ1, KQ0, l == 0u);
}

// Where layer l's weight and bias start in params, and its packed weights in packed.
fn weight_offset(l: u32) -> u32 {
  return select(W1_OFFSET + (max(l, 1u) - 1u) * LAYER_STRIDE, W0_OFFSET, l == 0u);
}

fn bias_offset(l: u32) -> u32 {
  return select(B1_OFFSET + (max(l, 1u) - 1u) * LAYER_STRIDE, B0_OFFSET, l == 0u);
}

fn packed_offset(l: u32) -> u32 {
  return select(PACK_L1 + (max(l, 1u) - 1u) * PACK_STRIDE, 0u, l == 0u);
}

// Per weight row j of a tile, Σ_k W[row_j, k]·z[e, k] for the 8 episodes e: lo holds episodes 0–3, hi 4–7.
struct Tile {
  lo: array<vec4<f32>, 8>,
  hi: array<vec4<f32>, 8>,
}

// The forward register tile: rows at packed vec4 offsets `rows` (each KQ vec4s long), against z.
fn forward_tile(rows: array<u32, 8>, kq: u32) -> Tile {
  var acc: Tile;
  let r0 = rows[0];
  let r1 = rows[1];
  let r2 = rows[2];
  let r3 = rows[3];
  let r4 = rows[4];
  let r5 = rows[5];
  let r6 = rows[6];
  let r7 = rows[7];
  if (!WIDE) {
    // One episode: 8 loads of W and 1 of z per 32 FMAs, only episode 0's components written.
    for (var k4 = 0u; k4 < kq; k4++) {
      let z0 = z[k4];
      acc.lo[0].x += dot(packed[r0 + k4], z0);
      acc.lo[1].x += dot(packed[r1 + k4], z0);
      acc.lo[2].x += dot(packed[r2 + k4], z0);
      acc.lo[3].x += dot(packed[r3 + k4], z0);
      acc.lo[4].x += dot(packed[r4 + k4], z0);
      acc.lo[5].x += dot(packed[r5 + k4], z0);
      acc.lo[6].x += dot(packed[r6 + k4], z0);
      acc.lo[7].x += dot(packed[r7 + k4], z0);
    }
    return acc;
  }
  for (var k4 = 0u; k4 < kq; k4++) {
    let zl = mat4x4<f32>(z[k4], z[kq + k4], z[2u * kq + k4], z[3u * kq + k4]);
    let zh = mat4x4<f32>(z[4u * kq + k4], z[5u * kq + k4], z[6u * kq + k4], z[7u * kq + k4]);
    let w0 = packed[r0 + k4];
    let w1 = packed[r1 + k4];
    let w2 = packed[r2 + k4];
    let w3 = packed[r3 + k4];
    let w4 = packed[r4 + k4];
    let w5 = packed[r5 + k4];
    let w6 = packed[r6 + k4];
    let w7 = packed[r7 + k4];
    // w · mat4x4(z_0, …, z_3) = (w·z_0, …, w·z_3): one row against four episodes.
    acc.lo[0] += w0 * zl;
    acc.hi[0] += w0 * zh;
    acc.lo[1] += w1 * zl;
    acc.hi[1] += w1 * zh;
    acc.lo[2] += w2 * zl;
    acc.hi[2] += w2 * zh;
    acc.lo[3] += w3 * zl;
    acc.hi[3] += w3 * zh;
    acc.lo[4] += w4 * zl;
    acc.hi[4] += w4 * zh;
    acc.lo[5] += w5 * zl;
    acc.hi[5] += w5 * zh;
    acc.lo[6] += w6 * zl;
    acc.hi[6] += w6 * zh;
    acc.lo[7] += w7 * zl;
    acc.hi[7] += w7 * zh;
  }
  return acc;
}

// The 8 packed row offsets rows_0 + j·stride (j = 0 … 7), each clamped to the row `last`.
fn row_offsets(base: u32, first: u32, last: u32, kq: u32) -> array<u32, 8> {
  return array<u32, 8>(
    base + first * kq,
    base + min(first + 1u, last) * kq,
    base + min(first + 2u, last) * kq,
    base + min(first + 3u, last) * kq,
    base + min(first + 4u, last) * kq,
    base + min(first + 5u, last) * kq,
    base + min(first + 6u, last) * kq,
    base + min(first + 7u, last) * kq,
  );
}

// The most active steps among episodes b0 … b0 + 7 (the forward's binding).
fn group_active_steps(b0: u32) -> u32 {
  var most = 0u;
  for (var e = 0u; e < EPISODES && b0 + e < B; e++) { most = max(most, active_steps[b0 + e]); }
  return most;
}

// The same from saved_active_steps (the backward's binding).
fn saved_group_active_steps(b0: u32) -> u32 {
  var most = 0u;
  for (var e = 0u; e < EPISODES && b0 + e < B; e++) { most = max(most, saved_active_steps[b0 + e]); }
  return most;
}

// ——— pack_weights ———

// One invocation per vec4 of packed: dispatch ceil(PACKED / WORKGROUP).
@compute @workgroup_size(WORKGROUP)
fn pack_weights(@builtin(global_invocation_id) id: vec3<u32>) {
  let q = id.x;
  if (q >= PACKED) { return; }
  var source: u32;                                   // the weight row's first element in params
  var width: u32;                                    // the row's real width
  var col: u32;                                      // first column of this vec4
  var valid = true;
  if (q < PACK_H) {
    var l = 0u;
    var local = q;
    if (q >= PACK_L1) {
      l = 1u + (q - PACK_L1) / PACK_STRIDE;
      local = (q - PACK_L1) % PACK_STRIDE;
    }
    let kq = layer_quads(l);
    let row = local / kq;
    valid = row < ROWS;
    width = layer_width(l);
    source = weight_offset(l) + min(row, ROWS - 1u) * width;
    col = 4u * (local % kq);
  } else {
    let row = (q - PACK_H) / CQ;
    valid = row < P;
    width = C;
    source = HW_OFFSET + min(row, P - 1u) * C;
    col = 4u * ((q - PACK_H) % CQ);
  }
  var v = vec4<f32>(0.0);
  for (var j = 0u; j < 4u; j++) {
    if (valid && col + j < width) { v[j] = pack_params[source + col + j]; }
  }
  pack_out[q] = v;
}

// ——— controller_step_forward ———

const HIDDEN_TANH = 0u;                           // store_tile_row: hidden = tanh(a + b)
const RAW_HEADS = 1u;                             // store_tile_row: raw_heads = a + b

// Row r (< rows) of a tile, episodes b0 … b0 + 7 (lo: the first 4, hi: the next 4), plus the bias at
// params[bias + r], into hidden (feed-forward, tanh) or raw_heads at out + b·rows + r.
fn store_tile_row(kind: u32, out: u32, rows: u32, r: u32, bias: u32, b0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (r >= rows) { return; }
  let br = params[bias + r];
  for (var e = 0u; e < EPISODES; e++) {
    let b = b0 + e;
    if (b >= B) { break; }
    var a = hi[e % 4u];
    if (e < 4u) { a = lo[e]; }
    if (kind == HIDDEN_TANH) {
      hidden[out + b * rows + r] = tanh_stable(a + br);
    } else {
      raw_heads[out + b * rows + r] = a + br;
    }
  }
}

// Rows first … first + 7 of a tile (rows ≥ `rows` dropped), by store_tile_row. Constant tile indices
// only: a dynamic index would keep the accumulators in memory.
fn store_tile(kind: u32, out: u32, rows: u32, first: u32, bias: u32, b0: u32, acc: Tile) {
  store_tile_row(kind, out, rows, first, bias, b0, acc.lo[0], acc.hi[0]);
  store_tile_row(kind, out, rows, first + 1u, bias, b0, acc.lo[1], acc.hi[1]);
  store_tile_row(kind, out, rows, first + 2u, bias, b0, acc.lo[2], acc.hi[2]);
  store_tile_row(kind, out, rows, first + 3u, bias, b0, acc.lo[3], acc.hi[3]);
  store_tile_row(kind, out, rows, first + 4u, bias, b0, acc.lo[4], acc.hi[4]);
  store_tile_row(kind, out, rows, first + 5u, bias, b0, acc.lo[5], acc.hi[5]);
  store_tile_row(kind, out, rows, first + 6u, bias, b0, acc.lo[6], acc.hi[6]);
  store_tile_row(kind, out, rows, first + 7u, bias, b0, acc.lo[7], acc.hi[7]);
}

// The LSTM cell of unit u of layer l at step t for episodes b0 … b0 + 3, from the gates' W·z (one vec4 per
// gate, a component per episode): writes gates, cell and hidden.
fn lstm_cells(t: u32, l: u32, u: u32, b0: u32, ai: vec4<f32>, af: vec4<f32>, ao: vec4<f32>, ag: vec4<f32>) {
  let bias = bias_offset(l);
  let bi = params[bias + u];
  let bf = params[bias + C + u];
  let bo = params[bias + 2u * C + u];
  let bg = params[bias + 3u * C + u];
  let prev = (t * L + l) * B;                       // slot t of (T + 1, L, B, C); also gates' (t, l)
  let next = ((t + 1u) * L + l) * B;
  for (var e = 0u; e < 4u; e++) {
    let b = b0 + e;
    if (b >= B) { break; }
    let a = vec4<f32>(ai[e] + bi, af[e] + bf, ao[e] + bo, ag[e] + bg);
    let cell_t = lstm_cell_forward(a, cell[(prev + b) * C + u]);
    let gr = (prev + b) * 4u * C;
    gates[gr + u] = cell_t.gates.x;
    gates[gr + C + u] = cell_t.gates.y;
    gates[gr + 2u * C + u] = cell_t.gates.z;
    gates[gr + 3u * C + u] = cell_t.gates.w;
    cell[(next + b) * C + u] = cell_t.c;
    hidden[(next + b) * C + u] = cell_t.h;
  }
}

// Element k of layer l's input for episode b at step t: [x_t; r_{t−1}; h_prev] or [h_t^{l−1}; h_prev]
// (LSTM), [x_t; r_{t−1}] or h_t^{l−1} (feed-forward); l = L (k < C): h_t^{L−1}, the head map's input.
fn layer_input(b: u32, k: u32, t: u32, l: u32) -> f32 {
  let in_width = select(C, X + RM, l == 0u);
  if (k >= in_width) { return hidden[((t * L + l) * B + b) * C + k - in_width]; }
  if (l > 0u) { return hidden[(((t + 1u) * L + l - 1u) * B + b) * C + k]; }
  if (k < X) { return input[(t * B + b) * X + k]; }
  return reads[(t * B + b) * RM + k - X];
}

// Stages z for episodes b0 … b0 + 7: element k < width of layer l's input, zero-padded to kq vec4s per
// episode, and keeps it in controller_in slot (t, l); l = L stages the top layer's h_t (the head map's input,
// which layer_input reads as "layer L's input") and keeps nothing.
fn stage_tile_input(b0: u32, t: u32, l: u32, width: u32, kq: u32, lid: u32) {
  for (var i = lid; i < EPISODES * 4u * kq; i += WORKGROUP) {
    let e = i / (4u * kq);
    let k = i % (4u * kq);
    let b = b0 + e;
    var v = 0.0;
    if (b < B && k < width) {
      v = layer_input(b, k, t, l);
      if (l < L) { controller_in[((t * L + l) * B + b) * K_MAX + k] = v; }
    }
    z[e * kq + k / 4u][k % 4u] = v;
  }
  workgroupBarrier();
}

// ceil(B / 8) workgroups, episodes 8·w … 8·w + 7.
@compute @workgroup_size(WORKGROUP)
fn controller_step_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b0 = EPISODES * wid.x;
  let t = step.t;
  if (lid == 0u) { group_steps = group_active_steps(b0); }
  if (t >= workgroupUniformLoad(&group_steps)) { return; }
  for (var l = 0u; l < L; l++) {
    let kq = layer_quads(l);
    stage_tile_input(b0, t, l, layer_width(l), kq, lid);
    let base = packed_offset(l);
    let next = ((t + 1u) * L + l) * B;                // slot t + 1 of (T + 1, L, B, C), episode 0
    if (IS_LSTM) {
      // Units u0 = 2·lid and u0 + 1, all four gates: rows i, f, o, g of u0, then of u1.
      for (var u0 = 2u * lid; u0 < C; u0 += 2u * WORKGROUP) {
        let u1 = min(u0 + 1u, C - 1u);
        let rows = array<u32, 8>(
          base + u0 * kq,
          base + (C + u0) * kq,
          base + (2u * C + u0) * kq,
          base + (3u * C + u0) * kq,
          base + u1 * kq,
          base + (C + u1) * kq,
          base + (2u * C + u1) * kq,
          base + (3u * C + u1) * kq,
        );
        let acc = forward_tile(rows, kq);
        // Constant tile indices only: a dynamic index would keep the accumulators in memory.
        lstm_cells(t, l, u0, b0, acc.lo[0], acc.lo[1], acc.lo[2], acc.lo[3]);
        lstm_cells(t, l, u0, b0 + 4u, acc.hi[0], acc.hi[1], acc.hi[2], acc.hi[3]);
        if (u0 + 1u < C) {
          lstm_cells(t, l, u1, b0, acc.lo[4], acc.lo[5], acc.lo[6], acc.lo[7]);
          lstm_cells(t, l, u1, b0 + 4u, acc.hi[4], acc.hi[5], acc.hi[6], acc.hi[7]);
        }
      }
    } else {
      // Units 8·lid … 8·lid + 7 (rows past C repeat row C − 1; dropped).
      for (var u0 = 8u * lid; u0 < C; u0 += 8u * WORKGROUP) {
        let acc = forward_tile(row_offsets(base, u0, C - 1u, kq), kq);
        let at = next * C;
        let bias_at = bias_offset(l);
        store_tile(HIDDEN_TANH, at, C, u0, bias_at, b0, acc);
      }
    }
    storageBarrier();                                 // hidden slot t + 1, read by the next gather
    workgroupBarrier();
  }
  // The head map: raw_heads = W_h·h_top + b_h, rows 8·lid … 8·lid + 7.
  stage_tile_input(b0, t, L, C, CQ, lid);            // "layer L's input": h_t of the top layer
  for (var r0 = 8u * lid; r0 < P; r0 += 8u * WORKGROUP) {
    let acc = forward_tile(row_offsets(PACK_H, r0, P - 1u, CQ), CQ);
    let at = t * B * P;
    store_tile(RAW_HEADS, at, P, r0, HB_OFFSET, b0, acc);
  }
}

// ——— controller_step_backward ———

// Per column c of a tile (8 columns: lo = c0..c0+3, hi = c0+4..c0+7), per episode e: Σ_r W[r, c]·dz[e, r],
// over `quads` row quads of the packed rows starting at vec4 `first` (column quad c0 / 4 of row 0), rows
// `stride` vec4s apart; dz rows are `dq` quads per episode.
struct ColumnTile {
  lo: array<vec4<f32>, 8>,                           // lo[e] = columns c0..c0+3 of episode e
  hi: array<vec4<f32>, 8>,
}

fn backward_tile(first: u32, stride: u32, quads: u32, dq: u32, wide: bool) -> ColumnTile {
  var acc: ColumnTile;
  let hi = select(0u, 1u, wide);                     // columns c0+4.. exist, else re-read c0.. and drop
  if (!WIDE) {
    // One episode: 8 loads of W and 1 of dz per 32 FMAs.
    for (var r4 = 0u; r4 < quads; r4++) {
      let at = first + 4u * r4 * stride;
      let ml = mat4x4<f32>(packed[at], packed[at + stride], packed[at + 2u * stride], packed[at + 3u * stride]);
      let mh = mat4x4<f32>(packed[at + hi], packed[at + stride + hi], packed[at + 2u * stride + hi],
        packed[at + 3u * stride + hi]);
      let d0 = dz[r4];
      acc.lo[0] += ml * d0;
      acc.hi[0] += mh * d0;
    }
    return acc;
  }
  for (var r4 = 0u; r4 < quads; r4++) {
    let at = first + 4u * r4 * stride;
    // A matrix whose columns are rows 4·r4 … 4·r4 + 3: (m · d)[c] = Σ_j W[4·r4 + j, c]·d[j].
    let ml = mat4x4<f32>(packed[at], packed[at + stride], packed[at + 2u * stride], packed[at + 3u * stride]);
    let mh = mat4x4<f32>(packed[at + hi], packed[at + stride + hi], packed[at + 2u * stride + hi],
      packed[at + 3u * stride + hi]);
    let d0 = dz[r4];
    let d1 = dz[dq + r4];
    let d2 = dz[2u * dq + r4];
    let d3 = dz[3u * dq + r4];
    let d4 = dz[4u * dq + r4];
    let d5 = dz[5u * dq + r4];
    let d6 = dz[6u * dq + r4];
    let d7 = dz[7u * dq + r4];
    acc.lo[0] += ml * d0;
    acc.hi[0] += mh * d0;
    acc.lo[1] += ml * d1;
    acc.hi[1] += mh * d1;
    acc.lo[2] += ml * d2;
    acc.hi[2] += mh * d2;
    acc.lo[3] += ml * d3;
    acc.hi[3] += mh * d3;
    acc.lo[4] += ml * d4;
    acc.hi[4] += mh * d4;
    acc.lo[5] += ml * d5;
    acc.hi[5] += mh * d5;
    acc.lo[6] += ml * d6;
    acc.hi[6] += mh * d6;
    acc.lo[7] += ml * d7;
    acc.hi[7] += mh * d7;
  }
  return acc;
}

// Sends ∂z_k of layer l, episode b, where it belongs (lstm.wgsl, feedforward.wgsl: route_input_gradient).
fn route_input_gradient(b: u32, k: u32, l: u32, v: f32) {
  let in_width = select(C, X + RM, l == 0u);
  if (k >= in_width) {
    d_hidden[(l * B + b) * C + k - in_width] = v;   // LSTM: ∂h_{t−1} of layer l, written
  } else if (l > 0u) {
    d_hidden[((max(l, 1u) - 1u) * B + b) * C + k] += v; // ∂h_t of layer l − 1: added
  } else if (k >= X) {
    d_reads[b * RM + k - X] = v;                    // ∂r_{t−1}: written
  }
}

// Adds the heads' share (columns c0 … c0 + 7 of W_hᵀ·∂raw_heads, lo and hi) and the output layer's share of
// ∂h_t of the top layer into d_hidden[L − 1] for episode b.
fn add_top_gradient(t: u32, b: u32, c0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (b >= B) { return; }
  let out_row = (t * B + b) * (C + RM);
  for (var j = 0u; j < 8u; j++) {
    let u = c0 + j;
    if (u >= C) { break; }
    var v = hi[j % 4u];
    if (j < 4u) { v = lo[j]; }
    d_hidden[((L - 1u) * B + b) * C + u] += v + d_output_in[out_row + u];
  }
}

// Routes columns k0 … k0 + 7 of layer l's ∂z (lo and hi) for episode b.
fn route_columns(b: u32, k0: u32, l: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (b >= B) { return; }
  let width = layer_width(l);
  for (var j = 0u; j < 8u; j++) {
    let k = k0 + j;
    if (k >= width) { break; }
    var v = hi[j % 4u];
    if (j < 4u) { v = lo[j]; }
    route_input_gradient(b, k, l, v);
  }
}

// ceil(B / 8) workgroups, episodes 8·w … 8·w + 7.
@compute @workgroup_size(WORKGROUP)
fn controller_step_backward(
  @builtin(workgroup_id) wid: vec3<u32>,
  @builtin(local_invocation_index) lid: u32,
) {
  let b0 = EPISODES * wid.x;
  let t = backward_step.t;
  if (lid == 0u) { group_steps = saved_group_active_steps(b0); }
  if (t >= workgroupUniformLoad(&group_steps)) {
    // A step past the last one that counts for every episode of the group: its ∂a are 0, and the carried
    // gradients, still 0, stay so.
    for (var i = lid; i < L * EPISODES * ROWS; i += WORKGROUP) {
      let b = b0 + (i / ROWS) % EPISODES;
      if (b < B) { d_preact[((t * L + i / (EPISODES * ROWS)) * B + b) * ROWS + i % ROWS] = 0.0; }
    }
    return;
  }
  // The top layer's ∂h_t gets the output layer's share and the heads' W_hᵀ·∂raw_heads, units
  // 8·lid … 8·lid + 7.
  for (var i = lid; i < EPISODES * 4u * PQ; i += WORKGROUP) {
    let e = i / (4u * PQ);
    let r = i % (4u * PQ);
    let b = b0 + e;
    var v = 0.0;
    if (b < B && r < P) { v = d_raw_heads[(t * B + b) * P + r]; }
    dz[e * PQ + r / 4u][r % 4u] = v;
  }
  workgroupBarrier();
  for (var c0 = 8u * lid; c0 < C; c0 += 8u * WORKGROUP) {
    let acc = backward_tile(PACK_H + c0 / 4u, CQ, PQ, PQ, c0 / 4u + 1u < CQ);
    // Constant tile indices only: a dynamic index would keep the accumulators in memory.
    add_top_gradient(t, b0, c0, acc.lo[0], acc.hi[0]);
    add_top_gradient(t, b0 + 1u, c0, acc.lo[1], acc.hi[1]);
    add_top_gradient(t, b0 + 2u, c0, acc.lo[2], acc.hi[2]);
    add_top_gradient(t, b0 + 3u, c0, acc.lo[3], acc.hi[3]);
    add_top_gradient(t, b0 + 4u, c0, acc.lo[4], acc.hi[4]);
    add_top_gradient(t, b0 + 5u, c0, acc.lo[5], acc.hi[5]);
    add_top_gradient(t, b0 + 6u, c0, acc.lo[6], acc.hi[6]);
    add_top_gradient(t, b0 + 7u, c0, acc.lo[7], acc.hi[7]);
  }
  storageBarrier();
  workgroupBarrier();
  for (var step_l = 0u; step_l < L; step_l++) {
    let l = L - 1u - step_l;
    // ∂a of this layer (elementwise) into dz, (episode, row quad), and into d_preact; LSTM: d_cell[l] ← dc·f;
    // feed-forward: d_hidden[l] ← 0. One invocation per (episode, unit); LSTM units own rows u, C + u, …
    let preact = (t * L + l) * B;
    let units = select(4u * RQ, C, IS_LSTM);         // feed-forward: up to the padded rows, zeros past C
    for (var i = lid; i < EPISODES * units; i += WORKGROUP) {
      let e = i / units;
      let u = i % units;
      let b = b0 + e;
      let carried = (l * B + b) * C + u;
      if (IS_LSTM) {
        var da = vec4<f32>(0.0);
        if (b < B) {
          let gr = (preact + b) * 4u * C;
          let gates_t = vec4<f32>(
            saved_gates[gr + u], saved_gates[gr + C + u], saved_gates[gr + 2u * C + u], saved_gates[gr + 3u * C + u],
          );
          let cell_grad = lstm_cell_backward(
            gates_t,
            saved_cell[(((t + 1u) * L + l) * B + b) * C + u],
            saved_cell[((t * L + l) * B + b) * C + u],
            d_hidden[carried],
            d_cell[carried],
          );
          da = cell_grad.d_preact;
          d_preact[gr + u] = da.x;
          d_preact[gr + C + u] = da.y;
          d_preact[gr + 2u * C + u] = da.z;
          d_preact[gr + 3u * C + u] = da.w;
          d_cell[carried] = cell_grad.d_c_prev;
        }
        for (var g = 0u; g < 4u; g++) {
          let r = g * C + u;
          dz[e * RQ + r / 4u][r % 4u] = da[g];
        }
      } else {
        var da = 0.0;
        if (b < B && u < C) {
          let h = saved_hidden[(((t + 1u) * L + l) * B + b) * C + u];
          da = d_hidden[carried] * (1.0 - h * h);
          d_preact[(preact + b) * C + u] = da;
          d_hidden[carried] = 0.0;
        }
        dz[e * RQ + u / 4u][u % 4u] = da;
      }
    }
    // Every read of d_hidden[l] above happens before the writes below.
    storageBarrier();
    workgroupBarrier();
    // ∂z = Wᵀ·∂a, columns 8·lid … 8·lid + 7 of this layer's K.
    let kq = layer_quads(l);
    let width = layer_width(l);
    for (var k0 = 8u * lid; k0 < width; k0 += 8u * WORKGROUP) {
      let acc = backward_tile(packed_offset(l) + k0 / 4u, kq, RQ, RQ, k0 / 4u + 1u < kq);
      route_columns(b0, k0, l, acc.lo[0], acc.hi[0]);
      route_columns(b0 + 1u, k0, l, acc.lo[1], acc.hi[1]);
      route_columns(b0 + 2u, k0, l, acc.lo[2], acc.hi[2]);
      route_columns(b0 + 3u, k0, l, acc.lo[3], acc.hi[3]);
      route_columns(b0 + 4u, k0, l, acc.lo[4], acc.hi[4]);
      route_columns(b0 + 5u, k0, l, acc.lo[5], acc.hi[5]);
      route_columns(b0 + 6u, k0, l, acc.lo[6], acc.hi[6]);
      route_columns(b0 + 7u, k0, l, acc.lo[7], acc.hi[7]);
    }
    storageBarrier();
    workgroupBarrier();
  }
}
