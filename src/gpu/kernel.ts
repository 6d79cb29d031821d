/**
 * Compute kernels: a WGSL module's entry point compiled with its `override` constants into a pipeline
 * with an explicit bind-group layout, cached by everything that changes the compiled code.
 *
 * Binding convention of every kernel (group 0): first the inputs (`read` storage), then the outputs
 * (`read_write` storage), then, last, one uniform `Step` struct bound with a dynamic offset, whose first
 * field `t: u32` is the time step the dispatch works on. Time-indexed buffers are laid out (T, B, …), or
 * (T + 1, B, …) for state with its initial value at index 0.
 *
 * @module
 */

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
