/**
 * The addressing chain, read and write kernels against golden values that nobody on this project wrote:
 * 12 cases of one head addressing, reading and writing one memory, computed in float64 by pytorch-ntm with
 * autograd gradients (`tests/fixtures/memory-ops.json`; see /work/shared/golden/README.md).
 *
 * The fixture's one head both reads and writes; the kernels keep read heads (0 … R − 1) and write heads
 * (R … H − 1) apart, so each case runs with R = W = 1 and the same parameters and previous weighting in
 * both heads: both compute the fixture's w, head 0 reads, head 1 writes, the upstream dw enters through
 * head 0 only, and the gradient of each shared parameter is the sum over the two heads.
 */

import {
  type AddressingSizes,
  contentAddressBackwardKernel,
  contentAddressBackwardMemoryKernel,
  contentAddressForwardKernel,
  interpolateBackwardKernel,
  interpolateForwardKernel,
  memoryReadBackwardKernel,
  memoryReadForwardKernel,
  memoryWriteBackwardKernel,
  memoryWriteForwardKernel,
  sharpenBackwardKernel,
  sharpenForwardKernel,
  shiftBackwardKernel,
  shiftForwardKernel,
} from "../src/gpu/kernels_addressing.ts";
import { assertClose, poisoned, readBack, testGpu, upload } from "./_support/gpu.ts";
import { runLaunch } from "./_support/kernel_data.ts";

/** One golden case: N×M memory, one head with activated parameters, upstream gradients and the answers. */
interface GoldenCase {
  readonly N: number;
  readonly M: number;
  readonly inputs: Record<"mem0" | "k" | "beta" | "g" | "s" | "gamma" | "w_prev" | "e" | "a", number[]>;
  readonly upstream: Record<"dw" | "dr" | "dmem", number[]>;
  readonly outputs: Record<"w" | "r" | "mem1", number[]>;
  readonly gradients: Record<
    "dmem0" | "dk" | "dbeta" | "dg" | "ds" | "dgamma" | "dw_prev" | "de" | "da",
    number[]
  >;
}

const fixture: { cases: GoldenCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/memory-ops.json", import.meta.url)),
);

/** f32 accuracy of the forward values and of the gradients (whose chain has more rounding steps). */
const FORWARD = { atol: 1e-6, rtol: 1e-5 };
const GRADIENT = { atol: 1e-6, rtol: 1e-4 };

/** The same values twice (one copy per head). */
function twice(a: number[]): number[] {
  return [...a, ...a];
}

/** The sum of the two heads' halves. */
function sumHeads(a: Float32Array): Float64Array {
  const half = a.length / 2, out = new Float64Array(half);
  for (let i = 0; i < half; i++) out[i] = a[i]! + a[half + i]!;
  return out;
}

