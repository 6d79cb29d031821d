// What memory_step_forward.wgsl and memory_step_backward.wgsl share: the fused memory step's sizes, its
// workgroup memory and the helpers over it (see memory_step_forward.wgsl for the whole step). Included
// after the including file's bindings: naga sizes the override-length workgroup arrays before the
// functions that read them. Both halves bind `raw_heads` (T, B, P) and `memory` (T + 1, B, N, M) as vec4s.

override B: u32;      // episodes
override N: u32;      // memory rows, a multiple of 4
override M: u32;      // memory row width, a multiple of 4
override R: u32;      // read heads (heads 0 … R − 1)
override W: u32;      // write heads (heads R … H − 1)
override S: u32;      // shifts, 2K + 1
override C: u32;      // controller units (d_output_in rows are C + R·M wide)
override WORKGROUP: u32 = 32; // ≥ N / 4

override H: u32 = R + W;
override READ_WIDTH: u32 = M + S + 3u;            // one read head's raw parameters: k, β, g, s, γ
override WRITE_WIDTH: u32 = 3u * M + S + 3u;      // one write head's: k, β, g, s, γ, e, a
override P: u32 = R * READ_WIDTH + W * WRITE_WIDTH;
override NQ: u32 = N / 4u;                        // row quads
override MQ: u32 = M / 4u;                        // column quads
override HNQ: u32 = H * NQ;
override NMQ: u32 = N * MQ;

override PART: u32 = max(2u * W, H) * MQ * NQ;  // per-invocation partial sums, see `part`
override NQV: u32 = (NQ + 3u) / 4u;               // vec4s of one slot of `partials`
override SLOTS: u32 = H * (6u + S);               // scalar reductions in flight, see `partials`

const ROW_QUADS = 32u;                            // private capacity: 4 rows × M / 4 vec4s (M ≤ 32)
const LOWEST = -3.4028234e38;

// Buffers of N rows or M columns are read and written as vec4s along that axis: (…, H, N) as (…, H, N/4),
// (…, N, M) as (…, N, M/4).

var<workgroup> fields: array<f32, P>;             // activated head parameters, in raw_heads' layout
var<workgroup> d_fields: array<f32, P>;           // their gradients (backward)
var<workgroup> key4: array<vec4<f32>, H * MQ>;    // k_h, (H, M)
var<workgroup> erase4: array<vec4<f32>, W * MQ>;  // e_h, (W, M)
var<workgroup> add4: array<vec4<f32>, W * MQ>;    // a_h, (W, M)
var<workgroup> wt: array<vec4<f32>, HNQ>;         // w_t, (H, N)
var<workgroup> sa: array<vec4<f32>, HNQ>;         // per-(head, row) scratch, see each phase
var<workgroup> sb: array<vec4<f32>, HNQ>;
var<workgroup> sc: array<vec4<f32>, HNQ>;
var<workgroup> sd: array<vec4<f32>, HNQ>;
var<workgroup> similarity: array<vec4<f32>, HNQ>; // backward: K(h, i)
var<workgroup> part: array<vec4<f32>, PART>;      // ((field, column quad), invocation) partial sums
var<workgroup> partials: array<vec4<f32>, SLOTS * NQV>; // (slot, invocation) scalar partials, 4 per vec4
var<workgroup> red: array<f32, 4u * H>;           // per-head reduction results
var<workgroup> dr4: array<vec4<f32>, R * MQ>;     // ∂r_t, (R, M) (backward)
var<workgroup> last_step: u32;                      // this episode's active steps, made uniform

// Where episode b's slices of step t start: its raw_heads row (T, B, P); in vec4s, memory slot t, Mem_{t−1}
// (T + 1, B, N, M), the (T, B, H, N) slot t (also w slot t, w_{t−1}) and w slot t + 1, w_t (T + 1, B, H, N).
struct EpisodeSlots { raw_row: u32, mem: u32, now: u32, next: u32 }

fn episode_slots(t: u32, b: u32) -> EpisodeSlots {
  return EpisodeSlots((t * B + b) * P, (t * B + b) * NMQ, (t * B + b) * HNQ, ((t + 1u) * B + b) * HNQ);
}

// ——— head fields (head_params.wgsl) ———

fn key(h: u32, j: u32) -> f32 { return fields[head_base(h) + j]; }
fn strength(h: u32) -> f32 { return fields[head_base(h) + M]; }
fn gate(h: u32) -> f32 { return fields[head_base(h) + M + 1u]; }
fn shift_weight(h: u32, o: u32) -> f32 { return fields[head_base(h) + M + 2u + o]; }
fn sharpening(h: u32) -> f32 { return fields[head_base(h) + M + S + 2u]; }
fn erase(hw: u32, j: u32) -> f32 { return fields[head_base(R + hw) + M + S + 3u + j]; }
fn add_vector(hw: u32, j: u32) -> f32 { return fields[head_base(R + hw) + 2u * M + S + 3u + j]; }

