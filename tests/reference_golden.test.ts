/**
 * The reference against golden values that nobody on this project wrote: 12 cases of one head addressing,
 * reading and writing one memory, computed in float64 by pytorch-ntm with autograd gradients
 * (`tests/fixtures/memory-ops.json`; see its `about`). Forward values and every gradient must match to 1e-9.
 */

import assert from "node:assert/strict";
import {
  contentAddressBackward,
  contentAddressForward,
  interpolateBackward,
  interpolateForward,
  sharpenBackward,
  sharpenForward,
  shiftBackward,
  shiftForward,
} from "../src/reference/addressing.ts";
import {
  memoryReadBackward,
  memoryReadForward,
  memoryWriteBackward,
  memoryWriteForward,
} from "../src/reference/memory.ts";

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

const TOLERANCE = 1e-9;

const fixture: { cases: GoldenCase[] } = JSON.parse(
  await Deno.readTextFile(new URL("./fixtures/memory-ops.json", import.meta.url)),
);

/** The forward and backward of one case, computed by the reference ops. */
function runCase(
  c: GoldenCase,
): { outputs: Record<string, Float64Array>; gradients: Record<string, Float64Array> } {
  const { N, M } = c, S = c.inputs.s.length;
  const f = (a: number[]) => Float64Array.from(a);
  const mem0 = f(c.inputs.mem0), k = f(c.inputs.k), s = f(c.inputs.s), wPrev = f(c.inputs.w_prev);
  const e = f(c.inputs.e), a = f(c.inputs.a);
  const beta = c.inputs.beta[0]!, g = c.inputs.g[0]!, gamma = c.inputs.gamma[0]!;
  // Forward: content → interpolation → shift → sharpening, then read Mem0 and write Mem1.
  const wc = new Float64Array(N),
    wg = new Float64Array(N),
    wTilde = new Float64Array(N),
    w = new Float64Array(N);
  contentAddressForward(wc, k, beta, mem0, N, M);
  interpolateForward(wg, wc, wPrev, g, N);
  shiftForward(wTilde, wg, s, N, S);
  sharpenForward(w, wTilde, gamma, N);
  const r = new Float64Array(M), mem1 = new Float64Array(N * M);
  memoryReadForward(r, w, mem0, N, M);
  memoryWriteForward(mem1, mem0, w, e, a, N, M, 1);
  // Backward: w feeds the loss directly (dw), the read and the write; Mem0 feeds the content addressing,
  // the read and the write. Every backward adds, so the three paths accumulate into dw and dmem0.
  const dw = f(c.upstream.dw), dr = f(c.upstream.dr), dmem = f(c.upstream.dmem);
  const dmem0 = new Float64Array(N * M), de = new Float64Array(M), da = new Float64Array(M);
  memoryReadBackward(dw, dmem0, dr, w, mem0, N, M);
  memoryWriteBackward(dmem0, dw, de, da, dmem, mem0, w, e, a, N, M, 1);
  const dwTilde = new Float64Array(N), dwg = new Float64Array(N), dwc = new Float64Array(N);
  const dk = new Float64Array(M), dbeta = new Float64Array(1), dg = new Float64Array(1);
  const ds = new Float64Array(S), dgamma = new Float64Array(1), dwPrev = new Float64Array(N);
  sharpenBackward(dwTilde, dgamma, dw, w, wTilde, gamma, N);
  shiftBackward(dwg, ds, dwTilde, wg, s, N, S);
  interpolateBackward(dwc, dwPrev, dg, dwg, wc, wPrev, g, N);
  contentAddressBackward(dk, dbeta, dmem0, dwc, wc, k, beta, mem0, N, M);
  return {
    outputs: { w, r, mem1 },
    gradients: { dmem0, dk, dbeta, dg, ds, dgamma, dw_prev: dwPrev, de, da },
  };
}

/** Compares within `atol + rtol·|expected|`; returns the worst absolute difference and the first mismatches. */
function compare(actual: Float64Array, expected: number[]): { worst: number; bad: string[] } {
  assert.equal(actual.length, expected.length, `length ${actual.length} != ${expected.length}`);
  let worst = 0;
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    worst = Math.max(worst, Number.isNaN(diff) ? Infinity : diff);
    if (!(diff <= TOLERANCE + TOLERANCE * Math.abs(expected[i]!))) {
      bad.push(`[${i}] got ${actual[i]}, expected ${expected[i]}`);
    }
  }
  return { worst, bad };
}

Deno.test("the reference ops match pytorch-ntm's golden values", async (t) => {
  assert.equal(fixture.cases.length, 12);
  let worstOverall = 0;
  for (const [index, c] of fixture.cases.entries()) {
    const got = runCase(c);
    const results: (readonly [string, { worst: number; bad: string[] }])[] = [
      ...Object.entries(c.outputs).map(([name, v]) => [name, compare(got.outputs[name]!, v)] as const),
      ...Object.entries(c.gradients).map(([name, v]) => [name, compare(got.gradients[name]!, v)] as const),
    ];
    assert.equal(results.length, 3 + 9);
    const worst = Math.max(...results.map(([, r]) => r.worst));
    worstOverall = Math.max(worstOverall, worst);
    await t.step(
      `case ${index} (N = ${c.N}, M = ${c.M}): w, r, mem1 and all 9 gradients (worst |Δ| ${
        worst.toExponential(1)
      })`,
      () => {
        const failures = results.filter(([, r]) => r.bad.length > 0);
        assert.ok(
          failures.length === 0,
          failures.map(([name, r]) => `${name}: ${r.bad.slice(0, 3).join("; ")}`).join("\n"),
        );
      },
    );
  }
  console.log(`worst difference from the golden values over all cases: ${worstOverall.toExponential(2)}`);
});
