import shiftSource from "../shaders/shift.wgsl" with { type: "text" };
import { linkShader } from "../src/gpu/shader_source.ts";

const shiftCode = linkShader(shiftSource, "shift.wgsl");
import { Rng } from "../src/model/random.ts";
import { softmaxInto } from "../src/reference/activations.ts";
import { shiftBackward, shiftForward } from "../src/reference/addressing.ts";
import { randomArray } from "./_support/random_batch.ts";
import { assertClose, poisoned, readBack, runKernel, testGpu, upload } from "./_support/gpu.ts";

const N = 13, ROWS = 3 * 4, T = 2;

for (const S of [3, 5]) {
  Deno.test(`shift_forward and shift_backward match the reference (S = ${S}, N = ${N}, B·H = ${ROWS})`, async () => {
    const { context } = await testGpu();
    const device = context.device;
    for (const seed of [1, 2, 3]) {
      const rng = new Rng(seed);
      const wg = randomArray(rng, T * ROWS * N, 0.01, 1), d = randomArray(rng, ROWS * N);
      const s = new Float64Array(T * ROWS * S);
      for (let r = 0; r < T * ROWS; r++) softmaxInto(s, randomArray(rng, T * ROWS * S, -2, 2), r * S, S);
      const t = 1;
      const expected = new Float64Array(ROWS * N),
        dwg = new Float64Array(ROWS * N),
        ds = new Float64Array(ROWS * S);
      for (let r = 0; r < ROWS; r++) {
        const at = t * ROWS + r;
        const out = new Float64Array(N);
        shiftForward(out, wg.subarray(at * N, (at + 1) * N), s.subarray(at * S, (at + 1) * S), N, S);
        expected.set(out, r * N);
        shiftBackward(
          dwg.subarray(r * N, (r + 1) * N),
          ds.subarray(r * S, (r + 1) * S),
          d.subarray(r * N, (r + 1) * N),
          wg.subarray(at * N, (at + 1) * N),
          s.subarray(at * S, (at + 1) * S),
          N,
          S,
        );
      }
      const constants = { ROWS, N, S };
      const wgBuf = upload(device, wg, "wg"), sBuf = upload(device, s, "s");
      const out = poisoned(device, T * ROWS * N, "w_tilde");
      await runKernel(
        {
          label: "shift",
          code: shiftCode,
          entryPoint: "shift_forward",
          inputs: ["wg", "s"],
          outputs: ["w_tilde"],
          constants,
        },
        [wgBuf, sBuf, out],
        [Math.ceil((ROWS * N) / 64)],
        t,
        T,
      );
      const got = (await readBack(device, out, T * ROWS * N)).subarray(t * ROWS * N);
      assertClose(got, expected, { atol: 1e-6, rtol: 1e-4, label: `w̃ (seed ${seed})` });

      const dBuf = upload(device, d, "dw_tilde");
      const dwgBuf = poisoned(device, ROWS * N, "dwg"), dsBuf = poisoned(device, ROWS * S, "ds");
      await runKernel(
        {
          label: "shift",
          code: shiftCode,
          entryPoint: "shift_backward",
          inputs: ["d_w_tilde", "saved_wg", "saved_s"],
          outputs: ["d_wg", "d_s"],
          constants,
        },
        [dBuf, wgBuf, sBuf, dwgBuf, dsBuf],
        [Math.ceil((ROWS * (N + S)) / 64)],
        t,
        T,
      );
      assertClose(await readBack(device, dwgBuf, ROWS * N), dwg, {
        atol: 1e-5,
        rtol: 1e-3,
        label: `dwg (seed ${seed})`,
      });
      assertClose(await readBack(device, dsBuf, ROWS * S), ds, {
        atol: 1e-5,
        rtol: 1e-3,
        label: `ds (seed ${seed})`,
      });
      for (const b of [wgBuf, sBuf, out, dBuf, dwgBuf, dsBuf]) b.destroy();
    }
  });
}
