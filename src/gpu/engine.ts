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
 * Use {@linkcode NtmGpuEngine.profileGroups} with `src/gpu/profile.ts` to see where a step's time goes.
 *
 * Buffers with a time axis are allocated for a capacity of T steps and grow (all of them, rebuilt) when a
 * longer batch arrives; the kernels whose work spans all T steps are specialised on each batch's T, and
 * their pipelines and bind groups are cached per T.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import { headParamsWidth, type NtmConfig, shiftCount } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerName, OptimizerOptions, OptimizerState } from "../optim/optimizer.ts";
import type { GpuContext } from "./device.ts";
import { bindKernel, createStepUniform, dispatch, type Kernel, type KernelCache } from "./kernel.ts";
import {
  type AddressingSizes,
  contentAddressBackwardKernel,
  contentAddressBackwardMemoryKernel,
  contentAddressForwardKernel,
  headParamsBackwardKernel,
  headParamsForwardKernel,
  interpolateBackwardKernel,
  interpolateForwardKernel,
  type KernelLaunch,
  memoryReadBackwardKernel,
  memoryReadForwardKernel,
  memoryWriteBackwardKernel,
  memoryWriteForwardKernel,
  sharpenBackwardKernel,
  sharpenForwardKernel,
  shiftBackwardKernel,
  shiftForwardKernel,
} from "./kernels_addressing.ts";
import {
  CLIP_STATE_WORDS,
  controllerInputStride,
  feedforwardBackwardKernel,
  feedforwardForwardKernel,
  lstmBackwardKernel,
  lstmForwardKernel,
  ntmLinearKernels,
  optimizerKernels,
  outputGatherBackwardKernel,
  outputGatherForwardKernel,
  outputLossKernel,
} from "./kernels_controller.ts";
import {
  controllerStepBackwardKernel,
  controllerStepForwardKernel,
  controllerStepWorkgroupBytes,
  memoryStepBackwardKernel,
  memoryStepFits,
  memoryStepForwardKernel,
  memoryStepWorkgroupBytes,
  packedWeightsLength,
  packWeightsKernel,
} from "./kernels_fused.ts";
import { initStateBackwardKernel, initStateForwardKernel } from "./kernels_state.ts";

/** The slots of each optimiser's state, in the order its update kernel binds them. */
const OPTIMIZER_SLOTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  adam: ["m", "v"],
  rmsprop: ["n", "gbar", "delta"],
};

/** A kernel dispatch bound to its buffers, ready to record. */
interface Bound {
  readonly kernel: Kernel;
  readonly group: GPUBindGroup;
  readonly workgroups: readonly [number, number, number];
}

