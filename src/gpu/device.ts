/**
 * WebGPU adapter and device setup for the NTM kernels.
 *
 * @module
 */

/** A device ready for the NTM kernels, with what was learned about its adapter. */
export interface GpuContext {
  /** The device. */
  readonly device: GPUDevice;
  /** The adapter's description (vendor, architecture, device, description). */
  readonly adapterInfo: GPUAdapterInfo;
  /** A one-line name of the adapter, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  readonly adapterName: string;
  /** Whether the adapter is a software rasteriser running on the CPU (llvmpipe, lavapipe, SwiftShader). */
  readonly isSoftware: boolean;
  /** The native API under WebGPU, as far as the adapter shows it ({@linkcode nativeBackendOf}). */
  readonly nativeBackend: NativeBackend;
}

/** The native graphics API an adapter runs on: `gl` (OpenGL/GLES), or `native` (Vulkan, Metal or D3D12). */
export type NativeBackend = "gl" | "native";

/**
 * Which native API an adapter runs on. WebGPU does not say; wgpu's OpenGL backend shows itself by reporting
 * the full subgroup-size range 4..128 (GL cannot query it) together with ETC2 texture compression, which no
 * Vulkan, Metal or D3D12 adapter of a desktop reports alongside that range.
 *
 * @param adapter The adapter's features and subgroup sizes.
 * @returns `gl` or `native`.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const gl = { features: new Set(["texture-compression-etc2"]), subgroupMinSize: 4, subgroupMaxSize: 128 };
 * assert.equal(nativeBackendOf(gl), "gl");
 * assert.equal(nativeBackendOf({ ...gl, subgroupMinSize: 8, subgroupMaxSize: 8 }), "native");
 * ```
 */
export function nativeBackendOf(
  adapter: { features: { has(name: string): boolean }; subgroupMinSize?: number; subgroupMaxSize?: number },
): NativeBackend {
  const fullRange = adapter.subgroupMinSize === 4 && adapter.subgroupMaxSize === 128;
  return fullRange && adapter.features.has("texture-compression-etc2") ? "gl" : "native";
}

/** Why no WebGPU device could be had: thrown by {@linkcode requestGpuContext}. */
export class WebGpuUnavailableError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is missing.
   */
  constructor(message: string) {
    super(message);
    this.name = "WebGpuUnavailableError";
  }
}

/**
 * Requests an adapter and a device with the largest storage-buffer limits the adapter offers (the kernels
 * bind up to a dozen storage buffers and large (T, B, N, M) memories). Requests no optional features.
 *
 * @returns The device and its adapter's description.
 * @throws {WebGpuUnavailableError} when `navigator.gpu` or an adapter is missing.
 *
 * @example
 * ```ts ignore
 * const { device, adapterName } = await requestGpuContext();
 * console.log(adapterName);
 * device.destroy();
 * ```
 */
export async function requestGpuContext(): Promise<GpuContext> {
  const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
  if (!gpu) {
    throw new WebGpuUnavailableError("WebGPU is not available: navigator.gpu is missing in this runtime");
  }
  const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new WebGpuUnavailableError("WebGPU is not available: no adapter was found");
  const wanted: (keyof GPUSupportedLimits)[] = [
    "maxStorageBuffersPerShaderStage",
    "maxStorageBufferBindingSize",
    "maxBufferSize",
    "maxComputeWorkgroupStorageSize",
    "maxComputeInvocationsPerWorkgroup",
    "maxComputeWorkgroupSizeX",
    "maxComputeWorkgroupsPerDimension",
  ];
  const requiredLimits: Record<string, number> = {};
  for (const name of wanted) requiredLimits[name] = adapter.limits[name] as number;
  const device = await adapter.requestDevice({ requiredLimits, label: "ntm" });
  const info = adapter.info;
  const adapterName = [info.description, info.device, info.vendor, info.architecture].find((s) => s) ??
    "unknown adapter";
  const isSoftware = /llvmpipe|lavapipe|swiftshader|software/i.test(
    `${info.description} ${info.device} ${info.vendor} ${info.architecture}`,
  );
  const sizes = info as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  const nativeBackend = nativeBackendOf({
    features: adapter.features,
    ...(sizes.subgroupMinSize !== undefined && { subgroupMinSize: sizes.subgroupMinSize }),
    ...(sizes.subgroupMaxSize !== undefined && { subgroupMaxSize: sizes.subgroupMaxSize }),
  });
  return { device, adapterInfo: info, adapterName, isSoftware, nativeBackend };
}
