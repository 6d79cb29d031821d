// Graves' (2013) centred RMSProp with momentum, the NTM paper's optimiser (docs/model.md "Training"), one pass
// over the flat parameters after clip_norm and clip_elementwise. Float64 twin: `rmsPropUpdate` in
// src/optim/rmsprop.ts (defaults lr 1e-4, ρ 0.95, μ 0.9, ε 1e-4):
//   n ← ρ·n + (1−ρ)·g²
//   ḡ ← ρ·ḡ + (1−ρ)·g
//   Δ ← μ·Δ − lr · g / √(n − ḡ² + ε)
//   θ ← θ + Δ
// When the gradient's norm was not finite (clip_state word 2 is 0) nothing changes.

override P: u32;                  // parameter count
override LEARNING_RATE: f32 = 1e-4;
override RHO: f32 = 0.95;
override MOMENTUM: f32 = 0.9;
override EPSILON: f32 = 1e-4;
override WORKGROUP: u32 = 256;

// rmsprop_update bindings
@group(0) @binding(0) var<storage, read> grad: array<f32>;             // (P) g, already clipped
@group(0) @binding(1) var<storage, read> clip_state: array<u32>;       // (4) from clip_norm (clip.wgsl)
@group(0) @binding(2) var<storage, read_write> params: array<f32>;     // (P) θ
@group(0) @binding(3) var<storage, read_write> n: array<f32>;          // (P) running average of g²
@group(0) @binding(4) var<storage, read_write> gbar: array<f32>;       // (P) ḡ, running average of g
@group(0) @binding(5) var<storage, read_write> delta: array<f32>;      // (P) Δ, the last update
// binding 6: the step uniform (unused)

// One invocation per parameter: P.
@compute @workgroup_size(WORKGROUP)
fn rmsprop_update(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= P || bitcast<f32>(clip_state[2]) == 0.0) { return; }
  let g = grad[i];
  let ni = RHO * n[i] + (1.0 - RHO) * g * g;
  let gi = RHO * gbar[i] + (1.0 - RHO) * g;
  let di = MOMENTUM * delta[i] - LEARNING_RATE * g / sqrt(ni - gi * gi + EPSILON);
  n[i] = ni;
  gbar[i] = gi;
  delta[i] = di;
  params[i] = params[i] + di;
}
