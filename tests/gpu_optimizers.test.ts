/**
 * Parity of clip.wgsl, adam.wgsl and rmsprop.wgsl with the float64 optimisers of src/optim on the software
 * adapter: the norm and both clippings (non-finite gradients left alone and reported), then three steps of
 * each optimiser from the same start, then a step with a NaN gradient that must change nothing.
 */

import {
  CLIP_STATE_WORDS,
  clipElementwiseKernel,
  clipNormKernel,
  clipScaleKernel,
  optimizerKernels,
} from "../src/gpu/kernels_optimizer.ts";
import { Rng } from "../src/model/random.ts";
import { clipElementwise, clipGlobalNorm } from "../src/optim/clip.ts";
import { createOptimizer, type OptimizerName } from "../src/optim/optimizer.ts";
import { assertClose, readBack, testGpu, upload } from "./_support/gpu.ts";
import { FORWARD_TOLERANCE, randomF32, runLaunch } from "./_support/controller_data.ts";

const P = 1037; // several workgroups of 256, no multiple of 4

/** The clip state as read back: norm, scale, finite (f32) and the update count (u32). */
async function readClipState(device: GPUDevice, buffer: GPUBuffer) {
  const words = await readBack(device, buffer, CLIP_STATE_WORDS);
  return { norm: words[0]!, scale: words[1]!, finite: words[2]!, updates: new Uint32Array(words.buffer)[3]! };
}

/** Asserts two arrays hold the same f32 values bit for bit (NaN equals NaN). */
function assertUnchanged(actual: Float32Array, expected: ArrayLike<number>, label: string): void {
  for (let i = 0; i < actual.length; i++) {
    if (!Object.is(actual[i], Math.fround(expected[i]!))) {
      throw new Error(`${label}: [${i}] changed from ${expected[i]} to ${actual[i]}`);
    }
  }
}

function assertNorm(actual: number, expected: number, label: string): void {
  if (Number.isFinite(expected)) assertClose([actual], [expected], { atol: 0, rtol: 1e-5, label });
  else if (!Object.is(actual, expected)) throw new Error(`${label}: got ${actual}, expected ${expected}`);
}

/** Gradients that exercise the norm: clipped, unclipped, huge but finite, zero, NaN, infinite. */
function gradientCases(rng: Rng): [string, Float64Array][] {
  const withValue = (index: number, value: number) => {
    const g = randomF32(rng, P);
    g[index] = value;
    return g;
  };
  const huge = randomF32(rng, P, -1, 1).map((x) => Math.fround(x * 1e30));
  return [
    ["norm above the limit", randomF32(rng, P)],
    ["norm below the limit", randomF32(rng, P, -0.01, 0.01)],
    ["squares overflow f32", huge],
    ["all zeros", new Float64Array(P)],
    ["a NaN", withValue(517, NaN)],
    ["an infinity", withValue(1036, -Infinity)],
    ["an infinity and a NaN", withValue(3, Infinity).map((x, i) => (i === 700 ? NaN : x))],
  ];
}

Deno.test("clip_norm and clip_scale match clipGlobalNorm, leaving a non-finite gradient alone", async (t) => {
  const { context } = await testGpu();
  const device = context.device;
  const maxNorm = 5, before = 7;
  for (const [name, g] of gradientCases(new Rng(1))) {
    await t.step(name, async () => {
      const expected = g.slice(), norm = clipGlobalNorm(expected, maxNorm), finite = Number.isFinite(norm);
      const grad = upload(device, g, "grad"),
        state = upload(device, new Uint32Array([0, 0, 0, before]), "clip_state");
      await runLaunch(clipNormKernel(P, maxNorm), [grad, state]);
      await runLaunch(clipScaleKernel(P), [state, grad]);
      const got = await readClipState(device, state);
      assertNorm(got.norm, norm, `${name}: norm`);
      assertClose([got.scale], [finite && norm > maxNorm ? maxNorm / norm : 1], {
        atol: 0,
        rtol: 1e-5,
        label: "scale",
      });
      if (got.finite !== (finite ? 1 : 0) || got.updates !== before + (finite ? 1 : 0)) {
        throw new Error(`${name}: finite flag ${got.finite}, updates ${got.updates}`);
      }
      const clipped = await readBack(device, grad, P);
      if (finite) assertClose(clipped, expected, { atol: 1e-30, rtol: 1e-5, label: `${name}: grad` });
      else assertUnchanged(clipped, g, `${name}: grad`);
      grad.destroy(), state.destroy();
    });
  }
});

