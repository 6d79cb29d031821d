/**
 * Names, in the test log, the WebGPU adapter and the native API every kernel test runs on, and fails when
 * there is none (the kernel tests need one: they fail, never skip, without it).
 */

import { strict as assert } from "node:assert";
import { testGpu } from "./_support/gpu.ts";

Deno.test("the kernel tests' WebGPU adapter is named with its native API", async () => {
  const { context } = await testGpu();
  const api = context.nativeBackend === "gl"
    ? "OpenGL"
    : Deno.build.os === "darwin"
    ? "Metal"
    : Deno.build.os === "windows"
    ? "D3D12 or Vulkan"
    : "Vulkan";
  const kind = context.isSoftware ? "software" : "hardware";
  console.log(`WebGPU adapter for the kernel tests: ${context.adapterName} (${kind}, ${api})`);
  assert.ok(context.adapterName.length > 0);
});
