/**
 * The memory ops of the reference, read (paper §3.1, eq. 2) and erase/add write (§3.2, eqs 3–4) for one to
 * three write heads, each checked against central finite differences in float64.
 */

import assert from "node:assert/strict";
import {
  memoryReadBackward,
  memoryReadForward,
  memoryWriteBackward,
  memoryWriteForward,
} from "../src/reference/memory.ts";
import { Rng } from "../src/model/random.ts";
import { randomArray } from "./_support/random_batch.ts";
import { dot, gradCheckSteps } from "./_support/finite_difference.ts";

const N = 13, M = 7;

Deno.test("memoryReadForward() is the weighted sum of the memory rows", () => {
  const rng = new Rng(1);
  const w = randomArray(rng, N, 0, 1), mem = randomArray(rng, N * M), r = new Float64Array(M).fill(9);
  memoryReadForward(r, w, mem, N, M);
  for (let j = 0; j < M; j++) {
    let expected = 0;
    for (let i = 0; i < N; i++) expected += w[i]! * mem[i * M + j]!;
    assert.ok(Math.abs(r[j]! - expected) < 1e-15, `r[${j}]`);
  }
});

Deno.test("memoryReadBackward() matches central differences", async (t) => {
  const rng = new Rng(21);
  const w = randomArray(rng, N, 0.01, 1), mem = randomArray(rng, N * M), upstream = randomArray(rng, M);
  const r = new Float64Array(M);
  await gradCheckSteps(t, "dw, dmem", {
    inputs: { w, mem },
    loss: () => (memoryReadForward(r, w, mem, N, M), dot(r, upstream)),
    backward: (d) => {
      memoryReadForward(r, w, mem, N, M);
      memoryReadBackward(d.w!, d.mem!, upstream, w, mem, N, M);
    },
  });
});

Deno.test("memoryWriteForward() applies every erase, then every add, in any head order", () => {
  const rng = new Rng(2), W = 3;
  const memIn = randomArray(rng, N * M), w = randomArray(rng, W * N, 0, 1);
  const e = randomArray(rng, W * M, 0, 1), a = randomArray(rng, W * M);
  const out = new Float64Array(N * M);
  memoryWriteForward(out, memIn, w, e, a, N, M, W);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < M; j++) {
      let v = memIn[i * M + j]!;
      for (let h = 0; h < W; h++) v *= 1 - w[h * N + i]! * e[h * M + j]!;
      for (let h = 0; h < W; h++) v += w[h * N + i]! * a[h * M + j]!;
      assert.ok(Math.abs(out[i * M + j]! - v) < 1e-14, `mem[${i}, ${j}]`);
    }
  }
  // Reverse the heads: the same memory, up to rounding.
  const rev = (x: Float64Array, len: number) =>
    Float64Array.from({ length: W * len }, (_, q) => x[(W - 1 - Math.floor(q / len)) * len + (q % len)]!);
  const outReversed = new Float64Array(N * M);
  memoryWriteForward(outReversed, memIn, rev(w, N), rev(e, M), rev(a, M), N, M, W);
  for (let q = 0; q < N * M; q++) assert.ok(Math.abs(out[q]! - outReversed[q]!) < 1e-14, `cell ${q}`);
});

Deno.test("memoryWriteBackward() matches central differences", async (t) => {
  for (const W of [1, 2, 3]) {
    const rng = new Rng(22 + W);
    const memIn = randomArray(rng, N * M), w = randomArray(rng, W * N, 0.01, 1);
    const e = randomArray(rng, W * M, 0.01, 0.99), a = randomArray(rng, W * M);
    const upstream = randomArray(rng, N * M), memOut = new Float64Array(N * M);
    await gradCheckSteps(t, `W = ${W}: dmemIn, dw, de, da`, {
      inputs: { memIn, w, e, a },
      loss: () => (memoryWriteForward(memOut, memIn, w, e, a, N, M, W), dot(memOut, upstream)),
      backward: (d) => {
        memoryWriteForward(memOut, memIn, w, e, a, N, M, W);
        memoryWriteBackward(d.memIn!, d.w!, d.e!, d.a!, upstream, memIn, w, e, a, N, M, W);
      },
    });
  }
});

Deno.test("memoryWriteBackward() is exact where a head erases a cell completely (w·e = 1)", async (t) => {
  // The erase product of the other heads is recomputed, never divided out, so 1 − w·e = 0 is harmless.
  const rng = new Rng(26), W = 2;
  const memIn = randomArray(rng, N * M), w = randomArray(rng, W * N, 0.01, 1);
  const e = randomArray(rng, W * M, 0.01, 0.99), a = randomArray(rng, W * M);
  w[0] = 1, e[0] = 1; // head 0 fully erases cell (0, 0)
  w[N + 3] = 1, e[M + 2] = 1; // head 1 fully erases cell (3, 2)
  const upstream = randomArray(rng, N * M), memOut = new Float64Array(N * M);
  const result = await gradCheckSteps(t, "dmemIn, dw, de, da", {
    inputs: { memIn, w, e, a },
    loss: () => (memoryWriteForward(memOut, memIn, w, e, a, N, M, W), dot(memOut, upstream)),
    backward: (d) => {
      memoryWriteForward(memOut, memIn, w, e, a, N, M, W);
      memoryWriteBackward(d.memIn!, d.w!, d.e!, d.a!, upstream, memIn, w, e, a, N, M, W);
    },
  });
  await t.step("the fully erased cells pass no gradient to the old memory", () => {
    assert.equal(result.analytic.memIn![0], 0);
    assert.equal(result.analytic.memIn![3 * M + 2], 0);
  });
});
