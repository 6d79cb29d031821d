// The memory's whole time step, fused, forward (memory_step_backward.wgsl holds the backward) (the `fused` path of the engine): head activations, the addressing
// chain of every head (NTM paper §3.3: content addressing eqs 5–6, interpolation eq. 7, shift eq. 8,
// sharpening eq. 9), the read (§3.1, eq. 2) and the write (§3.2, eqs 3–4), forward and backward, one
// workgroup per episode. The same equations, guards and saved buffers as head_params.wgsl,
// content_address.wgsl, interpolate.wgsl, shift.wgsl, sharpen.wgsl, memory_read.wgsl and memory_write.wgsl,
// which this file replaces one step at a time; float64 twins in src/reference/ (head_params.ts,
// addressing.ts, memory.ts).
//
// memory_step_forward at step t, episode b (after controller_step_forward wrote raw_heads slot t):
//   activates raw_heads slot t into workgroup memory (k = tanh, β = softplus, g = σ, s = softmax,
//   γ = 1 + softplus, e = σ, a = tanh), then per head, rows i in parallel, reductions over i in workgroup
//   memory: wc = softmax_i(β·cos(k, Mem_{t−1}(i))), wg = g·wc + (1 − g)·w_{t−1}, w̃ = wg ⊛ s, w = sharpen(w̃, γ);
//   writes wc, wg, w_tilde slot t and w slot t + 1; then reads r_h = Σ_i w_h(i)·Mem_{t−1}(i) into reads
//   slot t + 1 and writes Mem_t = Mem_{t−1}⊙Π_h(1 − w_h⊗e_h) + Σ_h w_h⊗a_h into memory slot t + 1.
// memory_step_backward at reverse step t, episode b (before controller_step_backward):
//   given d_reads = the controller's share of ∂r_t (written at step t + 1; zeros at t = T − 1), plus the
//   output layer's share, d_output_in[t, b, C..C + R·M]; d_memory = ∂Mem_t and d_w = ∂w_t carried from
//   step t + 1: writes d_memory_prev = ∂Mem_{t−1}, d_w_prev = ∂w_{t−1} (through the interpolation) and
//   d_raw_heads slot t. The activations are recomputed from raw_heads (bit-identical to the forward's).
// Steps that do not matter: `active_steps[b]` is 1 + the last step of episode b whose output counts (mask
// ≠ 0) in training, T in evaluation. Steps t ≥ active_steps[b] change no loss, so the forward skips them
// (their outputs stay whatever the buffers held) and the backward writes a zero ∂raw_heads and leaves the
// carried gradients, which are then still zero; the result is exactly the full computation's.
//
// Layout of the work (measured on llvmpipe, see bench/RESULTS.md: every load costs, per invocation and per
// component, while arithmetic is nearly free): invocation i4 owns the 4 rows 4·i4 … 4·i4 + 3 and keeps
// their Mem_{t−1} (and ∂Mem_t) in private variables for the whole step, so each memory element is loaded
// from storage once; the per-(head, row) values travel as vec4s over those 4 rows. Each reduction over the
// N rows is first a partial over the invocation's 4 rows, then a loop over the N / 4 partials in one
// invocation per head (cheaper than a tree of barriers on a software adapter); the sums over rows per
// column (the read, ∂e, ∂a, ∂k) go through per-invocation partial vec4s the same way.
// Needs N and M to be multiples of 4, M ≤ 32 and N ≤ 4·WORKGROUP (the engine checks; see kernels_fused.ts).
// Dispatch: both entry points B workgroups of WORKGROUP ≥ N / 4 invocations.

//! include _step.wgsl
//! include _shift.wgsl
//! include _sharpen.wgsl
//! include _interpolate.wgsl
//! include _memory_write.wgsl
//! include _activations.wgsl
//! include _head_fields.wgsl
//! include _content.wgsl

