// Affine map over rows, Y[q] = W·X[q] + b, with W (OUT, IN) and b (OUT) in the flat parameter buffer at
// W_OFFSET and B_OFFSET. One kernel serves the head-parameter map (docs/model.md "Each head reads its raw
// parameters off h_t with a linear map": raw_heads = W_h·h_top + b_h, per step), the output layer
// (y_t = σ(W_y·[h_t; r_t] + b_y), all T·B rows after the time loop) and the weight gradients of the
// controller. Float64 twin: `linearForward` / `linearBackward` in src/reference/controller.ts.
//
// Rows: row q = (g, i) is episode i of group g (groups are time steps: GROUPS = T, GROUP = B). A row view
// places row (g, i) of a tensor at BASE + g·GROUP_STRIDE + i·STRIDE, so X can be e.g. hidden slot t + 1 of
// the top layer (T + 1, L, B, C): base (L + L − 1)·B·C, stride C, group stride L·B·C. The X view also
// places dX (linear_backward_input), and the Y view dY.
//
// linear_forward        Y[q, r] = Σ_c W[r, c]·X[q, c] + b[r]                        writes Y
// linear_backward_input dX[q, c] = Σ_r W[r, c]·dY[q, r]                              writes dX, or adds into
//                                                                                    it when ACCUMULATE
// linear_weight_grad    dW[r, c] += Σ_q dY[q, r]·X[q, c],  db[r] += Σ_q dY[q, r]    adds into grad
// linear_weight_grad_tiled  the same sums as linear_weight_grad, with vec4 loads: needs every base and stride
//                       of both views to be a multiple of 4 (one invocation per 8×8 tile of dW, or 8 entries
//                       of db: 4 vec4 loads per 64 FMAs)
// linear_bias_grad      db[r] += Σ_q dY[q, r]                                        adds into grad
// The first two cover group step.t only when PER_STEP (dispatch GROUP workgroups), else all GROUPS·GROUP
// rows; the reductions always run over all rows (one invocation owns a 4×4 tile of dW, or 4 entries of db,
// and loops over q: no atomics). linear_bias_grad also sums carried per-episode gradients over the batch
// (e.g. d_reads after t = 0 into init.read: GROUPS = 1, GROUP = B).

//! include _step.wgsl
//! include _matvec.wgsl

override OUT: u32;        // output width (rows of W)
override IN: u32;         // input width (columns of W)
override W_OFFSET: u32;   // W in params / grad, (OUT, IN) row-major
override B_OFFSET: u32;   // b in params / grad, (OUT)
override GROUP: u32;      // rows per group (B)
override GROUPS: u32 = 1u;       // groups (T) covered when not PER_STEP, and by the reductions
override PER_STEP: bool = false; // forward / backward input: rows of group step.t only
override ACCUMULATE: bool = false; // linear_backward_input: dX += instead of dX =
override X_BASE: u32 = 0u;
override X_STRIDE: u32 = IN;
override X_GROUP_STRIDE: u32 = GROUP * X_STRIDE;
override Y_BASE: u32 = 0u;
override Y_STRIDE: u32 = OUT;
override Y_GROUP_STRIDE: u32 = GROUP * Y_STRIDE;
override WORKGROUP: u32 = 64;

// linear_forward bindings
@group(0) @binding(0) var<storage, read> params: array<f32>;          // (parameter count) flat: W, b
@group(0) @binding(1) var<storage, read> rows_in: array<f32>;         // X rows (X view), e.g. (T, B, IN)
@group(0) @binding(2) var<storage, read_write> y: array<f32>;         // Y rows (Y view), e.g. (T, B, OUT)
@group(0) @binding(3) var<uniform> step: Step;

// linear_backward_input bindings (binding 0 is params, binding 1 rows_in: here dY rows (Y view), e.g.
// (T, B, OUT); binding 3 the step uniform, as above)
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;        // dX rows (X view), e.g. (B, IN)

