// LSTM controller layer l = LAYER at time step t (docs/model.md "One time step"), B episodes, one workgroup
// per episode. Float64 twin: `linearForward` + `lstmForward` / `lstmBackward` + `linearBackward`
// in src/reference/controller.ts.
//
// lstm_forward (gather fused in):
//   z = [in_l; h_prev]   in_0 = [x_t; r_{t−1}] (input slot t, reads slot t), in_l = h_t of layer l − 1
//                        (hidden slot t + 1), h_prev = h_{t−1} of layer l (hidden slot t); K = IN + C
//   a = W·z + b          W = controller.{l}.weight (4C, K), rows in gate order i, f, o, g
//   i, f, o = σ(a_i, a_f, a_o),  g = tanh(a_g)
//   c_t = f⊙c_{t−1} + i⊙g,  h_t = o⊙tanh(c_t)
//   Writes controller_in slot (t, l) (columns K..K_MAX are left alone), gates slot (t, l), and cell and
//   hidden slot t + 1 of layer l. The workgroup stores z to controller_in and to workgroup memory; each
//   invocation then computes the 4 gates of one unit u (rows u, C + u, 2C + u, 3C + u share every z load).
//
// lstm_backward: with dh = d_hidden[l], dc = d_cell[l] + dh⊙o⊙(1 − tanh²c_t):
//   da_i = dc⊙g⊙i(1−i), da_f = dc⊙c_{t−1}⊙f(1−f), da_o = dh⊙tanh(c_t)⊙o(1−o), da_g = dc⊙i⊙(1−g²)
//   ∂c_{t−1} = dc⊙f,  ∂z = Wᵀ·da (the weight gradient is one reduction after the loop: linear_weight_grad).
//
// The carried buffers over one reverse step t (no time axis; the engine zeroes d_hidden, d_cell and d_reads
// once, before the reverse loop; nothing is copied or zeroed between steps):
//   on entry to step t:  d_hidden[l] = ∂J/∂h_t^l through step t + 1 (its h_prev input), written by this
//                        kernel at step t + 1; d_cell[l] = ∂J/∂c_t^l through step t + 1 (zeros at t = T − 1).
//   before layer L − 1:  the engine has ADDED the output layer's and the heads' ∂J/∂h_t into d_hidden[L − 1]
//                        (output_gather_backward; linear_backward_input of the head map, ACCUMULATE on).
//   layer l = L − 1 … 0, one dispatch each (d_hidden[l] is complete: layer l + 1 has added its share):
//                        writes d_preact slot (t, l);
//                        writes d_cell[l] ← ∂J/∂c_{t−1}^l = dc⊙f;
//                        writes d_hidden[l] ← ∂J/∂h_{t−1}^l through step t (columns IN..K of Wᵀ·da);
//                        l > 0: ADDS columns 0..IN into d_hidden[l − 1], completing its ∂J/∂h_t;
//                        l = 0: WRITES columns X..X+RM, ∂J/∂r_{t−1}, into d_reads_prev; drops 0..X (∂x_t).
//   on exit:             d_hidden[l] = ∂J/∂h_{t−1}^l and d_cell[l] = ∂J/∂c_{t−1}^l through step t: the
//                        entry state of step t − 1. After t = 0: the per-episode gradients of h_0, c_0.
// d_reads_prev may be the carried d_reads buffer itself: the read backward of step t has consumed it by the
// time the controller runs, and this write starts step t − 1's read gradient, to which the engine then adds
// the output layer's share at step t − 1 (output_gather_backward). After t = 0 it holds ∂J/∂r_0.

//! include _step.wgsl
//! include _activations.wgsl
//! include _lstm_cell.wgsl
//! include _matvec.wgsl

override B: u32;          // episodes
override C: u32;          // units per layer
override L: u32;          // layers
override LAYER: u32;      // l, this layer
override X: u32;          // input width
override RM: u32;         // R·M, the read vectors' width
override IN: u32;         // in_l: X + R·M at layer 0, C above
override K_MAX: u32;      // row stride of controller_in (≥ IN + C of every layer)
override W_OFFSET: u32;   // controller.{l}.weight in params, (4C, IN + C)
override B_OFFSET: u32;   // controller.{l}.bias in params, (4C)
override WORKGROUP: u32 = 64;

override K: u32 = IN + C; // K_l, this layer's input width [in_l; h_prev]

// lstm_forward bindings
@group(0) @binding(0) var<storage, read> params: array<f32>;              // (parameter count) flat
@group(0) @binding(1) var<storage, read> input: array<f32>;               // (T, B, X) x
@group(0) @binding(2) var<storage, read> reads: array<f32>;               // (T + 1, B, R, M) r, slot 0 = r_0
@group(0) @binding(3) var<storage, read_write> controller_in: array<f32>; // (T, L, B, K_MAX) [in_l; h_prev]
@group(0) @binding(4) var<storage, read_write> gates: array<f32>;         // (T, L, B, 4C) i, f, o, g
@group(0) @binding(5) var<storage, read_write> cell: array<f32>;          // (T + 1, L, B, C) c, slot 0 = c_0
@group(0) @binding(6) var<storage, read_write> hidden: array<f32>;        // (T + 1, L, B, C) h, slot 0 = h_0
@group(0) @binding(7) var<uniform> step: Step;

