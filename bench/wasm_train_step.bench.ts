/**
 * Whole training steps of the copy configuration (LSTM 100, memory 128 × 20, 1 read and 1 write head, Adam)
 * on the WebAssembly SIMD engine at B = 1 (one thread) and B = 32 (one thread and every core), on
 * length-20 episodes (T = 42), beside `train_step.bench.ts`'s WGSL ones: forward, BPTT, clipping and the
 * update, everything a step does.
 *
 * @module
 */

import { copyBatch } from "./_setup.ts";
import { copyTask } from "../tasks/copy.ts";
import { createWasmBackend } from "../src/train/wasm_backend.ts";
import { presetNtmConfig, runBackendInit } from "../src/train/run_setup.ts";
import type { TrainingBackend } from "../src/train/backend.ts";

const config = presetNtmConfig(copyTask(), {});
const backends: TrainingBackend[] = [];
const cores = navigator.hardwareConcurrency ?? 1;

for (const [B, threads] of [[1, 1], [32, 1], [32, cores]] as const) {
  const batch = copyBatch(B);
  const init = runBackendInit({ config }, {
    seed: 1,
    batch: B,
    memorySeed: 3,
    optimizer: { name: "adam", options: {} },
  });
  const backend = await createWasmBackend(init, { threads });
  backends.push(backend);
  await backend.trainStep(batch); // lays the tape out
  Deno.bench({
    name: `wasm train step, B = ${B}, ${threads} thread${threads === 1 ? "" : "s"}`,
    group: `wasm train step B = ${B}`,
    baseline: threads === 1,
    n: B === 1 ? 50 : 5,
    warmup: 1,
  }, async () => {
    await backend.trainStep(batch);
  });
}

globalThis.addEventListener("unload", () => {
  for (const backend of backends) backend.destroy();
});
