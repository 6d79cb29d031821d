// The controller layer's input, forward and backward. Forward: staged for its mat-vec: one episode's `width` input values copied into the
// workgroup's `z` (zero-padded to a multiple of four) and into `controller_in`, which the backward's weight
// gradient reads. The including shader (lstm.wgsl, feedforward.wgsl) declares `z`, binds `controller_in`
// (T, L, B, K_MAX) and defines `layer_input(b, k, t)`.
// Backward: the gradient of input element k sent where that input came from; the backward entry points
// bind `d_hidden` (L, B, C) and `d_reads_prev` (B, R, M).

// Where episode b's row of layer LAYER starts in slot `slot` of a (slots, L, B, width) buffer: hidden and
// cell (T + 1, L, B, C), controller_in (T, L, B, K_MAX), gates and d_preact (T, L, B, rows).
fn layer_row(slot: u32, b: u32, width: u32) -> u32 {
  return ((slot * L + LAYER) * B + b) * width;
}

// Stages element k < width of layer LAYER's input of episode b at step t, for k = lid, lid + WORKGROUP, …,
// then waits for the whole workgroup's.
fn stage_layer_input(b: u32, t: u32, width: u32, lid: u32) {
  let row = layer_row(t, b, K_MAX);
  for (var k = lid; k < 4u * ((width + 3u) / 4u); k += WORKGROUP) {
    var v = 0.0;
    if (k < width) {
      v = layer_input(b, k, t);
      controller_in[row + k] = v;
    }
    z[k / 4u][k % 4u] = v;
  }
  workgroupBarrier();
}

// Sends ∂in_l(k) of episode b, k < IN, where it belongs: into ∂h_t of layer l − 1 (added, as layer l − 1's
// own backward has not run yet), or at l = 0 into ∂r_{t−1} (written; x needs no gradient).
fn route_layer_input_gradient(b: u32, k: u32, v: f32) {
  if (LAYER > 0u) {
    d_hidden[((max(LAYER, 1u) - 1u) * B + b) * C + k] += v; // ∂h_t of layer l − 1: added
  } else if (k >= X) {
    d_reads_prev[b * RM + k - X] = v;                       // ∂r_{t−1}: written
  }
}