// linear_weight_grad bindings
@group(0) @binding(0) var<storage, read> dy_rows: array<f32>;         // dY rows (Y view), e.g. (T, B, OUT)
@group(0) @binding(1) var<storage, read> saved_x: array<f32>;         // X rows (X view)
@group(0) @binding(2) var<storage, read_write> grad: array<f32>;      // (parameter count) flat: dW, db added
// binding 3: the step uniform (unused)

// linear_weight_grad_tiled bindings
@group(0) @binding(0) var<storage, read> dy_quads: array<vec4<f32>>;  // dY rows (Y view), as vec4s
@group(0) @binding(1) var<storage, read> x_quads: array<vec4<f32>>;   // X rows (X view), as vec4s
@group(0) @binding(2) var<storage, read_write> tiled_grad: array<f32>; // (parameter count) flat: dW, db added
// binding 3: the step uniform (unused)

// linear_bias_grad bindings (binding 0 is dy_rows, as above)
@group(0) @binding(1) var<storage, read_write> bias_grad: array<f32>; // (parameter count) flat: db added
// binding 2: the step uniform (unused)

var<workgroup> z: array<vec4<f32>, (IN + 3u) / 4u>;     // linear_forward: X[q], zero-padded
// After z: naga sizes override-length workgroup arrays in declaration order.
//! include _rows_dot.wgsl
var<workgroup> dz: array<vec4<f32>, (OUT + 3u) / 4u>;   // linear_backward_input: dY[q], zero-padded
//! include _cols_dot.wgsl

fn x_row(g: u32, i: u32) -> u32 {
  return X_BASE + g * X_GROUP_STRIDE + i * X_STRIDE;
}

fn y_row(g: u32, i: u32) -> u32 {
  return Y_BASE + g * Y_GROUP_STRIDE + i * Y_STRIDE;
}

// Where the row (g, i) that workgroup w handles starts in the X view and in the Y view.
fn row_views(w: u32) -> vec2<u32> {
  var q = vec2<u32>(w / GROUP, w % GROUP);
  if (PER_STEP) { q = vec2<u32>(step.t, w); }
  return vec2<u32>(x_row(q.x, q.y), y_row(q.x, q.y));
}

// Element c of the workgroup's input row (X forward, dY backward) starting at rows_in[at], for staging into
// workgroup memory: zero in the padding past `width`.
fn staged(at: u32, c: u32, width: u32) -> f32 {
  if (c < width) { return rows_in[at + c]; }
  return 0.0;
}

// One workgroup per row: dispatch (GROUP) when PER_STEP, else (GROUPS·GROUP). 4 outputs per invocation.
@compute @workgroup_size(WORKGROUP)
fn linear_forward(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let at = row_views(wid.x);                         // (X row, Y row)
  for (var c = lid; c < 4u * ((IN + 3u) / 4u); c += WORKGROUP) { z[c / 4u][c % 4u] = staged(at.x, c, IN); }
  workgroupBarrier();
  for (var r0 = 4u * lid; r0 < OUT; r0 += 4u * WORKGROUP) {
    let w0 = W_OFFSET + r0 * IN;
    let w1 = W_OFFSET + min(r0 + 1u, OUT - 1u) * IN;
    let w2 = W_OFFSET + min(r0 + 2u, OUT - 1u) * IN;
    let w3 = W_OFFSET + min(r0 + 3u, OUT - 1u) * IN;
    let acc = rows_dot_z(vec4<u32>(w0, w1, w2, w3), IN);
    for (var j = 0u; j < 4u && r0 + j < OUT; j++) {
      y[at.y + r0 + j] = acc[j] + params[B_OFFSET + r0 + j];
    }
  }
}

// One workgroup per row: dispatch (GROUP) when PER_STEP, else (GROUPS·GROUP). 4 columns per invocation.
@compute @workgroup_size(WORKGROUP)
fn linear_backward_input(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let at = row_views(wid.x);                         // (X row, Y row)
  for (var r = lid; r < 4u * ((OUT + 3u) / 4u); r += WORKGROUP) { dz[r / 4u][r % 4u] = staged(at.y, r, OUT); }
  workgroupBarrier();
  for (var c0 = 4u * lid; c0 < IN; c0 += 4u * WORKGROUP) {
    let cols = min(vec4<u32>(c0, c0 + 1u, c0 + 2u, c0 + 3u), vec4<u32>(IN - 1u));  // clamped; extras dropped
    let acc = dz_dot_cols(W_OFFSET, OUT, IN, cols);
    for (var j = 0u; j < 4u && c0 + j < IN; j++) {
      if (ACCUMULATE) {
        dx[at.x + c0 + j] += acc[j];
      } else {
        dx[at.x + c0 + j] = acc[j];
      }
    }
  }
}

