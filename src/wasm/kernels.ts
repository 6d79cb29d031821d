/**
 * The WebAssembly SIMD kernels (`wasm/ntm.wasm`, built from the AssemblyScript in `wasm/assembly/` by
 * `deno task build-wasm`): loading the module once, and an instance over a linear memory the caller owns
 * and grows. Every kernel takes float32 buffers by byte offset into that memory; each is named as its WGSL
 * entry point and its float64 twin.
 *
 * @module
 */

/** A pointer: a byte offset into the kernels' linear memory. */
export type Ptr = number;

/** The kernels the module exports (see `wasm/assembly/`). */
export interface WasmKernels {
  linear_forward(y: Ptr, w: Ptr, b: Ptr, x: Ptr, rows: number, cols: number, batch: number): void;
  linear_backward_input(dx: Ptr, dy: Ptr, w: Ptr, rows: number, cols: number, batch: number): void;
  linear_weight_grad(dw: Ptr, db: Ptr, dy: Ptr, x: Ptr, rows: number, cols: number, count: number): void;
  lstm_forward(h: Ptr, c: Ptr, gates: Ptr, preact: Ptr, cPrev: Ptr, units: number, batch: number): void;
  lstm_backward(
    dpreact: Ptr,
    dcPrev: Ptr,
    dh: Ptr,
    dc: Ptr,
    gates: Ptr,
    c: Ptr,
    cPrev: Ptr,
    units: number,
    batch: number,
  ): void;
  feedforward_forward(h: Ptr, preact: Ptr, n: number): void;
  feedforward_backward(dpreact: Ptr, dh: Ptr, h: Ptr, n: number): void;
  head_params_forward(act: Ptr, raw: Ptr, m: number, shifts: number, isWrite: boolean): void;
  head_params_backward(
    draw: Ptr,
    dact: Ptr,
    act: Ptr,
    raw: Ptr,
    m: number,
    shifts: number,
    isWrite: boolean,
  ): void;
  memory_row_norms(norms: Ptr, mem: Ptr, n: number, m: number): void;
  content_address_forward(
    wc: Ptr,
    sim: Ptr,
    k: Ptr,
    beta: number,
    mem: Ptr,
    norms: Ptr,
    n: number,
    m: number,
  ): void;
  content_address_backward(
    dk: Ptr,
    dbeta: Ptr,
    dmem: Ptr,
    dwc: Ptr,
    wc: Ptr,
    sim: Ptr,
    k: Ptr,
    beta: number,
    mem: Ptr,
    norms: Ptr,
    n: number,
    m: number,
  ): void;
  interpolate_forward(wg: Ptr, wc: Ptr, wPrev: Ptr, g: number, n: number): void;
  interpolate_backward(
    dwc: Ptr,
    dwPrev: Ptr,
    dg: Ptr,
    dwg: Ptr,
    wc: Ptr,
    wPrev: Ptr,
    g: number,
    n: number,
  ): void;
  shift_forward(wTilde: Ptr, wg: Ptr, s: Ptr, n: number, shifts: number): void;
  shift_backward(dwg: Ptr, ds: Ptr, dwTilde: Ptr, wg: Ptr, s: Ptr, n: number, shifts: number): void;
  sharpen_forward(w: Ptr, wTilde: Ptr, gamma: number, n: number): void;
  sharpen_backward(dwTilde: Ptr, dgamma: Ptr, dw: Ptr, w: Ptr, wTilde: Ptr, gamma: number, n: number): void;
  memory_read_forward(r: Ptr, w: Ptr, mem: Ptr, n: number, m: number): void;
  memory_read_backward(dw: Ptr, dmem: Ptr, dr: Ptr, w: Ptr, mem: Ptr, n: number, m: number): void;
  memory_write_forward(
    memOut: Ptr,
    memIn: Ptr,
    w: Ptr,
    e: Ptr,
    a: Ptr,
    n: number,
    m: number,
    heads: number,
  ): void;
  memory_write_backward(
    dmemIn: Ptr,
    dw: Ptr,
    de: Ptr,
    da: Ptr,
    dmemOut: Ptr,
    memIn: Ptr,
    w: Ptr,
    e: Ptr,
    a: Ptr,
    n: number,
    m: number,
    heads: number,
  ): void;
  sigmoid_cross_entropy_forward(y: Ptr, logits: Ptr, target: Ptr, mask: number, width: number): number;
  softmax_cross_entropy_forward(y: Ptr, logits: Ptr, target: Ptr, mask: number, width: number): number;
  cross_entropy_backward(
    dlogits: Ptr,
    y: Ptr,
    logits: Ptr,
    target: Ptr,
    mask: number,
    scale: number,
    width: number,
    softmax: boolean,
  ): void;
  l2_norm(g: Ptr, size: number): number;
  clip_scale(g: Ptr, size: number, scale: number): void;
  clip_elementwise(g: Ptr, size: number, limit: number): void;
  rmsprop_update(
    params: Ptr,
    n: Ptr,
    gbar: Ptr,
    delta: Ptr,
    grad: Ptr,
    size: number,
    lr: number,
    rho: number,
    momentum: number,
    epsilon: number,
  ): void;
  adam_update(
    params: Ptr,
    m: Ptr,
    v: Ptr,
    grad: Ptr,
    size: number,
    t: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ): void;
  sgd_update(params: Ptr, grad: Ptr, size: number, lr: number): void;
  copy_rows(dst: Ptr, dstStride: number, src: Ptr, srcStride: number, width: number, rows: number): void;
  add_rows(dst: Ptr, dstStride: number, src: Ptr, srcStride: number, width: number, rows: number): void;
  zero(dst: Ptr, n: number): void;
  /** The first byte past the module's static data: buffers start at or after it. */
  heap_base(): Ptr;
}

