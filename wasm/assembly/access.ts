// Element access into linear memory: every buffer is float32, addressed by its byte offset and an index.

/** The float32 at index i of the buffer at p. */
// @ts-ignore: decorator
@inline export function at(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

/** Sets the float32 at index i of the buffer at p. */
// @ts-ignore: decorator
@inline export function put(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/** Adds v to the float32 at index i of the buffer at p. */
// @ts-ignore: decorator
@inline export function add(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), load<f32>(p + (<usize>i << 2)) + v);
}

/** The byte offset of index i of the buffer at p. */
// @ts-ignore: decorator
@inline export function ptr(p: usize, i: i32): usize {
  return p + (<usize>i << 2);
}

/** The sum of a vector's four lanes. */
// @ts-ignore: decorator
@inline export function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) +
    f32x4.extract_lane(v, 3);
}

/** The dot product of n floats at a and b (SIMD, 4 at a time, then the tail). */
// @ts-ignore: decorator
@inline export function dot(a: usize, b: usize, n: i32): f32 {
  let sum = f32x4.splat(0);
  let k = 0;
  for (; k + 4 <= n; k += 4) sum = f32x4.add(sum, f32x4.mul(v128.load(ptr(a, k)), v128.load(ptr(b, k))));
  let total = hsum(sum);
  for (; k < n; k++) total += at(a, k) * at(b, k);
  return total;
}