Deno.test("clip_elementwise matches clipElementwise, leaving a non-finite gradient alone", async (t) => {
  const { context } = await testGpu();
  const device = context.device;
  const limit = 0.5;
  for (const [name, g] of gradientCases(new Rng(2))) {
    await t.step(name, async () => {
      const expected = g.slice(), norm = clipElementwise(expected, limit);
      const grad = upload(device, g, "grad"), state = upload(device, new Uint32Array(4), "clip_state");
      await runLaunch(clipNormKernel(P), [grad, state]);
      await runLaunch(clipElementwiseKernel(P, limit), [state, grad]);
      const got = await readClipState(device, state);
      assertNorm(got.norm, norm, `${name}: norm`);
      if (got.scale !== 1) throw new Error(`${name}: clip_norm without a limit chose scale ${got.scale}`);
      assertUnchanged(await readBack(device, grad, P), expected, `${name}: grad`);
      grad.destroy(), state.destroy();
    });
  }
});

const SLOTS: Record<OptimizerName, string[]> = { adam: ["m", "v"], rmsprop: ["n", "gbar", "delta"], sgd: [] };
/** Absolute tolerance per slot: f32 rounding of the terms each is made of (Δ cancels terms of size lr). */
const SLOT_ATOL: Record<string, number> = { m: 1e-9, v: 1e-12, n: 1e-12, gbar: 1e-9, delta: 1e-9 };
const OPTIONS = {
  adam: { clip: 10 },
  rmsprop: { clip: 0.5 },
  sgd: { clip: 10, learningRate: 0.05 },
} as const;

for (const name of ["adam", "rmsprop", "sgd"] as const) {
  Deno.test(`${name}_update takes three steps like the float64 ${name}, then skips a NaN gradient`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    const rng = new Rng({ adam: 3, rmsprop: 4, sgd: 5 }[name]);
    const params = randomF32(rng, P, -0.5, 0.5), start = params.slice();
    const optimizer = createOptimizer(name, P, OPTIONS[name]);
    const launches = optimizerKernels(name, P, OPTIONS[name]);
    const gradBuf = upload(device, new Float64Array(P), "grad");
    const stateBuf = upload(device, new Uint32Array(CLIP_STATE_WORDS), "clip_state");
    const paramsBuf = upload(device, params, "params");
    const slotBufs = SLOTS[name].map((slot) => upload(device, new Float64Array(P), slot));
    const buffers = [[gradBuf, stateBuf], [stateBuf, gradBuf], [gradBuf, stateBuf, paramsBuf, ...slotBufs]];
    // Steps 1–3 move the parameters (the first and third with clipping, the second without); step 4 has a NaN.
    const scales = [1, 0.01, 1, 1];
    for (let step = 0; step < 4; step++) {
      const g = randomF32(rng, P).map((x) => Math.fround(x * scales[step]!));
      if (step === 3) g[123] = NaN;
      device.queue.writeBuffer(gradBuf, 0, Float32Array.from(g));
      const norm = optimizer.step(params, g);
      for (let k = 0; k < launches.length; k++) await runLaunch(launches[k]!, buffers[k]!);
      const label = `${name} step ${step + 1}`;
      const state = await readClipState(device, stateBuf);
      assertNorm(state.norm, norm, `${label}: norm`);
      if (state.updates !== optimizer.state.step) {
        throw new Error(
          `${label}: the GPU counted ${state.updates} updates, the reference ${optimizer.state.step}`,
        );
      }
      const grad = await readBack(device, gradBuf, P);
      if (step < 3) assertClose(grad, g, { atol: 1e-30, rtol: 1e-5, label: `${label}: clipped grad` });
      else assertUnchanged(grad, g, `${label}: grad`);
      const got = await readBack(device, paramsBuf, P);
      assertClose(got, params, { ...FORWARD_TOLERANCE, label: `${label}: params` });
      // The update itself, θ − θ_0, to a gradient's tolerance.
      assertClose(got.map((x, i) => x - start[i]!), params.map((x, i) => x - start[i]!), {
        atol: 1e-8,
        rtol: 1e-3,
        label: `${label}: θ − θ_0`,
      });
      for (const [i, slot] of SLOTS[name].entries()) {
        const expected = optimizer.state.slots[slot]!;
        assertClose(await readBack(device, slotBufs[i]!, P), expected, {
          atol: SLOT_ATOL[slot]!,
          rtol: 1e-4,
          label: `${label}: ${slot}`,
        });
      }
    }
    for (const b of [gradBuf, stateBuf, paramsBuf, ...slotBufs]) b.destroy();
  });
}
