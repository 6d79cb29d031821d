/**
 * The WebGPU engine of one NTM and one batch size: every buffer of `shaders/README.md` allocated once,
 * every kernel compiled once, and a whole training step — forward over T steps, output and loss, backward
 * through time, the weight-gradient reductions, clipping and the optimiser — encoded into one command
 * encoder and submitted once. Nothing is read back during a step; the loss, the metrics and the gradient
 * norm stay on the GPU until {@linkcode NtmGpuEngine.readStepReport} asks for them.
 *
 * Two paths record the same computation (see {@linkcode NtmGpuEngineOptions.fused}): one dispatch per op and
 * time step (`kernels_addressing.ts`, `kernels_controller.ts`), or 2 fused dispatches per time step forward
 * and 2 backward (`kernels_fused.ts`), which also skip each episode's steps past its last counted output.
 * Their schedules are built in `engine_schedule.ts`, the buffers they bind are listed in
 * `engine_buffers.ts`, and `engine_bindings.ts` says which buffer a kernel's binding name refers to.
 * Use {@linkcode NtmGpuEngine.profileGroups} with `bench/_profile.ts` to see where a step's time goes.
 *
 * Buffers with a time axis are allocated for a capacity of T steps and grow (all of them, rebuilt) when a
 * longer batch arrives; the kernels whose work spans all T steps are specialised on each batch's T, and
 * their pipelines and bind groups are cached per T.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerName, OptimizerOptions, OptimizerState } from "../optim/optimizer.ts";
import type { GpuContext } from "./device.ts";
import { bindKernel, createStepUniform, type KernelCache, type KernelLaunch } from "./kernel.ts";
import { bufferName } from "./engine_bindings.ts";
import {
  type BufferRow,
  createEngineBuffer,
  persistentBuffers,
  readEngineBuffer,
  stepBuffers,
  ZEROED_PER_STEP,
} from "./engine_buffers.ts";
import {
  type Bound,
  buildSchedule,
  record,
  type Schedule,
  type StepDispatch,
  trainingDispatches,
} from "./engine_schedule.ts";
import { addressingSizes } from "./kernels_addressing.ts";
import { controllerStepWorkgroupBytes, memoryStepFits, memoryStepWorkgroupBytes } from "./kernels_fused.ts";
import { CLIP_STATE_WORDS, OPTIMIZER_SLOTS } from "./kernels_optimizer.ts";

/** Options of {@linkcode NtmGpuEngine}. */
export interface NtmGpuEngineOptions {
  /**
   * Run each time step as 2 fused dispatches forward and 2 backward (`shaders/controller_step.wgsl`,
   * `shaders/memory_step_forward.wgsl, memory_step_backward.wgsl`) instead of one dispatch per op. Defaults to
   * {@linkcode defaultFused} for the adapter; ignored (off) when the device cannot run the fused kernels.
   */
  readonly fused?: boolean;
}

/** The dispatches of one kernel entry point in one phase of a training step (see `profileGroups`). */
export interface ProfileGroup {
  /** `phase label.entryPoint`, e.g. `backward memory_step.memory_step_backward`. */
  readonly label: string;
  /** Dispatches per training step. */
  readonly dispatches: number;
  /** Records them, in step order, into an open compute pass. */
  record(pass: GPUComputePassEncoder): void;
}

/** What a training step leaves on the GPU, read back at report time. */
export interface GpuStepReport {
  /** (B) loss per episode in nats. */
  readonly loss: Float32Array;
  /** (B) errors per episode (bits for sigmoid outputs, classes for softmax). */
  readonly errors: Float32Array;
  /** L2 norm of the gradient before clipping (NaN or ∞ when it was not finite). */
  readonly gradNorm: number;
  /** Optimiser updates applied so far (a step with a non-finite gradient applies none). */
  readonly updates: number;
}

/**
 * The GPU buffers, kernels and per-step schedule of one model at one batch size.
 *
 * @example
 * ```ts ignore
 * const engine = new NtmGpuEngine(context, cache, config, layout, 32, "adam", {});
 * engine.writeParameters(params);
 * engine.trainStep(batch);
 * const report = await engine.readStepReport();
 * ```
 */
