// Plain stochastic gradient descent (learning to execute: SGD with the gradient's global norm clipped), one
// pass over the flat parameters after clip_norm and clip_scale. Float64 twin: `sgdUpdate` in src/optim/sgd.ts
// (defaults lr 0.5, clip 5):
//   θ ← θ − lr · g
// When the gradient's norm was not finite (clip_state word 2 is 0) nothing changes.

override P: u32;                  // parameter count
override LEARNING_RATE: f32 = 0.5;
override WORKGROUP: u32 = 256;

// sgd_update bindings
@group(0) @binding(0) var<storage, read> grad: array<f32>;             // (P) g, already clipped
@group(0) @binding(1) var<storage, read> clip_state: array<u32>;       // (4) from clip_norm (clip.wgsl)
@group(0) @binding(2) var<storage, read_write> params: array<f32>;     // (P) θ
// binding 3: the step uniform (unused)

// One invocation per parameter: P.
@compute @workgroup_size(WORKGROUP)
fn sgd_update(@builtin(global_invocation_id) id: vec3<u32>) {
  let i = id.x;
  if (i >= P || bitcast<f32>(clip_state[2]) == 0.0) { return; }
  params[i] = params[i] - LEARNING_RATE * grad[i];
}
