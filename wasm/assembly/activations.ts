// Scalar activations in float32, as src/reference/activations.ts has them in float64.

// @ts-nocheck: AssemblyScript (f32, inline) — compiled by `deno task build-wasm`, not by Deno.

/** σ(x), computed on the side that cannot overflow. */
export function sigmoid(x: f32): f32 {
  if (x >= 0) return 1 / (1 + Mathf.exp(-x));
  const z = Mathf.exp(x);
  return z / (1 + z);
}

/** log(1 + eˣ), overflow-safe. */
export function softplus(x: f32): f32 {
  return x > 0 ? x + Mathf.log1p(Mathf.exp(-x)) : Mathf.log1p(Mathf.exp(x));
}

/** tanh(x). */
export function tanh(x: f32): f32 {
  return Mathf.tanh(x);
}

/** out[0..n) = softmax(x[0..n)), stable (the largest logit subtracted first). */
export function softmax_into(out: usize, x: usize, n: i32): void {
  let max = -Infinity as f32;
  for (let i = 0; i < n; i++) max = Mathf.max(max, load<f32>(x + (<usize>i << 2)));
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) {
    const v = Mathf.exp(load<f32>(x + (<usize>i << 2)) - max);
    store<f32>(out + (<usize>i << 2), v);
    sum += v;
  }
  for (let i = 0; i < n; i++) store<f32>(out + (<usize>i << 2), load<f32>(out + (<usize>i << 2)) / sum);
}

/** dx[0..n) += p ⊙ (dp − p·dp): the softmax's backward. */
export function softmax_backward_into(dx: usize, dp: usize, p: usize, n: i32): void {
  let dot: f32 = 0;
  for (let i = 0; i < n; i++) dot += load<f32>(p + (<usize>i << 2)) * load<f32>(dp + (<usize>i << 2));
  for (let i = 0; i < n; i++) {
    const at = <usize>i << 2;
    store<f32>(dx + at, load<f32>(dx + at) + load<f32>(p + at) * (load<f32>(dp + at) - dot));
  }
}
