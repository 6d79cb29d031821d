import { initStateBackwardKernel, initStateForwardKernel } from "../src/gpu/kernels_state.ts";
import { type MemoryInit, ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { softmaxBackwardInto, softmaxInto } from "../src/reference/activations.ts";
import { assertClose, poisoned, readBack, runKernel, testGpu, upload } from "./_support/gpu.ts";
import { randomF32 } from "./_support/kernel_data.ts";

const B = 3, T = 2;

for (const memoryInit of ["constant", "learned", "random"] as const satisfies readonly MemoryInit[]) {
  Deno.test(`init_state_forward and init_state_backward match the reference (lstm ×2, R = W = 2, ${memoryInit} memory)`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    const config = ntmConfig({
      inputSize: 3,
      outputSize: 2,
      controllerSize: 5,
      controllerLayers: 2,
      memoryN: 13,
      memoryM: 7,
      readHeads: 2,
      writeHeads: 2,
      memoryInit,
    });
    const { controllerLayers: L, controllerSize: C, readHeads: R, memoryN: N, memoryM: M } = config;
    const H = 4;
    const layout = parameterLayout(config);
    const rng = new Rng(11);
    const params = randomF32(rng, layout.size);
    const draw = randomF32(rng, B * N * M);
    const at = (name: string) => layout.get(name).offset;

    // Forward: expected slot 0 of each state buffer.
    const hidden = new Float64Array(L * B * C), cell = new Float64Array(L * B * C);
    for (let l = 0; l < L; l++) {
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < C; u++) {
          hidden[(l * B + b) * C + u] = params[at("init.hidden") + l * C + u]!;
          cell[(l * B + b) * C + u] = params[at("init.cell") + l * C + u]!;
        }
      }
    }
    const reads = new Float64Array(B * R * M);
    for (let b = 0; b < B; b++) {
      reads.set(params.subarray(at("init.read"), at("init.read") + R * M), b * R * M);
    }
    const w0 = new Float64Array(H * N);
    for (let h = 0; h < H; h++) {
      softmaxInto(w0, params.subarray(at("init.weighting"), at("init.weighting") + H * N), h * N, N);
    }
    const w = new Float64Array(B * H * N);
    for (let b = 0; b < B; b++) w.set(w0, b * H * N);
    const memory = new Float64Array(B * N * M);
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < N * M; i++) {
        memory[b * N * M + i] = memoryInit === "constant"
          ? 1e-6
          : memoryInit === "learned"
          ? params[at("init.memory") + i]!
          : draw[b * N * M + i]!;
      }
    }
    const buffers = {
      params: upload(device, params, "params"),
      draw: upload(device, draw, "memory_draw"),
      hidden: poisoned(device, (T + 1) * L * B * C, "hidden"),
      cell: poisoned(device, (T + 1) * L * B * C, "cell"),
      reads: poisoned(device, (T + 1) * B * R * M, "reads"),
      w: poisoned(device, (T + 1) * B * H * N, "w"),
      memory: poisoned(device, (T + 1) * B * N * M, "memory"),
    };
    const forward = initStateForwardKernel(config, layout, B);
    await runKernel(forward.spec, Object.values(buffers), forward.workgroups);
    const tol = { atol: 1e-7, rtol: 1e-5 };
    assertClose(await readBack(device, buffers.hidden, L * B * C), hidden, { ...tol, label: "h_0" });
    assertClose(await readBack(device, buffers.cell, L * B * C), cell, { ...tol, label: "c_0" });
    assertClose(await readBack(device, buffers.reads, B * R * M), reads, { ...tol, label: "r_0" });
    assertClose(await readBack(device, buffers.w, B * H * N), w, { ...tol, label: "w_0" });
    assertClose(await readBack(device, buffers.memory, B * N * M), memory, { ...tol, label: "Mem_0" });

    // Backward: batch sums into a pre-filled gradient.
    const dHidden = randomF32(rng, L * B * C), dCell = randomF32(rng, L * B * C);
    const dReads = randomF32(rng, B * R * M),
      dW = randomF32(rng, B * H * N),
      dMemory = randomF32(rng, B * N * M);
    const prefill = randomF32(rng, layout.size);
    const expected = Float64Array.from(prefill);
    for (let l = 0; l < L; l++) {
      for (let b = 0; b < B; b++) {
        for (let u = 0; u < C; u++) {
          expected[at("init.hidden") + l * C + u]! += dHidden[(l * B + b) * C + u]!;
          expected[at("init.cell") + l * C + u]! += dCell[(l * B + b) * C + u]!;
        }
      }
    }
    for (let b = 0; b < B; b++) {
      for (let i = 0; i < R * M; i++) expected[at("init.read") + i]! += dReads[b * R * M + i]!;
      for (let h = 0; h < H; h++) {
        softmaxBackwardInto(
          expected.subarray(at("init.weighting") + h * N, at("init.weighting") + (h + 1) * N),
          dW.subarray((b * H + h) * N, (b * H + h + 1) * N),
          w0.subarray(h * N, (h + 1) * N),
          0,
          N,
        );
      }
      if (memoryInit === "learned") {
        for (let i = 0; i < N * M; i++) expected[at("init.memory") + i]! += dMemory[b * N * M + i]!;
      }
    }
    const grad = upload(device, prefill, "grad");
    const backward = initStateBackwardKernel(config, layout, B);
    await runKernel(
      backward.spec,
      [
        upload(device, dHidden, "d_hidden0"),
        upload(device, dCell, "d_cell0"),
        upload(device, dReads, "d_reads0"),
        upload(device, dW, "d_w0"),
        upload(device, dMemory, "d_memory0"),
        buffers.w,
        grad,
      ],
      backward.workgroups,
    );
    assertClose(await readBack(device, grad, layout.size), expected, {
      atol: 1e-5,
      rtol: 1e-4,
      label: "grad",
    });
  });
}