// The part of dW and db that invocation `index` of the weight gradients owns, with tiles of size × size:
// (its first row r0, its tile column ct, the tile columns ceil(IN / size)), tiles in row-major order with one
// extra column per tile row: ct = ceil(IN / size) is the db entries r0 … r0 + size − 1. r0 ≥ OUT: none.
fn weight_grad_tile(index: u32, size: u32) -> vec3<u32> {
  let col_tiles = (IN + size - 1u) / size;
  return vec3<u32>(size * (index / (col_tiles + 1u)), index % (col_tiles + 1u), col_tiles);
}

// One invocation per 4×4 tile of dW, then one per 4 entries of db:
// ceil(OUT/4)·ceil(IN/4) + ceil(OUT/4) invocations.
@compute @workgroup_size(WORKGROUP)
fn linear_weight_grad(@builtin(global_invocation_id) id: vec3<u32>) {
  let part = weight_grad_tile(id.x, 4u);
  let r0 = part.x;
  if (r0 >= OUT) { return; }
  let r = vec4<u32>(r0, min(r0 + 1u, OUT - 1u), min(r0 + 2u, OUT - 1u), min(r0 + 3u, OUT - 1u));
  if (part.y == part.z) {
    var acc = vec4<f32>(0.0);
    for (var g = 0u; g < GROUPS; g++) {
      for (var i = 0u; i < GROUP; i++) {
        let yr = y_row(g, i);
        acc += vec4<f32>(dy_rows[yr + r.x], dy_rows[yr + r.y], dy_rows[yr + r.z], dy_rows[yr + r.w]);
      }
    }
    for (var j = 0u; j < 4u && r0 + j < OUT; j++) {
      grad[B_OFFSET + r0 + j] += acc[j];
    }
    return;
  }
  let c0 = 4u * part.y;
  let c = vec4<u32>(c0, min(c0 + 1u, IN - 1u), min(c0 + 2u, IN - 1u), min(c0 + 3u, IN - 1u));
  var acc0 = vec4<f32>(0.0);  // row r0, columns c0..c0+3
  var acc1 = vec4<f32>(0.0);
  var acc2 = vec4<f32>(0.0);
  var acc3 = vec4<f32>(0.0);
  for (var g = 0u; g < GROUPS; g++) {
    for (var i = 0u; i < GROUP; i++) {
      let yr = y_row(g, i);
      let xr = x_row(g, i);
      let xv = vec4<f32>(saved_x[xr + c.x], saved_x[xr + c.y], saved_x[xr + c.z], saved_x[xr + c.w]);
      acc0 += dy_rows[yr + r.x] * xv;
      acc1 += dy_rows[yr + r.y] * xv;
      acc2 += dy_rows[yr + r.z] * xv;
      acc3 += dy_rows[yr + r.w] * xv;
    }
  }
  let tile = mat4x4<f32>(acc0, acc1, acc2, acc3);
  for (var j = 0u; j < 4u && r0 + j < OUT; j++) {
    for (var k = 0u; k < 4u && c0 + k < IN; k++) {
      grad[W_OFFSET + (r0 + j) * IN + c0 + k] += tile[j][k];
    }
  }
}

// The sums of one 8 × 8 tile: acc[j] holds row r0 + j, columns c0 … c0 + 3 (lo) and c0 + 4 … c0 + 7 (hi).
struct GradTile {
  lo: array<vec4<f32>, 8>,
  hi: array<vec4<f32>, 8>,
}

