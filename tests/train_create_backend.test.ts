import assert from "node:assert/strict";
import { WebGpuUnavailableError } from "../src/gpu/device.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { type BackendInit, createBackend } from "../src/train/create_backend.ts";

function tinyInit(): BackendInit {
  const config = ntmConfig({ inputSize: 3, outputSize: 2, controllerSize: 4, memoryN: 8, memoryM: 4 });
  const layout = parameterLayout(config);
  return {
    config,
    layout,
    params: initParameters(config, layout, 1),
    optimizer: createOptimizer("adam", layout.size),
    batch: 2,
    memorySeed: 1,
    startStep: 0,
  };
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
