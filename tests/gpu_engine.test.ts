import assert from "node:assert/strict";
import { NtmGpuEngine } from "../src/gpu/engine.ts";
import { type ControllerType, ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer, type OptimizerName } from "../src/optim/optimizer.ts";
import { referenceBackward, referenceForward } from "../src/reference/model.ts";
import { assertClose, firstStepGradient, testGpu } from "./_support/gpu.ts";
import { randomF32 } from "./_support/kernel_data.ts";
import { randomBatch } from "./_support/random_batch.ts";

const cases: [ControllerType, OptimizerName][] = [["lstm", "rmsprop"], ["feedforward", "rmsprop"], [
  "lstm",
  "adam",
]];

// The fused path needs N and M to be multiples of 4 (vec4 rows); the unfused one runs any size.
const paths: { fused: boolean; memoryN: number; memoryM: number }[] = [
  { fused: false, memoryN: 13, memoryM: 7 },
  { fused: true, memoryN: 16, memoryM: 8 },
];

for (const { fused, memoryN, memoryM } of paths) {
  for (const [controllerType, optimizer] of cases) {
    Deno.test(
      `NtmGpuEngine.trainStep() matches two reference training steps (${
        fused ? "fused" : "unfused"
      }, ${controllerType}, ${optimizer}, 2 layers, R = W = 2, N = ${memoryN}, M = ${memoryM}, B = 3)`,
      async () => {
        const { context, cache } = await testGpu();
        const config = ntmConfig({
          inputSize: 5,
          outputSize: 3,
          controllerType,
          controllerSize: 7,
          controllerLayers: 2,
          memoryN,
          memoryM,
          readHeads: 2,
          writeHeads: 2,
          memoryInit: "learned",
        });
        const layout = parameterLayout(config);
        const rng = new Rng(controllerType === "lstm" ? 5 : 6);
        const params = randomF32(rng, layout.size, -0.5, 0.5);
        const batches = [randomBatch(rng, 3, 6, 5, 3), randomBatch(rng, 3, 5, 5, 3)];
        const engine = new NtmGpuEngine(context, cache, config, layout, 3, optimizer, {}, { fused });
        assert.equal(engine.fused, fused);
        try {
          const reference = createOptimizer(optimizer, layout.size);
          engine.writeParameters(params);
          engine.writeOptimizerState(reference.state);
          const expected = params.slice();
          for (const [i, batch] of batches.entries()) {
            const forward = referenceForward(config, layout, expected, batch);
            const grad = new Float64Array(layout.size);
            referenceBackward(config, layout, expected, batch, forward, grad);
            const gradBefore = grad.slice();
            reference.step(expected, grad);
            engine.trainStep(batch);
            const report = await engine.readStepReport();
            assertClose(report.loss, forward.loss, {
              atol: 1e-5,
              rtol: 1e-4,
              label: `loss per episode, step ${i + 1}`,
            });
            assert.equal(report.updates, i + 1);
            if (i === 0) {
              const gpuGrad = await firstStepGradient(engine, optimizer);
              assertClose(gpuGrad, gradBefore, { atol: 1e-5, rtol: 1e-3, label: "gradient of step 1" });
            }
          }
          const got = await engine.readParameters();
          if (optimizer === "rmsprop") {
            assertClose(got, expected, { atol: 1e-6, rtol: 1e-4, label: "parameters after two steps" });
          } else {
            // Adam's first steps move each parameter by about ±lr·sign(g): a gradient element within f32
            // rounding of zero may take the other sign, so those are held to 2·lr per step, the rest tightly.
            const loose = 4 * 1e-3;
            const worst = Array.from(got, (v, i) => Math.abs(v - expected[i]!));
            const beyond = worst.filter((d) => d > loose);
            assert.equal(beyond.length, 0, `${beyond.length} parameters differ by more than ${loose}`);
            const close = worst.filter((d) => d <= 1e-5).length;
            assert.ok(close > 0.95 * got.length, `only ${close} of ${got.length} parameters match to 1e-5`);
          }
        } finally {
          engine.destroy();
        }
      },
    );
  }
}