export class NtmGpuEngine {
  /** B: episodes per dispatch. */
  readonly batch: number;
  /** Whether each time step runs as fused dispatches (see {@linkcode NtmGpuEngineOptions.fused}). */
  readonly fused: boolean;
  /** Dispatches recorded by the last {@linkcode NtmGpuEngine.trainStep}. */
  dispatchesPerStep = 0;
  #context: GpuContext;
  #cache: KernelCache;
  #config: NtmConfig;
  #layout: ParameterLayout;
  #optimizer: OptimizerName;
  #optimizerOptions: OptimizerOptions;
  #persistent: Map<string, GPUBuffer>;
  #buffers = new Map<string, GPUBuffer>();
  #capacity = 0;
  #stepUniform: GPUBuffer | undefined;
  #schedules = new Map<string, Schedule>();
  #lastDispatches: StepDispatch[] = [];
  /** The fused path's episode order of the last upload: slot j holds episode order[j] of the batch. */
  #order: Int32Array;
  /** The last memory draw (random memory init), uploaded in episode order by #prepare. */
  #memoryDraw: Float32Array | undefined;

  /**
   * Allocates the parameter and optimiser buffers (zero) of a model.
   *
   * @param context The device.
   * @param cache The kernel cache of that device.
   * @param config The configuration.
   * @param layout Its layout.
   * @param batch B.
   * @param optimizer Which optimiser the training step runs.
   * @param optimizerOptions Its hyper-parameters (defaults as in `src/optim`).
   * @param options Engine options (the fused path).
   */
  constructor(
    context: GpuContext,
    cache: KernelCache,
    config: NtmConfig,
    layout: ParameterLayout,
    batch: number,
    optimizer: OptimizerName,
    optimizerOptions: OptimizerOptions,
    options: NtmGpuEngineOptions = {},
  ) {
    this.#context = context, this.#cache = cache, this.#config = config, this.#layout = layout;
    this.batch = batch, this.#optimizer = optimizer, this.#optimizerOptions = optimizerOptions;
    this.fused = (options.fused ?? defaultFused(context)) && canRunFused(context.device, config);
    this.#order = Int32Array.from({ length: batch }, (_, b) => b);
    this.#persistent = this.#createBuffers(persistentBuffers(config, layout, batch, optimizer, this.fused));
  }

  /**
   * Uploads parameters (rounded to f32).
   *
   * @param params (P) flat parameters.
   */
  writeParameters(params: Float64Array): void {
    this.#write("params", Float32Array.from(params));
  }

