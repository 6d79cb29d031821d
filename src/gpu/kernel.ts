/**
 * Compute kernels: a WGSL module's entry point compiled with its `override` constants into a pipeline
 * with an explicit bind-group layout, cached by everything that changes the compiled code; and the launch
 * (spec and dispatch size, checked against the device-wide workgroup limit) that every typed kernel
 * constructor of `kernels_*.ts` returns, with the checks of the sizes they are specialised on.
 *
 * Binding convention of every kernel (group 0): first the inputs (`read` storage), then the outputs
 * (`read_write` storage), then, last, one uniform `Step` struct bound with a dynamic offset, whose first
 * field `t: u32` is the time step the dispatch works on. Time-indexed buffers are laid out (T, B, …), or
 * (T + 1, B, …) for state with its initial value at index 0.
 *
 * @module
 */

import { linkShader } from "./shader_source.ts";

/** The size of one dynamic-offset slot of the step uniform (the minimum uniform offset alignment). */
export const STEP_UNIFORM_STRIDE = 256;

/** Describes one kernel: a module's entry point, its bindings and its specialisation constants. */
export interface KernelSpec {
  /** Label of the module and pipeline (the shader file's name), shown in validation errors. */
  readonly label: string;
  /** WGSL source. */
  readonly code: string;
  /** Entry point, e.g. `content_address_forward`. */
  readonly entryPoint: string;
  /** Read-only storage bindings, in binding order (names for labels and errors). */
  readonly inputs: readonly string[];
  /** Read-write storage bindings, following the inputs. */
  readonly outputs: readonly string[];
  /** Values of the module's `override` constants. */
  readonly constants: Readonly<Record<string, number>>;
}

/** A linked WGSL module: what the specs of all its entry points share. */
export type KernelModule = Pick<KernelSpec, "label" | "code">;

/** One entry point of a {@linkcode KernelModule}: the rest of its {@linkcode KernelSpec}. */
export type KernelEntry = Omit<KernelSpec, "label" | "code">;

/** Optional tuning of a kernel. */
export interface KernelOptions {
  /**
   * Invocations per workgroup, a power of two in 1 … 256. Element-wise kernels default to 64; the kernels
   * with a workgroup per row (content addressing, sharpening) default to N rounded up to a power of two,
   * clamped to 32 … 256 (rows longer than the workgroup are looped over).
   */
  readonly workgroupSize?: number;
}

/** A kernel's description and the workgroup counts of one dispatch of it (for one time step). */
export interface KernelLaunch {
  /** The spec to compile (`KernelCache.get`) and bind: buffers in the order of its inputs, then outputs. */
  readonly spec: KernelSpec;
  /** Workgroup counts (x, y, z) of one dispatch. */
  readonly workgroups: [number, number, number];
}

/** The largest workgroup count per dimension that every WebGPU device supports. */
const MAX_WORKGROUPS = 65535;

/**
 * A kernel's WGSL source linked (`linkShader`) into a module labelled with the file's name (`lstm.wgsl`
 * is labelled `lstm`).
 *
 * @param source The file's WGSL text (its `//! include` lines not yet replaced).
 * @param file The file's name, e.g. `lstm.wgsl`.
 * @returns The module.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelModule } from "./kernel.ts";
 * assert(kernelModule("@compute @workgroup_size(1) fn f() {}", "f.wgsl").label === "f");
 * ```
 */
export function kernelModule(source: string, file: string): KernelModule {
  return { label: file.replace(/\.wgsl$/, ""), code: linkShader(source, file) };
}

/**
 * The launch of one entry point of a module: its spec, dispatched as `groups` workgroups along x (at least
 * one).
 *
 * @param module The linked module ({@linkcode kernelModule}).
 * @param entry The entry point, its bindings in order and its constants.
 * @param groups Workgroups along x.
 * @returns The spec and its dispatch size.
 * @throws {RangeError} when `groups` exceeds 65535, the limit every WebGPU device supports.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { kernelModule, launch } from "./kernel.ts";
 * const module = kernelModule("@compute @workgroup_size(1) fn f() {}", "f.wgsl");
 * const { workgroups } = launch(module, { entryPoint: "f", inputs: [], outputs: [], constants: {} }, 3);
 * assert(workgroups[0] === 3);
 * ```
 */