/** Where the module comes from: its bytes, or a URL to fetch (default: `wasm/ntm.wasm` of this package). */
export type WasmSource = BufferSource | URL;

/**
 * Where the engine's files are, for a page that bundles the package (a bundle moves `import.meta.url`, so
 * the defaults, next to this module, no longer point at them). Each defaults to this package's own file.
 */
export interface WasmAssets {
  /** The single-threaded kernels (default `wasm/ntm.wasm`). */
  readonly kernels?: URL;
  /** The shared-memory kernels the threads run (default `wasm/ntm_threads.wasm`). */
  readonly threadedKernels?: URL;
  /**
   * A Worker's module script (default `src/wasm/worker.ts`; a page passes its bundle of that file, which the
   * package exports as `@ntm/ntm/wasm-worker`).
   */
  readonly worker?: URL;
}

/** The largest shared memory the threaded module declares, in 64 KiB pages (2 GiB). */
export const SHARED_MEMORY_PAGES = 32768;

const compiled = new Map<string, Promise<WebAssembly.Module>>();

/**
 * Compiles the kernels' module once per process (later calls share it): the single-threaded build, or the
 * build over a shared memory that Workers share (`wasm/ntm_threads.wasm`).
 *
 * @param source The module's bytes or URL (default: the package's build).
 * @param threads Whether to load the shared-memory build.
 * @returns The compiled module.
 * @throws {Error} naming the URL when it cannot be fetched or compiled.
 */
export function compileWasmKernels(source?: WasmSource, threads = false): Promise<WebAssembly.Module> {
  if (source !== undefined && !(source instanceof URL)) return WebAssembly.compile(source);
  const url = source ?? new URL(`../../wasm/${threads ? "ntm_threads" : "ntm"}.wasm`, import.meta.url);
  const cached = compiled.get(url.href);
  if (cached) return cached;
  const loading = fetch(url).then(async (response) => {
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return await WebAssembly.compile(await response.arrayBuffer());
  }).catch((error) => {
    compiled.delete(url.href);
    throw new Error(`Cannot load the WebAssembly kernels from ${url}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  compiled.set(url.href, loading);
  return loading;
}

/** The kernels over one linear memory, which grows on demand. */
export class WasmInstance {
  /** The kernels. */
  readonly kernels: WasmKernels;
  /** The linear memory every pointer indexes. */
  readonly memory: WebAssembly.Memory;
  #f32: Float32Array;

  /**
   * Instantiates the kernels over a fresh memory of `bytes` bytes (rounded up to 64 KiB pages; shared for
   * the threaded build), or over a memory another thread created.
   *
   * @param module The compiled module.
   * @param bytes The memory's initial size.
   * @param memory A memory to use instead of a fresh one (another thread's shared memory).
   * @param shared Whether a fresh memory is shared (the threaded build needs it).
   */
  constructor(module: WebAssembly.Module, bytes: number, memory?: WebAssembly.Memory, shared = false) {
    const initial = Math.max(1, Math.ceil(bytes / 65536));
    this.memory = memory ??
      (shared
        ? new WebAssembly.Memory({ initial, maximum: SHARED_MEMORY_PAGES, shared: true })
        : new WebAssembly.Memory({ initial }));
    const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
    this.kernels = instance.exports as unknown as WasmKernels;
    this.#f32 = new Float32Array(this.memory.buffer);
  }

  /**
   * Grows the memory to at least `bytes` bytes (views taken before are stale afterwards).
   *
   * @param bytes The size needed.
   */
  reserve(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes > have) this.memory.grow(Math.ceil((bytes - have) / 65536));
  }

  /** The whole memory as float32 (index = byte offset / 4); refreshed after the memory grows. */
  get f32(): Float32Array {
    const buffer = this.memory.buffer;
    if (this.#f32.buffer !== buffer || this.#f32.length * 4 !== buffer.byteLength) {
      this.#f32 = new Float32Array(buffer);
    }
    return this.#f32;
  }
}
