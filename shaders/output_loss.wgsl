// Output nonlinearity, loss, its gradient and the per-episode metrics, for all T steps and B episodes at
// once (after the output layer's linear_forward; docs/model.md "Output" and "Training"). Float64 twin:
// `sigmoidCrossEntropyForward`, `softmaxCrossEntropyForward`, `crossEntropyBackward` in
// src/reference/output.ts and `errorsPerSequence` in src/train/metrics.ts.
//
// sigmoid_cross_entropy  y = σ(z),        loss = mask·Σ_j (softplus(z_j) − t_j·z_j)
//                        errors: masked output bits with (y_j > ½) ≠ (t_j > ½)
// softmax_cross_entropy  y = softmax(z),  loss = mask·Σ_j t_j·(logsumexp(z) − z_j)
//                        (= mask·(logsumexp(z)·Σ_j t_j − Σ_j t_j·z_j), as the reference)
//                        errors: masked steps with argmax y ≠ argmax t (first maximum on ties)
// both                   d_logits = SCALE·mask·(y − t)   (SCALE = 1/B: the gradient of the batch mean)
// Writes y, d_logits (every step, 0 where masked) and metrics[b] = (loss in nats summed over the masked
// steps, error count), one invocation per episode looping over its T steps (race-free, no reduction).

//! include _activations.wgsl

override B: u32;          // episodes
override T: u32;          // steps
override Y: u32;          // output width
override SCALE: f32 = 1.0 / f32(B);
override WORKGROUP: u32 = 64;

// sigmoid_cross_entropy and softmax_cross_entropy bindings
@group(0) @binding(0) var<storage, read> logits: array<f32>;          // (T, B, Y) z
@group(0) @binding(1) var<storage, read> targets: array<f32>;         // (T, B, Y) t
@group(0) @binding(2) var<storage, read> mask: array<f32>;            // (T, B) 1 where the step counts
@group(0) @binding(3) var<storage, read_write> y: array<f32>;         // (T, B, Y) output probabilities
@group(0) @binding(4) var<storage, read_write> d_logits: array<f32>;  // (T, B, Y) ∂(SCALE·Σ_b loss_b)/∂z
@group(0) @binding(5) var<storage, read_write> metrics: array<f32>;   // (B, 2) loss in nats, errors
// binding 6: the step uniform (unused)

// softplus(z) − t·z = ln(1 + e^z) − t·z, without overflow and without cancelling z against t·z.
fn binary_cross_entropy(z: f32, t: f32) -> f32 {
  if (z > 0.0) { return (1.0 - t) * z + log1p(exp(-z)); }
  return log1p(exp(z)) - t * z;
}

const SIGMOID = 0u;
const SOFTMAX = 1u;

// Step t's y, d_logits and (loss before the mask, errors) of the sigmoid outputs of episode b.
fn sigmoid_step(t: u32, b: u32, m: f32) -> vec2<f32> {
  let at = (t * B + b) * Y;
  var step_loss = 0.0;
  var errors = 0.0;
  for (var j = 0u; j < Y; j++) {
    let z = logits[at + j];
    let tj = targets[at + j];
    let p = sigmoid(z);
    y[at + j] = p;
    d_logits[at + j] = SCALE * m * (p - tj);
    step_loss += binary_cross_entropy(z, tj);
    if (m != 0.0 && (z > 0.0) != (tj > 0.5)) { errors += 1.0; }
  }
  return vec2<f32>(step_loss, errors);
}

// The same for the softmax output.
fn softmax_step(t: u32, b: u32, m: f32) -> vec2<f32> {
  let at = (t * B + b) * Y;
  var zmax = logits[at];
  var predicted = 0u;
  var wanted = 0u;
  for (var j = 1u; j < Y; j++) {
    if (logits[at + j] > zmax) { zmax = logits[at + j]; predicted = j; }
    if (targets[at + j] > targets[at + wanted]) { wanted = j; }
  }
  var sum = 0.0;
  for (var j = 0u; j < Y; j++) {
    sum += exp(logits[at + j] - zmax);
  }
  let log_sum = log(sum);
  var step_loss = 0.0;
  for (var j = 0u; j < Y; j++) {
    let tj = targets[at + j];
    let p = exp(logits[at + j] - zmax) / sum;
    y[at + j] = p;
    d_logits[at + j] = SCALE * m * (p - tj);
    step_loss += tj * (zmax - logits[at + j] + log_sum); // t_j·(logsumexp z − z_j), each term ≥ 0
  }
  return vec2<f32>(step_loss, select(0.0, 1.0, m != 0.0 && predicted != wanted));
}

// Episode b's T steps with the output `kind`: metrics[b] = (masked loss, errors).
fn cross_entropy(b: u32, kind: u32) {
  if (b >= B) { return; }
  var loss = 0.0;
  var errors = 0.0;
  for (var t = 0u; t < T; t++) {
    let m = mask[t * B + b];
    var step: vec2<f32>;
    if (kind == SIGMOID) {
      step = sigmoid_step(t, b, m);
    } else {
      step = softmax_step(t, b, m);
    }
    loss += m * step.x;
    errors += step.y;
  }
  metrics[2u * b] = loss;
  metrics[2u * b + 1u] = errors;
}

// One invocation per episode: B invocations.
@compute @workgroup_size(WORKGROUP)
fn sigmoid_cross_entropy(@builtin(global_invocation_id) id: vec3<u32>) {
  cross_entropy(id.x, SIGMOID);
}

// One invocation per episode: B invocations.
@compute @workgroup_size(WORKGROUP)
fn softmax_cross_entropy(@builtin(global_invocation_id) id: vec3<u32>) {
  cross_entropy(id.x, SOFTMAX);
}