export function launch(module: KernelModule, entry: KernelEntry, groups: number): KernelLaunch {
  const spec: KernelSpec = { label: module.label, code: module.code, ...entry };
  if (groups > MAX_WORKGROUPS) {
    throw new RangeError(
      `Cannot dispatch ${spec.label}.${spec.entryPoint}: ${groups} workgroups exceed the limit of ${MAX_WORKGROUPS}`,
    );
  }
  return { spec, workgroups: [Math.max(1, groups), 1, 1] };
}

/**
 * Checks the sizes a kernel is specialised on, in order.
 *
 * @param kernels Which kernels are being built, for the message (`controller`, `addressing`, …).
 * @param sizes The sizes by letter, e.g. `{ B: batch, T: steps }`.
 * @throws {RangeError} naming the first size that is not a positive integer.
 *
 * @example
 * ```ts
 * import { positiveSizes } from "./kernel.ts";
 * positiveSizes("controller", { B: 32, T: 42 });
 * ```
 */
export function positiveSizes(kernels: string, sizes: Readonly<Record<string, number>>): void {
  for (const [name, value] of Object.entries(sizes)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot build the ${kernels} kernels: ${name} must be a positive integer, got ${value}`,
      );
    }
  }
}

/**
 * The workgroup size a kernel is built with: {@linkcode KernelOptions.workgroupSize}, or the kernel's
 * default.
 *
 * @param kernels Which kernels are being built, for the message (`controller`, `addressing`, …).
 * @param options The options.
 * @param fallback The default (64 unless given).
 * @returns Invocations per workgroup.
 * @throws {RangeError} when it is not a power of two in 1 … 256.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { workgroupSize } from "./kernel.ts";
 * assert(workgroupSize("addressing", {}) === 64);
 * ```
 */
export function workgroupSize(kernels: string, options: KernelOptions, fallback = 64): number {
  const size = options.workgroupSize ?? fallback;
  if (!Number.isInteger(size) || size < 1 || size > 256 || (size & (size - 1)) !== 0) {
    throw new RangeError(
      `Cannot build the ${kernels} kernels: the workgroup size must be a power of two in 1 … 256, got ${size}`,
    );
  }
  return size;
}

/** A compiled kernel. */
export interface Kernel {
  /** What it was compiled from. */
  readonly spec: KernelSpec;
  /** The pipeline. */
  readonly pipeline: GPUComputePipeline;
  /** Its bind-group layout (inputs, outputs, then the step uniform at binding inputs + outputs). */
  readonly layout: GPUBindGroupLayout;
}

/**
 * Compiles kernels once per device and returns the cached one for a spec seen before. The key is the
 * label, the entry point, the constants and the source itself, so no two different codes share a pipeline.
 *
 * @example
 * ```ts ignore
 * const cache = new KernelCache(device);
 * const kernel = cache.get({ label: "shift", code, entryPoint: "shift_forward", inputs: ["wg", "s"], outputs: ["w_tilde"], constants: { N: 13 } });
 * ```
 */
export class KernelCache {
  #device: GPUDevice;
  #modules = new Map<string, GPUShaderModule>();
  #kernels = new Map<string, Kernel>();

  /**
   * Creates an empty cache for a device.
   *
   * @param device The device.
   */
  constructor(device: GPUDevice) {
    this.#device = device;
  }

  /** Number of distinct pipelines compiled so far. */
  get size(): number {
    return this.#kernels.size;
  }

  /**
   * The kernel for a spec, compiled on first use.
   *
   * @param spec The kernel's description.
   * @returns The compiled kernel.
   */
  get(spec: KernelSpec): Kernel {
    const constants = Object.keys(spec.constants).sort().map((k) => `${k}=${spec.constants[k]}`).join(",");
    const key =
      `${spec.label}|${spec.entryPoint}|${spec.inputs.length}|${spec.outputs.length}|${constants}|${spec.code}`;
    const cached = this.#kernels.get(key);
    if (cached) return cached;
    let module = this.#modules.get(spec.code);
    if (!module) {
      module = this.#device.createShaderModule({ label: spec.label, code: spec.code });
      this.#modules.set(spec.code, module);
    }
    const entries: GPUBindGroupLayoutEntry[] = [];
    spec.inputs.forEach((_, i) =>
      entries.push({ binding: i, visibility: GPUShaderStage.COMPUTE, buffer: { type: "read-only-storage" } })
    );
    spec.outputs.forEach((_, i) =>
      entries.push({
        binding: spec.inputs.length + i,
        visibility: GPUShaderStage.COMPUTE,
        buffer: { type: "storage" },
      })
    );
    entries.push({
      binding: spec.inputs.length + spec.outputs.length,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: "uniform", hasDynamicOffset: true, minBindingSize: 16 },
    });
    const label = `${spec.label}.${spec.entryPoint}`;
    const layout = this.#device.createBindGroupLayout({ label, entries });
    const pipeline = this.#device.createComputePipeline({
      label,
      layout: this.#device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entryPoint, constants: { ...spec.constants } },
    });
    const kernel = { spec, pipeline, layout };
    this.#kernels.set(key, kernel);
    return kernel;
  }
}

