/**
 * Typed constructors of the `KernelSpec`s of the head activations, the addressing chain (paper
 * §3.3) and the memory access (§3.1–3.2): one function per WGSL entry point, taking the sizes and returning
 * the spec (bindings in order, constants) together with its dispatch size, so that the engine never repeats
 * a binding list. Buffer shapes are those of `shaders/README.md`.
 *
 * Forward order of one step t: {@linkcode headParamsForwardKernel} → {@linkcode contentAddressForwardKernel}
 * → {@linkcode interpolateForwardKernel} → {@linkcode shiftForwardKernel} → {@linkcode sharpenForwardKernel}
 * → {@linkcode memoryReadForwardKernel} and {@linkcode memoryWriteForwardKernel} (either order: the read
 * reads memory slot t, the write writes slot t + 1).
 *
 * Backward order of one step t, given `d_reads` (B, R, M) = dL/dr_t, `d_memory` (B, N, M) = dL/dMem_t and
 * `d_w` (B, H, N) = the gradient of w_t carried from step t + 1 (zeros at t = T − 1):
 * 1. {@linkcode memoryWriteBackwardKernel}: writes `d_memory_prev`, `d_e`, `d_a`; adds into `d_w` (write heads);
 * 2. {@linkcode memoryReadBackwardKernel}: adds into `d_w` (read heads) and `d_memory_prev`;
 * 3. {@linkcode sharpenBackwardKernel}: writes `d_w_tilde`, `d_gamma`;
 * 4. {@linkcode shiftBackwardKernel}: writes `d_wg`, `d_s`;
 * 5. {@linkcode interpolateBackwardKernel}: writes `d_wc`, `d_g`, `d_w_prev` (the gradient of w_{t−1});
 * 6. {@linkcode contentAddressBackwardKernel}: writes `d_k`, `d_beta` and the scratch `d_cosine`;
 * 7. {@linkcode contentAddressBackwardMemoryKernel}: adds into `d_memory_prev`;
 * 8. {@linkcode headParamsBackwardKernel}: writes `d_raw_heads` at slot t.
 *
 * Then `d_memory_prev` is dL/dMem_{t−1} and `d_w_prev` is dL/dw_{t−1}: the engine swaps `d_memory` ↔
 * `d_memory_prev` and `d_w` ↔ `d_w_prev` (two bind groups per kernel, by parity of t) for step t − 1. No
 * two invocations of one dispatch write the same element, and nothing needs zeroing inside the loop except
 * `d_w` before the first backward step.
 *
 * @module
 */

import shiftCodeSource from "../../shaders/shift.wgsl" with { type: "text" };
import headParamsCodeSource from "../../shaders/head_params.wgsl" with { type: "text" };
import contentAddressCodeSource from "../../shaders/content_address.wgsl" with { type: "text" };
import interpolateCodeSource from "../../shaders/interpolate.wgsl" with { type: "text" };
import sharpenCodeSource from "../../shaders/sharpen.wgsl" with { type: "text" };
import memoryReadCodeSource from "../../shaders/memory_read.wgsl" with { type: "text" };
import memoryWriteCodeSource from "../../shaders/memory_write.wgsl" with { type: "text" };
import { type NtmConfig, shiftCount } from "../model/config.ts";
import type { KernelLaunch, KernelOptions } from "./kernel.ts";
import { kernelModule, launch, positiveSizes, workgroupSize } from "./kernel.ts";

const shiftShader = kernelModule(shiftCodeSource, "shift.wgsl");
const headParamsShader = kernelModule(headParamsCodeSource, "head_params.wgsl");
const contentAddressShader = kernelModule(contentAddressCodeSource, "content_address.wgsl");
const interpolateShader = kernelModule(interpolateCodeSource, "interpolate.wgsl");
const sharpenShader = kernelModule(sharpenCodeSource, "sharpen.wgsl");
const memoryReadShader = kernelModule(memoryReadCodeSource, "memory_read.wgsl");
const memoryWriteShader = kernelModule(memoryWriteCodeSource, "memory_write.wgsl");

