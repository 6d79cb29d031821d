import { interpolateBackwardKernel, interpolateForwardKernel } from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { interpolateBackward, interpolateForward } from "../src/reference/addressing.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import {
  block,
  expectSlot,
  FORWARD,
  GRADIENT,
  randomDistributions,
  randomF32,
  runLaunch,
} from "./_support/kernel_data.ts";

const B = 3, R = 2, W = 2, H = R + W, N = 13, M = 7, S = 3, T = 2;
const ROWS = B * H;

Deno.test(`interpolate_forward and interpolate_backward match the reference (N = ${N}, B·H = ${ROWS})`, async () => {
  const { context } = await testGpu();
  const device = context.device;
  const sizes = { B, N, M, R, W, S };
  for (const seed of [1, 2, 3]) {
    const rng = new Rng(seed), t = 1;
    const wc = randomDistributions(rng, T * ROWS, N), w = randomDistributions(rng, (T + 1) * ROWS, N);
    const g = randomF32(rng, T * ROWS, 0, 1), dwg = randomF32(rng, ROWS * N);
    const wg = new Float64Array(ROWS * N),
      dwc = new Float64Array(ROWS * N),
      dwPrev = new Float64Array(ROWS * N);
    const dg = new Float64Array(ROWS);
    for (let row = 0; row < ROWS; row++) {
      const at = t * ROWS + row, gate = g[at]!;
      interpolateForward(block(wg, row, N), block(wc, at, N), block(w, at, N), gate, N);
      interpolateBackward(
        block(dwc, row, N),
        block(dwPrev, row, N),
        dg.subarray(row, row + 1),
        block(dwg, row, N),
        block(wc, at, N),
        block(w, at, N),
        gate,
        N,
      );
    }
    const wcBuf = upload(device, wc, "wc"), gBuf = upload(device, g, "g"), wBuf = upload(device, w, "w");
    const wgBuf = poisoned(device, T * ROWS * N, "wg");
    await runLaunch(interpolateForwardKernel(sizes), [wcBuf, gBuf, wBuf, wgBuf], t, T);
    await expectSlot(device, wgBuf, T, ROWS * N, t, wg, { ...FORWARD, label: `wg (seed ${seed})` });

    const dwgBuf = upload(device, dwg, "d_wg");
    const dwcBuf = poisoned(device, ROWS * N, "d_wc"), dwPrevBuf = poisoned(device, ROWS * N, "d_w_prev");
    const dgBuf = poisoned(device, ROWS, "d_g");
    await runLaunch(
      interpolateBackwardKernel(sizes),
      [dwgBuf, wcBuf, gBuf, wBuf, dwcBuf, dwPrevBuf, dgBuf],
      t,
      T,
    );
    assertClose(await readBack(device, dwcBuf, ROWS * N), dwc, { ...GRADIENT, label: `d_wc (seed ${seed})` });
    assertClose(await readBack(device, dwPrevBuf, ROWS * N), dwPrev, {
      ...GRADIENT,
      label: `d_w_prev (seed ${seed})`,
    });
    assertClose(await readBack(device, dgBuf, ROWS), dg, { ...GRADIENT, label: `d_g (seed ${seed})` });
    for (const buffer of [wcBuf, gBuf, wBuf, wgBuf, dwgBuf, dwcBuf, dwPrevBuf, dgBuf]) buffer.destroy();
  }
});
