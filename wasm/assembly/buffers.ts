// Moving float32 values between buffers: the schedule's gathers (a layer's input [x; r; h], the output
// layer's [h; r]), splits of a gradient, zeroing and accumulation.

import { ptr } from "./access";

/** Copies `rows` rows of `width` floats: row i from src + i·src_stride to dst + i·dst_stride (strides in floats). */
export function copy_rows(dst: usize, dst_stride: i32, src: usize, src_stride: i32, width: i32, rows: i32): void {
  const bytes = <usize>width << 2;
  for (let i = 0; i < rows; i++) memory.copy(ptr(dst, i * dst_stride), ptr(src, i * src_stride), bytes);
}

/** Adds `rows` rows of `width` floats of src into dst (strides in floats). */
export function add_rows(dst: usize, dst_stride: i32, src: usize, src_stride: i32, width: i32, rows: i32): void {
  for (let i = 0; i < rows; i++) {
    const d = ptr(dst, i * dst_stride), s = ptr(src, i * src_stride);
    let j = 0;
    for (; j + 4 <= width; j += 4) v128.store(ptr(d, j), f32x4.add(v128.load(ptr(d, j)), v128.load(ptr(s, j))));
    for (; j < width; j++) store<f32>(ptr(d, j), load<f32>(ptr(d, j)) + load<f32>(ptr(s, j)));
  }
}

/** Sets n floats to zero. */
export function zero(dst: usize, n: i32): void {
  memory.fill(dst, 0, <usize>n << 2);
}

/** The first byte past the module's static data (its math tables): every buffer lies at or after it. */
export function heap_base(): usize {
  return __heap_base;
}
