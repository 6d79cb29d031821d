import { quietMesa } from "../src/cli/quiet_mesa.ts";
import assert from "node:assert/strict";
import { requestGpuContext, WebGpuUnavailableError } from "../src/gpu/device.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { createBackend } from "../src/train/create_backend.ts";
import { type BackendInit, NonFiniteLossError } from "../src/train/backend.ts";
import { Rng } from "../src/model/random.ts";
import { copyTask } from "../tasks/copy.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

// Mesa's Vulkan driver would print a stray Wayland error line in a plain shell.
quietMesa();

function tinyInit(): BackendInit {
  return probedInit().init;
}

/** Runs `body` with `navigator.gpu` hidden, as in a runtime without WebGPU. */
async function withoutWebGpu(body: () => Promise<void>): Promise<void> {
  Object.defineProperty(navigator, "gpu", { value: undefined, configurable: true });
  try {
    await body();
  } finally {
    delete (navigator as unknown as Record<string, unknown>).gpu;
  }
}

Deno.test("createBackend('auto') takes the WebAssembly engine, with a one-line notice, when WebGPU is missing", async () => {
  await withoutWebGpu(async () => {
    const notices: string[] = [];
    const backend = await createBackend("auto", tinyInit(), (line) => notices.push(line));
    assert.equal(backend.name, "wasm");
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /no WebGPU adapter; training on wasm \(float32 WebAssembly SIMD\)/);
    backend.destroy();
  });
});

Deno.test("createBackend('webgpu') fails with a clear error when WebGPU is missing", async () => {
  await withoutWebGpu(async () => {
    await assert.rejects(
      () => createBackend("webgpu", tinyInit(), () => {}),
      (error: unknown) =>
        error instanceof WebGpuUnavailableError &&
        /--backend webgpu.*navigator\.gpu is missing/.test(error.message),
    );
  });
});

Deno.test("createBackend('auto') takes a hardware adapter, and without one and without a probe batch the WebAssembly engine", async () => {
  assert.ok(navigator.gpu, "this test needs WebGPU (the software adapter is enough)");
  const { isSoftware, device } = await requestGpuContext();
  device.destroy();
  const backend = await createBackend("auto", tinyInit(), () => {});
  assert.equal(backend.name, isSoftware ? "wasm" : "webgpu");
  backend.destroy();
});

/** A tiny copy model with a probe batch of its task. */
function probedInit(): { init: BackendInit<"ntm">; probe: EpisodeBatch } {
  const probe = copyTask().generate(new Rng(5), 2, { minLen: 1, maxLen: 2 });
  const config = ntmConfig({
    inputSize: probe.inputSize,
    outputSize: probe.outputSize,
    controllerSize: 4,
    memoryN: 8,
    memoryM: 4,
  });
  const layout = parameterLayout(config);
  return {
    init: {
      kind: "ntm",
      config,
      layout,
      params: initParameters(config, layout, 1),
      optimizer: createOptimizer("adam", layout.size),
      batch: 2,
      memorySeed: 1,
      startStep: 0,
    },
    probe,
  };
}

Deno.test("createBackend('auto') times both backends on the probe batch of a software adapter and says which it took", async () => {
  assert.ok(navigator.gpu, "this test needs WebGPU (the software adapter is enough)");
  const { isSoftware, device } = await requestGpuContext();
  device.destroy();
  const { init, probe } = probedInit();
  const original = init.params.slice();
  const notices: string[] = [];
  const backend = await createBackend("auto", init, (line) => notices.push(line), { probe });
  try {
    if (!isSoftware) {
      assert.equal(backend.name, "webgpu", "a hardware GPU is always taken");
      assert.deepEqual(notices, []);
      return;
    }
    assert.equal(notices.length, 1, notices.join("\n"));
    const m = notices[0]!.match(/took (.+), so training on (wasm|cpu|webgpu) /);
    assert.ok(m, notices[0]);
    const times = new Map(
      [...m[1]!.matchAll(/([\d.]+) ms on (wasm|cpu|webgpu)/g)].map((t) => [t[2]!, Number(t[1])]),
    );
    assert.deepEqual([...times.keys()].sort(), ["cpu", "wasm", "webgpu"]);
    assert.equal(backend.name, m[2]);
    // The printed times are rounded: the fastest is taken unless another rounds alike.
    const fastest = Math.min(...times.values());
    assert.equal(times.get(backend.name), fastest);
    // The probe trained throwaway copies: the chosen backend starts from the parameters it was given
    // (held as float32 on the adapter and in the WebAssembly engine).
    const given = backend.name === "cpu" ? original : original.map(Math.fround);
    assert.deepEqual(await backend.parameters(), given);
  } finally {
    backend.destroy();
  }
});

Deno.test("createBackend('cpu'), ('wasm') and ('webgpu') never probe", async () => {
  for (const choice of ["cpu", "wasm", "webgpu"] as const) {
    const { init, probe } = probedInit();
    const notices: string[] = [];
    const backend = await createBackend(choice, init, (line) => notices.push(line), { probe });
    assert.equal(backend.name, choice);
    assert.deepEqual(notices, []);
    backend.destroy();
  }
});

Deno.test("createBackend('auto') probes a resumed run (startStep > 0) from fresh copies, without a false non-finite report", async () => {
  const { init, probe } = probedInit();
  const resumed = { ...init, startStep: 2500 };
  const backend = await createBackend("auto", resumed, () => {}, { probe });
  try {
    await backend.trainStep(probe);
    const report = await backend.lastStep();
    assert.ok(Number.isFinite(report.lossNats));
  } finally {
    backend.destroy();
  }
});

Deno.test("a WebGPU step whose gradient is not finite is refused, naming the steps since the last report", async () => {
  assert.ok(navigator.gpu, "this test needs WebGPU (the software adapter is enough)");
  const { init, probe } = probedInit();
  // Weights near float32's limit: the pre-activations overflow to ±∞, and ∞ − ∞ makes the gradient NaN.
  const params = init.params.map((_, i) => (i % 2 ? 1 : -1) * 1e37);
  const backend = await createBackend("webgpu", { ...init, params }, () => {});
  try {
    await backend.trainStep(probe);
    await backend.trainStep(probe);
    const error = await backend.lastStep().then(() => undefined, (e: unknown) => e);
    assert.ok(error instanceof NonFiniteLossError, String(error));
    assert.match(
      error.message,
      /Training stopped at step 2: the gradient of \d of steps 1…2 .*skipped/,
      error.message,
    );
  } finally {
    backend.destroy();
  }
});

Deno.test("createBackend('auto') trains on the CPU, with a notice, when the float32 engines' probe steps are not finite", async () => {
  assert.ok(navigator.gpu, "this test needs WebGPU (the software adapter is enough)");
  const { isSoftware, device } = await requestGpuContext();
  device.destroy();
  if (!isSoftware) return; // a hardware GPU is taken without a probe
  const { init, probe } = probedInit();
  // Weights near float32's limit overflow on the adapter; the float64 reference computes them.
  const params = init.params.map((_, i) => (i % 2 ? 1 : -1) * 1e37);
  const notices: string[] = [];
  const backend = await createBackend("auto", { ...init, params }, (line) => notices.push(line), { probe });
  try {
    assert.equal(backend.name, "cpu");
    assert.equal(notices.length, 1, notices.join("\n"));
    assert.match(
      notices[0]!,
      /wasm's float32 step was not finite; webgpu's float32 step was not finite\), so training on cpu/,
    );
  } finally {
    backend.destroy();
  }
});
