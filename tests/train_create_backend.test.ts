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

Deno.test("createBackend('auto') falls back to the CPU with a one-line notice when WebGPU is missing", async () => {
  await withoutWebGpu(async () => {
    const notices: string[] = [];
    const backend = await createBackend("auto", tinyInit(), (line) => notices.push(line));
    assert.equal(backend.name, "cpu");
    assert.equal(notices.length, 1);
    assert.match(notices[0]!, /navigator\.gpu is missing.*training on the CPU/);
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

Deno.test("createBackend('auto') picks WebGPU where an adapter exists", async () => {
  assert.ok(navigator.gpu, "this test needs WebGPU (the software adapter is enough)");
  const backend = await createBackend("auto", tinyInit(), () => {});
  assert.equal(backend.name, "webgpu");
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
    const m = notices[0]!.match(
      /took ([\d.]+) ms on it and ([\d.]+) ms on the CPU reference, so training on the (CPU|software adapter)/,
    );
    assert.ok(m, notices[0]);
    const gpuMs = Number(m[1]), cpuMs = Number(m[2]);
    assert.equal(backend.name, m[3] === "CPU" ? "cpu" : "webgpu");
    // The printed times are rounded: the faster one is taken unless they round alike.
    if (gpuMs !== cpuMs) assert.equal(backend.name, cpuMs < gpuMs ? "cpu" : "webgpu");
    // The probe trained throwaway copies: the chosen backend starts from the parameters it was given
    // (held as float32 on the adapter).
    const given = backend.name === "webgpu" ? original.map(Math.fround) : original;
    assert.deepEqual(await backend.parameters(), given);
  } finally {
    backend.destroy();
  }
});

Deno.test("createBackend('cpu') and ('webgpu') never probe", async () => {
  for (const choice of ["cpu", "webgpu"] as const) {
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

Deno.test("createBackend('auto') trains on the CPU, with a notice, when the software adapter's probe step is not finite", async () => {
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
    assert.match(notices[0]!, /gave a gradient that is not finite; training on the CPU/);
  } finally {
    backend.destroy();
  }
});
