// The memory's whole time step, fused, backward: memory_step_backward at reverse step t (the header of
// memory_step_forward.wgsl describes both halves and the layout of the work).

//! include _step.wgsl
//! include _shift.wgsl
//! include _sharpen.wgsl
//! include _memory_write.wgsl
//! include _activations.wgsl
//! include _head_fields.wgsl
//! include _content.wgsl

// memory_step_backward bindings
@group(0) @binding(0) var<storage, read> raw_heads: array<f32>;            // (T, B, P) saved
@group(0) @binding(1) var<storage, read> saved_wc: array<vec4<f32>>;       // (T, B, H, N)
@group(0) @binding(2) var<storage, read> saved_wg: array<vec4<f32>>;       // (T, B, H, N)
@group(0) @binding(3) var<storage, read> saved_w_tilde: array<vec4<f32>>;  // (T, B, H, N)
@group(0) @binding(4) var<storage, read> saved_w: array<vec4<f32>>;        // (T + 1, B, H, N) slots t, t + 1
@group(0) @binding(5) var<storage, read> memory: array<vec4<f32>>;         // (T + 1, B, N, M) slot t saved
@group(0) @binding(6) var<storage, read> d_output_in: array<f32>;          // (T, B, C + R·M) slot t
@group(0) @binding(7) var<storage, read> d_reads: array<vec4<f32>>;        // (B, R, M) the controller's ∂r_t
@group(0) @binding(8) var<storage, read> d_memory: array<vec4<f32>>;       // (B, N, M) ∂Mem_t
@group(0) @binding(9) var<storage, read> d_w: array<vec4<f32>>;            // (B, H, N) ∂w_t from step t + 1
@group(0) @binding(10) var<storage, read> saved_active_steps: array<u32>;  // (B) steps that matter
@group(0) @binding(11) var<storage, read_write> d_memory_prev: array<vec4<f32>>; // (B, N, M) ∂Mem_{t−1}
@group(0) @binding(12) var<storage, read_write> d_w_prev: array<vec4<f32>>; // (B, H, N) ∂w_{t−1} written
@group(0) @binding(13) var<storage, read_write> d_raw_heads: array<f32>;   // (T, B, P) slot t written
@group(0) @binding(14) var<uniform> backward_step: Step;

//! include _memory_step.wgsl

// ——— memory_step_backward ———

// ∂raw for raw parameter p, from d_fields (head_params_backward).
fn raw_gradient(p: u32, row: u32) -> f32 {
  let field = field_of(p);
  let x = raw_heads[row + p];
  let d = d_fields[p];
  if (field.kind != FIELD_S) { return d * head_activation_slope(field.kind, x); }
  let first = field.base + M + 2u;                   // the shift's softmax backward
  var s_dot_ds = 0.0;
  for (var o = 0u; o < S; o++) { s_dot_ds += fields[first + o] * d_fields[first + o]; }
  return fields[p] * (d - s_dot_ds);
}

fn set_field_gradient4(at: u32, v: vec4<f32>) {
  d_fields[at] = v.x;
  d_fields[at + 1u] = v.y;
  d_fields[at + 2u] = v.z;
  d_fields[at + 3u] = v.w;
}

// Σ over the invocations of partial sum `slot` (a (field, column quad) pair) of `part`.
fn part_sum(slot: u32) -> vec4<f32> {
  var sum = vec4<f32>(0.0);
  for (var j = 0u; j < NQ; j++) { sum += part[slot * NQ + j]; }
  return sum;
}