// lstm_backward bindings (binding 0 is params, binding 7 the step uniform, as above)
@group(0) @binding(1) var<storage, read> saved_gates: array<f32>;         // (T, L, B, 4C) i, f, o, g
@group(0) @binding(2) var<storage, read> saved_cell: array<f32>;          // (T + 1, L, B, C) c
@group(0) @binding(3) var<storage, read_write> d_preact: array<f32>;      // (T, L, B, 4C) ∂a, slot t written
@group(0) @binding(4) var<storage, read_write> d_hidden: array<f32>;      // (L, B, C) carried ∂h (see above)
@group(0) @binding(5) var<storage, read_write> d_cell: array<f32>;        // (L, B, C) carried ∂c (see above)
@group(0) @binding(6) var<storage, read_write> d_reads_prev: array<f32>;  // (B, R, M) ∂r_{t−1}, at l = 0

var<workgroup> z: array<vec4<f32>, (IN + C + 3u) / 4u>;  // this episode's [in_l; h_prev], zero-padded
// After z: naga sizes override-length workgroup arrays in declaration order.
//! include _rows_dot.wgsl
var<workgroup> dz: array<vec4<f32>, C>;                   // (C) per unit u: (da_i, da_f, da_o, da_g)
//! include _layer_input.wgsl

// Element k of layer LAYER's input for episode b at step t: [x_t; r_{t−1}; h_prev] or [h_t^{l−1}; h_prev].
fn layer_input(b: u32, k: u32, t: u32) -> f32 {
  if (k >= IN) { return hidden[layer_row(t, b, C) + k - IN]; }
  if (LAYER > 0u) { return hidden[(((t + 1u) * L + LAYER - 1u) * B + b) * C + k]; }
  if (k < X) { return input[(t * B + b) * X + k]; }
  return reads[(t * B + b) * RM + k - X];
}

// (W·z) of the rows i, f, o, g of unit u.
fn gate_preacts(u: u32) -> vec4<f32> {
  let ri = W_OFFSET + u * K;
  let rf = ri + C * K;
  let ro = rf + C * K;
  let rg = ro + C * K;
  return rows_dot_z(vec4<u32>(ri, rf, ro, rg), K);
}

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn lstm_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = step.t;
  stage_layer_input(b, t, K, lid);
  let state_prev = layer_row(t, b, C);               // slot t of (T + 1, L, B, C)
  let state_next = layer_row(t + 1u, b, C);          // slot t + 1
  let gate_row = layer_row(t, b, 4u * C);
  for (var u = lid; u < C; u += WORKGROUP) {
    let bias = vec4<f32>(
      params[B_OFFSET + u], params[B_OFFSET + C + u], params[B_OFFSET + 2u * C + u], params[B_OFFSET + 3u * C + u],
    );
    let cell_t = lstm_cell_forward(gate_preacts(u) + bias, cell[state_prev + u]);
    gates[gate_row + u] = cell_t.gates.x;
    gates[gate_row + C + u] = cell_t.gates.y;
    gates[gate_row + 2u * C + u] = cell_t.gates.z;
    gates[gate_row + 3u * C + u] = cell_t.gates.w;
    cell[state_next + u] = cell_t.c;
    hidden[state_next + u] = cell_t.h;
  }
}

// Sends ∂z_k of episode b where it belongs (see the top of the file).
fn route_input_gradient(b: u32, k: u32, v: f32) {
  if (k >= IN) {
    d_hidden[layer_row(0u, b, C) + k - IN] = v;           // ∂h_{t−1} of layer l: written
  } else {
    route_layer_input_gradient(b, k, v);
  }
}

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn lstm_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = step.t;
  let carried = layer_row(0u, b, C);                 // (L, B, C)
  let state_prev = layer_row(t, b, C);
  let state_now = layer_row(t + 1u, b, C);
  let gate_row = layer_row(t, b, 4u * C);
  for (var u = lid; u < C; u += WORKGROUP) {
    let gates_t = vec4<f32>(
      saved_gates[gate_row + u], saved_gates[gate_row + C + u], saved_gates[gate_row + 2u * C + u],
      saved_gates[gate_row + 3u * C + u],
    );
    let cell_grad = lstm_cell_backward(
      gates_t, saved_cell[state_now + u], saved_cell[state_prev + u], d_hidden[carried + u], d_cell[carried + u],
    );
    let da = cell_grad.d_preact;
    dz[u] = da;
    d_preact[gate_row + u] = da.x;
    d_preact[gate_row + C + u] = da.y;
    d_preact[gate_row + 2u * C + u] = da.z;
    d_preact[gate_row + 3u * C + u] = da.w;
    d_cell[carried + u] = cell_grad.d_c_prev;
  }
  // Every read of d_hidden[l] above happens before the writes below.
  storageBarrier();
  workgroupBarrier();
  // ∂z = Wᵀ·da, 4 columns per invocation: one dz load feeds 16 FMAs.
  for (var k0 = 4u * lid; k0 < K; k0 += 4u * WORKGROUP) {
    let cols = min(vec4<u32>(k0, k0 + 1u, k0 + 2u, k0 + 3u), vec4<u32>(K - 1u));  // clamped; extras dropped
    var acc = vec4<f32>(0.0);
    for (var u = 0u; u < C; u++) {
      let d = dz[u];
      let ri = W_OFFSET + u * K;
      let rf = ri + C * K;
      let ro = rf + C * K;
      let rg = ro + C * K;
      acc += d.x * weights_at(ri, cols) + d.y * weights_at(rf, cols) + d.z * weights_at(ro, cols)
        + d.w * weights_at(rg, cols);
    }
    for (var j = 0u; j < 4u && k0 + j < K; j++) {
      route_input_gradient(b, k0 + j, acc[j]);
    }
  }
}
