/**
 * Test helpers for the WebAssembly kernels: one instance over a memory of its own, float64 arrays copied in
 * as float32 at fresh offsets, outputs poisoned with NaN first, and read back as float64.
 */

import { compileWasmKernels, type Ptr, WasmInstance } from "../../src/wasm/kernels.ts";

/** A scratch memory for kernel tests: allocate, write, read. */
export class WasmScratch {
  readonly wasm: WasmInstance;
  #next: number;

  private constructor(wasm: WasmInstance) {
    this.wasm = wasm;
    this.#next = Math.ceil(wasm.kernels.heap_base() / 16) * 16;
  }

  /** A fresh instance (16 MiB). */
  static async create(): Promise<WasmScratch> {
    return new WasmScratch(new WasmInstance(await compileWasmKernels(), 16 << 20));
  }

  /** Copies values in (as float32) and returns their pointer. */
  put(values: ArrayLike<number>): Ptr {
    const at = this.#next;
    this.#next += Math.ceil((values.length * 4 + 16) / 16) * 16;
    this.wasm.reserve(this.#next);
    this.wasm.f32.set(Array.from(values), at / 4);
    return at;
  }

  /** A buffer of n NaNs (so an element a kernel fails to write is caught). */
  poisoned(n: number): Ptr {
    return this.put(new Float64Array(n).fill(NaN));
  }

  /** Reads n values back as float64. */
  get(at: Ptr, n: number): Float64Array {
    return Float64Array.from(this.wasm.f32.subarray(at / 4, at / 4 + n));
  }
}