/** The sizes the addressing and memory kernels are specialised on (the letters of `docs/model.md`). */
export interface AddressingSizes {
  /** B: episodes in the batch. */
  readonly B: number;
  /** N: memory rows. */
  readonly N: number;
  /** M: memory row width. */
  readonly M: number;
  /** R: read heads (heads 0 … R − 1). */
  readonly R: number;
  /** W: write heads (heads R … R + W − 1). */
  readonly W: number;
  /** S: allowed shifts, 2K + 1. */
  readonly S: number;
}

/**
 * The addressing sizes of a configuration at batch size B.
 *
 * @param config The configuration.
 * @param batch B.
 * @returns The sizes (S from the shift range).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "../model/config.ts";
 * import { addressingSizes } from "./kernels_addressing.ts";
 * assert(addressingSizes(ntmConfig({ inputSize: 9, outputSize: 8 }), 32).S === 3);
 * ```
 */
export function addressingSizes(config: NtmConfig, batch: number): AddressingSizes {
  return {
    B: batch,
    N: config.memoryN,
    M: config.memoryM,
    R: config.readHeads,
    W: config.writeHeads,
    S: shiftCount(config),
  };
}

/**
 * The width P of `raw_heads`: R·(M + S + 3) + W·(3M + S + 3), read heads first.
 *
 * @param sizes The sizes.
 * @returns P.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { rawHeadsWidth } from "./kernels_addressing.ts";
 * assert(rawHeadsWidth({ B: 1, N: 128, M: 20, R: 1, W: 1, S: 3 }) === 26 + 66);
 * ```
 */
export function rawHeadsWidth(sizes: AddressingSizes): number {
  const { M, R, W, S } = validate(sizes);
  return R * (M + S + 3) + W * (3 * M + S + 3);
}

/**
 * `head_params_forward`: activates the raw head parameters of step t into k, β, g, s, γ (every head) and
 * e, a (write heads). One invocation per element of `raw_heads` at step t.
 *
 * Bindings: `raw_heads` (T, B, P) → writes `k` (T, B, H, M), `beta`, `g` (T, B, H), `s` (T, B, H, S),
 * `gamma` (T, B, H), `e`, `a` (T, B, W, M) at slot t.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = headParamsForwardKernel({ B: 32, N: 128, M: 20, R: 1, W: 1, S: 3 });
 * dispatch(pass, cache.get(spec), group, t, workgroups);
 * ```
 */
export function headParamsForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(headParamsShader, {
    entryPoint: "head_params_forward",
    inputs: ["raw_heads"],
    outputs: ["k", "beta", "g", "s", "gamma", "e", "a"],
    constants: headParamsConstants(sizes, wg),
  }, elementCount(sizes.B * rawHeadsWidth(sizes), wg));
}

/**
 * `head_params_backward`: the gradient of the raw head parameters from the gradients of the activated
 * fields (the activations are recomputed from `raw_heads`). One invocation per element of `raw_heads`.
 *
 * Bindings: `saved_raw_heads` (T, B, P) (the forward's binding 0, so that both entry points read it through
 * one WGSL definition), `d_k` (B, H, M), `d_beta`, `d_g` (B, H), `d_s` (B, H, S), `d_gamma` (B, H), `d_e`,
 * `d_a` (B, W, M) → writes `d_raw_heads` (T, B, P) at slot t.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = headParamsBackwardKernel(sizes);
 * ```
 */
export function headParamsBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(headParamsShader, {
    entryPoint: "head_params_backward",
    inputs: ["saved_raw_heads", "d_k", "d_beta", "d_g", "d_s", "d_gamma", "d_e", "d_a"],
    outputs: ["d_raw_heads"],
    constants: headParamsConstants(sizes, wg),
  }, elementCount(sizes.B * rawHeadsWidth(sizes), wg));
}

/**
 * `content_address_forward` (eqs 5–6): one workgroup per (episode, head).
 *
 * Bindings: `k` (T, B, H, M), `beta` (T, B, H), `memory` (T + 1, B, N, M) read at slot t → writes `wc`
 * (T, B, H, N) at slot t.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size (B·H workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = contentAddressForwardKernel(sizes);
 * ```
 */
