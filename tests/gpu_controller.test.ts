/**
 * Parity of the controller kernels (lstm.wgsl, feedforward.wgsl, controller_gather.wgsl) with the float64
 * reference on the software adapter: each entry point at step t = 1 of T = 2 with poisoned outputs and
 * pre-filled carried gradients, and a whole two-step BPTT of the controller following the engine's
 * dispatch order, weight and initial-state gradients included.
 */

import type { KernelLaunch } from "../src/gpu/kernel.ts";
import {
  feedforwardBackwardKernel,
  feedforwardForwardKernel,
  lstmBackwardKernel,
  lstmForwardKernel,
  outputGatherBackwardKernel,
  outputGatherForwardKernel,
} from "../src/gpu/kernels_controller.ts";
import { ntmLinearKernels } from "../src/gpu/kernels_linear.ts";
import { controllerInputStride } from "../src/gpu/kernels_rows.ts";
import { type ControllerType, type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { type ParameterLayout, parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  assertBuffer,
  controllerBackwardStep,
  type ControllerCarried,
  controllerForwardStep,
  type ControllerSizes,
  type ControllerTape,
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  nans,
  randomF32,
  runLaunch,
} from "./_support/controller_data.ts";

const B = 3, T = 2, X = 5, Y = 4, C = 7, L = 2, R = 2, M = 3;

interface Setup {
  readonly config: NtmConfig;
  readonly layout: ParameterLayout;
  readonly sizes: ControllerSizes;
  readonly params: Float64Array;
  readonly G: number;
  /** Invocations per workgroup: 2 makes every invocation loop over several units and columns. */
  readonly workgroupSize: number;
}

function setup(type: ControllerType, rng: Rng, workgroupSize = 64): Setup {
  const config = ntmConfig({
    inputSize: X,
    outputSize: Y,
    controllerType: type,
    controllerSize: C,
    controllerLayers: L,
    memoryN: 8,
    memoryM: M,
    readHeads: R,
    writeHeads: 1,
  });
  const layout = parameterLayout(config);
  const sizes = { B, T, X, C, L, RM: R * M, kMax: controllerInputStride(config) };
  return {
    config,
    layout,
    sizes,
    params: randomF32(rng, layout.size),
    G: type === "lstm" ? 4 * C : C,
    workgroupSize,
  };
}

/** Input, reads and the states of slot 0 (and 1, for a test at t = 1) random; everything else NaN. */
function randomTape(rng: Rng, s: Setup, filledSlots: number): ControllerTape {
  const { kMax, RM } = s.sizes;
  const state = () => {
    const a = nans((T + 1) * L * B * C);
    a.set(randomF32(rng, filledSlots * L * B * C));
    return a;
  };
  return {
    input: randomF32(rng, T * B * X),
    reads: randomF32(rng, (T + 1) * B * RM),
    controllerIn: nans(T * L * B * kMax),
    gates: nans(T * L * B * 4 * C),
    cell: state(),
    hidden: state(),
  };
}

function roundTape(tape: ControllerTape): ControllerTape {
  for (const a of Object.values(tape) as Float64Array[]) {
    for (let i = 0; i < a.length; i++) a[i] = Math.fround(a[i]!);
  }
  return tape;
}

function copyTape(tape: ControllerTape): ControllerTape {
  return {
    input: tape.input.slice(),
    reads: tape.reads.slice(),
    controllerIn: tape.controllerIn.slice(),
    gates: tape.gates.slice(),
    cell: tape.cell.slice(),
    hidden: tape.hidden.slice(),
  };
}

function forwardLaunch(s: Setup, l: number): KernelLaunch {
  return s.config.controllerType === "lstm"
    ? lstmForwardKernel(s.config, s.layout, B, l, { workgroupSize: s.workgroupSize })
    : feedforwardForwardKernel(s.config, s.layout, B, l, { workgroupSize: s.workgroupSize });
}

function backwardLaunch(s: Setup, l: number): KernelLaunch {
  return s.config.controllerType === "lstm"
    ? lstmBackwardKernel(s.config, s.layout, B, l, { workgroupSize: s.workgroupSize })
    : feedforwardBackwardKernel(s.config, s.layout, B, l, { workgroupSize: s.workgroupSize });
}

/** Buffers of the forward kernels, in binding order after `params`. */
function forwardBuffers(s: Setup, buffers: Record<string, GPUBuffer>): GPUBuffer[] {
  const { params, input, reads, controllerIn, gates, cell, hidden } = buffers;
  return s.config.controllerType === "lstm"
    ? [params!, input!, reads!, controllerIn!, gates!, cell!, hidden!]
    : [params!, input!, reads!, controllerIn!, hidden!];
}

function backwardBuffers(s: Setup, buffers: Record<string, GPUBuffer>): GPUBuffer[] {
  const { params, gates, cell, hidden, dPreact, dHidden, dCell, dReads } = buffers;
  return s.config.controllerType === "lstm"
    ? [params!, gates!, cell!, dPreact!, dHidden!, dCell!, dReads!]
    : [params!, hidden!, dPreact!, dHidden!, dReads!];
}

function uploadTape(device: GPUDevice, tape: ControllerTape): Record<string, GPUBuffer> {
  return {
    input: upload(device, tape.input, "input"),
    reads: upload(device, tape.reads, "reads"),
    controllerIn: upload(device, tape.controllerIn, "controller_in"),
    gates: upload(device, tape.gates, "gates"),
    cell: upload(device, tape.cell, "cell"),
    hidden: upload(device, tape.hidden, "hidden"),
  };
}

async function expectTape(
  device: GPUDevice,
  buffers: Record<string, GPUBuffer>,
  expected: ControllerTape,
  label: string,
) {
  const check = async (name: keyof ControllerTape & string, buffer: GPUBuffer) =>
    assertBuffer(await readBack(device, buffer, expected[name].length), expected[name], {
      ...FORWARD_TOLERANCE,
      label: `${label}: ${name}`,
    });
  await check("controllerIn", buffers.controllerIn!);
  await check("hidden", buffers.hidden!);
  await check("cell", buffers.cell!);
  await check("gates", buffers.gates!);
}

for (const type of ["lstm", "feedforward"] as const) {
  Deno.test(`${type}_forward gathers each layer's input and matches the reference (B = ${B}, C = ${C}, L = ${L})`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed), s = setup(type, rng, seed % 3 === 0 ? 2 : 64), t = 1;
      const tape = randomTape(rng, s, 2);
      const expected = copyTape(tape);
      controllerForwardStep(s.config, s.layout, s.sizes, s.params, expected, t);
      const buffers = { params: upload(device, s.params, "params"), ...uploadTape(device, tape) };
      for (let l = 0; l < L; l++) await runLaunch(forwardLaunch(s, l), forwardBuffers(s, buffers), t, T);
      await expectTape(device, buffers, expected, `${type} seed ${seed}`);
      for (const b of Object.values(buffers)) b.destroy();
    }
  });

  Deno.test(`${type}_backward turns the carried gradients into step t − 1's, layer by layer`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    for (const seed of [4, 5, 6]) {
      const rng = new Rng(seed), s = setup(type, rng, seed % 3 === 0 ? 2 : 64), t = 1;
      const tape = randomTape(rng, s, 1);
      controllerForwardStep(s.config, s.layout, s.sizes, s.params, tape, 0);
      controllerForwardStep(s.config, s.layout, s.sizes, s.params, tape, 1);
      roundTape(tape);
      const carried: ControllerCarried = {
        dHidden: randomF32(rng, L * B * C),
        dCell: randomF32(rng, L * B * C),
        dReads: nans(B * R * M),
      };
      const dPreact = nans(T * L * B * s.G);
      const buffers = {
        params: upload(device, s.params, "params"),
        ...uploadTape(device, tape),
        dPreact: upload(device, dPreact, "d_preact"),
        dHidden: upload(device, carried.dHidden, "d_hidden"),
        dCell: upload(device, carried.dCell, "d_cell"),
        dReads: upload(device, carried.dReads, "d_reads"),
      };
      controllerBackwardStep(
        s.config,
        s.layout,
        s.sizes,
        s.params,
        tape,
        carried,
        dPreact,
        new Float64Array(s.layout.size),
        t,
      );
      for (let l = L - 1; l >= 0; l--) {
        await runLaunch(backwardLaunch(s, l), backwardBuffers(s, buffers), t, T);
      }
      const label = `${type} seed ${seed}`;
      const check = async (name: string, buffer: GPUBuffer, expected: Float64Array) =>
        assertBuffer(await readBack(device, buffer, expected.length), expected, {
          ...GRADIENT_TOLERANCE,
          label: `${label}: ${name}`,
        });
      await check("d_preact", buffers.dPreact, dPreact);
      await check("d_hidden", buffers.dHidden, carried.dHidden);
      await check("d_cell", buffers.dCell, carried.dCell);
      await check("d_reads", buffers.dReads, carried.dReads);
      for (const b of Object.values(buffers)) b.destroy();
    }
  });

  Deno.test(`${type} kernels run a two-step BPTT like the reference, weight and initial-state gradients included`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    for (const seed of [7, 8]) {
      const rng = new Rng(seed), s = setup(type, rng, seed === 8 ? 2 : 64), RM = R * M;
      const tape = randomTape(rng, s, 1);
      const buffers: Record<string, GPUBuffer> = {
        params: upload(device, s.params, "params"),
        ...uploadTape(device, tape),
      };
      for (let t = 0; t < T; t++) {
        controllerForwardStep(s.config, s.layout, s.sizes, s.params, tape, t);
        for (let l = 0; l < L; l++) await runLaunch(forwardLaunch(s, l), forwardBuffers(s, buffers), t, T);
      }
      await expectTape(device, buffers, tape, `${type} seed ${seed} forward`);

      // The output layer's gradient of [h_t; r_t], and a pre-filled gradient to add into.
      const dOutputIn = randomF32(rng, T * B * (C + RM));
      const prefill = randomF32(rng, s.layout.size);
      const carried: ControllerCarried = {
        dHidden: new Float64Array(L * B * C),
        dCell: new Float64Array(L * B * C),
        dReads: new Float64Array(B * RM),
      };
      const dPreact = nans(T * L * B * s.G), gradRef = new Float64Array(s.layout.size);
      Object.assign(buffers, {
        dOutputIn: upload(device, dOutputIn, "d_output_in"),
        dPreact: upload(device, dPreact, "d_preact"),
        dHidden: upload(device, carried.dHidden, "d_hidden"),
        dCell: upload(device, carried.dCell, "d_cell"),
        dReads: upload(device, carried.dReads, "d_reads"),
        grad: upload(device, prefill, "grad"),
      });
      const gatherBack = outputGatherBackwardKernel(s.config, B, T);
      for (let t = T - 1; t >= 0; t--) {
        for (let b = 0; b < B; b++) {
          for (let u = 0; u < C; u++) {
            carried.dHidden[((L - 1) * B + b) * C + u]! += dOutputIn[(t * B + b) * (C + RM) + u]!;
          }
          for (let i = 0; i < RM; i++) {
            carried.dReads[b * RM + i]! += dOutputIn[(t * B + b) * (C + RM) + C + i]!;
          }
        }
        controllerBackwardStep(s.config, s.layout, s.sizes, s.params, tape, carried, dPreact, gradRef, t);
        await runLaunch(gatherBack, [buffers.dOutputIn!, buffers.dHidden!, buffers.dReads!], t, T);
        for (let l = L - 1; l >= 0; l--) {
          await runLaunch(backwardLaunch(s, l), backwardBuffers(s, buffers), t, T);
        }
      }
      const linear = ntmLinearKernels(s.config, s.layout, B, T, { workgroupSize: s.workgroupSize });
      for (let l = 0; l < L; l++) {
        await runLaunch(linear.controllerWeightGrad[l]!, [
          buffers.dPreact!,
          buffers.controllerIn!,
          buffers.grad!,
        ]);
      }
      await runLaunch(linear.initRead, [buffers.dReads!, buffers.grad!]);
      for (const launch of linear.initHidden) await runLaunch(launch, [buffers.dHidden!, buffers.grad!]);
      for (const launch of linear.initCell) await runLaunch(launch, [buffers.dCell!, buffers.grad!]);
      const sumOverBatch = (name: string, source: Float64Array, width: number, layer = 0) => {
        const offset = s.layout.get(name).offset + layer * width;
        for (let b = 0; b < B; b++) {
          for (let j = 0; j < width; j++) gradRef[offset + j]! += source[(layer * B + b) * width + j]!;
        }
      };
      sumOverBatch("init.read", carried.dReads, RM);
      if (type === "lstm") {
        for (let l = 0; l < L; l++) sumOverBatch("init.hidden", carried.dHidden, C, l);
        for (let l = 0; l < L; l++) sumOverBatch("init.cell", carried.dCell, C, l);
      }
      const grad = await readBack(device, buffers.grad!, s.layout.size);
      const added = Float64Array.from(grad, (g, i) => g - Math.fround(prefill[i]!));
      assertBuffer(Float32Array.from(added), gradRef, {
        ...GRADIENT_TOLERANCE,
        label: `${type} seed ${seed}: grad − prefill`,
      });
      assertBuffer(await readBack(device, buffers.dPreact!, dPreact.length), dPreact, {
        ...GRADIENT_TOLERANCE,
        label: `${type} seed ${seed}: d_preact`,
      });
      for (const b of Object.values(buffers)) b.destroy();
    }
  });
}