// Element i of row h of an (H, N) workgroup array of vec4s (one function per array: WGSL has no pointers
// to workgroup memory as parameters).
fn sb_at(h: u32, i: u32) -> f32 { return sb[h * NQ + i / 4u][i % 4u]; }

fn hmax(v: vec4<f32>) -> f32 { return max(max(v.x, v.y), max(v.z, v.w)); }

// The slots of `partials`: 6 groups of H (the index of the group times H), then H·S for ∂s.
const W_DOT = 0u;
const D_GAMMA = 1u;
const D_G = 2u;
const WC_DOT = 3u;
const D_BETA = 4u;
const K_COEF = 5u;
const D_SHIFT = 6u;

// Invocation i4's partial of the scalar reduction `slot` (invocations past NQ pass the neutral value, so
// that the slot's last vec4 is complete).
fn put_partial(slot: u32, i4: u32, v: f32) {
  if (i4 < 4u * NQV) { partials[slot * NQV + i4 / 4u][i4 % 4u] = v; }
}

fn partials_sum(slot: u32) -> f32 {
  var sum = vec4<f32>(0.0);
  for (var j = 0u; j < NQV; j++) { sum += partials[slot * NQV + j]; }
  return hsum(sum);
}

fn partials_max(slot: u32) -> f32 {
  var largest = vec4<f32>(LOWEST);
  for (var j = 0u; j < NQV; j++) { largest = max(largest, partials[slot * NQV + j]); }
  return hmax(largest);
}
fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }

// Also keeps k, e and a as vec4s.
fn store_field(p: u32, v: f32) {
  fields[p] = v;
  let field = field_of(p);
  let f = p - field.base;
  let h = field.head;
  if (field.kind == FIELD_K) {
    key4[h * MQ + f / 4u][f % 4u] = v;
  } else if (field.kind == FIELD_E) {
    let j = f - M - S - 3u;
    erase4[(h - R) * MQ + j / 4u][j % 4u] = v;
  } else if (field.kind == FIELD_A) {
    let j = f - 2u * M - S - 3u;
    add4[(h - R) * MQ + j / 4u][j % 4u] = v;
  }
}

// The erase products of this invocation's 4 rows at columns 4·m4 … 4·m4 + 3 (column r of the matrix is
// row 4·i4 + r) over the write heads other than `skip` (skip = W: all heads), with w_t from workgroup memory.
fn keep_quads(i4: u32, m4: u32, skip: u32) -> mat4x4<f32> {
  var keep = mat4x4<f32>(vec4<f32>(1.0), vec4<f32>(1.0), vec4<f32>(1.0), vec4<f32>(1.0));
  for (var hw = 0u; hw < W; hw++) {
    if (hw != skip) {
      let weight = wt[(R + hw) * NQ + i4];
      let e = erase4[hw * MQ + m4];
      keep[0] *= erase_factor(weight.x, e);
      keep[1] *= erase_factor(weight.y, e);
      keep[2] *= erase_factor(weight.z, e);
      keep[3] *= erase_factor(weight.w, e);
    }
  }
  return keep;
}

// Eq. 6's cosine for 4 rows.
fn cosine4(dot: vec4<f32>, denominator: vec4<f32>) -> vec4<f32> {
  return dot / max(denominator, vec4<f32>(COSINE_EPSILON));
}

// The 4 rows' dots with one vector (a column quad of each row).
fn dots4(v: vec4<f32>, r0: vec4<f32>, r1: vec4<f32>, r2: vec4<f32>, r3: vec4<f32>) -> vec4<f32> {
  return vec4<f32>(dot(v, r0), dot(v, r1), dot(v, r2), dot(v, r3));
}

// Mem_{t−1}'s rows 4·i4 … 4·i4 + 3, whose first column quad is memory[first], into `rows` (rows[r·MQ + m4]);
// returns their ‖Mem(i)‖².
fn load_rows(first: u32, rows: ptr<function, array<vec4<f32>, ROW_QUADS>>) -> vec4<f32> {
  var sq = vec4<f32>(0.0);
  for (var m4 = 0u; m4 < MQ; m4++) {
    let v0 = memory[first + m4];
    let v1 = memory[first + MQ + m4];
    let v2 = memory[first + 2u * MQ + m4];
    let v3 = memory[first + 3u * MQ + m4];
    (*rows)[m4] = v0;
    (*rows)[MQ + m4] = v1;
    (*rows)[2u * MQ + m4] = v2;
    (*rows)[3u * MQ + m4] = v3;
    sq += vec4<f32>(dot(v0, v0), dot(v1, v1), dot(v2, v2), dot(v3, v3));
  }
  return sq;
}
