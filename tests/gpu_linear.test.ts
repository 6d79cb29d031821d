/**
 * Parity of linear.wgsl with the float64 `linearForward` / `linearBackward` on the software adapter, in the
 * NTM's two uses: the head-parameter map per step (reading hidden slot t + 1 of the top layer, adding its
 * input gradient into d_hidden) and the output layer over all T·B rows; plus the reductions into `grad`.
 */

import { linearBiasGradKernel, ntmLinearKernels } from "../src/gpu/kernels_linear.ts";
import { stepRows } from "../src/gpu/kernels_rows.ts";
import { headParamsWidth, ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { linearBackward, linearForward } from "../src/reference/controller.ts";
import { poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  assertBuffer,
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  nans,
  randomF32,
  runLaunch,
} from "./_support/controller_data.ts";

const B = 3, T = 2, X = 5, Y = 5, C = 7, L = 2, R = 2, M = 3, RM = R * M, OUT_IN = C + RM;
const config = ntmConfig({
  inputSize: X,
  outputSize: Y,
  controllerSize: C,
  controllerLayers: L,
  memoryN: 8,
  memoryM: M,
  readHeads: R,
  writeHeads: 1,
});
const layout = parameterLayout(config);
const P = headParamsWidth(config); // 33: no multiple of 4
const heads = { w: layout.get("heads.weight").offset, b: layout.get("heads.bias").offset };
const output = { w: layout.get("output.weight").offset, b: layout.get("output.bias").offset };
const SEEDS = [1, 2, 3];

/** The launches for a seed: seed 3 runs workgroups of 2, so every invocation loops over several rows. */
function kernelsFor(seed: number) {
  return ntmLinearKernels(config, layout, B, T, seed === 3 ? { workgroupSize: 2 } : {});
}

/** Row (t, b) of the top layer's h_t: hidden slot t + 1. */
function topRow(hidden: Float64Array, t: number, b: number): Float64Array {
  const at = (((t + 1) * L + L - 1) * B + b) * C;
  return hidden.subarray(at, at + C);
}

Deno.test("linear_forward computes the head map at step t from hidden slot t + 1", async () => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of SEEDS) {
    const launch = kernelsFor(seed).heads.forward;
    const rng = new Rng(seed), t = 1;
    const params = randomF32(rng, layout.size), hidden = randomF32(rng, (T + 1) * L * B * C);
    const expected = nans(T * B * P);
    for (let b = 0; b < B; b++) {
      const y = new Float64Array(P);
      linearForward(y, params, params, topRow(hidden, t, b), P, C, heads.w, heads.b);
      expected.set(y, (t * B + b) * P);
    }
    const buffers = [
      upload(device, params, "params"),
      upload(device, hidden, "hidden"),
      poisoned(device, T * B * P, "raw_heads"),
    ];
    await runLaunch(launch, buffers, t, T);
    assertBuffer(await readBack(device, buffers[2]!, T * B * P), expected, {
      ...FORWARD_TOLERANCE,
      label: `raw_heads (seed ${seed})`,
    });
    for (const b of buffers) b.destroy();
  }
});

Deno.test("linear_forward computes the output layer's logits over all T·B rows", async () => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of SEEDS) {
    const launch = kernelsFor(seed).output.forward;
    const rng = new Rng(seed);
    const params = randomF32(rng, layout.size), outputIn = randomF32(rng, T * B * OUT_IN);
    const expected = new Float64Array(T * B * Y);
    for (let q = 0; q < T * B; q++) {
      const y = new Float64Array(Y);
      linearForward(
        y,
        params,
        params,
        outputIn.subarray(q * OUT_IN, (q + 1) * OUT_IN),
        Y,
        OUT_IN,
        output.w,
        output.b,
      );
      expected.set(y, q * Y);
    }
    const buffers = [
      upload(device, params, "params"),
      upload(device, outputIn, "output_in"),
      poisoned(device, T * B * Y, "logits"),
    ];
    await runLaunch(launch, buffers);
    assertBuffer(await readBack(device, buffers[2]!, T * B * Y), expected, {
      ...FORWARD_TOLERANCE,
      label: `logits (seed ${seed})`,
    });
    for (const b of buffers) b.destroy();
  }
});

