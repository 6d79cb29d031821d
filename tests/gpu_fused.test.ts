/**
 * Parity of the fused path (shaders/controller_step.wgsl, shaders/memory_step_forward.wgsl, memory_step_backward.wgsl) and the tiled weight
 * gradient (linear.wgsl) with the float64 reference, in the cases the whole-step test of gpu_engine.test.ts
 * does not reach: more than one controller group of 8 episodes, episodes of different lengths (the step
 * kernels skip the steps past an episode's last counted output, and the engine runs the episodes longest
 * first), an empty episode, and the forward-only `evaluate`.
 */

import assert from "node:assert/strict";
import { NtmGpuEngine } from "../src/gpu/engine.ts";
import {
  type LinearShape,
  linearWeightGradKernel,
  linearWeightGradTiledKernel,
  tiledWeightGradFits,
} from "../src/gpu/kernels_linear.ts";
import { ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { referenceBackward, referenceForward } from "../src/reference/model.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { assertClose, firstStepGradient, readBack, testGpu, upload } from "./_support/gpu.ts";
import { randomF32, runLaunch } from "./_support/controller_data.ts";
import { randomBatch } from "./_support/random_batch.ts";

/** A random batch whose episode b is `lengths[b]` steps long (0: empty), zero past its length. */
function batchOfLengths(rng: Rng, lengths: number[], steps: number, x: number, y: number): EpisodeBatch {
  const batch = randomBatch(rng, lengths.length, steps, x, y);
  lengths.forEach((length, b) => {
    for (let t = length; t < steps; t++) {
      batch.input.fill(0, (b * steps + t) * x, (b * steps + t + 1) * x);
      batch.target.fill(0, (b * steps + t) * y, (b * steps + t + 1) * y);
      batch.mask[b * steps + t] = 0;
    }
    if (length > 0) batch.mask[b * steps + length - 1] = 1;
    batch.lengths[b] = length;
  });
  return batch;
}

Deno.test("NtmGpuEngine (fused) matches the reference on 10 episodes of different lengths, one empty", async () => {
  const { context, cache } = await testGpu();
  const config = ntmConfig({
    inputSize: 4,
    outputSize: 3,
    controllerSize: 9,
    memoryN: 12,
    memoryM: 8,
    readHeads: 1,
    writeHeads: 2,
    shiftRange: 2,
    memoryInit: "learned",
  });
  const layout = parameterLayout(config);
  const rng = new Rng(11);
  const params = randomF32(rng, layout.size, -0.5, 0.5);
  const lengths = [7, 2, 5, 0, 7, 3, 6, 1, 4, 7];
  const batch = batchOfLengths(rng, lengths, 7, 4, 3);
  const engine = new NtmGpuEngine(context, cache, config, layout, lengths.length, "rmsprop", {}, {
    fused: true,
  });
  try {
    assert.equal(engine.fused, true);
    engine.writeParameters(params);
    engine.writeOptimizerState(createOptimizer("rmsprop", layout.size).state);
    const forward = referenceForward(config, layout, params, batch);
    const grad = new Float64Array(layout.size);
    referenceBackward(config, layout, params, batch, forward, grad);

    const evaluated = await engine.evaluate(batch);
    assertClose(evaluated.report.loss, forward.loss, { atol: 1e-5, rtol: 1e-4, label: "evaluate: loss" });
    const got: number[] = [], expected: number[] = [];
    lengths.forEach((length, b) => {
      for (let t = 0; t < length; t++) {
        for (let j = 0; j < 3; j++) {
          got.push(evaluated.y[(t * lengths.length + b) * 3 + j]!);
          expected.push(forward.output[(b * 7 + t) * 3 + j]!);
        }
      }
    });
    assertClose(Float64Array.from(got), Float64Array.from(expected), {
      atol: 1e-6,
      rtol: 1e-4,
      label: "evaluate: outputs within each episode",
    });

    engine.trainStep(batch);
    const report = await engine.readStepReport();
    assertClose(report.loss, forward.loss, { atol: 1e-5, rtol: 1e-4, label: "train: loss per episode" });
    assertClose(await firstStepGradient(engine, "rmsprop"), grad, {
      atol: 1e-5,
      rtol: 1e-3,
      label: "train: gradient",
    });
  } finally {
    engine.destroy();
  }
});

for (const controllerType of ["lstm", "feedforward"] as const) {
  Deno.test(`NtmGpuEngine (fused) matches the reference on one episode (${controllerType}, 2 layers: the 1-episode tiles)`, async () => {
    const { context, cache } = await testGpu();
    const config = ntmConfig({
      inputSize: 5,
      outputSize: 3,
      controllerType,
      controllerSize: 10,
      controllerLayers: 2,
      memoryN: 8,
      memoryM: 4,
      readHeads: 2,
      writeHeads: 1,
      memoryInit: "learned",
    });
    const layout = parameterLayout(config);
    const rng = new Rng(controllerType === "lstm" ? 21 : 22);
    const params = randomF32(rng, layout.size, -0.5, 0.5);
    const batch = randomBatch(rng, 1, 6, 5, 3);
    const engine = new NtmGpuEngine(context, cache, config, layout, 1, "rmsprop", {}, { fused: true });
    try {
      engine.writeParameters(params);
      engine.writeOptimizerState(createOptimizer("rmsprop", layout.size).state);
      const forward = referenceForward(config, layout, params, batch);
      const grad = new Float64Array(layout.size);
      referenceBackward(config, layout, params, batch, forward, grad);
      engine.trainStep(batch);
      const report = await engine.readStepReport();
      assertClose(report.loss, forward.loss, { atol: 1e-5, rtol: 1e-4, label: "loss" });
      assertClose(await firstStepGradient(engine, "rmsprop"), grad, {
        atol: 1e-5,
        rtol: 1e-3,
        label: "gradient",
      });
    } finally {
      engine.destroy();
    }
  });
}

Deno.test("linear_weight_grad_tiled adds the same sums as linear_weight_grad (tiles past both edges)", async () => {
  const { context } = await testGpu();
  const device = context.device;
  const rng = new Rng(3);
  // dW is 12 × 20 at offset 8 of a 300-entry gradient, db at 260; X rows start at 4 with a stride of 24,
  // Y rows at 8 with a stride of 16 (T = 3 groups of B = 5 rows): every tile column and row overflows.
  const shape: LinearShape = {
    rows: 12,
    cols: 20,
    weightOffset: 8,
    biasOffset: 260,
    batch: 5,
    steps: 3,
    x: { base: 4, stride: 24, groupStride: 5 * 24 },
    y: { base: 8, stride: 16, groupStride: 5 * 16 },
  };
  assert.ok(tiledWeightGradFits(shape));
  assert.ok(!tiledWeightGradFits({ ...shape, x: { ...shape.x, stride: 22 } }));
  const x = randomF32(rng, 4 + 15 * 24), dy = randomF32(rng, 8 + 15 * 16), prefill = randomF32(rng, 300);
  const results: Float32Array[] = [];
  for (const launch of [linearWeightGradKernel(shape), linearWeightGradTiledKernel(shape)]) {
    const dyBuffer = upload(device, dy, "dy"), xBuffer = upload(device, x, "x");
    const grad = upload(device, prefill, "grad");
    await runLaunch(launch, [dyBuffer, xBuffer, grad]);
    results.push(await readBack(device, grad, 300));
    for (const b of [dyBuffer, xBuffer, grad]) b.destroy();
  }
  const expected = Float64Array.from(prefill);
  for (let q = 0; q < 15; q++) {
    const yr = 8 + q * 16, xr = 4 + q * 24;
    for (let r = 0; r < 12; r++) {
      expected[260 + r]! += dy[yr + r]!;
      for (let c = 0; c < 20; c++) expected[8 + r * 20 + c]! += dy[yr + r]! * x[xr + c]!;
    }
  }
  assertClose(Float64Array.from(results[1]!), expected, { atol: 1e-5, rtol: 1e-4, label: "tiled" });
  assertClose(Float64Array.from(results[1]!), Float64Array.from(results[0]!), {
    atol: 1e-5,
    rtol: 1e-4,
    label: "tiled vs 4 × 4",
  });
});
