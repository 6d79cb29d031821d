/**
 * The head-parameter activations of the reference (k, β, g, s, γ and e, a for write heads), checked
 * against their definitions and against central finite differences in float64.
 */

import assert from "node:assert/strict";
import { headFieldOffsets, headParamsBackward, headParamsForward } from "../src/reference/head_params.ts";
import { sigmoid, softplus } from "../src/reference/activations.ts";
import { Rng } from "../src/model/random.ts";
import { randomArray } from "./_support/random_batch.ts";
import { dot, gradCheckSteps } from "./_support/finite_difference.ts";

const M = 7;

/** Raw width of a read head (M + S + 3) or a write head (3M + S + 3). */
function headWidth(m: number, shifts: number, isWrite: boolean): number {
  return m + shifts + 3 + (isWrite ? 2 * m : 0);
}

Deno.test("headFieldOffsets() packs k, β, g, s, γ, e, a back to back", () => {
  for (const S of [3, 5]) {
    const at = headFieldOffsets(M, S);
    assert.deepEqual({ ...at }, {
      k: 0,
      beta: M,
      g: M + 1,
      s: M + 2,
      gamma: M + 2 + S,
      e: M + 3 + S,
      a: 2 * M + 3 + S,
    });
    assert.equal(at.a + M, headWidth(M, S, true));
    assert.equal(at.e, headWidth(M, S, false));
  }
});

Deno.test("headParamsForward() applies each field's activation", () => {
  const rng = new Rng(1), S = 5, at = headFieldOffsets(M, S);
  const raw = randomArray(rng, headWidth(M, S, true), -3, 3), act = new Float64Array(raw.length);
  headParamsForward(act, raw, M, S, true);
  const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-15, what);
  for (let j = 0; j < M; j++) {
    close(act[at.k + j]!, Math.tanh(raw[at.k + j]!), `k[${j}]`);
    close(act[at.e + j]!, 1 / (1 + Math.exp(-raw[at.e + j]!)), `e[${j}]`);
    close(act[at.a + j]!, Math.tanh(raw[at.a + j]!), `a[${j}]`);
  }
  close(act[at.beta]!, Math.log(1 + Math.exp(raw[at.beta]!)), "β");
  close(act[at.g]!, 1 / (1 + Math.exp(-raw[at.g]!)), "g");
  close(act[at.gamma]!, 1 + Math.log(1 + Math.exp(raw[at.gamma]!)), "γ");
  let sum = 0;
  for (let o = 0; o < S; o++) sum += Math.exp(raw[at.s + o]!);
  for (let o = 0; o < S; o++) close(act[at.s + o]!, Math.exp(raw[at.s + o]!) / sum, `s[${o}]`);
  assert.ok(act[at.gamma]! >= 1 && act[at.beta]! > 0);
});

Deno.test("headParamsForward() leaves e and a alone for a read head", () => {
  const rng = new Rng(2), S = 3, width = headWidth(M, S, true);
  const raw = randomArray(rng, width), act = new Float64Array(width).fill(7);
  headParamsForward(act, raw, M, S, false);
  for (let i = headWidth(M, S, false); i < width; i++) assert.equal(act[i], 7, `act[${i}]`);
});

Deno.test("headParamsBackward() matches central differences", async (t) => {
  for (const isWrite of [false, true]) {
    for (const K of [1, 2]) {
      const S = 2 * K + 1, width = headWidth(M, S, isWrite), rng = new Rng(31 + K + (isWrite ? 10 : 0));
      const raw = randomArray(rng, width, -2, 2), upstream = randomArray(rng, width);
      const act = new Float64Array(width);
      await gradCheckSteps(t, `${isWrite ? "write" : "read"} head, K = ${K}: draw`, {
        inputs: { raw },
        loss: () => (headParamsForward(act, raw, M, S, isWrite), dot(act, upstream)),
        backward: (d) => {
          headParamsForward(act, raw, M, S, isWrite);
          headParamsBackward(d.raw!, upstream, act, raw, M, S, isWrite);
        },
      });
    }
  }
});

Deno.test("headParamsBackward() uses softplus′ = sigmoid for β and γ", () => {
  const S = 3, at = headFieldOffsets(M, S), width = headWidth(M, S, false);
  const raw = randomArray(new Rng(3), width), act = new Float64Array(width), draw = new Float64Array(width);
  headParamsForward(act, raw, M, S, false);
  const dact = new Float64Array(width);
  dact[at.beta] = 1, dact[at.gamma] = 2;
  headParamsBackward(draw, dact, act, raw, M, S, false);
  assert.ok(Math.abs(draw[at.beta]! - sigmoid(raw[at.beta]!)) < 1e-16);
  assert.ok(Math.abs(draw[at.gamma]! - 2 * sigmoid(raw[at.gamma]!)) < 1e-16);
  assert.ok(Math.abs(act[at.beta]! - softplus(raw[at.beta]!)) < 1e-16);
});