/** The dispatches of one batch length T, in recording order. */
interface Schedule {
  /** Slot 0 of the state buffers. */
  readonly init: Bound[];
  /** Per step t (same list for every t; the step uniform selects t). */
  readonly forwardStep: Bound[];
  /** After the time loop: output layer, loss, and the loss's gradient. */
  readonly output: Bound[];
  /** Per reverse step, by the parity of t (the carried gradients ping-pong between two buffers). */
  readonly backwardStep: [Bound[], Bound[]];
  /** After the reverse loop: initial state, weight gradients, clipping and the optimiser. */
  readonly finish: Bound[];
}

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
    const P = layout.size;
    const persistent: [string, number, string][] = [
      ["params", P, "(P) flat parameters"],
      ["grad", P, "(P) flat gradient"],
      ["clip_state", CLIP_STATE_WORDS, "(4) norm, scale, finite, updates"],
      ["metrics", 2 * batch, "(B, 2) loss in nats, errors"],
      ["memory_draw", batch * config.memoryN * config.memoryM, "(B, N, M) Mem_0 for random memory init"],
    ];
    for (const slot of OPTIMIZER_SLOTS[optimizer]) persistent.push([slot, P, `(P) optimiser state ${slot}`]);
    if (this.fused) {
      persistent.push(["packed", 4 * packedWeightsLength(config), "padded controller and head weights"]);
      persistent.push(["active_steps", batch, "(B) u32 steps that change the loss"]);
    }
    this.#persistent = new Map(
      persistent.map(([name, size, shape]) => [name, this.#createBuffer(name, size, shape)]),
    );
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
    for (
      const name of ["grad", "d_hidden", "d_cell", "d_reads", "d_w_a", "d_w_b", "d_memory_a", "d_memory_b"]
    ) {
      encoder.clearBuffer(this.#buffer(name));
    }
    const pass = encoder.beginComputePass({ label: "training step" });
    const dispatches = trainingDispatches(schedule, T);
    for (const { bound, t } of dispatches) record(pass, [bound], t);
    pass.end();
    this.#context.device.queue.submit([encoder.finish()]);
    this.dispatchesPerStep = dispatches.length;
    this.#lastDispatches = dispatches;
  }

  /**
   * Prepares a profile of a training step (see `src/gpu/profile.ts`): runs the step once, so that every
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
   * Reads back the gradient of the last training step (after clipping).
   *
   * @returns (P) the flat gradient, as float64.
   */
  async readGradient(): Promise<Float64Array> {
    return Float64Array.from(
      new Float32Array(await this.#read(this.#persistent.get("grad")!, this.#layout.size)),
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

  /** (Re)allocates every buffer with a time axis for T steps, and drops the schedules bound to the old ones. */
  #allocate(T: number): void {
    for (const buffer of this.#buffers.values()) buffer.destroy();
    this.#buffers.clear(), this.#schedules.clear();
    this.#stepUniform?.destroy();
    this.#capacity = T;
    this.#stepUniform = createStepUniform(this.#context.device, T + 1);
    const c = this.#config, B = this.batch;
    const { controllerSize: C, controllerLayers: L, memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = c;
    const X = c.inputSize, Y = c.outputSize, H = R + W, S = shiftCount(c), P = headParamsWidth(c);
    const gateRows = c.controllerType === "lstm" ? 4 * C : C, kMax = controllerInputStride(c);
    const sizes: [string, number, string][] = [
      ["input", T * B * X, "(T, B, X) inputs"],
      ["target", T * B * Y, "(T, B, Y) targets"],
      ["mask", T * B, "(T, B) loss mask"],
      ["controller_in", T * L * B * kMax, "(T, L, B, K_max) controller layer inputs"],
      ["gates", T * L * B * gateRows, "(T, L, B, 4C) LSTM gates"],
      ["hidden", (T + 1) * L * B * C, "(T + 1, L, B, C) h"],
      ["cell", (T + 1) * L * B * C, "(T + 1, L, B, C) c"],
      ["raw_heads", T * B * P, "(T, B, P) raw head parameters"],
      ["k", T * B * H * M, "(T, B, H, M) keys"],
      ["beta", T * B * H, "(T, B, H) key strengths"],
      ["g", T * B * H, "(T, B, H) gates"],
      ["s", T * B * H * S, "(T, B, H, S) shifts"],
      ["gamma", T * B * H, "(T, B, H) sharpening"],
      ["e", T * B * W * M, "(T, B, W, M) erase vectors"],
      ["a", T * B * W * M, "(T, B, W, M) add vectors"],
      ["wc", T * B * H * N, "(T, B, H, N) content weightings"],
      ["wg", T * B * H * N, "(T, B, H, N) gated weightings"],
      ["w_tilde", T * B * H * N, "(T, B, H, N) shifted weightings"],
      ["w", (T + 1) * B * H * N, "(T + 1, B, H, N) weightings"],
      ["reads", (T + 1) * B * R * M, "(T + 1, B, R, M) read vectors"],
      ["memory", (T + 1) * B * N * M, "(T + 1, B, N, M) memories"],
      ["output_in", T * B * (C + R * M), "(T, B, C + R·M) output layer inputs"],
      ["logits", T * B * Y, "(T, B, Y) output logits"],
      ["y", T * B * Y, "(T, B, Y) output probabilities"],
      ["d_logits", T * B * Y, "(T, B, Y) loss gradient"],
      ["d_output_in", T * B * (C + R * M), "(T, B, C + R·M) output layer input gradient"],
      ["d_hidden", L * B * C, "(L, B, C) carried ∂h"],
      ["d_cell", L * B * C, "(L, B, C) carried ∂c"],
      ["d_reads", B * R * M, "(B, R, M) carried ∂r"],
      ["d_w_a", B * H * N, "(B, H, N) carried ∂w (even steps)"],
      ["d_w_b", B * H * N, "(B, H, N) carried ∂w (odd steps)"],
      ["d_memory_a", B * N * M, "(B, N, M) carried ∂Mem (even steps)"],
      ["d_memory_b", B * N * M, "(B, N, M) carried ∂Mem (odd steps)"],
      ["d_k", B * H * M, "(B, H, M) ∂k"],
      ["d_beta", B * H, "(B, H) ∂β"],
      ["d_g", B * H, "(B, H) ∂g"],
      ["d_s", B * H * S, "(B, H, S) ∂s"],
      ["d_gamma", B * H, "(B, H) ∂γ"],
      ["d_e", B * W * M, "(B, W, M) ∂e"],
      ["d_a", B * W * M, "(B, W, M) ∂a"],
      ["d_wc", B * H * N, "(B, H, N) ∂w^c"],
      ["d_wg", B * H * N, "(B, H, N) ∂w^g"],
      ["d_w_tilde", B * H * N, "(B, H, N) ∂w̃"],
      ["d_cosine", B * H * N * 2, "(B, H, N, 2) content-addressing scratch"],
      ["d_raw_heads", T * B * P, "(T, B, P) ∂raw head parameters"],
      ["d_preact", T * L * B * gateRows, "(T, L, B, 4C) ∂controller pre-activations"],
    ];
    for (const [name, size, shape] of sizes) this.#buffers.set(name, this.#createBuffer(name, size, shape));
  }

  #buildSchedule(T: number): Schedule {
    const c = this.#config, layout = this.#layout, B = this.batch, L = c.controllerLayers;
    const sizes: AddressingSizes = {
      B,
      N: c.memoryN,
      M: c.memoryM,
      R: c.readHeads,
      W: c.writeHeads,
      S: shiftCount(c),
    };
    const linear = ntmLinearKernels(c, layout, B, T);
    const isLstm = c.controllerType === "lstm";
    const bindNamed = (launch: KernelLaunch, parity = 0, names?: readonly string[]) =>
      this.#bind(launch, parity, names);

    if (this.fused) return this.#buildFusedSchedule(T, sizes, linear);
    const forwardStep: Bound[] = [];
    for (let l = 0; l < L; l++) {
      forwardStep.push(
        bindNamed(isLstm ? lstmForwardKernel(c, layout, B, l) : feedforwardForwardKernel(c, layout, B, l)),
      );
    }
    forwardStep.push(
      bindNamed(linear.heads.forward, 0, ["params", "hidden", "raw_heads"]),
      bindNamed(headParamsForwardKernel(sizes)),
      bindNamed(contentAddressForwardKernel(sizes)),
      bindNamed(interpolateForwardKernel(sizes)),
      bindNamed(shiftForwardKernel(sizes)),
      bindNamed(sharpenForwardKernel(sizes)),
      bindNamed(memoryReadForwardKernel(sizes)),
      bindNamed(memoryWriteForwardKernel(sizes)),
    );
    const output = [
      bindNamed(outputGatherForwardKernel(c, B, T)),
      bindNamed(linear.output.forward, 0, ["params", "output_in", "logits"]),
      bindNamed(outputLossKernel(c.outputKind, B, T, c.outputSize)),
      bindNamed(linear.output.backwardInput, 0, ["params", "d_logits", "d_output_in"]),
    ];
    const backwardStep = ([0, 1] as const).map((parity) => {
      const step: Bound[] = [
        bindNamed(outputGatherBackwardKernel(c, B, T), parity),
        bindNamed(memoryWriteBackwardKernel(sizes), parity),
        bindNamed(memoryReadBackwardKernel(sizes), parity),
        bindNamed(sharpenBackwardKernel(sizes), parity),
        bindNamed(shiftBackwardKernel(sizes), parity),
        bindNamed(interpolateBackwardKernel(sizes), parity),
        bindNamed(contentAddressBackwardKernel(sizes), parity),
        bindNamed(contentAddressBackwardMemoryKernel(sizes), parity),
        bindNamed(headParamsBackwardKernel(sizes), parity),
        bindNamed(linear.heads.backwardInput, parity, ["params", "d_raw_heads", "d_hidden"]),
      ];
      for (let l = L - 1; l >= 0; l--) {
        step.push(
          bindNamed(
            isLstm ? lstmBackwardKernel(c, layout, B, l) : feedforwardBackwardKernel(c, layout, B, l),
            parity,
          ),
        );
      }
      return step;
    }) as [Bound[], Bound[]];
    const finish: Bound[] = [
      // After step t = 0, the "previous" gradients of the even parity are those of the initial state.
      bindNamed(initStateBackwardKernel(c, layout, B), 0, [
        "d_hidden",
        "d_cell",
        "d_reads",
        "d_w_prev",
        "d_memory_prev",
        "w",
        "grad",
      ]),
      bindNamed(linear.output.weightGrad, 0, ["d_logits", "output_in", "grad"]),
      bindNamed(linear.heads.weightGrad, 0, ["d_raw_heads", "hidden", "grad"]),
      ...linear.controllerWeightGrad.map((launch) =>
        bindNamed(launch, 0, ["d_preact", "controller_in", "grad"])
      ),
      ...optimizerKernels(this.#optimizer, layout.size, this.#optimizerOptions).map((launch) =>
        bindNamed(launch)
      ),
    ];
    return {
      init: [bindNamed(initStateForwardKernel(c, layout, B))],
      forwardStep,
      output,
      backwardStep,
      finish,
    };
  }

  /** The fused path: 2 dispatches per time step forward (controller, memory), 2 backward. */
  #buildFusedSchedule(
    T: number,
    sizes: AddressingSizes,
    linear: ReturnType<typeof ntmLinearKernels>,
  ): Schedule {
    const c = this.#config, layout = this.#layout, B = this.batch, C = c.controllerSize;
    const bind = (launch: KernelLaunch, parity = 0, names?: readonly string[]) =>
      this.#bind(launch, parity, names);
    const output = [
      bind(outputGatherForwardKernel(c, B, T)),
      bind(linear.output.forward, 0, ["params", "output_in", "logits"]),
      bind(outputLossKernel(c.outputKind, B, T, c.outputSize)),
      bind(linear.output.backwardInput, 0, ["params", "d_logits", "d_output_in"]),
    ];
    const backwardStep = ([0, 1] as const).map((parity) => [
      bind(memoryStepBackwardKernel(sizes, C), parity),
      bind(controllerStepBackwardKernel(c, layout, B), parity, [
        "params",
        "packed",
        "gates",
        "cell",
        "hidden",
        "d_raw_heads",
        "d_output_in",
        "active_steps",
        "d_preact",
        "d_hidden",
        "d_cell",
        "d_reads",
      ]),
    ]) as [Bound[], Bound[]];
    const finish: Bound[] = [
      bind(initStateBackwardKernel(c, layout, B), 0, [
        "d_hidden",
        "d_cell",
        "d_reads",
        "d_w_prev",
        "d_memory_prev",
        "w",
        "grad",
      ]),
      bind(linear.output.weightGrad, 0, ["d_logits", "output_in", "grad"]),
      bind(linear.heads.weightGrad, 0, ["d_raw_heads", "hidden", "grad"]),
      ...linear.controllerWeightGrad.map((launch) => bind(launch, 0, ["d_preact", "controller_in", "grad"])),
      ...optimizerKernels(this.#optimizer, layout.size, this.#optimizerOptions).map((launch) => bind(launch)),
    ];
    return {
      init: [
        bind(packWeightsKernel(c, layout, B), 0, ["params", "packed"]),
        bind(initStateForwardKernel(c, layout, B)),
      ],
      forwardStep: [
        bind(controllerStepForwardKernel(c, layout, B)),
        bind(memoryStepForwardKernel(sizes, C)),
      ],
      output,
      backwardStep,
      finish,
    };
  }

  /**
   * Binds a kernel's bindings to the engine's buffers: by explicit names, or by the spec's binding names
   * (`saved_x` is `x`; `d_w`/`d_w_prev` and `d_memory`/`d_memory_prev` alternate with the parity of t).
   */
  #bind(launch: KernelLaunch, parity: number, names?: readonly string[]): Bound {
    const { spec, workgroups } = launch;
    const bindings = names ?? [...spec.inputs, ...spec.outputs];
    const buffers = bindings.map((name) => this.#resolve(name, parity));
    const kernel = this.#cache.get(spec);
    return {
      kernel,
      group: bindKernel(this.#context.device, kernel, buffers, this.#stepUniform!),
      workgroups,
    };
  }

  #resolve(binding: string, parity: number): GPUBuffer {
    const aliases: Record<string, string> = {
      grad_in: "grad",
      clip_state_in: "clip_state",
      targets: "target",
      bias_grad: "grad",
      d_reads_prev: "d_reads",
    };
    let name = aliases[binding] ?? binding.replace(/^saved_/, "");
    const pingPong: Record<string, [string, string]> = {
      d_w: ["d_w_a", "d_w_b"],
      d_w_prev: ["d_w_b", "d_w_a"],
      d_memory: ["d_memory_a", "d_memory_b"],
      d_memory_prev: ["d_memory_b", "d_memory_a"],
    };
    if (pingPong[name]) name = pingPong[name]![parity]!;
    return this.#buffer(name);
  }

  #buffer(name: string): GPUBuffer {
    const buffer = this.#buffers.get(name) ?? this.#persistent.get(name);
    if (!buffer) throw new Error(`The GPU engine has no buffer named ${name}`);
    return buffer;
  }

  #createBuffer(name: string, elements: number, shape: string): GPUBuffer {
    return this.#context.device.createBuffer({
      label: `${name} ${shape}`,
      size: Math.max(16, Math.ceil((elements * 4) / 16) * 16),
      usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
    });
  }

  #write(name: string, data: Float32Array | Uint32Array): void {
    this.#context.device.queue.writeBuffer(this.#buffer(name), 0, data as Float32Array<ArrayBuffer>);
  }

  async #read(buffer: GPUBuffer, elements: number): Promise<ArrayBuffer> {
    const device = this.#context.device;
    const size = Math.ceil((elements * 4) / 16) * 16;
    const staging = device.createBuffer({
      label: `${buffer.label} readback`,
      size,
      usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
    });
    const encoder = device.createCommandEncoder({ label: "readback" });
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(GPUMapMode.READ);
    const data = staging.getMappedRange().slice(0, elements * 4);
    staging.unmap();
    staging.destroy();
    return data;
  }
}

