import { memoryReadBackwardKernel, memoryReadForwardKernel } from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { memoryReadBackward, memoryReadForward } from "../src/reference/memory.ts";
import { assertClose, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  block,
  expectSlot,
  FORWARD,
  GRADIENT,
  plus,
  randomDistributions,
  randomF32,
  runLaunch,
} from "./_support/kernel_data.ts";

const B = 3, R = 2, W = 2, H = R + W, N = 13, M = 7, S = 3, T = 2;

Deno.test(`memory_read_forward and memory_read_backward match the reference (N = ${N}, M = ${M}, B = ${B}, R = ${R})`, async () => {
  const { context } = await testGpu();
  const device = context.device;
  const sizes = { B, N, M, R, W, S };
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed), t = 1;
    const w = randomDistributions(rng, (T + 1) * B * H, N), memory = randomF32(rng, (T + 1) * B * N * M);
    const readsBefore = randomF32(rng, (T + 1) * B * R * M);
    const dReads = randomF32(rng, B * R * M);
    const dwPrefill = randomF32(rng, B * H * N), dmemPrefill = randomF32(rng, B * N * M);
    const reads = new Float64Array(B * R * M),
      dw = new Float64Array(B * H * N),
      dmem = new Float64Array(B * N * M);
    for (let b = 0; b < B; b++) {
      const mem = block(memory, t * B + b, N * M);
      for (let h = 0; h < R; h++) {
        const weights = block(w, (t + 1) * B * H + b * H + h, N);
        memoryReadForward(block(reads, b * R + h, M), weights, mem, N, M);
        memoryReadBackward(
          block(dw, b * H + h, N),
          block(dmem, b, N * M),
          block(dReads, b * R + h, M),
          weights,
          mem,
          N,
          M,
        );
      }
    }
    const wBuf = upload(device, w, "w"), memBuf = upload(device, memory, "memory");
    // reads holds r_0 … r_T: slot t + 1 is written, slot 0 (the initial read) and the others are kept.
    const readsBuf = upload(
      device,
      readsBefore.map((v, i) => Math.floor(i / (B * R * M)) === t + 1 ? NaN : v),
      "reads",
    );
    await runLaunch(memoryReadForwardKernel(sizes), [wBuf, memBuf, readsBuf], t, T);
    await expectSlot(device, readsBuf, T + 1, B * R * M, t + 1, reads, {
      ...FORWARD,
      label: `reads (seed ${seed})`,
      before: readsBefore,
    });

    const dReadsBuf = upload(device, dReads, "d_reads");
    const dwBuf = upload(device, dwPrefill, "d_w"), dmemBuf = upload(device, dmemPrefill, "d_memory_prev");
    await runLaunch(memoryReadBackwardKernel(sizes), [dReadsBuf, wBuf, memBuf, dwBuf, dmemBuf], t, T);
    assertClose(await readBack(device, dwBuf, B * H * N), plus(dwPrefill, dw), {
      ...GRADIENT,
      label: `d_w = prefill + read part, write heads untouched (seed ${seed})`,
    });
    assertClose(await readBack(device, dmemBuf, B * N * M), plus(dmemPrefill, dmem), {
      ...GRADIENT,
      label: `d_memory_prev = prefill + read part (seed ${seed})`,
    });
    for (const buffer of [wBuf, memBuf, readsBuf, dReadsBuf, dwBuf, dmemBuf]) buffer.destroy();
  }
});
