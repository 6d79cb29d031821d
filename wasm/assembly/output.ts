// The output layer's loss over one time step of one episode; the float64 twins are in
// src/reference/output.ts. The losses are accumulated in float64.

import { add, at, put } from "./access";
import { sigmoid, softplus } from "./activations";

/** y = σ(logits); returns mask·Σ_j softplus(z_j) − t_j·z_j. */
export function sigmoid_cross_entropy_forward(y: usize, logits: usize, target: usize, mask: f32, width: i32): f64 {
  let loss: f64 = 0;
  for (let j = 0; j < width; j++) {
    const z = at(logits, j);
    put(y, j, sigmoid(z));
    loss += <f64>(softplus(z) - at(target, j) * z);
  }
  return mask * loss;
}

/** y = softmax(logits); returns mask·(logsumexp(z)·Σt − t·z). */
export function softmax_cross_entropy_forward(y: usize, logits: usize, target: usize, mask: f32, width: i32): f64 {
  let max = -Infinity as f32;
  for (let j = 0; j < width; j++) max = Mathf.max(max, at(logits, j));
  let sum: f32 = 0;
  for (let j = 0; j < width; j++) {
    const v = Mathf.exp(at(logits, j) - max);
    put(y, j, v);
    sum += v;
  }
  let target_dot_logits: f64 = 0, target_sum: f64 = 0;
  for (let j = 0; j < width; j++) {
    put(y, j, at(y, j) / sum);
    target_dot_logits += <f64>(at(target, j) * at(logits, j));
    target_sum += <f64>at(target, j);
  }
  return mask * ((<f64>max + Math.log(<f64>sum)) * target_sum - target_dot_logits);
}

/**
 * dlogits += scale·mask·(y − t): the gradient of either loss with respect to its logits, computed without
 * cancelling near a confident output (in float32, y rounds to t long before the logit stops growing):
 * sigmoid outputs take (1 − t)·σ(z) − t·σ(−z) from the logits; softmax outputs take
 * y_j·Σ_{k≠j} t_k − t_j·Σ_{k≠j} y_k, which is y_j − t_j when the targets sum to one.
 */
export function cross_entropy_backward(
  dlogits: usize,
  y: usize,
  logits: usize,
  target: usize,
  mask: f32,
  scale: f32,
  width: i32,
  softmax: bool,
): void {
  const factor = scale * mask;
  if (factor == 0) return;
  if (!softmax) {
    for (let j = 0; j < width; j++) {
      const z = at(logits, j), t = at(target, j);
      add(dlogits, j, factor * ((1 - t) * sigmoid(z) - t * sigmoid(-z)));
    }
    return;
  }
  let t_sum: f32 = 0;
  for (let j = 0; j < width; j++) t_sum += at(target, j);
  for (let j = 0; j < width; j++) {
    const yj = at(y, j), tj = at(target, j);
    if (tj == 0) {
      add(dlogits, j, factor * yj * t_sum);
      continue;
    }
    let others: f32 = 0; // Σ_{k≠j} y_k, summed directly: 1 − y_j would cancel
    for (let k = 0; k < width; k++) if (k != j) others += at(y, k);
    add(dlogits, j, factor * (yj * (t_sum - tj) - tj * others));
  }
}
