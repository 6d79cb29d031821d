/**
 * The engine's per-episode dispatch schedules: every kernel dispatch of a training step on a batch of T
 * steps, bound to the engine's buffers, in recording order. Two schedules compute the same thing: the
 * per-op one, a dispatch per op and time step (`kernels_addressing.ts`, `kernels_controller.ts`), and the
 * fused one, 2 dispatches per time step forward and 2 backward (`kernels_fused.ts`). They differ in the
 * initial state, the forward step and the backward step; the output phase (output layer, loss and its
 * gradient) and the finish (initial state, weight gradients, clipping and the optimiser) are the same.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerName, OptimizerOptions } from "../optim/optimizer.ts";
import { dispatch, type Kernel, type KernelLaunch } from "./kernel.ts";
import {
  type AddressingSizes,
  addressingSizes,
  contentAddressBackwardKernel,
  contentAddressBackwardMemoryKernel,
  contentAddressForwardKernel,
  headParamsBackwardKernel,
  headParamsForwardKernel,
  interpolateBackwardKernel,
  interpolateForwardKernel,
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
  feedforwardBackwardKernel,
  feedforwardForwardKernel,
  lstmBackwardKernel,
  lstmForwardKernel,
  outputGatherBackwardKernel,
  outputGatherForwardKernel,
} from "./kernels_controller.ts";
import {
  controllerStepBackwardKernel,
  controllerStepForwardKernel,
  memoryStepBackwardKernel,
  memoryStepForwardKernel,
  packWeightsKernel,
} from "./kernels_fused.ts";
import { type NtmLinearKernels, ntmLinearKernels } from "./kernels_linear.ts";
import { outputLossKernel } from "./kernels_loss.ts";
import { optimizerKernels } from "./kernels_optimizer.ts";
import { initStateBackwardKernel, initStateForwardKernel } from "./kernels_state.ts";

/** A kernel dispatch bound to its buffers, ready to record. */
export interface Bound {
  /** The compiled kernel. */
  readonly kernel: Kernel;
  /** Its bind group over the engine's buffers. */
  readonly group: GPUBindGroup;
  /** Workgroup counts (x, y, z). */
  readonly workgroups: readonly [number, number, number];
}

/**
 * Binds a launch to the engine's buffers: to the buffers named, or to those its spec's binding names
 * resolve to (`engine_bindings.ts`) at the parity of the reverse step t.
 */
export type Bind = (launch: KernelLaunch, parity?: number, names?: readonly string[]) => Bound;