// memory_step_forward bindings
@group(0) @binding(0) var<storage, read> raw_heads: array<f32>;            // (T, B, P) raw head parameters
@group(0) @binding(1) var<storage, read> active_steps: array<u32>;         // (B) steps that matter, see above
@group(0) @binding(2) var<storage, read_write> wc: array<vec4<f32>>;       // (T, B, H, N) slot t written
@group(0) @binding(3) var<storage, read_write> wg: array<vec4<f32>>;       // (T, B, H, N) slot t written
@group(0) @binding(4) var<storage, read_write> w_tilde: array<vec4<f32>>;  // (T, B, H, N) slot t written
@group(0) @binding(5) var<storage, read_write> w: array<vec4<f32>>;        // (T + 1, B, H, N) slot t → t + 1
@group(0) @binding(6) var<storage, read_write> reads: array<vec4<f32>>;    // (T + 1, B, R, M) slot t + 1 written
@group(0) @binding(7) var<storage, read_write> memory: array<vec4<f32>>;   // (T + 1, B, N, M) slot t → t + 1
@group(0) @binding(8) var<uniform> step: Step;

//! include _memory_step.wgsl

// red[H + h] = Σ_i sa(h, i) for every head h, the normaliser of the softmax and of the sharpened weights:
// each owner's sum over its 4 rows, then across the workgroup (called by every invocation).
fn head_totals(owner: bool, i4: u32, lid: u32) {
  for (var h = 0u; h < H; h++) {
    var sum = 0.0;
    if (owner) { sum = hsum(sa[h * NQ + i4]); }
    put_partial(H + h, i4, sum);
  }
  workgroupBarrier();
  for (var h = lid; h < H; h += WORKGROUP) { red[H + h] = partials_sum(H + h); }
  workgroupBarrier();
}

