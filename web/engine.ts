/// <reference lib="dom" />
/**
 * Which engine the demo page trains and evaluates on, as `--backend` chooses in Deno: `auto` takes a hardware
 * WebGPU adapter when there is one, and otherwise (no WebGPU, or only a software adapter such as SwiftShader)
 * the WebAssembly SIMD engine, on every core when the page is cross-origin isolated (the demo server sends the
 * headers) and on one thread when it is not; the visitor may force `webgpu` or `wasm`.
 *
 * @module
 */

import {
  type BackendOptions,
  defaultWasmThreads,
  type GpuContext,
  requestGpuContext,
  type WasmAssets,
} from "../browser.ts";

/** What the page may ask for. */
export type EngineChoice = "auto" | "webgpu" | "wasm";

/** Every {@linkcode EngineChoice}. */
export const ENGINE_CHOICES: readonly EngineChoice[] = ["auto", "webgpu", "wasm"];

/** An engine decided: the backend to create, its options, and one line saying what and why. */
export interface Engine {
  readonly backend: "webgpu" | "wasm";
  readonly options: Pick<BackendOptions, "context" | "threads" | "wasmAssets">;
  /** E.g. `WebAssembly SIMD, 2 threads (float32): this browser has no WebGPU`. */
  readonly label: string;
}

/** The engine's files as the demo server serves them (a bundle cannot find them next to its modules). */
const WASM_ASSETS: WasmAssets = {
  kernels: new URL("wasm/ntm.wasm", location.href),
  threadedKernels: new URL("wasm/ntm_threads.wasm", location.href),
  worker: new URL("worker.js", location.href),
};

let context: Promise<GpuContext> | undefined;

/** The WebGPU device, requested once (a failure is not cached: the visitor may retry). */
export function gpu(): Promise<GpuContext> {
  context ??= requestGpuContext().catch((error) => {
    context = undefined;
    throw error;
  });
  return context;
}

/** The adapter's name: vendor, architecture, device, description, those it gives. */
function adapterName(c: GpuContext): string {
  const info = c.adapterInfo;
  return [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" · ") ||
    c.adapterName;
}

/** The adapter as the badge shows it. */
const adapterLabel = (c: GpuContext) => `${adapterName(c)}${c.isSoftware ? " (software, on the CPU)" : ""}`;

/** Whether this page may share memory with Workers (the engine's threads need it). */
export const isolated = (): boolean =>
  (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;

/**
 * Decides the engine for a batch size.
 *
 * @param choice What the visitor picked.
 * @param batch B: the WebAssembly engine runs at most one thread per episode.
 * @returns The engine.
 * @throws {WebGpuUnavailableError} when `webgpu` is forced and there is no adapter.
 */
export async function decideEngine(choice: EngineChoice, batch: number): Promise<Engine> {
  if (choice === "webgpu") {
    const c = await gpu();
    return { backend: "webgpu", options: { context: c }, label: `WebGPU: ${adapterLabel(c)} (picked)` };
  }
  let why = "picked";
  if (choice === "auto") {
    if (!(globalThis.navigator as Navigator | undefined)?.gpu) {
      why = "this browser has no WebGPU";
    } else {
      const c = await gpu().catch(() => undefined);
      if (c && !c.isSoftware) {
        return { backend: "webgpu", options: { context: c }, label: `WebGPU: ${adapterLabel(c)}` };
      }
      why = c ? `the only WebGPU adapter is a software one, ${adapterName(c)}` : "WebGPU found no adapter";
    }
  }
  const threads = defaultWasmThreads(batch);
  const limit = !isolated()
    ? " (the page is not cross-origin isolated, so no memory shared with Workers)"
    : threads < navigator.hardwareConcurrency
    ? ` (one per episode of a step: B = ${batch})`
    : "";
  return {
    backend: "wasm",
    options: { threads, wasmAssets: WASM_ASSETS },
    label: `WebAssembly SIMD (float32), ${threads} thread${threads === 1 ? "" : "s"}${limit}: ${why}`,
  };
}
