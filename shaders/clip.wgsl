// Gradient clipping over the flat gradient (docs/model.md "Training": Adam with global-norm clip 50, Graves'
// RMSProp with elementwise clip 10). Float64 twin: `l2Norm`, `clipGlobalNorm`, `clipElementwise` in
// src/optim/clip.ts. A training step runs clip_norm, then clip_scale (Adam) or clip_elementwise (RMSProp),
// then the optimiser; nothing is read back.
//
// clip_norm        ‖g‖₂ in one workgroup, without overflow: m = max_i |g_i|, ‖g‖ = m·√(Σ_i (g_i/m)²).
//                  Writes clip_state (4 words):
//                    [0] f32  ‖g‖ before clipping; NaN if g holds a NaN, else +∞ if it holds an infinity
//                    [1] f32  the scale clip_scale applies: MAX_NORM/‖g‖ if ‖g‖ > MAX_NORM, else 1
//                    [2] f32  1 if ‖g‖ is finite, else 0: clip_scale, clip_elementwise and the optimisers
//                             then change nothing (as `Optimizer.step` does for a non-finite norm)
//                    [3] u32  updates applied so far, this one included: incremented here when ‖g‖ is
//                             finite (Adam's bias correction reads it). The engine sets it to 0 at the
//                             start of training (or to the saved step count when resuming) and leaves it.
//                  Word 0 can be read back at report time (a Float32Array view; word 3 as a Uint32Array).
// clip_scale       g ← scale·g  (global-norm clipping), if finite
// clip_elementwise g ← clamp(g, −LIMIT, LIMIT), if finite

override P: u32;                     // parameter count
override MAX_NORM: f32 = 3.4028234e38; // global-norm limit (the default never clips)
override LIMIT: f32 = 3.4028234e38;  // elementwise limit
override WORKGROUP: u32 = 256;       // clip_norm: a power of two

// clip_norm bindings
@group(0) @binding(0) var<storage, read> grad_in: array<f32>;            // (P) g
@group(0) @binding(1) var<storage, read_write> clip_state: array<u32>;   // (4) see above
// binding 2: the step uniform (unused)

// clip_scale and clip_elementwise bindings
@group(0) @binding(0) var<storage, read> clip_state_in: array<u32>;      // (4) clip_state from clip_norm
@group(0) @binding(1) var<storage, read_write> grad: array<f32>;         // (P) g, clipped in place
// binding 2: the step uniform (unused)

const EXPONENT_BITS = 0x7f800000u;
const NAN_BITS = 0x7fc00000u;

var<workgroup> partial_max: array<f32, WORKGROUP>;
var<workgroup> partial_sum: array<f32, WORKGROUP>;
var<workgroup> partial_bad: array<u32, WORKGROUP>;  // bit 0: an infinity seen, bit 1: a NaN seen

// Whether the bits of an f32 are an infinity or a NaN (by the bits: WGSL may assume floats are finite).
fn non_finite(bits: u32) -> bool {
  return (bits & EXPONENT_BITS) == EXPONENT_BITS;
}

// One workgroup: dispatch (1).
@compute @workgroup_size(WORKGROUP)
fn clip_norm(@builtin(local_invocation_index) lid: u32) {
  var largest = 0.0;
  var bad = 0u;
  for (var i = lid; i < P; i += WORKGROUP) {
    let bits = bitcast<u32>(grad_in[i]);
    if (non_finite(bits)) {
      bad |= select(1u, 2u, (bits & 0x007fffffu) != 0u);
    } else {
      largest = max(largest, abs(grad_in[i]));
    }
  }
  partial_max[lid] = largest;
  partial_bad[lid] = bad;
  workgroupBarrier();
  for (var s = WORKGROUP / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial_max[lid] = max(partial_max[lid], partial_max[lid + s]);
      partial_bad[lid] |= partial_bad[lid + s];
    }
    workgroupBarrier();
  }
  let m = partial_max[0];
  var sum = 0.0;
  if (m > 0.0) {
    for (var i = lid; i < P; i += WORKGROUP) {
      let bits = bitcast<u32>(grad_in[i]);
      if (!non_finite(bits)) {
        let r = grad_in[i] / m;
        sum += r * r;
      }
    }
  }
  partial_sum[lid] = sum;
  workgroupBarrier();
  for (var s = WORKGROUP / 2u; s > 0u; s >>= 1u) {
    if (lid < s) {
      partial_sum[lid] += partial_sum[lid + s];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let flags = partial_bad[0];
    var norm_bits = bitcast<u32>(m * sqrt(partial_sum[0]));
    if ((flags & 2u) != 0u) {
      norm_bits = NAN_BITS;
    } else if (flags != 0u) {
      norm_bits = EXPONENT_BITS;  // +∞
    }
    let finite = !non_finite(norm_bits);
    var scale = 1.0;
    if (finite && bitcast<f32>(norm_bits) > MAX_NORM) {
      scale = MAX_NORM / bitcast<f32>(norm_bits);
    }
    clip_state[0] = norm_bits;
    clip_state[1] = bitcast<u32>(scale);
    clip_state[2] = bitcast<u32>(select(0.0, 1.0, finite));
    clip_state[3] = clip_state[3] + select(0u, 1u, finite);
  }
}

fn norm_is_finite() -> bool {
  return bitcast<f32>(clip_state_in[2]) != 0.0;
}

// One invocation per element: P.
@compute @workgroup_size(WORKGROUP)
fn clip_scale(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= P || !norm_is_finite()) { return; }
  grad[id.x] = grad[id.x] * bitcast<f32>(clip_state_in[1]);
}

// One invocation per element: P.
@compute @workgroup_size(WORKGROUP)
fn clip_elementwise(@builtin(global_invocation_id) id: vec3<u32>) {
  if (id.x >= P || !norm_is_finite()) { return; }
  grad[id.x] = clamp(grad[id.x], -LIMIT, LIMIT);
}