/**
 * A uniform buffer of `steps` slots of {@linkcode STEP_UNIFORM_STRIDE} bytes, slot t holding `t` (the
 * `Step` struct of `shaders/_step.wgsl`), bound with dynamic offset `t · STEP_UNIFORM_STRIDE`.
 *
 * @param device The device.
 * @param steps How many slots (at least T + 1).
 * @returns The buffer (destroy it with the model).
 *
 * @example
 * ```ts ignore
 * const stepUniform = createStepUniform(device, 43);
 * ```
 */
export function createStepUniform(device: GPUDevice, steps: number): GPUBuffer {
  const words = STEP_UNIFORM_STRIDE / 4;
  const data = new Uint32Array(steps * words);
  for (let t = 0; t < steps; t++) data[t * words] = t;
  const buffer = device.createBuffer({
    label: "step uniform (T slots of 256 bytes: t)",
    size: data.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, data);
  return buffer;
}

/**
 * Creates the bind group of a kernel over its buffers (inputs, outputs) and the step uniform.
 *
 * @param device The device.
 * @param kernel The kernel.
 * @param buffers Its storage buffers, inputs then outputs, in binding order.
 * @param stepUniform The step uniform from {@linkcode createStepUniform}.
 * @returns The bind group.
 *
 * @example
 * ```ts ignore
 * const group = bindKernel(device, kernel, [wg, s, wTilde], stepUniform);
 * ```
 */
export function bindKernel(
  device: GPUDevice,
  kernel: Kernel,
  buffers: readonly GPUBuffer[],
  stepUniform: GPUBuffer,
): GPUBindGroup {
  const { inputs, outputs } = kernel.spec;
  if (buffers.length !== inputs.length + outputs.length) {
    throw new RangeError(
      `Cannot bind ${kernel.spec.label}.${kernel.spec.entryPoint}: expected ${
        inputs.length + outputs.length
      } buffers (${[...inputs, ...outputs].join(", ")}), got ${buffers.length}`,
    );
  }
  const entries: GPUBindGroupEntry[] = buffers.map((buffer, binding) => ({ binding, resource: { buffer } }));
  entries.push({ binding: buffers.length, resource: { buffer: stepUniform, size: 16 } });
  return device.createBindGroup({
    label: `${kernel.spec.label}.${kernel.spec.entryPoint}`,
    layout: kernel.layout,
    entries,
  });
}

/**
 * Records one dispatch of a kernel for time step t into a compute pass.
 *
 * @param pass The open compute pass.
 * @param kernel The kernel.
 * @param group Its bind group.
 * @param t The time step (selects the step uniform's slot).
 * @param workgroups Workgroup counts (x, y, z).
 *
 * @example
 * ```ts ignore
 * dispatch(pass, kernel, group, t, [batch * heads]);
 * ```
 */
export function dispatch(
  pass: GPUComputePassEncoder,
  kernel: Kernel,
  group: GPUBindGroup,
  t: number,
  workgroups: readonly [number, number?, number?],
): void {
  pass.setPipeline(kernel.pipeline);
  pass.setBindGroup(0, group, [t * STEP_UNIFORM_STRIDE]);
  pass.dispatchWorkgroups(workgroups[0], workgroups[1] ?? 1, workgroups[2] ?? 1);
}
