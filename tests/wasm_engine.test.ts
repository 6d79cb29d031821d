/**
 * The WebAssembly engine as a whole: two training steps (forward over T steps, loss, BPTT, clipping,
 * optimiser) against the float64 reference's; two threads against one; runs that repeat bit for bit; and a
 * run resumed from its checkpoint that trains exactly as one that was not.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { type NtmConfig, ntmConfig } from "../src/model/config.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer, type OptimizerName } from "../src/optim/optimizer.ts";
import { createCpuBackend } from "../src/train/cpu_backend.ts";
import type { TrainingBackend } from "../src/train/backend.ts";
import { createWasmBackend } from "../src/train/wasm_backend.ts";
import { copyTask } from "../tasks/copy.ts";
import { assertClose } from "./_support/close.ts";

const task = copyTask();

function model(controllerType: "lstm" | "feedforward", memoryInit: NtmConfig["memoryInit"]): NtmConfig {
  return ntmConfig({
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    controllerType,
    controllerSize: 11,
    controllerLayers: 2,
    memoryN: 13,
    memoryM: 7,
    readHeads: 2,
    writeHeads: 2,
    memoryInit,
  });
}

/** The same NTM, parameters (float32-representable) and optimiser on a backend. */
async function pair(config: NtmConfig, optimizer: OptimizerName, batch: number, threads = 1) {
  const layout = parameterLayout(config);
  const params = Float64Array.from(Float32Array.from(initParameters(config, layout, 7)));
  const init = (p: Float64Array) => ({
    kind: "ntm" as const,
    config,
    layout,
    params: p,
    optimizer: createOptimizer(optimizer, layout.size, { learningRate: 1e-3 }),
    batch,
    memorySeed: 5,
    startStep: 0,
  });
  return {
    cpu: createCpuBackend(init(params.slice())),
    wasm: await createWasmBackend(init(params.slice()), { threads }),
  };
}

async function twoSteps(backend: TrainingBackend, batches: EpisodeBatch[]) {
  const losses: number[] = [];
  for (const batch of batches) {
    await backend.trainStep(batch);
    losses.push((await backend.lastStep()).lossNats);
  }
  return { losses, params: await backend.parameters(), state: await backend.optimizerState() };
}

/** Two batches, each with an episode shorter than the batch (so the steps the engine skips are exercised). */
const batchesOf = (count: number) => {
  const rng = new Rng(11);
  const batches = [0, 1].map(() => task.generate(rng, count, { minLen: 1, maxLen: 4 }));
  for (const batch of batches) {
    if (!batch.lengths.some((length) => length < batch.steps)) throw new Error("no episode is padded");
  }
  return batches;
};

for (
  const [controller, optimizer, memoryInit] of [
    ["lstm", "rmsprop", "learned"],
    ["feedforward", "adam", "random"],
    // Constant memory leaves some gradients at ~1e-13 in float64 and float32 rounding noise in float32,
    // which Adam would scale up to full steps: RMSProp here, Adam with random memory above.
    ["lstm", "rmsprop", "constant"],
    ["feedforward", "sgd", "learned"],
  ] as const
) {
  Deno.test(`the wasm backend takes two training steps like the float64 reference (${controller}, ${optimizer}, ${memoryInit} memory, 2 layers, R = W = 2, N = 13, M = 7, B = 3)`, async () => {
    const { cpu, wasm } = await pair(model(controller, memoryInit), optimizer, 3);
    const batches = batchesOf(3);
    const [a, b] = [await twoSteps(cpu, batches), await twoSteps(wasm, batches)];
    assertClose(b.losses, a.losses, { atol: 1e-5, rtol: 1e-5, label: "training losses" });
    assertClose(b.params, a.params, { atol: 2e-6, rtol: 1e-4, label: "parameters after two steps" });
    for (const slot of Object.keys(a.state.slots)) {
      assertClose(b.state.slots[slot]!, a.state.slots[slot]!, {
        atol: 1e-6,
        rtol: 1e-3,
        label: `slot ${slot}`,
      });
    }
    assert.equal(b.state.step, 2);
    const heldOut = task.generate(new Rng(3), 5, { minLen: 5, maxLen: 5 });
    const [ea, eb] = [await cpu.evaluate(heldOut), await wasm.evaluate(heldOut)];
    assertClose([eb.costBits], [ea.costBits], { atol: 1e-4, rtol: 1e-5, label: "held-out cost" });
    assertClose(await wasm.predict(heldOut), await cpu.predict(heldOut), {
      atol: 1e-5,
      rtol: 1e-4,
      label: "outputs",
    });
    wasm.destroy();
  });
}

Deno.test("the wasm backend on two threads trains like one thread, and repeats itself bit for bit", async () => {
  const config = model("lstm", "random"), batches = batchesOf(5);
  const one = await pair(config, "rmsprop", 5, 1), two = await pair(config, "rmsprop", 5, 2);
  const again = await pair(config, "rmsprop", 5, 2);
  try {
    assert.match(two.wasm.device, /2 threads/);
    const [a, b, c] = [
      await twoSteps(one.wasm, batches),
      await twoSteps(two.wasm, batches),
      await twoSteps(again.wasm, batches),
    ];
    assertClose(b.losses, a.losses, { atol: 1e-6, rtol: 1e-6, label: "losses, 2 threads against 1" });
    assertClose(b.params, a.params, { atol: 1e-6, rtol: 1e-5, label: "parameters, 2 threads against 1" });
    assert.deepEqual(c.params, b.params, "two runs on 2 threads differ");
    const heldOut = task.generate(new Rng(3), 7, { minLen: 3, maxLen: 6 });
    assertClose(await two.wasm.predict(heldOut), await one.wasm.predict(heldOut), {
      atol: 1e-6,
      rtol: 1e-5,
      label: "outputs, 2 threads against 1",
    });
  } finally {
    for (const b of [one.wasm, two.wasm, again.wasm]) b.destroy();
  }
});

Deno.test("on the wasm backend, a run resumed from its checkpoint trains exactly as one that was not", async () => {
  const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };
  const tiny = [
    ...["--backend", "wasm", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "3"],
    ...["--eval-episodes", "4", "--no-eval", "--max-len", "3", "--memory-init", "random", "--threads", "2"],
  ];
  const dir = await Deno.makeTempDir({ prefix: "ntm-wasm-resume-" });
  try {
    const whole = join(dir, "whole"), parts = join(dir, "parts");
    await trainCommand([...tiny, "--steps", "20", "--report-every", "10", "--out", whole], quiet);
    await trainCommand([...tiny, "--steps", "7", "--report-every", "7", "--out", parts], quiet);
    await trainCommand(["--resume", parts, "--steps", "20", "--report-every", "13", "--threads", "2"], quiet);
    const [a, b] = [await loadCheckpoint(whole), await loadCheckpoint(parts)];
    assert.equal(b.progress.step, 20);
    assert.equal(b.training.backend, "wasm");
    assert.deepEqual(b.params, a.params);
    assert.deepEqual(b.optimizer, a.optimizer);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
