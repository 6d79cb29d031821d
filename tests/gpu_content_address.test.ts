import type { KernelOptions } from "../src/gpu/kernel.ts";
import {
  type AddressingSizes,
  contentAddressBackwardKernel,
  contentAddressBackwardMemoryKernel,
  contentAddressForwardKernel,
} from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { contentAddressBackward, contentAddressForward } from "../src/reference/addressing.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  block,
  expectSlot,
  FORWARD,
  GRADIENT,
  plus,
  randomF32,
  runLaunch,
  toF32,
} from "./_support/kernel_data.ts";

const B = 3, R = 2, W = 2, H = R + W, M = 7, S = 3, T = 2;

interface Inputs {
  /** (T, B, H, M) */
  k: Float64Array;
  /** (T, B, H) */
  beta: Float64Array;
  /** (T + 1, B, N, M) */
  memory: Float64Array;
  /** (B, H, N) */
  dwc: Float64Array;
  /** (B, N, M) prefill of the accumulated memory gradient */
  dmemPrefill: Float64Array;
}

function randomInputs(rng: Rng, N: number): Inputs {
  return {
    k: randomF32(rng, T * B * H * M),
    beta: randomF32(rng, T * B * H, 0.5, 6),
    memory: randomF32(rng, (T + 1) * B * N * M),
    dwc: randomF32(rng, B * H * N),
    dmemPrefill: randomF32(rng, B * N * M),
  };
}

async function checkContentAddress(
  inputs: Inputs,
  N: number,
  t: number,
  label: string,
  options: KernelOptions = {},
): Promise<void> {
  const { context } = await testGpu();
  const device = context.device;
  const sizes: AddressingSizes = { B, N, M, R, W, S };
  // Reference, per (b, h), at slot t.
  const wc = new Float64Array(B * H * N), dk = new Float64Array(B * H * M), dbeta = new Float64Array(B * H);
  const dmem = new Float64Array(B * N * M);
  for (let b = 0; b < B; b++) {
    const mem = block(inputs.memory, t * B + b, N * M);
    for (let h = 0; h < H; h++) {
      const row = b * H + h, k = block(inputs.k, t * B * H + row, M), beta = inputs.beta[t * B * H + row]!;
      contentAddressForward(block(wc, row, N), k, beta, mem, N, M);
    }
  }
  // The backward uses the f32 forward values, as the GPU does.
  const savedWc = toF32(wc.slice());
  for (let b = 0; b < B; b++) {
    const mem = block(inputs.memory, t * B + b, N * M);
    for (let h = 0; h < H; h++) {
      const row = b * H + h, k = block(inputs.k, t * B * H + row, M), beta = inputs.beta[t * B * H + row]!;
      contentAddressBackward(
        block(dk, row, M),
        dbeta.subarray(row, row + 1),
        block(dmem, b, N * M),
        block(inputs.dwc, row, N),
        block(savedWc, row, N),
        k,
        beta,
        mem,
        N,
        M,
      );
    }
  }

  const kBuf = upload(device, inputs.k, "k"), betaBuf = upload(device, inputs.beta, "beta");
  const memBuf = upload(device, inputs.memory, "memory");
  const wcBuf = poisoned(device, T * B * H * N, "wc");
  await runLaunch(contentAddressForwardKernel(sizes, options), [kBuf, betaBuf, memBuf, wcBuf], t, T);
  await expectSlot(device, wcBuf, T, B * H * N, t, wc, { ...FORWARD, label: `wc (${label})` });

  const savedWcFull = new Float64Array(T * B * H * N);
  savedWcFull.set(savedWc, t * B * H * N);
  const savedWcBuf = upload(device, savedWcFull, "saved_wc"), dwcBuf = upload(device, inputs.dwc, "d_wc");
  const dkBuf = poisoned(device, B * H * M, "d_k"), dbetaBuf = poisoned(device, B * H, "d_beta");
  const cosBuf = poisoned(device, B * H * N * 2, "d_cosine");
  await runLaunch(
    contentAddressBackwardKernel(sizes, options),
    [kBuf, betaBuf, memBuf, savedWcBuf, dwcBuf, dkBuf, dbetaBuf, cosBuf],
    t,
    T,
  );
  assertClose(await readBack(device, dkBuf, B * H * M), dk, { ...GRADIENT, label: `d_k (${label})` });
  assertClose(await readBack(device, dbetaBuf, B * H), dbeta, { ...GRADIENT, label: `d_beta (${label})` });
  const dmemBuf = upload(device, inputs.dmemPrefill, "d_memory_prev");
  await runLaunch(contentAddressBackwardMemoryKernel(sizes, options), [cosBuf, kBuf, memBuf, dmemBuf], t, T);
  assertClose(await readBack(device, dmemBuf, B * N * M), plus(inputs.dmemPrefill, dmem), {
    ...GRADIENT,
    label: `d_memory_prev = prefill + content part (${label})`,
  });
  for (const buffer of [kBuf, betaBuf, memBuf, wcBuf, savedWcBuf, dwcBuf, dkBuf, dbetaBuf, cosBuf, dmemBuf]) {
    buffer.destroy();
  }
}

Deno.test(`content_address kernels match the reference (N = 13, M = ${M}, B = ${B}, H = ${H})`, async () => {
  for (const seed of [1, 2, 3]) {
    await checkContentAddress(randomInputs(new Rng(seed), 13), 13, 1, `seed ${seed}`);
  }
});

Deno.test("content_address kernels loop over rows when N exceeds the workgroup (N = 37, workgroup 8)", async () => {
  await checkContentAddress(randomInputs(new Rng(4), 37), 37, 0, "N = 37", { workgroupSize: 8 });
});

Deno.test("content_address kernels handle zero memory rows, a zero key and a large β", async () => {
  const N = 13, rng = new Rng(5), inputs = randomInputs(rng, N);
  const t = 1;
  for (let b = 0; b < B; b++) {
    // Rows 0 and 5 of every episode's memory are zero.
    for (const i of [0, 5]) inputs.memory.fill(0, ((t * B + b) * N + i) * M, ((t * B + b) * N + i + 1) * M);
    // Head 1's key is zero; head 2's key strength is large.
    inputs.k.fill(0, (t * B * H + b * H + 1) * M, (t * B * H + b * H + 2) * M);
    inputs.beta[t * B * H + b * H + 2] = 200;
  }
  await checkContentAddress(inputs, N, t, "degenerate");
});