// One workgroup per episode: dispatch (B).
@compute @workgroup_size(WORKGROUP)
fn memory_step_backward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  let t = backward_step.t;
  let at = episode_slots(t, b);
  let carried = b * HNQ;                             // (B, H, N)
  let d_mem = b * NMQ;                               // (B, N, M)
  let i4 = lid;                                      // this invocation's rows 4·i4 … 4·i4 + 3
  let owner = i4 < NQ;
  if (lid == 0u) { last_step = saved_active_steps[b]; }
  if (t >= workgroupUniformLoad(&last_step)) {
    // Every gradient of a step past the last one that counts is 0: the carried ones stay 0.
    for (var p = lid; p < P; p += WORKGROUP) { d_raw_heads[at.raw_row + p] = 0.0; }
    return;
  }
  for (var p = lid; p < P; p += WORKGROUP) { store_field(p, activated(at.raw_row, p)); }
  let out_row = (t * B + b) * (C + R * M) + C;       // d_output_in's ∂r_t columns
  for (var q = lid; q < R * MQ; q += WORKGROUP) {
    let o = out_row + 4u * q;
    dr4[q] = d_reads[b * R * MQ + q] + vec4<f32>(d_output_in[o], d_output_in[o + 1u], d_output_in[o + 2u],
      d_output_in[o + 3u]);
  }
  for (var q = lid; q < HNQ; q += WORKGROUP) { wt[q] = saved_w[at.next + q]; }
  // The 4 rows of Mem_{t−1} and of ∂Mem_t, kept until the memory gradient at the end.
  var rows: array<vec4<f32>, ROW_QUADS>;
  var d_rows: array<vec4<f32>, ROW_QUADS>;
  var sq = vec4<f32>(0.0);
  if (owner) {
    sq = load_rows(at.mem + 4u * i4 * MQ, &rows);
    let d_first = d_mem + 4u * i4 * MQ;
    for (var m4 = 0u; m4 < MQ; m4++) {
      d_rows[m4] = d_memory[d_first + m4];
      d_rows[MQ + m4] = d_memory[d_first + MQ + m4];
      d_rows[2u * MQ + m4] = d_memory[d_first + 2u * MQ + m4];
      d_rows[3u * MQ + m4] = d_memory[d_first + 3u * MQ + m4];
    }
  }
  workgroupBarrier();
  // Per head: K(h, i) for the content backward; ∂w_t (sa) = the carried ∂w_t + the read's
  // Σ_m ∂r(m)·Mem(i, m) (read heads) or the write's Σ_m ∂Mem_t(i, m)·(a(m) − Mem(i, m)·keep_¬h(i, m)·e(m))
  // (write heads); and the partial sums over the 4 rows of the write's ∂e = −Σ_i ∂Mem_t⊙Mem⊙keep_¬h·w(i)
  // (slot 2·hw·MQ + m4) and ∂a = Σ_i ∂Mem_t·w(i) (slot (2·hw + 1)·MQ + m4).
  for (var h = 0u; h < H; h++) {
    var w_dot = 0.0;
    if (owner) {
      var d = vec4<f32>(0.0);
      var k_sq = 0.0;
      var dw = vec4<f32>(0.0);
      for (var m4 = 0u; m4 < MQ; m4++) {
        let k = key4[h * MQ + m4];
        k_sq += dot(k, k);
        let r0 = rows[m4];
        let r1 = rows[MQ + m4];
        let r2 = rows[2u * MQ + m4];
        let r3 = rows[3u * MQ + m4];
        d += dots4(k, r0, r1, r2, r3);
        if (h < R) {
          dw += dots4(dr4[h * MQ + m4], r0, r1, r2, r3);
        } else {
          let hw = h - R;
          let keep = keep_quads(i4, m4, hw);
          let e = erase4[hw * MQ + m4];
          let a = add4[hw * MQ + m4];
          let weight = wt[h * NQ + i4];
          let x0 = r0 * keep[0];
          let x1 = r1 * keep[1];
          let x2 = r2 * keep[2];
          let x3 = r3 * keep[3];
          let g0 = d_rows[m4];
          let g1 = d_rows[MQ + m4];
          let g2 = d_rows[2u * MQ + m4];
          let g3 = d_rows[3u * MQ + m4];
          dw += vec4<f32>(dot(g0, a - x0 * e), dot(g1, a - x1 * e), dot(g2, a - x2 * e), dot(g3, a - x3 * e));
          part[(2u * hw * MQ + m4) * NQ + i4] = -(g0 * x0 * weight.x + g1 * x1 * weight.y + g2 * x2 * weight.z
            + g3 * x3 * weight.w);
          part[((2u * hw + 1u) * MQ + m4) * NQ + i4] = g0 * weight.x + g1 * weight.y + g2 * weight.z
            + g3 * weight.w;
        }
      }
      let q = h * NQ + i4;
      similarity[q] = cosine4(d, sqrt(k_sq) * sqrt(sq));
      let total = d_w[carried + q] + dw;
      sa[q] = total;
      w_dot = hsum(wt[q] * total);
      if (i4 == 0u) { red[3u * H + h] = k_sq; }
    }
    put_partial(W_DOT * H + h, i4, w_dot);
  }
  workgroupBarrier();
  // Sharpening backward: Σ_j w(j)·∂w(j) per head; ∂e, ∂a from their partial sums.
  for (var q = lid; q < H + 2u * W * MQ; q += WORKGROUP) {
    if (q < H) {
      red[q] = partials_sum(W_DOT * H + q);
    } else {
      let slot = q - H;                              // (2·hw + which)·MQ + m4
      let hw = slot / (2u * MQ);
      let which = (slot / MQ) % 2u;                  // 0: ∂e, 1: ∂a
      let m4 = slot % MQ;
      set_field_gradient4(head_base(R + hw) + M + S + 3u + which * M + 4u * m4, part_sum(slot));
    }
  }
  workgroupBarrier();
  // ∂w̃ (sb), and the partial sums of ∂γ; every term is 0 where w̃ < 1e-30 (w = 0 there).
  for (var h = 0u; h < H; h++) {
    var d_gamma = 0.0;
    if (owner) {
      let q = h * NQ + i4;
      let x = saved_w_tilde[at.now + q];
      let zero = x < vec4<f32>(SHARPEN_ZERO);
      let dp = wt[q] * (sa[q] - red[h]);
      sb[q] = select(sharpening(h) * dp / x, vec4<f32>(0.0), zero);
      d_gamma = hsum(select(dp * log(x), vec4<f32>(0.0), zero));
    }
    put_partial(D_GAMMA * H + h, i4, d_gamma);
  }
  workgroupBarrier();
  // Shift backward: ∂wg(j) = Σ_o ∂w̃(j + o)·s(o); interpolation backward: ∂wc = g·∂wg (sd),
  // ∂w_{t−1} = (1 − g)·∂wg (written); partial sums of ∂g = Σ ∂wg·(wc − w_{t−1}), of Σ wc·∂wc (for the
  // content backward) and of ∂s(o) = Σ_i ∂w̃(i)·wg(i − o).
  let k_shift = i32(S / 2u);
  for (var h = 0u; h < H; h++) {
    var d_g = 0.0;
    var wc_dot = 0.0;
    let q = h * NQ + i4;
    let i0 = i32(4u * i4);
    if (owner) {
      var d_gated = vec4<f32>(0.0);
      for (var o = -k_shift; o <= k_shift; o++) {
        let first = i0 + o;
        let shifted = vec4<f32>(sb_at(h, wrap(first)), sb_at(h, wrap(first + 1)), sb_at(h, wrap(first + 2)),
          sb_at(h, wrap(first + 3)));
        d_gated += shift_weight(h, u32(o + k_shift)) * shifted;
      }
      let g = gate(h);
      let content = saved_wc[at.now + q];
      let d_content = g * d_gated;
      sd[q] = d_content;
      d_w_prev[carried + q] = (1.0 - g) * d_gated;
      d_g = hsum(d_gated * (content - saved_w[at.now + q]));
      wc_dot = hsum(content * d_content);
    }
    put_partial(D_G * H + h, i4, d_g);
    put_partial(WC_DOT * H + h, i4, wc_dot);
    let row = at.now + h * NQ;
    for (var o = -k_shift; o <= k_shift; o++) {
      var d_shift = 0.0;
      if (owner) {
        let first = i0 - o;
        let a0 = wrap(first);
        let a1 = wrap(first + 1);
        let a2 = wrap(first + 2);
        let a3 = wrap(first + 3);
        let gated = vec4<f32>(saved_wg[row + a0 / 4u][a0 % 4u], saved_wg[row + a1 / 4u][a1 % 4u],
          saved_wg[row + a2 / 4u][a2 % 4u], saved_wg[row + a3 / 4u][a3 % 4u]);
        d_shift = hsum(sb[q] * gated);
      }
      put_partial(D_SHIFT * H + h * S + u32(o + k_shift), i4, d_shift);
    }
  }
  workgroupBarrier();
  for (var q = lid; q < H * (S + 3u); q += WORKGROUP) {
    if (q < H * S) {
      d_fields[head_base(q / S) + M + 2u + q % S] = partials_sum(D_SHIFT * H + q);
    } else if (q < H * (S + 1u)) {
      let h = q - H * S;
      d_fields[head_base(h) + M + S + 2u] = partials_sum(D_GAMMA * H + h);
    } else if (q < H * (S + 2u)) {
      let h = q - H * (S + 1u);
      d_fields[head_base(h) + M + 1u] = partials_sum(D_G * H + h);
    } else {
      let h = q - H * (S + 2u);
      red[h] = partials_sum(WC_DOT * H + h);
    }
  }
  workgroupBarrier();
  // Content addressing backward: the coefficients of ∂k and ∂Mem (sa: ∂K/max(D, ε),
  // sb: [D > ε]·∂K·K/‖Mem(i)‖²) and the partial sums of ∂β and of k's own coefficient.
  for (var h = 0u; h < H; h++) {
    var d_beta = 0.0;
    var k_coef = 0.0;
    if (owner) {
      let q = h * NQ + i4;
      let dz = saved_wc[at.now + q] * (sd[q] - red[h]);
      let k_sq = red[3u * H + h];
      let denominator = sqrt(k_sq) * sqrt(sq);
      let sim = similarity[q];
      let d_sim = strength(h) * dz;
      let valid = denominator > vec4<f32>(COSINE_EPSILON);
      sa[q] = d_sim / max(denominator, vec4<f32>(COSINE_EPSILON));
      sb[q] = select(vec4<f32>(0.0), d_sim * sim / sq, valid);
      d_beta = hsum(dz * sim);
      k_coef = hsum(select(vec4<f32>(0.0), d_sim * sim / k_sq, valid));
    }
    put_partial(D_BETA * H + h, i4, d_beta);
    put_partial(K_COEF * H + h, i4, k_coef);
  }
  workgroupBarrier();
  for (var h = lid; h < 2u * H; h += WORKGROUP) {
    if (h < H) {
      d_fields[head_base(h) + M] = partials_sum(D_BETA * H + h);
    } else {
      red[2u * H + h - H] = partials_sum(K_COEF * H + h - H);
    }
  }
  workgroupBarrier();
  // The partial sums over the 4 rows of Σ_i sa(i)·Mem(i, m) (for ∂k, slot h·MQ + m4), and ∂Mem_{t−1} of
  // the 4 rows = ∂Mem_t⊙keep + Σ_{h<R} w_h⊗∂r_h + Σ_h (sa_h(i)·k_h(m) − sb_h(i)·Mem(i, m)).
  if (owner) {
    for (var h = 0u; h < H; h++) {
      let coef = sa[h * NQ + i4];
      for (var m4 = 0u; m4 < MQ; m4++) {
        part[(h * MQ + m4) * NQ + i4] = coef.x * rows[m4] + coef.y * rows[MQ + m4] + coef.z * rows[2u * MQ + m4]
          + coef.w * rows[3u * MQ + m4];
      }
    }
    let out = d_mem + 4u * i4 * MQ;
    for (var m4 = 0u; m4 < MQ; m4++) {
      let keep = keep_quads(i4, m4, W);
      var d = mat4x4<f32>(d_rows[m4] * keep[0], d_rows[MQ + m4] * keep[1], d_rows[2u * MQ + m4] * keep[2],
        d_rows[3u * MQ + m4] * keep[3]);
      for (var h = 0u; h < R; h++) {
        let weight = wt[h * NQ + i4];
        let dr = dr4[h * MQ + m4];
        d[0] += weight.x * dr;
        d[1] += weight.y * dr;
        d[2] += weight.z * dr;
        d[3] += weight.w * dr;
      }
      var content = mat4x4<f32>();
      for (var h = 0u; h < H; h++) {
        let x = sa[h * NQ + i4];
        let y = sb[h * NQ + i4];
        let k = key4[h * MQ + m4];
        content[0] += x.x * k - y.x * rows[m4];
        content[1] += x.y * k - y.y * rows[MQ + m4];
        content[2] += x.z * k - y.z * rows[2u * MQ + m4];
        content[3] += x.w * k - y.w * rows[3u * MQ + m4];
      }
      d_memory_prev[out + m4] = d[0] + content[0];
      d_memory_prev[out + MQ + m4] = d[1] + content[1];
      d_memory_prev[out + 2u * MQ + m4] = d[2] + content[2];
      d_memory_prev[out + 3u * MQ + m4] = d[3] + content[3];
    }
  }
  workgroupBarrier();
  // ∂k(m) = Σ_i sa(i)·Mem(i, m) − k(m)·Σ_i sd(i).
  for (var q = lid; q < H * MQ; q += WORKGROUP) {
    let h = q / MQ;
    set_field_gradient4(head_base(h) + 4u * (q % MQ), part_sum(q) - red[2u * H + h] * key4[q]);
  }
  workgroupBarrier();
  for (var p = lid; p < P; p += WORKGROUP) { d_raw_heads[at.raw_row + p] = raw_gradient(p, at.raw_row); }
}
