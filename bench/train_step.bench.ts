/**
 * Whole training steps of the copy configuration (LSTM 100, memory 128 × 20, 1 read and 1 write head, Adam)
 * at B = 1 and B = 32 on length-20 episodes (T = 42), fused and unfused: each iteration records and submits
 * one step and waits for the queue (the wait alone is the `floor`).
 * Sequences per second at B is B / (time per step); `bench/throughput.ts` measures the training
 * distribution of lengths 1..20 instead.
 *
 * @module
 */

import type { NtmGpuEngine } from "../src/gpu/engine.ts";
import { benchSetup, copyBatch, emptySubmit, warmEngine } from "./_setup.ts";

// ——— the benchmarks ———

const setup = await benchSetup();
const device = setup.context.device;
const engines: NtmGpuEngine[] = [];

Deno.bench(
  { name: "floor (submit and wait, no work)", group: "floor", baseline: true, n: 10, warmup: 2 },
  () => emptySubmit(device),
);

for (const B of [1, 32]) {
  const batch = copyBatch(B);
  for (const fused of [true, false]) {
    const engine = await warmEngine(setup, batch, fused);
    engines.push(engine);
    Deno.bench({
      name: `train step, B = ${B}, ${fused ? "fused" : "unfused"}`,
      group: `train step B = ${B}`,
      baseline: fused,
      n: B === 1 ? 20 : 5,
      warmup: 1,
    }, async () => {
      engine.trainStep(batch);
      await device.queue.onSubmittedWorkDone();
    });
  }
}

globalThis.addEventListener("unload", () => {
  for (const engine of engines) engine.destroy();
});