// ——— memory_step_forward ———

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn memory_step_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = step.t;
  let at = episode_slots(t, b);
  let i4 = lid;                                      // this invocation's rows 4·i4 … 4·i4 + 3
  let owner = i4 < NQ;
  if (lid == 0u) { last_step = active_steps[b]; }
  if (t >= workgroupUniformLoad(&last_step)) { return; }
  for (var p = lid; p < P; p += WORKGROUP) { store_field(p, activated(at.raw_row, p)); }
  // The 4 rows of Mem_{t−1}, kept for the content addressing, the read and the write; rows[r·MQ + m4].
  var rows: array<vec4<f32>, ROW_QUADS>;
  var norm = vec4<f32>(0.0);
  if (owner) { norm = sqrt(load_rows(at.mem + 4u * i4 * MQ, &rows)); }
  workgroupBarrier();
  // Content addressing: z(h, i) = β_h·K(k_h, Mem(i)) into sa; per-invocation maxima.
  for (var h = 0u; h < H; h++) {
    var z_max = LOWEST;
    if (owner) {
      var d = vec4<f32>(0.0);
      var k_sq = 0.0;
      for (var m4 = 0u; m4 < MQ; m4++) {
        let k = key4[h * MQ + m4];
        k_sq += dot(k, k);
        d += dots4(k, rows[m4], rows[MQ + m4], rows[2u * MQ + m4], rows[3u * MQ + m4]);
      }
      let z = strength(h) * cosine4(d, sqrt(k_sq) * norm);
      sa[h * NQ + i4] = z;
      z_max = hmax(z);
    }
    put_partial(h, i4, z_max);
  }
  workgroupBarrier();
  for (var h = lid; h < H; h += WORKGROUP) { red[h] = partials_max(h); }
  workgroupBarrier();
  // Softmax: exp(z − max) into sa, and its sums.
  if (owner) {
    for (var h = 0u; h < H; h++) { sa[h * NQ + i4] = exp(sa[h * NQ + i4] - red[h]); }
  }
  head_totals(owner, i4, lid);
  // Interpolation (eq. 7): wg into sb.
  if (owner) {
    for (var h = 0u; h < H; h++) {
      let q = h * NQ + i4;
      let content = sa[q] / red[H + h];
      wc[at.now + q] = content;
      let g = gate(h);
      let gated = interpolate(g, content, w[at.now + q]);
      wg[at.now + q] = gated;
      sb[q] = gated;
    }
  }
  workgroupBarrier();
  // Shift (eq. 8): w̃(i) = Σ_o wg(i − o)·s(o), into sc; per-invocation maxima (from 0, as the reference).
  let k_shift = i32(S / 2u);
  for (var h = 0u; h < H; h++) {
    var x_max = 0.0;
    if (owner) {
      let i0 = i32(4u * i4);
      var sum = vec4<f32>(0.0);
      for (var o = -k_shift; o <= k_shift; o++) {
        let shifted = vec4<f32>(sb_at(h, shift_source(i0, o)), sb_at(h, shift_source(i0 + 1, o)),
          sb_at(h, shift_source(i0 + 2, o)), sb_at(h, shift_source(i0 + 3, o)));
        sum += shift_weight(h, u32(o + k_shift)) * shifted;
      }
      w_tilde[at.now + h * NQ + i4] = sum;
      sc[h * NQ + i4] = sum;
      x_max = hmax(sum);
    }
    put_partial(h, i4, x_max);
  }
  workgroupBarrier();
  for (var h = lid; h < H; h += WORKGROUP) { red[h] = log(partials_max(h)); }
  workgroupBarrier();
  // Sharpening (eq. 9, in log space): the unnormalised weights into sa, and their sums.
  if (owner) {
    for (var h = 0u; h < H; h++) { sa[h * NQ + i4] = sharpened(sc[h * NQ + i4], sharpening(h), red[h]); }
  }
  head_totals(owner, i4, lid);
  // w_t; the read's partial sums over the 4 rows (eq. 2); the write of the 4 rows (eqs 3–4).
  if (owner) {
    for (var h = 0u; h < H; h++) {
      let q = h * NQ + i4;
      let weight = sa[q] / red[H + h];
      wt[q] = weight;
      w[at.next + q] = weight;
      if (h < R) {
        for (var m4 = 0u; m4 < MQ; m4++) {
          part[(h * MQ + m4) * NQ + i4] = weight.x * rows[m4] + weight.y * rows[MQ + m4]
            + weight.z * rows[2u * MQ + m4] + weight.w * rows[3u * MQ + m4];
        }
      }
    }
    let out = ((t + 1u) * B + b) * NMQ + 4u * i4 * MQ;
    for (var m4 = 0u; m4 < MQ; m4++) {
      var keep = mat4x4<f32>(vec4<f32>(1.0), vec4<f32>(1.0), vec4<f32>(1.0), vec4<f32>(1.0));
      var added = mat4x4<f32>();
      for (var hw = 0u; hw < W; hw++) {
        let weight = wt[(R + hw) * NQ + i4];
        let e = erase4[hw * MQ + m4];
        let a = add4[hw * MQ + m4];
        keep[0] *= erase_factor(weight.x, e);
        keep[1] *= erase_factor(weight.y, e);
        keep[2] *= erase_factor(weight.z, e);
        keep[3] *= erase_factor(weight.w, e);
        added[0] += weight.x * a;
        added[1] += weight.y * a;
        added[2] += weight.z * a;
        added[3] += weight.w * a;
      }
      memory[out + m4] = written_row(rows[m4], keep[0], added[0]);
      memory[out + MQ + m4] = written_row(rows[MQ + m4], keep[1], added[1]);
      memory[out + 2u * MQ + m4] = written_row(rows[2u * MQ + m4], keep[2], added[2]);
      memory[out + 3u * MQ + m4] = written_row(rows[3u * MQ + m4], keep[3], added[3]);
    }
  }
  workgroupBarrier();
  for (var q = lid; q < R * MQ; q += WORKGROUP) {
    var sum = vec4<f32>(0.0);
    for (var j = 0u; j < NQ; j++) { sum += part[q * NQ + j]; }
    reads[((t + 1u) * B + b) * R * MQ + q] = sum;
  }
}