export function contentAddressForwardKernel(
  sizes: AddressingSizes,
  options: KernelOptions = {},
): KernelLaunch {
  const wg = rowWorkgroup(sizes, options);
  return launch(contentAddressShader, {
    entryPoint: "content_address_forward",
    inputs: ["k", "beta", "memory"],
    outputs: ["wc"],
    constants: contentAddressConstants(sizes, wg),
  }, sizes.B * heads(sizes));
}

/**
 * `content_address_backward`: one workgroup per (episode, head); writes the key and key-strength gradients
 * and the per-row coefficients that {@linkcode contentAddressBackwardMemoryKernel} turns into the memory
 * gradient.
 *
 * Bindings: `saved_k` (T, B, H, M), `saved_beta` (T, B, H), `saved_memory` (T + 1, B, N, M) slot t (the
 * forward's first three bindings, so that both entry points read them through one WGSL definition),
 * `saved_wc` (T, B, H, N), `d_wc` (B, H, N) → writes `d_k` (B, H, M), `d_beta` (B, H), `d_cosine`
 * (B, H, N, 2) scratch.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size (B·H workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = contentAddressBackwardKernel(sizes);
 * ```
 */
export function contentAddressBackwardKernel(
  sizes: AddressingSizes,
  options: KernelOptions = {},
): KernelLaunch {
  const wg = rowWorkgroup(sizes, options);
  return launch(contentAddressShader, {
    entryPoint: "content_address_backward",
    inputs: ["saved_k", "saved_beta", "saved_memory", "saved_wc", "d_wc"],
    outputs: ["d_k", "d_beta", "d_cosine"],
    constants: contentAddressConstants(sizes, wg),
  }, sizes.B * heads(sizes));
}

/**
 * `content_address_backward_memory`: one invocation per memory element, summing over the heads; adds the
 * content-addressing part of dL/dMem_{t−1}.
 *
 * Bindings: `d_cosine` (B, H, N, 2) from {@linkcode contentAddressBackwardKernel}, `k` (T, B, H, M),
 * `memory` (T + 1, B, N, M) slot t → adds into `d_memory_prev` (B, N, M).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = contentAddressBackwardMemoryKernel(sizes);
 * ```
 */
export function contentAddressBackwardMemoryKernel(
  sizes: AddressingSizes,
  options: KernelOptions = {},
): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(contentAddressShader, {
    entryPoint: "content_address_backward_memory",
    inputs: ["d_cosine", "k", "memory"],
    outputs: ["d_memory_prev"],
    constants: contentAddressConstants(sizes, wg),
  }, elementCount(sizes.B * sizes.N * sizes.M, wg));
}

/**
 * `interpolate_forward` (eq. 7): one invocation per element of wg.
 *
 * Bindings: `wc` (T, B, H, N), `g` (T, B, H), `w` (T + 1, B, H, N) read at slot t → writes `wg`
 * (T, B, H, N) at slot t.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = interpolateForwardKernel(sizes);
 * ```
 */
export function interpolateForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(interpolateShader, {
    entryPoint: "interpolate_forward",
    inputs: ["wc", "g", "w"],
    outputs: ["wg"],
    constants: rowConstants(sizes, wg),
  }, elementCount(sizes.B * heads(sizes) * sizes.N, wg));
}

/**
 * `interpolate_backward`: one invocation per element of d_wc / d_w_prev, then one per row for dg.
 *
 * Bindings: `d_wg` (B, H, N), `saved_wc` (T, B, H, N), `saved_g` (T, B, H), `saved_w` (T + 1, B, H, N)
 * slot t → writes `d_wc` (B, H, N), `d_w_prev` (B, H, N), `d_g` (B, H).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = interpolateBackwardKernel(sizes);
 * ```
 */
export function interpolateBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(interpolateShader, {
    entryPoint: "interpolate_backward",
    inputs: ["d_wg", "saved_wc", "saved_g", "saved_w"],
    outputs: ["d_wc", "d_w_prev", "d_g"],
    constants: rowConstants(sizes, wg),
  }, elementCount(sizes.B * heads(sizes) * (sizes.N + 1), wg));
}