Deno.test("the addressing, read and write kernels match pytorch-ntm's golden values", async (t) => {
  const { context } = await testGpu();
  const device = context.device;
  if (fixture.cases.length !== 12) throw new Error(`expected 12 golden cases, got ${fixture.cases.length}`);
  for (const [index, c] of fixture.cases.entries()) {
    await t.step(`case ${index} (N = ${c.N}, M = ${c.M})`, async () => {
      const { N, M } = c, S = c.inputs.s.length, H = 2, T = 1, step = 0;
      const sizes: AddressingSizes = { B: 1, N, M, R: 1, W: 1, S };
      const inp = c.inputs;
      const buffers: GPUBuffer[] = [];
      const input = (data: ArrayLike<number>, label: string) => {
        const buffer = upload(device, data, label);
        buffers.push(buffer);
        return buffer;
      };
      const output = (length: number, label: string) => {
        const buffer = poisoned(device, length, label);
        buffers.push(buffer);
        return buffer;
      };
      const k = input(twice(inp.k), "k"), beta = input(twice(inp.beta), "beta"), g = input(twice(inp.g), "g");
      const s = input(twice(inp.s), "s"), gamma = input(twice(inp.gamma), "gamma");
      const e = input(inp.e, "e"), a = input(inp.a, "a");
      const memory = input([...inp.mem0, ...new Array(N * M).fill(NaN)], "memory");
      const w = input([...twice(inp.w_prev), ...new Array(H * N).fill(NaN)], "w");
      const wc = output(H * N, "wc"), wg = output(H * N, "wg"), wTilde = output(H * N, "w_tilde");
      const reads = input([...new Array(M).fill(0), ...new Array(M).fill(NaN)], "reads");

      // Forward of the step: address (both heads), read (head 0), write (head 1).
      await runLaunch(contentAddressForwardKernel(sizes), [k, beta, memory, wc], step, T);
      await runLaunch(interpolateForwardKernel(sizes), [wc, g, w, wg], step, T);
      await runLaunch(shiftForwardKernel(sizes), [wg, s, wTilde], step, T);
      await runLaunch(sharpenForwardKernel(sizes), [wTilde, gamma, w], step, T);
      await runLaunch(memoryReadForwardKernel(sizes), [w, memory, reads], step, T);
      await runLaunch(memoryWriteForwardKernel(sizes), [w, e, a, memory], step, T);
      const wOut = (await readBack(device, w, 2 * H * N)).subarray(H * N);
      assertClose(wOut, twice(c.outputs.w), { ...FORWARD, label: "w (both heads)" });
      assertClose((await readBack(device, reads, 2 * M)).subarray(M), c.outputs.r, {
        ...FORWARD,
        label: "r",
      });
      assertClose((await readBack(device, memory, 2 * N * M)).subarray(N * M), c.outputs.mem1, {
        ...FORWARD,
        label: "mem1",
      });

      // Backward of the step, in the engine's order.
      const dw = input([...c.upstream.dw, ...new Array(N).fill(0)], "d_w");
      const dReads = input(c.upstream.dr, "d_reads"), dMemory = input(c.upstream.dmem, "d_memory");
      const dMemoryPrev = output(N * M, "d_memory_prev");
      const de = output(M, "d_e"), da = output(M, "d_a");
      const dwTilde = output(H * N, "d_w_tilde"), dGamma = output(H, "d_gamma");
      const dwg = output(H * N, "d_wg"), ds = output(H * S, "d_s");
      const dwc = output(H * N, "d_wc"), dwPrev = output(H * N, "d_w_prev"), dg = output(H, "d_g");
      const dk = output(H * M, "d_k"), dBeta = output(H, "d_beta"), dCosine = output(H * N * 2, "d_cosine");
      await runLaunch(
        memoryWriteBackwardKernel(sizes),
        [dMemory, memory, w, e, a, dMemoryPrev, dw, de, da],
        step,
        T,
      );
      await runLaunch(memoryReadBackwardKernel(sizes), [dReads, w, memory, dw, dMemoryPrev], step, T);
      await runLaunch(sharpenBackwardKernel(sizes), [wTilde, gamma, w, dw, dwTilde, dGamma], step, T);
      await runLaunch(shiftBackwardKernel(sizes), [dwTilde, wg, s, dwg, ds], step, T);
      await runLaunch(interpolateBackwardKernel(sizes), [dwg, wc, g, w, dwc, dwPrev, dg], step, T);
      await runLaunch(
        contentAddressBackwardKernel(sizes),
        [k, beta, memory, wc, dwc, dk, dBeta, dCosine],
        step,
        T,
      );
      await runLaunch(contentAddressBackwardMemoryKernel(sizes), [dCosine, k, memory, dMemoryPrev], step, T);

      const want = c.gradients;
      const check = async (
        buffer: GPUBuffer,
        length: number,
        expected: number[],
        label: string,
        perHead: boolean,
      ) => {
        const got = await readBack(device, buffer, length);
        assertClose(perHead ? sumHeads(got) : got, expected, { ...GRADIENT, label });
      };
      await check(dMemoryPrev, N * M, want.dmem0, "dmem0", false);
      await check(dk, H * M, want.dk, "dk", true);
      await check(dBeta, H, want.dbeta, "dbeta", true);
      await check(dg, H, want.dg, "dg", true);
      await check(ds, H * S, want.ds, "ds", true);
      await check(dGamma, H, want.dgamma, "dgamma", true);
      await check(dwPrev, H * N, want.dw_prev, "dw_prev", true);
      await check(de, M, want.de, "de", false);
      await check(da, M, want.da, "da", false);
      for (const buffer of buffers) buffer.destroy();
    });
  }
});