// Adds row r of a tile into grad (columns past IN dropped).
fn add_grad_row(r: u32, c0: u32, lo: vec4<f32>, hi: vec4<f32>) {
  if (r >= OUT) { return; }
  for (var k = 0u; k < 8u && c0 + k < IN; k++) {
    var v = hi[k % 4u];
    if (k < 4u) { v = lo[k]; }
    tiled_grad[W_OFFSET + r * IN + c0 + k] += v;
  }
}

// One invocation per 8×8 tile of dW, then one per 8 entries of db (tile column CT):
// ceil(OUT/8)·(ceil(IN/8) + 1) invocations. Rows and columns past OUT and IN are computed and dropped.
@compute @workgroup_size(WORKGROUP)
fn linear_weight_grad_tiled(@builtin(global_invocation_id) id: vec3<u32>) {
  let part = weight_grad_tile(id.x, 8u);
  let r0 = part.x;
  if (r0 >= OUT) { return; }
  let y0 = (Y_BASE + r0) / 4u;
  if (part.y == part.z) {
    var lo = vec4<f32>(0.0);
    var hi = vec4<f32>(0.0);
    for (var g = 0u; g < GROUPS; g++) {
      for (var i = 0u; i < GROUP; i++) {
        let yr = y0 + (g * Y_GROUP_STRIDE + i * Y_STRIDE) / 4u;
        lo += dy_quads[yr];
        hi += dy_quads[yr + 1u];
      }
    }
    for (var j = 0u; j < 8u && r0 + j < OUT; j++) {
      var v = hi[j % 4u];
      if (j < 4u) { v = lo[j]; }
      tiled_grad[B_OFFSET + r0 + j] += v;
    }
    return;
  }
  let c0 = 8u * part.y;
  let x0 = (X_BASE + c0) / 4u;
  var acc: GradTile;
  for (var g = 0u; g < GROUPS; g++) {
    for (var i = 0u; i < GROUP; i++) {
      let yr = y0 + (g * Y_GROUP_STRIDE + i * Y_STRIDE) / 4u;
      let xr = x0 + (g * X_GROUP_STRIDE + i * X_STRIDE) / 4u;
      let dl = dy_quads[yr];
      let dh = dy_quads[yr + 1u];
      let xl = x_quads[xr];
      let xh = x_quads[xr + 1u];
      acc.lo[0] += dl.x * xl;
      acc.hi[0] += dl.x * xh;
      acc.lo[1] += dl.y * xl;
      acc.hi[1] += dl.y * xh;
      acc.lo[2] += dl.z * xl;
      acc.hi[2] += dl.z * xh;
      acc.lo[3] += dl.w * xl;
      acc.hi[3] += dl.w * xh;
      acc.lo[4] += dh.x * xl;
      acc.hi[4] += dh.x * xh;
      acc.lo[5] += dh.y * xl;
      acc.hi[5] += dh.y * xh;
      acc.lo[6] += dh.z * xl;
      acc.hi[6] += dh.z * xh;
      acc.lo[7] += dh.w * xl;
      acc.hi[7] += dh.w * xh;
    }
  }
  // Constant tile indices only: a dynamic index would keep the accumulators in memory.
  add_grad_row(r0, c0, acc.lo[0], acc.hi[0]);
  add_grad_row(r0 + 1u, c0, acc.lo[1], acc.hi[1]);
  add_grad_row(r0 + 2u, c0, acc.lo[2], acc.hi[2]);
  add_grad_row(r0 + 3u, c0, acc.lo[3], acc.hi[3]);
  add_grad_row(r0 + 4u, c0, acc.lo[4], acc.hi[4]);
  add_grad_row(r0 + 5u, c0, acc.lo[5], acc.hi[5]);
  add_grad_row(r0 + 6u, c0, acc.lo[6], acc.hi[6]);
  add_grad_row(r0 + 7u, c0, acc.lo[7], acc.hi[7]);
}

// One invocation per entry of db: OUT invocations.
@compute @workgroup_size(WORKGROUP)
fn linear_bias_grad(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= OUT) { return; }
  var acc = 0.0;
  for (var g = 0u; g < GROUPS; g++) {
    for (var i = 0u; i < GROUP; i++) {
      acc += dy_rows[y_row(g, i) + id.x];
    }
  }
  bias_grad[B_OFFSET + id.x] += acc;
}
