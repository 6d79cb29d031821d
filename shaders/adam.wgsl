// Adam (Kingma & Ba 2015, bias-corrected), Collier & Beel's optimiser for the NTM (docs/model.md "Training"),
// one pass over the flat parameters after clip_norm and clip_scale. Float64 twin: `adamUpdate` in
// src/optim/adam.ts (defaults lr 1e-3, β1 0.9, β2 0.999, ε 1e-8):
//   m ← β1·m + (1−β1)·g
//   v ← β2·v + (1−β2)·g²
//   θ ← θ − lr · (m / (1−β1^t)) / (√(v / (1−β2^t)) + ε)
// t is word 3 of clip_state (updates so far, this one included, counted on the GPU by clip_norm). When the
// gradient's norm was not finite (word 2 is 0) nothing changes: not θ, not m, not v (nor t).

override P: u32;                  // parameter count
override LEARNING_RATE: f32 = 1e-3;
override BETA1: f32 = 0.9;
override BETA2: f32 = 0.999;
override EPSILON: f32 = 1e-8;
override WORKGROUP: u32 = 256;

// adam_update bindings
@group(0) @binding(0) var<storage, read> grad: array<f32>;             // (P) g, already clipped
@group(0) @binding(1) var<storage, read> clip_state: array<u32>;       // (4) from clip_norm (clip.wgsl)
@group(0) @binding(2) var<storage, read_write> params: array<f32>;     // (P) θ
@group(0) @binding(3) var<storage, read_write> m: array<f32>;          // (P) first-moment estimate
@group(0) @binding(4) var<storage, read_write> v: array<f32>;          // (P) second-moment estimate
// binding 5: the step uniform (unused)

// One invocation per parameter: P.
@compute @workgroup_size(WORKGROUP)
fn adam_update(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= P || bitcast<f32>(clip_state[2]) == 0.0) { return; }
  let t = f32(clip_state[3]);
  let correction1 = 1.0 - pow(BETA1, t);
  let correction2 = 1.0 - pow(BETA2, t);
  let g = grad[i];
  let mi = BETA1 * m[i] + (1.0 - BETA1) * g;
  let vi = BETA2 * v[i] + (1.0 - BETA2) * g * g;
  m[i] = mi;
  v[i] = vi;
  params[i] = params[i] - LEARNING_RATE * (mi / correction1) / (sqrt(vi / correction2) + EPSILON);
}
