/**
 * Parity of output_loss.wgsl with the float64 losses of src/reference/output.ts and the error counts of
 * src/train/metrics.ts, on the software adapter: outputs, loss gradient and per-episode metrics over all
 * (T, B) at once, with saturated logits and masked steps.
 */

import { outputLossKernel } from "../src/gpu/kernels_loss.ts";
import { Rng } from "../src/model/random.ts";
import {
  crossEntropyBackward,
  sigmoidCrossEntropyForward,
  softmaxCrossEntropyForward,
} from "../src/reference/output.ts";
import { errorsPerSequence } from "../src/train/metrics.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  FORWARD_TOLERANCE,
  GRADIENT_TOLERANCE,
  randomF32,
  runLaunch,
  timeMajor,
} from "./_support/controller_data.ts";
import { randomBatch } from "./_support/random_batch.ts";

const B = 3, T = 4, Y = 5;

for (const kind of ["sigmoid", "softmax"] as const) {
  Deno.test(`${kind}_cross_entropy matches the reference outputs, gradient, loss and errors (B = ${B}, T = ${T}, Y = ${Y})`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const batch = randomBatch(rng, B, T, 1, Y, kind);
      // (B, T, Y) logits, some saturated far beyond where exp overflows in f32.
      const logits = randomF32(rng, B * T * Y, -4, 4);
      for (const [i, z] of [[0, 40], [1, -40], [7, 100], [8, -100], [13, 1e-3]] as const) {
        logits[i] = Math.fround(z);
      }
      const y = new Float64Array(B * T * Y), dLogits = new Float64Array(B * T * Y);
      const loss = new Float64Array(B), errors = new Float64Array(B);
      for (let b = 0; b < B; b++) {
        for (let t = 0; t < T; t++) {
          const bt = b * T + t, at = bt * Y, mask = batch.mask[bt]!;
          const out = y.subarray(at, at + Y), z = logits.subarray(at, at + Y);
          loss[b]! += kind === "sigmoid"
            ? sigmoidCrossEntropyForward(out, z, batch.target, mask, Y, at)
            : softmaxCrossEntropyForward(out, z, batch.target, mask, Y, at);
          crossEntropyBackward(dLogits.subarray(at, at + Y), out, batch.target, mask, 1 / B, Y, at);
        }
        const episode = {
          ...batch,
          batch: 1,
          target: batch.target.subarray(b * T * Y, (b + 1) * T * Y),
          mask: batch.mask.subarray(b * T, (b + 1) * T),
          lengths: batch.lengths.subarray(b, b + 1),
        };
        errors[b] = errorsPerSequence(y.subarray(b * T * Y, (b + 1) * T * Y), episode, kind);
      }
      const buffers = [
        upload(device, timeMajor(logits, B, T, Y), "logits"),
        upload(device, timeMajor(batch.target, B, T, Y), "target"),
        upload(device, timeMajor(batch.mask, B, T, 1), "mask"),
        poisoned(device, T * B * Y, "y"),
        poisoned(device, T * B * Y, "d_logits"),
        poisoned(device, 2 * B, "metrics"),
      ];
      await runLaunch(outputLossKernel(kind, B, T, Y), buffers);
      const label = `${kind} seed ${seed}`;
      assertClose(await readBack(device, buffers[3]!, T * B * Y), timeMajor(y, B, T, Y), {
        ...FORWARD_TOLERANCE,
        label: `${label}: y`,
      });
      assertClose(await readBack(device, buffers[4]!, T * B * Y), timeMajor(dLogits, B, T, Y), {
        ...GRADIENT_TOLERANCE,
        label: `${label}: d_logits`,
      });
      const metrics = await readBack(device, buffers[5]!, 2 * B);
      assertClose(metrics.filter((_, i) => i % 2 === 0), loss, {
        atol: 1e-5,
        rtol: 1e-4,
        label: `${label}: loss`,
      });
      assertClose(metrics.filter((_, i) => i % 2 === 1), errors, {
        atol: 0,
        rtol: 0,
        label: `${label}: errors`,
      });
      for (const b of buffers) b.destroy();
    }
  });
}