  /**
   * Uploads an optimiser's state (slots rounded to f32, the update count exact).
   *
   * @param state The state, e.g. a fresh optimiser's or one restored from a checkpoint.
   */
  writeOptimizerState(state: OptimizerState): void {
    for (const slot of OPTIMIZER_SLOTS[this.#optimizer]) {
      const values = state.slots[slot];
      if (!values) throw new TypeError(`Cannot upload the optimiser state: slot ${slot} is missing`);
      this.#write(slot, Float32Array.from(values));
    }
    const words = new Uint32Array(CLIP_STATE_WORDS);
    words[3] = state.step;
    this.#write("clip_state", words);
  }

  /**
   * Uploads the initial memories for `random` memory init (ignored otherwise).
   *
   * @param memory (B, N, M) memories.
   */
  writeMemoryDraw(memory: Float64Array): void {
    this.#memoryDraw = Float32Array.from(memory);
    this.#write("memory_draw", this.#memoryDraw);
  }

  /**
   * Records and submits one training step on a batch of exactly B episodes.
   *
   * @param batch The episodes.
   */
  trainStep(batch: EpisodeBatch): void {
    const schedule = this.#prepare(batch, true);
    const T = batch.steps;
    const encoder = this.#context.device.createCommandEncoder({ label: "training step" });
    for (const name of ZEROED_PER_STEP) encoder.clearBuffer(this.#buffer(name));
    const pass = encoder.beginComputePass({ label: "training step" });
    const dispatches = trainingDispatches(schedule, T);
    for (const { bound, t } of dispatches) record(pass, [bound], t);
    pass.end();
    this.#context.device.queue.submit([encoder.finish()]);
    this.dispatchesPerStep = dispatches.length;
    this.#lastDispatches = dispatches;
  }

  /**
   * Prepares a profile of a training step (see `bench/_profile.ts`): runs the step once, so that every
   * buffer holds realistic values, waits for it, and returns its dispatches grouped by phase (`forward`,
   * `output`, `backward`, `finish`) and kernel entry point, in step order, each group ready to record
   * again on its own. Recording the groups one after another runs the kernels out of their dependency
   * order and changes the engine's state (parameters included): for profiling only.
   *
   * @param batch The episodes.
   * @returns The groups, in the order of their first dispatch.
   */
  async profileGroups(batch: EpisodeBatch): Promise<ProfileGroup[]> {
    this.trainStep(batch);
    await this.#context.device.queue.onSubmittedWorkDone();
    const groups = new Map<string, StepDispatch[]>();
    for (const item of this.#lastDispatches) {
      const label = `${item.phase} ${item.bound.kernel.spec.label}.${item.bound.kernel.spec.entryPoint}`;
      groups.set(label, [...(groups.get(label) ?? []), item]);
    }
    return [...groups].map(([label, items]) => ({
      label,
      dispatches: items.length,
      record: (pass: GPUComputePassEncoder) => {
        for (const { bound, t } of items) record(pass, [bound], t);
      },
    }));
  }

  /**
   * Runs the forward pass and the loss on a batch of exactly B episodes without changing the parameters,
   * and reads back the outputs and the per-episode metrics.
   *
   * @param batch The episodes.
   * @returns (T, B, Y) output probabilities, and the report (loss, errors) of this batch.
   */
  async evaluate(batch: EpisodeBatch): Promise<{ y: Float32Array; report: GpuStepReport }> {
    const schedule = this.#prepare(batch, false);
    const encoder = this.#context.device.createCommandEncoder({ label: "evaluation" });
    const pass = encoder.beginComputePass({ label: "evaluation" });
    this.#recordForward(pass, schedule, batch.steps);
    pass.end();
    this.#context.device.queue.submit([encoder.finish()]);
    const [y, report] = await Promise.all([
      this.#read(this.#buffer("y"), batch.steps * this.batch * batch.outputSize),
      this.readStepReport(),
    ]);
    return { y: new Float32Array(y), report };
  }

  /**
   * Reads back what the last step left: per-episode loss and errors, the gradient norm and update count.
   *
   * @returns The report.
   */
  async readStepReport(): Promise<GpuStepReport> {
    const [metrics, clip] = await Promise.all([
      this.#read(this.#persistent.get("metrics")!, 2 * this.batch),
      this.#read(this.#persistent.get("clip_state")!, CLIP_STATE_WORDS),
    ]);
    const m = new Float32Array(metrics);
    const loss = new Float32Array(this.batch), errors = new Float32Array(this.batch);
    this.#order.forEach((episode, slot) => {
      loss[episode] = m[2 * slot]!, errors[episode] = m[2 * slot + 1]!;
    });
    return {
      loss,
      errors,
      gradNorm: new Float32Array(clip)[0]!,
      updates: new Uint32Array(clip)[3]!,
    };
  }

