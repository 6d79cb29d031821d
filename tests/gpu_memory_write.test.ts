import { memoryWriteBackwardKernel, memoryWriteForwardKernel } from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { memoryWriteBackward, memoryWriteForward } from "../src/reference/memory.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
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

interface Inputs {
  w: Float64Array;
  e: Float64Array;
  a: Float64Array;
  memory: Float64Array;
  dMemory: Float64Array;
  dwPrefill: Float64Array;
}

function randomInputs(rng: Rng): Inputs {
  return {
    w: randomDistributions(rng, (T + 1) * B * H, N),
    e: randomF32(rng, T * B * W * M, 0, 1),
    a: randomF32(rng, T * B * W * M),
    memory: randomF32(rng, (T + 1) * B * N * M),
    dMemory: randomF32(rng, B * N * M),
    dwPrefill: randomF32(rng, B * H * N),
  };
}

async function checkWrite(inputs: Inputs, t: number, label: string): Promise<void> {
  const { context } = await testGpu();
  const device = context.device;
  const sizes = { B, N, M, R, W, S };
  const memOut = new Float64Array(B * N * M), dmemPrev = new Float64Array(B * N * M);
  const dw = new Float64Array(B * H * N), de = new Float64Array(B * W * M), da = new Float64Array(B * W * M);
  for (let b = 0; b < B; b++) {
    const memIn = block(inputs.memory, t * B + b, N * M);
    const writeW = inputs.w.slice(((t + 1) * B * H + b * H + R) * N, ((t + 1) * B * H + (b + 1) * H) * N);
    const e = block(inputs.e, t * B + b, W * M), a = block(inputs.a, t * B + b, W * M);
    memoryWriteForward(block(memOut, b, N * M), memIn, writeW, e, a, N, M, W);
    memoryWriteBackward(
      block(dmemPrev, b, N * M),
      dw.subarray((b * H + R) * N, (b + 1) * H * N),
      block(de, b, W * M),
      block(da, b, W * M),
      block(inputs.dMemory, b, N * M),
      memIn,
      writeW,
      e,
      a,
      N,
      M,
      W,
    );
  }
  const wBuf = upload(device, inputs.w, "w"), eBuf = upload(device, inputs.e, "e");
  const aBuf = upload(device, inputs.a, "a");
  const slot = B * N * M;
  const memoryBefore = inputs.memory.map((v, i) => Math.floor(i / slot) === t + 1 ? NaN : v);
  const memBuf = upload(device, memoryBefore, "memory");
  await runLaunch(memoryWriteForwardKernel(sizes), [wBuf, eBuf, aBuf, memBuf], t, T);
  await expectSlot(device, memBuf, T + 1, slot, t + 1, memOut, {
    ...FORWARD,
    label: `memory slot t + 1 (${label})`,
    before: memoryBefore,
  });

  const savedMemBuf = upload(device, inputs.memory, "saved_memory");
  const dMemBuf = upload(device, inputs.dMemory, "d_memory");
  const dmemPrevBuf = poisoned(device, slot, "d_memory_prev"),
    dwBuf = upload(device, inputs.dwPrefill, "d_w");
  const deBuf = poisoned(device, B * W * M, "d_e"), daBuf = poisoned(device, B * W * M, "d_a");
  await runLaunch(
    memoryWriteBackwardKernel(sizes),
    [dMemBuf, savedMemBuf, wBuf, eBuf, aBuf, dmemPrevBuf, dwBuf, deBuf, daBuf],
    t,
    T,
  );
  assertClose(await readBack(device, dmemPrevBuf, slot), dmemPrev, {
    ...GRADIENT,
    label: `d_memory_prev (${label})`,
  });
  assertClose(await readBack(device, dwBuf, B * H * N), plus(inputs.dwPrefill, dw), {
    ...GRADIENT,
    label: `d_w = prefill + write part, read heads untouched (${label})`,
  });
  assertClose(await readBack(device, deBuf, B * W * M), de, { ...GRADIENT, label: `d_e (${label})` });
  assertClose(await readBack(device, daBuf, B * W * M), da, { ...GRADIENT, label: `d_a (${label})` });
  for (const buffer of [wBuf, eBuf, aBuf, memBuf, savedMemBuf, dMemBuf, dmemPrevBuf, dwBuf, deBuf, daBuf]) {
    buffer.destroy();
  }
}

Deno.test(`memory_write_forward and memory_write_backward match the reference (N = ${N}, M = ${M}, B = ${B}, W = ${W})`, async () => {
  for (const seed of [1, 2, 3]) await checkWrite(randomInputs(new Rng(seed)), 1, `seed ${seed}`);
});

Deno.test("memory_write kernels handle a full erase (w·e = 1) without dividing it out", async () => {
  const inputs = randomInputs(new Rng(4)), t = 0;
  for (let b = 0; b < B; b++) {
    // The first write head puts all its weight on row 2 and erases every column completely.
    const wAt = ((t + 1) * B * H + b * H + R) * N;
    inputs.w.fill(0, wAt, wAt + N);
    inputs.w[wAt + 2] = 1;
    inputs.e.fill(1, (t * B + b) * W * M, (t * B + b) * W * M + M);
  }
  await checkWrite(inputs, t, "full erase");
});