Deno.test("output_gather_forward and output_gather_backward move [h_t; r_t] and its gradient", async () => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of [9, 10]) {
    const rng = new Rng(seed), s = setup("lstm", rng), RM = R * M, width = C + RM;
    const hidden = randomF32(rng, (T + 1) * L * B * C), reads = randomF32(rng, (T + 1) * B * RM);
    const expected = new Float64Array(T * B * width);
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const top = (((t + 1) * L + L - 1) * B + b) * C;
        expected.set(hidden.subarray(top, top + C), (t * B + b) * width);
        expected.set(
          reads.subarray(((t + 1) * B + b) * RM, ((t + 1) * B + b + 1) * RM),
          (t * B + b) * width + C,
        );
      }
    }
    const hiddenBuf = upload(device, hidden, "hidden"), readsBuf = upload(device, reads, "reads");
    const outputIn = poisoned(device, T * B * width, "output_in");
    await runLaunch(outputGatherForwardKernel(s.config, B, T), [hiddenBuf, readsBuf, outputIn]);
    assertBuffer(await readBack(device, outputIn, expected.length), expected, {
      atol: 0,
      rtol: 0,
      label: `output_in (seed ${seed})`,
    });

    const t = 1;
    const dOutputIn = randomF32(rng, T * B * width);
    const dHidden = randomF32(rng, L * B * C), dReads = randomF32(rng, B * RM);
    const dHiddenBuf = upload(device, dHidden, "d_hidden"), dReadsBuf = upload(device, dReads, "d_reads");
    const dOutBuf = upload(device, dOutputIn, "d_output_in");
    await runLaunch(outputGatherBackwardKernel(s.config, B, T), [dOutBuf, dHiddenBuf, dReadsBuf], t, T);
    const expectedHidden = dHidden.slice(), expectedReads = dReads.slice();
    for (let b = 0; b < B; b++) {
      for (let u = 0; u < C; u++) {
        expectedHidden[((L - 1) * B + b) * C + u]! += dOutputIn[(t * B + b) * width + u]!;
      }
      for (let i = 0; i < RM; i++) expectedReads[b * RM + i]! += dOutputIn[(t * B + b) * width + C + i]!;
    }
    assertBuffer(await readBack(device, dHiddenBuf, L * B * C), expectedHidden, {
      ...GRADIENT_TOLERANCE,
      label: `d_hidden (seed ${seed})`,
    });
    assertBuffer(await readBack(device, dReadsBuf, B * RM), expectedReads, {
      ...GRADIENT_TOLERANCE,
      label: `d_reads (seed ${seed})`,
    });
    for (const b of [hiddenBuf, readsBuf, outputIn, dHiddenBuf, dReadsBuf, dOutBuf]) b.destroy();
  }
});