  /**
   * Reads back the parameters.
   *
   * @returns (P) the flat parameters, as float64.
   */
  async readParameters(): Promise<Float64Array> {
    return Float64Array.from(
      new Float32Array(await this.#read(this.#persistent.get("params")!, this.#layout.size)),
    );
  }

  /**
   * Reads back the optimiser's state.
   *
   * @returns The state (slots as float64).
   */
  async readOptimizerState(): Promise<OptimizerState> {
    const slots: Record<string, Float64Array> = {};
    for (const slot of OPTIMIZER_SLOTS[this.#optimizer]) {
      slots[slot] = Float64Array.from(
        new Float32Array(await this.#read(this.#persistent.get(slot)!, this.#layout.size)),
      );
    }
    const clip = new Uint32Array(await this.#read(this.#persistent.get("clip_state")!, CLIP_STATE_WORDS));
    return { name: this.#optimizer, step: clip[3]!, slots };
  }

  /** Frees every buffer. */
  destroy(): void {
    for (const buffer of [...this.#persistent.values(), ...this.#buffers.values()]) buffer.destroy();
    this.#stepUniform?.destroy();
    this.#buffers.clear(), this.#schedules.clear();
  }

  /**
   * Uploads a batch (time-major) and returns the schedule of its length, allocating what it needs. For
   * training, the fused path also uploads each episode's active steps (1 + its last step whose output
   * counts): later steps change no loss, and the step kernels skip them; and it orders the episodes by
   * their active steps, longest first.
   */
  #prepare(batch: EpisodeBatch, training: boolean): Schedule {
    const config = this.#config;
    if (batch.batch !== this.batch) {
      throw new RangeError(
        `Cannot run the GPU engine: it was built for B = ${this.batch} episodes, got ${batch.batch}`,
      );
    }
    if (batch.inputSize !== config.inputSize || batch.outputSize !== config.outputSize) {
      throw new RangeError(
        `Cannot run the GPU engine on this batch: the model expects X = ${config.inputSize}, Y = ${config.outputSize}, the batch has X = ${batch.inputSize}, Y = ${batch.outputSize}`,
      );
    }
    const T = batch.steps;
    if (T > this.#capacity) this.#allocate(Math.max(T, Math.ceil(this.#capacity * 1.25)));
    const B = this.batch, X = batch.inputSize, Y = batch.outputSize;
    // The fused path, in training, runs the episodes longest first (see active_steps below), so that the
    // controller step kernels' groups of 8 run out of work together; the report restores the order.
    const active = new Uint32Array(B).fill(T);
    if (this.fused && training) {
      for (let b = 0; b < B; b++) {
        let last = T;
        while (last > 0 && batch.mask[b * T + last - 1] === 0) last--;
        active[b] = last;
      }
    }
    const order = Int32Array.from({ length: B }, (_, b) => b);
    if (this.fused && training) order.sort((a, b) => active[b]! - active[a]! || a - b);
    this.#order = order;
    const input = new Float32Array(T * B * X),
      target = new Float32Array(T * B * Y),
      mask = new Float32Array(T * B);
    for (let slot = 0; slot < B; slot++) {
      const b = order[slot]!;
      for (let t = 0; t < T; t++) {
        const from = b * T + t, to = t * B + slot;
        input.set(batch.input.subarray(from * X, (from + 1) * X), to * X);
        target.set(batch.target.subarray(from * Y, (from + 1) * Y), to * Y);
        mask[to] = batch.mask[from]!;
      }
    }
    this.#write("input", input), this.#write("target", target), this.#write("mask", mask);
    if (this.fused) this.#write("active_steps", Uint32Array.from(order, (b) => active[b]!));
    if (this.#memoryDraw && this.#config.memoryInit === "random") {
      const cells = this.#config.memoryN * this.#config.memoryM, draw = new Float32Array(B * cells);
      order.forEach((b, slot) =>
        draw.set(this.#memoryDraw!.subarray(b * cells, (b + 1) * cells), slot * cells)
      );
      this.#write("memory_draw", draw);
    }
    let schedule = this.#schedules.get(`${T}`);
    if (!schedule) {
      schedule = this.#buildSchedule(T);
      this.#schedules.set(`${T}`, schedule);
    }
    return schedule;
  }

  #recordForward(pass: GPUComputePassEncoder, schedule: Schedule, T: number): number {
    let dispatches = record(pass, schedule.init, 0);
    for (let t = 0; t < T; t++) dispatches += record(pass, schedule.forwardStep, t);
    return dispatches + record(pass, schedule.output, 0);
  }

  /**
   * Replaces the optimiser's hyper-parameters (a learning-rate schedule's decay): they are constants of the
   * update kernel, so the schedules bound with the old ones are dropped and rebuilt at the next step.
   *
   * @param options The new hyper-parameters.
   */
  setOptimizerOptions(options: OptimizerOptions): void {
    this.#optimizerOptions = options;
    this.#schedules.clear();
  }

  /** (Re)allocates every buffer with a time axis for T steps, and drops the schedules bound to the old ones. */
  #allocate(T: number): void {
    for (const buffer of this.#buffers.values()) buffer.destroy();
    this.#schedules.clear();
    this.#stepUniform?.destroy();
    this.#capacity = T;
    this.#stepUniform = createStepUniform(this.#context.device, T + 1);
    this.#buffers = this.#createBuffers(stepBuffers(this.#config, this.batch, T));
  }

  #buildSchedule(T: number): Schedule {
    const shape = {
      config: this.#config,
      layout: this.#layout,
      batch: this.batch,
      steps: T,
      optimizer: this.#optimizer,
      optimizerOptions: this.#optimizerOptions,
    };
    return buildSchedule(shape, this.fused, (launch, parity = 0, names) => this.#bind(launch, parity, names));
  }

  /**
   * Binds a kernel's bindings to the engine's buffers: by explicit names, or by the spec's binding names
   * (resolved by `bufferName`: `saved_x` is `x`; `d_w`/`d_w_prev` and `d_memory`/`d_memory_prev` alternate
   * with the parity of t).
   */
  #bind(launch: KernelLaunch, parity: number, names?: readonly string[]): Bound {
    const { spec, workgroups } = launch;
    const bindings = names ?? [...spec.inputs, ...spec.outputs];
    const buffers = bindings.map((name) => this.#buffer(bufferName(name, parity)));
    const kernel = this.#cache.get(spec);
    return {
      kernel,
      group: bindKernel(this.#context.device, kernel, buffers, this.#stepUniform!),
      workgroups,
    };
  }

  #buffer(name: string): GPUBuffer {
    const buffer = this.#buffers.get(name) ?? this.#persistent.get(name);
    if (!buffer) throw new Error(`The GPU engine has no buffer named ${name}`);
    return buffer;
  }

  #createBuffers(rows: readonly BufferRow[]): Map<string, GPUBuffer> {
    const device = this.#context.device;
    return new Map(rows.map(([name, size, shape]) => [name, createEngineBuffer(device, name, size, shape)]));
  }

  #write(name: string, data: Float32Array | Uint32Array): void {
    this.#context.device.queue.writeBuffer(this.#buffer(name), 0, data as Float32Array<ArrayBuffer>);
  }

  #read(buffer: GPUBuffer, elements: number): Promise<ArrayBuffer> {
    return readEngineBuffer(this.#context.device, buffer, elements);
  }
}

/**
 * Whether the fused path is the default on an adapter. Measured (bench/RESULTS.md): on a software adapter
 * (llvmpipe) the fused path trains the copy configuration about 5× faster than the one-kernel-per-op path
 * at B = 32 and 2.6× faster at B = 1. Not yet measured on a hardware GPU, where its controller kernels run
 * only ceil(B / 8) workgroups per step: there the one-kernel-per-op path stays the default until a
 * measurement says otherwise.
 *
 * @param context The device.
 * @returns The default of {@linkcode NtmGpuEngineOptions.fused}.
 *
 * @example
 * ```ts ignore
 * console.log(defaultFused(await requestGpuContext()));
 * ```
 */
export function defaultFused(context: GpuContext): boolean {
  return context.isSoftware;
}

/** Whether the device's limits admit the fused kernels of this configuration. */
function canRunFused(device: GPUDevice, config: NtmConfig): boolean {
  const sizes = addressingSizes(config, 1);
  const limits = device.limits;
  return memoryStepFits(sizes) && limits.maxStorageBuffersPerShaderStage >= 14 &&
    Math.max(controllerStepWorkgroupBytes(config), memoryStepWorkgroupBytes(sizes)) <=
      limits.maxComputeWorkgroupStorageSize;
}
