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
  return { device, adapterInfo: info, adapterName, isSoftware };
}
