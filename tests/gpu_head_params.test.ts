import {
  headParamsBackwardKernel,
  headParamsForwardKernel,
  rawHeadsWidth,
} from "../src/gpu/kernels_addressing.ts";
import { Rng } from "../src/model/random.ts";
import { headFieldOffsets, headParamsBackward, headParamsForward } from "../src/reference/head_params.ts";
import { poisoned, testGpu, upload } from "./_support/gpu.ts";
import { block, expectSlot, FORWARD, GRADIENT, randomF32, runLaunch } from "./_support/kernel_data.ts";

const B = 3, R = 2, W = 2, H = R + W, N = 13, M = 7, T = 2;

/** Forward and backward of every head at slot t, in the kernels' layouts, by the float64 reference. */
function reference(raw: Float64Array, grads: Record<string, Float64Array>, t: number, S: number) {
  const P = rawHeadsWidth({ B, N, M, R, W, S }), at = headFieldOffsets(M, S);
  const out = {
    k: new Float64Array(B * H * M),
    beta: new Float64Array(B * H),
    g: new Float64Array(B * H),
    s: new Float64Array(B * H * S),
    gamma: new Float64Array(B * H),
    e: new Float64Array(B * W * M),
    a: new Float64Array(B * W * M),
    dRaw: new Float64Array(B * P),
  };
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const isWrite = h >= R, width = isWrite ? 3 * M + S + 3 : M + S + 3;
      const o = h < R ? h * (M + S + 3) : R * (M + S + 3) + (h - R) * (3 * M + S + 3);
      const rawHead = raw.subarray((t * B + b) * P + o, (t * B + b) * P + o + width);
      const act = new Float64Array(width), dact = new Float64Array(width);
      headParamsForward(act, rawHead, M, S, isWrite);
      const bh = b * H + h, bw = b * W + h - R;
      out.k.set(act.subarray(at.k, at.k + M), bh * M);
      out.beta[bh] = act[at.beta]!, out.g[bh] = act[at.g]!, out.gamma[bh] = act[at.gamma]!;
      out.s.set(act.subarray(at.s, at.s + S), bh * S);
      dact.set(block(grads.d_k!, bh, M), at.k);
      dact[at.beta] = grads.d_beta![bh]!, dact[at.g] = grads.d_g![bh]!, dact[at.gamma] = grads.d_gamma![bh]!;
      dact.set(block(grads.d_s!, bh, S), at.s);
      if (isWrite) {
        out.e.set(act.subarray(at.e, at.e + M), bw * M);
        out.a.set(act.subarray(at.a, at.a + M), bw * M);
        dact.set(block(grads.d_e!, bw, M), at.e);
        dact.set(block(grads.d_a!, bw, M), at.a);
      }
      headParamsBackward(out.dRaw.subarray(b * P + o, b * P + o + width), dact, act, rawHead, M, S, isWrite);
    }
  }
  return out;
}

async function checkHeadParams(raw: Float64Array, S: number, seed: number, t: number): Promise<void> {
  const { context } = await testGpu();
  const device = context.device;
  const sizes = { B, N, M, R, W, S }, P = rawHeadsWidth(sizes);
  const rng = new Rng(1000 + seed);
  const grads: Record<string, Float64Array> = {
    d_k: randomF32(rng, B * H * M),
    d_beta: randomF32(rng, B * H),
    d_g: randomF32(rng, B * H),
    d_s: randomF32(rng, B * H * S),
    d_gamma: randomF32(rng, B * H),
    d_e: randomF32(rng, B * W * M),
    d_a: randomF32(rng, B * W * M),
  };
  const expected = reference(raw, grads, t, S);
  const rawBuf = upload(device, raw, "raw_heads");
  const fields = [
    ["k", H * M],
    ["beta", H],
    ["g", H],
    ["s", H * S],
    ["gamma", H],
    ["e", W * M],
    ["a", W * M],
  ] as const;
  const outs = fields.map(([name, width]) => poisoned(device, T * B * width, name));
  await runLaunch(headParamsForwardKernel(sizes), [rawBuf, ...outs], t, T);
  for (const [i, [name, width]] of fields.entries()) {
    await expectSlot(device, outs[i]!, T, B * width, t, expected[name], {
      ...FORWARD,
      label: `${name} (seed ${seed})`,
    });
  }
  const gradBufs = fields.map(([name]) => upload(device, grads[`d_${name}`]!, `d_${name}`));
  const dRaw = poisoned(device, T * B * P, "d_raw_heads");
  await runLaunch(headParamsBackwardKernel(sizes), [rawBuf, ...gradBufs, dRaw], t, T);
  await expectSlot(device, dRaw, T, B * P, t, expected.dRaw, {
    ...GRADIENT,
    label: `d_raw_heads (seed ${seed})`,
  });
  for (const buffer of [rawBuf, ...outs, ...gradBufs, dRaw]) buffer.destroy();
}

for (const S of [3, 5]) {
  Deno.test(`head_params_forward and head_params_backward match the reference (S = ${S}, B = ${B}, R = W = 2)`, async () => {
    const P = rawHeadsWidth({ B, N, M, R, W, S });
    for (const seed of [1, 2, 3]) {
      const raw = randomF32(new Rng(seed), T * B * P, -3, 3);
      await checkHeadParams(raw, S, seed, 1);
    }
  });
}

Deno.test("head_params kernels stay finite and exact at extreme raw values", async () => {
  const S = 3, P = rawHeadsWidth({ B, N, M, R, W, S });
  const rng = new Rng(7);
  const extremes = [-100, -40, -20, -1e-6, 0, 1e-6, 1e-3, 20, 40, 100];
  const raw = randomF32(rng, T * B * P, -3, 3);
  for (let i = 0; i < raw.length; i++) if (rng.uniform() < 0.5) raw[i] = extremes[i % extremes.length]!;
  await checkHeadParams(raw, S, 7, 0);
});