/** One dispatch of a training step: what, at which t, and in which phase. */
interface StepDispatch {
  readonly bound: Bound;
  readonly t: number;
  readonly phase: "forward" | "output" | "backward" | "finish";
}

/** Every dispatch of a training step of T steps, in recording order. */
function trainingDispatches(schedule: Schedule, T: number): StepDispatch[] {
  const out: StepDispatch[] = [];
  const add = (bound: readonly Bound[], t: number, phase: StepDispatch["phase"]) => {
    for (const b of bound) out.push({ bound: b, t, phase });
  };
  add(schedule.init, 0, "forward");
  for (let t = 0; t < T; t++) add(schedule.forwardStep, t, "forward");
  add(schedule.output, 0, "output");
  for (let t = T - 1; t >= 0; t--) add(schedule.backwardStep[t % 2]!, t, "backward");
  add(schedule.finish, 0, "finish");
  return out;
}

function record(pass: GPUComputePassEncoder, bound: readonly Bound[], t: number): number {
  for (const { kernel, group, workgroups } of bound) dispatch(pass, kernel, group, t, workgroups);
  return bound.length;
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
  const sizes = {
    B: 1,
    N: config.memoryN,
    M: config.memoryM,
    R: config.readHeads,
    W: config.writeHeads,
    S: shiftCount(config),
  };
  const limits = device.limits;
  return memoryStepFits(sizes) && limits.maxStorageBuffersPerShaderStage >= 14 &&
    Math.max(controllerStepWorkgroupBytes(config), memoryStepWorkgroupBytes(sizes)) <=
      limits.maxComputeWorkgroupStorageSize;
}
