/**
 * Laying float32 buffers out in the kernels' linear memory: a bump allocator of 16-byte aligned buffers
 * (a SIMD load never splits a cache line needlessly), starting past offset 0 so that 0 can mean "none".
 *
 * @module
 */

import type { Ptr } from "./kernels.ts";

/** A bump allocator over byte offsets. */
export class Arena {
  #next: number;

  /**
   * Creates an allocator whose first buffer starts at or after `start`.
   *
   * @param start The first free byte offset (default 16).
   */
  constructor(start = 16) {
    this.#next = start;
  }

  /**
   * Reserves a buffer.
   *
   * @param floats Its length in float32 values.
   * @returns Its byte offset.
   */
  floats(floats: number): Ptr {
    const at = Math.ceil(this.#next / 16) * 16;
    this.#next = at + 4 * Math.max(0, floats);
    return at;
  }

  /** The first byte past every buffer reserved so far. */
  get end(): number {
    return Math.ceil(this.#next / 16) * 16;
  }
}