Deno.test("linear_backward_input adds W_hᵀ·d_raw_heads at step t into d_hidden of the top layer only", async () => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of SEEDS) {
    const launch = kernelsFor(seed).heads.backwardInput;
    const rng = new Rng(seed), t = 1;
    const params = randomF32(rng, layout.size), dRawHeads = randomF32(rng, T * B * P);
    const prefill = randomF32(rng, L * B * C);
    const expected = prefill.slice();
    for (let b = 0; b < B; b++) {
      const dx = new Float64Array(C);
      linearBackward(
        dx,
        new Float64Array(layout.size),
        new Float64Array(layout.size),
        dRawHeads.subarray((t * B + b) * P, (t * B + b + 1) * P),
        params,
        new Float64Array(C),
        P,
        C,
        heads.w,
        heads.b,
      );
      for (let u = 0; u < C; u++) expected[((L - 1) * B + b) * C + u]! += dx[u]!;
    }
    const buffers = [
      upload(device, params, "params"),
      upload(device, dRawHeads, "d_raw_heads"),
      upload(device, prefill, "d_hidden"),
    ];
    await runLaunch(launch, buffers, t, T);
    const got = await readBack(device, buffers[2]!, L * B * C);
    assertBuffer(got.subarray(0, (L - 1) * B * C), prefill.subarray(0, (L - 1) * B * C), {
      atol: 0,
      rtol: 0,
      label: `d_hidden below the top layer (seed ${seed})`,
    });
    assertBuffer(got, expected, { ...GRADIENT_TOLERANCE, label: `d_hidden (seed ${seed})` });
    for (const b of buffers) b.destroy();
  }
});

Deno.test("linear_backward_input writes W_yᵀ·d_logits over all T·B rows", async () => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of SEEDS) {
    const launch = kernelsFor(seed).output.backwardInput;
    const rng = new Rng(seed);
    const params = randomF32(rng, layout.size), dLogits = randomF32(rng, T * B * Y);
    const expected = new Float64Array(T * B * OUT_IN);
    for (let q = 0; q < T * B; q++) {
      linearBackward(
        expected.subarray(q * OUT_IN, (q + 1) * OUT_IN),
        new Float64Array(layout.size),
        new Float64Array(layout.size),
        dLogits.subarray(q * Y, (q + 1) * Y),
        params,
        new Float64Array(OUT_IN),
        Y,
        OUT_IN,
        output.w,
        output.b,
      );
    }
    const buffers = [
      upload(device, params, "params"),
      upload(device, dLogits, "d_logits"),
      poisoned(device, T * B * OUT_IN, "d_output_in"),
    ];
    await runLaunch(launch, buffers);
    assertBuffer(await readBack(device, buffers[2]!, T * B * OUT_IN), expected, {
      ...GRADIENT_TOLERANCE,
      label: `d_output_in (seed ${seed})`,
    });
    for (const b of buffers) b.destroy();
  }
});

Deno.test("linear_weight_grad and linear_bias_grad add their sums over T·B rows into grad at the offsets", async (t) => {
  const { context } = await testGpu();
  const device = context.device;
  for (const seed of SEEDS) {
    await t.step(`seed ${seed}`, async () => {
      const linear = kernelsFor(seed);
      const rng = new Rng(seed);
      const prefill = randomF32(rng, layout.size), expected = new Float64Array(layout.size);
      const hidden = randomF32(rng, (T + 1) * L * B * C), dRawHeads = randomF32(rng, T * B * P);
      const outputIn = randomF32(rng, T * B * OUT_IN), dLogits = randomF32(rng, T * B * Y);
      const scratch = new Float64Array(OUT_IN), params = new Float64Array(layout.size);
      for (let step = 0; step < T; step++) {
        for (let b = 0; b < B; b++) {
          const q = step * B + b;
          const dy = dRawHeads.subarray(q * P, (q + 1) * P);
          linearBackward(
            scratch,
            expected,
            expected,
            dy,
            params,
            topRow(hidden, step, b),
            P,
            C,
            heads.w,
            heads.b,
          );
          const dLogit = dLogits.subarray(q * Y, (q + 1) * Y);
          const x = outputIn.subarray(q * OUT_IN, (q + 1) * OUT_IN);
          linearBackward(scratch, expected, expected, dLogit, params, x, Y, OUT_IN, output.w, output.b);
        }
      }
      // A plain row sum as well: Σ over all T·B rows of d_logits, into init.read's slot (width Y ≤ R·M).
      const sumAt = layout.get("init.weighting").offset;
      for (let q = 0; q < T * B; q++) for (let j = 0; j < Y; j++) expected[sumAt + j]! += dLogits[q * Y + j]!;
      const rowSum = linearBiasGradKernel({
        rows: Y,
        biasOffset: sumAt,
        batch: B,
        steps: T,
        y: stepRows(B, Y),
      });

      const grad = upload(device, prefill, "grad");
      const hiddenBuf = upload(device, hidden, "hidden"), dRawBuf = upload(device, dRawHeads, "d_raw_heads");
      const outInBuf = upload(device, outputIn, "output_in"),
        dLogitsBuf = upload(device, dLogits, "d_logits");
      await runLaunch(linear.heads.weightGrad, [dRawBuf, hiddenBuf, grad]);
      await runLaunch(linear.output.weightGrad, [dLogitsBuf, outInBuf, grad]);
      await runLaunch(rowSum, [dLogitsBuf, grad]);
      const got = await readBack(device, grad, layout.size);
      const added = Float32Array.from(got, (g, i) => g - Math.fround(prefill[i]!));
      assertBuffer(added, expected, { ...GRADIENT_TOLERANCE, label: "grad − prefill" });
      for (const b of [grad, hiddenBuf, dRawBuf, outInBuf, dLogitsBuf]) b.destroy();
    });
  }
});