/**
 * `shift_forward` (eq. 8): one invocation per element of w̃.
 *
 * Bindings: `wg` (T, B, H, N), `s` (T, B, H, S) → writes `w_tilde` (T, B, H, N) at slot t.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = shiftForwardKernel(sizes);
 * ```
 */
export function shiftForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(shiftShader, {
    entryPoint: "shift_forward",
    inputs: ["wg", "s"],
    outputs: ["w_tilde"],
    constants: shiftConstants(sizes, wg),
  }, elementCount(sizes.B * heads(sizes) * sizes.N, wg));
}

/**
 * `shift_backward`: one invocation per element of dwg, then one per element of ds.
 *
 * Bindings: `d_w_tilde` (B, H, N), `saved_wg` (T, B, H, N), `saved_s` (T, B, H, S) → writes `d_wg`
 * (B, H, N), `d_s` (B, H, S).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = shiftBackwardKernel(sizes);
 * ```
 */
export function shiftBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(shiftShader, {
    entryPoint: "shift_backward",
    inputs: ["d_w_tilde", "saved_wg", "saved_s"],
    outputs: ["d_wg", "d_s"],
    constants: shiftConstants(sizes, wg),
  }, elementCount(sizes.B * heads(sizes) * (sizes.N + sizes.S), wg));
}

/**
 * `sharpen_forward` (eq. 9, in log space): one workgroup per (episode, head).
 *
 * Bindings: `w_tilde` (T, B, H, N), `gamma` (T, B, H) → writes `w` (T + 1, B, H, N) at slot t + 1.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size (B·H workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = sharpenForwardKernel(sizes);
 * ```
 */
export function sharpenForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = rowWorkgroup(sizes, options);
  return launch(sharpenShader, {
    entryPoint: "sharpen_forward",
    inputs: ["w_tilde", "gamma"],
    outputs: ["w"],
    constants: rowConstants(sizes, wg),
  }, sizes.B * heads(sizes));
}

/**
 * `sharpen_backward`: one workgroup per (episode, head).
 *
 * Bindings: `saved_w_tilde` (T, B, H, N), `saved_gamma` (T, B, H) (the forward's first two bindings, so that
 * both entry points read them through one WGSL definition), `saved_w` (T + 1, B, H, N) slot t + 1, `d_w`
 * (B, H, N) → writes `d_w_tilde` (B, H, N), `d_gamma` (B, H).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size (B·H workgroups).
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = sharpenBackwardKernel(sizes);
 * ```
 */
export function sharpenBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = rowWorkgroup(sizes, options);
  return launch(sharpenShader, {
    entryPoint: "sharpen_backward",
    inputs: ["saved_w_tilde", "saved_gamma", "saved_w", "d_w"],
    outputs: ["d_w_tilde", "d_gamma"],
    constants: rowConstants(sizes, wg),
  }, sizes.B * heads(sizes));
}

/**
 * `memory_read_forward` (eq. 2): one invocation per element of the read vectors.
 *
 * Bindings: `w` (T + 1, B, H, N) slot t + 1 (heads 0 … R − 1), `memory` (T + 1, B, N, M) slot t → writes
 * `reads` (T + 1, B, R, M) at slot t + 1.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryReadForwardKernel(sizes);
 * ```
 */
export function memoryReadForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(memoryReadShader, {
    entryPoint: "memory_read_forward",
    inputs: ["w", "memory"],
    outputs: ["reads"],
    constants: memoryReadConstants(sizes, wg),
  }, elementCount(sizes.B * sizes.R * sizes.M, wg));
}

/**
 * `memory_read_backward`: one invocation per read-head element of d_w, then one per memory element.
 *
 * Bindings: `d_reads` (B, R, M), `saved_w` (T + 1, B, H, N) slot t + 1, `saved_memory` (T + 1, B, N, M)
 * slot t → adds into `d_w` (B, H, N) rows h < R and into `d_memory_prev` (B, N, M).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryReadBackwardKernel(sizes);
 * ```
 */
