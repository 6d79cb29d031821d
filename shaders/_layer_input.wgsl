// The controller layer's input staged for its mat-vec: one episode's `width` input values copied into the
// workgroup's `z` (zero-padded to a multiple of four) and into `controller_in`, which the backward's weight
// gradient reads. The including shader (lstm.wgsl, feedforward.wgsl) declares `z`, binds `controller_in`
// (T, L, B, K_MAX) and defines `layer_input(b, k, t)`; the caller puts a workgroupBarrier after the call.

// Stages element k < width of layer LAYER's input of episode b at step t, for k = lid, lid + WORKGROUP, …
fn stage_layer_input(b: u32, t: u32, width: u32, lid: u32) {
  let row = ((t * L + LAYER) * B + b) * K_MAX;
  for (var k = lid; k < 4u * ((width + 3u) / 4u); k += WORKGROUP) {
    var v = 0.0;
    if (k < width) {
      v = layer_input(b, k, t);
      controller_in[row + k] = v;
    }
    z[k / 4u][k % 4u] = v;
  }
}