/** The dispatches of one batch length T, in recording order. */
export interface Schedule {
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

/** What a schedule is built for: the model, the batch, its length and the optimiser. */
export interface ScheduleShape {
  /** The configuration. */
  readonly config: NtmConfig;
  /** Its layout. */
  readonly layout: ParameterLayout;
  /** B. */
  readonly batch: number;
  /** T. */
  readonly steps: number;
  /** The optimiser of the finish. */
  readonly optimizer: OptimizerName;
  /** Its hyper-parameters. */
  readonly optimizerOptions: OptimizerOptions;
}

/** One dispatch of a training step: what, at which t, and in which phase. */
export interface StepDispatch {
  /** The dispatch. */
  readonly bound: Bound;
  /** The time step it works on. */
  readonly t: number;
  /** Its phase of the training step. */
  readonly phase: "forward" | "output" | "backward" | "finish";
}

/** The phases in which the per-op and the fused schedules differ. */
type StepPhases = Pick<Schedule, "init" | "forwardStep" | "backwardStep">;

/**
 * The schedule of one batch length: per op, or fused.
 *
 * @param shape The model, B, T and the optimiser.
 * @param fused Whether to build the fused schedule.
 * @param bind Binds a launch to the engine's buffers.
 * @returns The schedule.
 *
 * @example
 * ```ts ignore
 * const schedule = buildSchedule({ config, layout, batch: 32, steps: 42, optimizer: "adam", optimizerOptions: {} }, true, bind);
 * ```
 */
export function buildSchedule(shape: ScheduleShape, fused: boolean, bind: Bind): Schedule {
  const sizes = addressingSizes(shape.config, shape.batch);
  const linear = ntmLinearKernels(shape.config, shape.layout, shape.batch, shape.steps);
  const steps = fused ? fusedSteps(shape, sizes, bind) : perOpSteps(shape, sizes, linear, bind);
  return { ...steps, output: outputPhase(shape, linear, bind), finish: finishPhase(shape, linear, bind) };
}

/**
 * Every dispatch of a training step of T steps, in recording order.
 *
 * @param schedule The schedule of length T.
 * @param T The batch length.
 * @returns The dispatches.
 *
 * @example
 * ```ts ignore
 * for (const { bound, t } of trainingDispatches(schedule, 42)) record(pass, [bound], t);
 * ```
 */
export function trainingDispatches(schedule: Schedule, T: number): StepDispatch[] {
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

/**
 * Records dispatches for time step t into an open compute pass.
 *
 * @param pass The pass.
 * @param bound The dispatches.
 * @param t The time step.
 * @returns How many were recorded.
 *
 * @example
 * ```ts ignore
 * for (let t = 0; t < T; t++) record(pass, schedule.forwardStep, t);
 * ```
 */
export function record(pass: GPUComputePassEncoder, bound: readonly Bound[], t: number): number {
  for (const { kernel, group, workgroups } of bound) dispatch(pass, kernel, group, t, workgroups);
  return bound.length;
}

/** The per-op phases: a dispatch per controller layer and per addressing op at each time step. */
function perOpSteps(
  shape: ScheduleShape,
  sizes: AddressingSizes,
  linear: NtmLinearKernels,
  bind: Bind,
): StepPhases {
  const { config: c, layout, batch: B } = shape, L = c.controllerLayers;
  const isLstm = c.controllerType === "lstm";
  const forwardStep: Bound[] = [];
  for (let l = 0; l < L; l++) {
    forwardStep.push(
      bind(isLstm ? lstmForwardKernel(c, layout, B, l) : feedforwardForwardKernel(c, layout, B, l)),
    );
  }
  forwardStep.push(
    bind(linear.heads.forward, 0, ["params", "hidden", "raw_heads"]),
    bind(headParamsForwardKernel(sizes)),
    bind(contentAddressForwardKernel(sizes)),
    bind(interpolateForwardKernel(sizes)),
    bind(shiftForwardKernel(sizes)),
    bind(sharpenForwardKernel(sizes)),
    bind(memoryReadForwardKernel(sizes)),
    bind(memoryWriteForwardKernel(sizes)),
  );
  const backwardStep = ([0, 1] as const).map((parity) => {
    const step: Bound[] = [
      bind(outputGatherBackwardKernel(c, B, shape.steps), parity),
      bind(memoryWriteBackwardKernel(sizes), parity),
      bind(memoryReadBackwardKernel(sizes), parity),
      bind(sharpenBackwardKernel(sizes), parity),
      bind(shiftBackwardKernel(sizes), parity),
      bind(interpolateBackwardKernel(sizes), parity),
      bind(contentAddressBackwardKernel(sizes), parity),
      bind(contentAddressBackwardMemoryKernel(sizes), parity),
      bind(headParamsBackwardKernel(sizes), parity),
      bind(linear.heads.backwardInput, parity, ["params", "d_raw_heads", "d_hidden"]),
    ];
    for (let l = L - 1; l >= 0; l--) {
      step.push(
        bind(
          isLstm ? lstmBackwardKernel(c, layout, B, l) : feedforwardBackwardKernel(c, layout, B, l),
          parity,
        ),
      );
    }
    return step;
  }) as [Bound[], Bound[]];
  return { init: [bind(initStateForwardKernel(c, layout, B))], forwardStep, backwardStep };
}

/** The fused phases: 2 dispatches per time step forward (controller, memory), 2 backward. */
function fusedSteps(shape: ScheduleShape, sizes: AddressingSizes, bind: Bind): StepPhases {
  const { config: c, layout, batch: B } = shape, C = c.controllerSize;
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
  return {
    init: [
      bind(packWeightsKernel(c, layout, B), 0, ["params", "packed"]),
      bind(initStateForwardKernel(c, layout, B)),
    ],
    forwardStep: [
      bind(controllerStepForwardKernel(c, layout, B)),
      bind(memoryStepForwardKernel(sizes, C)),
    ],
    backwardStep,
  };
}

/** After the time loop: gather the output layer's input, the output layer, the loss and its gradient. */
function outputPhase(shape: ScheduleShape, linear: NtmLinearKernels, bind: Bind): Bound[] {
  const { config: c, batch: B, steps: T } = shape;
  return [
    bind(outputGatherForwardKernel(c, B, T)),
    bind(linear.output.forward, 0, ["params", "output_in", "logits"]),
    bind(outputLossKernel(c.outputKind, B, T, c.outputSize)),
    bind(linear.output.backwardInput, 0, ["params", "d_logits", "d_output_in"]),
  ];
}

/** After the reverse loop: the initial state's and the weights' gradients, then clipping and the update. */
function finishPhase(shape: ScheduleShape, linear: NtmLinearKernels, bind: Bind): Bound[] {
  const { config: c, layout, batch: B } = shape;
  return [
    // After step t = 0, the "previous" gradients of the even parity are those of the initial state.
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
    ...optimizerKernels(shape.optimizer, layout.size, shape.optimizerOptions).map((launch) => bind(launch)),
  ];
}