export function memoryReadBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  const { B, N, M, R } = sizes;
  return launch(memoryReadShader, {
    entryPoint: "memory_read_backward",
    inputs: ["d_reads", "saved_w", "saved_memory"],
    outputs: ["d_w", "d_memory_prev"],
    constants: memoryReadConstants(sizes, wg),
  }, elementCount(B * (R * N + N * M), wg));
}

/**
 * `memory_write_forward` (eqs 3–4, all erases then all adds): one invocation per memory element.
 *
 * Bindings: `w` (T + 1, B, H, N) slot t + 1 (heads R … H − 1), `e`, `a` (T, B, W, M) → `memory`
 * (T + 1, B, N, M), read at slot t and written at slot t + 1.
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryWriteForwardKernel(sizes);
 * ```
 */
export function memoryWriteForwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  return launch(memoryWriteShader, {
    entryPoint: "memory_write_forward",
    inputs: ["w", "e", "a"],
    outputs: ["memory"],
    constants: memoryWriteConstants(sizes, wg),
  }, elementCount(sizes.B * sizes.N * sizes.M, wg));
}

/**
 * `memory_write_backward`: one invocation per element of d_memory_prev, then per write-head element of d_w,
 * then per element of d_e / d_a.
 *
 * Bindings: `d_memory` (B, N, M), `saved_memory` (T + 1, B, N, M) slot t, `saved_w` (T + 1, B, H, N) slot
 * t + 1, `saved_e`, `saved_a` (T, B, W, M) → writes `d_memory_prev` (B, N, M), adds into `d_w` (B, H, N)
 * rows h ≥ R, writes `d_e`, `d_a` (B, W, M).
 *
 * @param sizes The sizes.
 * @param options Workgroup size.
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = memoryWriteBackwardKernel(sizes);
 * ```
 */
export function memoryWriteBackwardKernel(sizes: AddressingSizes, options: KernelOptions = {}): KernelLaunch {
  const wg = elementWorkgroup(options);
  const { B, N, M, W } = sizes;
  return launch(memoryWriteShader, {
    entryPoint: "memory_write_backward",
    inputs: ["d_memory", "saved_memory", "saved_w", "saved_e", "saved_a"],
    outputs: ["d_memory_prev", "d_w", "d_e", "d_a"],
    constants: memoryWriteConstants(sizes, wg),
  }, elementCount(B * (N * M + W * N + W * M), wg));
}

function validate(sizes: AddressingSizes): AddressingSizes {
  const { B, N, M, R, W, S } = sizes;
  positiveSizes("addressing", { B, N, M, R, W, S });
  if (S % 2 !== 1) {
    throw new RangeError(`Cannot build the addressing kernels: S must be odd (2K + 1), got ${S}`);
  }
  return sizes;
}

function heads(sizes: AddressingSizes): number {
  return sizes.R + sizes.W;
}

function elementWorkgroup(options: KernelOptions): number {
  return workgroupSize("addressing", options);
}

function rowWorkgroup(sizes: AddressingSizes, options: KernelOptions): number {
  if (options.workgroupSize !== undefined) return workgroupSize("addressing", options);
  let size = 32;
  while (size < sizes.N && size < 256) size *= 2;
  return size;
}

function elementCount(invocations: number, workgroupSize: number): number {
  return Math.ceil(invocations / workgroupSize);
}

function headParamsConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, M, R, W, S } = validate(sizes);
  return { B, M, S, R, W, WORKGROUP: wg };
}

function contentAddressConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, N, M } = validate(sizes);
  return { B, H: heads(sizes), N, M, WORKGROUP: wg };
}

function rowConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, N } = validate(sizes);
  return { ROWS: B * heads(sizes), N, WORKGROUP: wg };
}

function shiftConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, N, S } = validate(sizes);
  return { ROWS: B * heads(sizes), N, S, WORKGROUP: wg };
}

function memoryReadConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, N, M, R } = validate(sizes);
  return { B, H: heads(sizes), R, N, M, WORKGROUP: wg };
}

function memoryWriteConstants(sizes: AddressingSizes, wg: number): Record<string, number> {
  const { B, N, M, R, W } = validate(sizes);
  return { B, H: R + W, R, W, N, M, WORKGROUP: wg };
}
