import type { KernelOptions } from "../src/gpu/kernel.ts";
import { sharpenBackwardKernel, sharpenForwardKernel } from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { sharpenBackward, sharpenForward } from "../src/reference/addressing.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  block,
  expectSlot,
  FORWARD,
  GRADIENT,
  randomDistributions,
  randomF32,
  runLaunch,
  toF32,
} from "./_support/kernel_data.ts";

const B = 3, R = 2, W = 2, H = R + W, M = 7, S = 3, T = 2;
const ROWS = B * H;

async function checkSharpen(
  wTilde: Float64Array,
  gamma: Float64Array,
  dw: Float64Array,
  N: number,
  t: number,
  label: string,
  options: KernelOptions = {},
): Promise<void> {
  const { context } = await testGpu();
  const device = context.device;
  const sizes = { B, N, M, R, W, S };
  const w = new Float64Array(ROWS * N);
  for (let row = 0; row < ROWS; row++) {
    sharpenForward(block(w, row, N), block(wTilde, t * ROWS + row, N), gamma[t * ROWS + row]!, N);
  }
  // The backward runs on the f32 forward values, as on the GPU.
  const savedW = new Float64Array((T + 1) * ROWS * N);
  savedW.set(toF32(w.slice()), (t + 1) * ROWS * N);
  const dwTilde = new Float64Array(ROWS * N), dgamma = new Float64Array(ROWS);
  for (let row = 0; row < ROWS; row++) {
    sharpenBackward(
      block(dwTilde, row, N),
      dgamma.subarray(row, row + 1),
      block(dw, row, N),
      block(savedW, (t + 1) * ROWS + row, N),
      block(wTilde, t * ROWS + row, N),
      gamma[t * ROWS + row]!,
      N,
    );
  }
  const wTildeBuf = upload(device, wTilde, "w_tilde"), gammaBuf = upload(device, gamma, "gamma");
  const wBuf = poisoned(device, (T + 1) * ROWS * N, "w");
  await runLaunch(sharpenForwardKernel(sizes, options), [wTildeBuf, gammaBuf, wBuf], t, T);
  await expectSlot(device, wBuf, T + 1, ROWS * N, t + 1, w, { ...FORWARD, label: `w (${label})` });

  const dwBuf = upload(device, dw, "d_w"), savedWBuf = upload(device, savedW, "saved_w");
  const dwTildeBuf = poisoned(device, ROWS * N, "d_w_tilde"), dgammaBuf = poisoned(device, ROWS, "d_gamma");
  await runLaunch(
    sharpenBackwardKernel(sizes, options),
    [wTildeBuf, gammaBuf, savedWBuf, dwBuf, dwTildeBuf, dgammaBuf],
    t,
    T,
  );
  assertClose(await readBack(device, dwTildeBuf, ROWS * N), dwTilde, {
    ...GRADIENT,
    label: `d_w_tilde (${label})`,
  });
  assertClose(await readBack(device, dgammaBuf, ROWS), dgamma, { ...GRADIENT, label: `d_gamma (${label})` });
  for (const buffer of [wTildeBuf, gammaBuf, wBuf, dwBuf, savedWBuf, dwTildeBuf, dgammaBuf]) buffer.destroy();
}

Deno.test(`sharpen_forward and sharpen_backward match the reference (N = 13, B·H = ${ROWS})`, async () => {
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed), N = 13;
    await checkSharpen(
      randomDistributions(rng, T * ROWS, N),
      randomF32(rng, T * ROWS, 1, 3),
      randomF32(rng, ROWS * N),
      N,
      1,
      `seed ${seed}`,
    );
  }
});

Deno.test("sharpen kernels loop over rows when N exceeds the workgroup (N = 37, workgroup 8)", async () => {
  const rng = new Rng(4), N = 37;
  await checkSharpen(
    randomDistributions(rng, T * ROWS, N),
    randomF32(rng, T * ROWS, 1, 3),
    randomF32(rng, ROWS * N),
    N,
    0,
    "N = 37",
    { workgroupSize: 8 },
  );
});

Deno.test("sharpen kernels keep exact zeros at zero and stay finite for a large γ", async () => {
  const rng = new Rng(5), N = 13, t = 1;
  const wTilde = randomDistributions(rng, T * ROWS, N, 4), gamma = randomF32(rng, T * ROWS, 1, 3);
  for (let row = 0; row < ROWS; row++) {
    const at = (t * ROWS + row) * N;
    wTilde[at + (row % N)] = 0; // an exact zero in every row
    wTilde[at + ((row + 3) % N)] = 1e-35; // below the 1e-30 threshold: treated as zero
    if (row % 3 === 1) gamma[t * ROWS + row] = 60; // sharpened close to one-hot
  }
  await checkSharpen(wTilde, gamma, randomF32(rng, ROWS * N), N, t, "zeros, γ = 60");
});
