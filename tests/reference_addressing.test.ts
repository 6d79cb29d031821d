/**
 * The addressing ops of the reference (paper §3.3, eqs 5–9), each checked on its own against central
 * finite differences in float64 with a random linear loss `L = Σ out·upstream`.
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
import { Rng } from "../src/model/random.ts";
import { randomArray } from "./_support/random_batch.ts";
import {
  assertAddsInto,
  assertGradCheck,
  dot,
  gradCheck,
  gradCheckSteps,
} from "./_support/finite_difference.ts";

const N = 13, M = 7;

/** A random weighting over `n` rows: positive, summing to 1. */
function randomWeighting(rng: Rng, n: number, lo = 0.05): Float64Array {
  const w = randomArray(rng, n, lo, 1);
  const sum = w.reduce((a, b) => a + b, 0);
  return w.map((v) => v / sum);
}

Deno.test("contentAddressForward() is the softmax of β times the cosine similarity", () => {
  const rng = new Rng(1);
  const k = randomArray(rng, M), mem = randomArray(rng, N * M), beta = 2.5;
  const wc = new Float64Array(N);
  contentAddressForward(wc, k, beta, mem, N, M);
  const z = Array.from({ length: N }, (_, i) => {
    const row = mem.subarray(i * M, (i + 1) * M);
    return beta * dot(k, row) / Math.sqrt(dot(k, k) * dot(row, row));
  });
  const sum = z.reduce((a, v) => a + Math.exp(v), 0);
  for (let i = 0; i < N; i++) assert.ok(Math.abs(wc[i]! - Math.exp(z[i]!) / sum) < 1e-15, `wc[${i}]`);
});

Deno.test("contentAddressBackward() matches central differences", async (t) => {
  const rng = new Rng(11);
  const k = randomArray(rng, M), beta = Float64Array.of(1 + 4 * rng.uniform());
  const mem = randomArray(rng, N * M), upstream = randomArray(rng, N);
  const wc = new Float64Array(N);
  await gradCheckSteps(t, "dk, dβ, dmem", {
    inputs: { k, beta, mem },
    loss: () => {
      contentAddressForward(wc, k, beta[0]!, mem, N, M);
      return dot(wc, upstream);
    },
    backward: (d) => {
      contentAddressForward(wc, k, beta[0]!, mem, N, M);
      contentAddressBackward(d.k!, d.beta!, d.mem!, upstream, wc, k, beta[0]!, mem, N, M);
    },
  });
});

Deno.test("interpolateBackward() matches central differences", async (t) => {
  const rng = new Rng(12);
  const wc = randomWeighting(rng, N), wPrev = randomWeighting(rng, N), g = Float64Array.of(rng.uniform());
  const upstream = randomArray(rng, N), wg = new Float64Array(N);
  await gradCheckSteps(t, "dwc, dwPrev, dg", {
    inputs: { wc, wPrev, g },
    loss: () => {
      interpolateForward(wg, wc, wPrev, g[0]!, N);
      return dot(wg, upstream);
    },
    backward: (d) => {
      interpolateForward(wg, wc, wPrev, g[0]!, N);
      interpolateBackward(d.wc!, d.wPrev!, d.g!, upstream, wc, wPrev, g[0]!, N);
    },
  });
});

Deno.test("shiftForward() rotates by each offset of s = [s(−K), …, s(K)]", () => {
  const wg = Float64Array.from({ length: N }, (_, i) => i + 1);
  for (const K of [1, 2]) {
    const S = 2 * K + 1;
    for (let o = -K; o <= K; o++) {
      const s = new Float64Array(S);
      s[o + K] = 1;
      const out = new Float64Array(N);
      shiftForward(out, wg, s, N, S);
      for (let i = 0; i < N; i++) assert.equal(out[i], wg[(((i - o) % N) + N) % N], `K ${K}, o ${o}, i ${i}`);
    }
  }
});

Deno.test("shiftBackward() matches central differences", async (t) => {
  for (const K of [1, 2]) {
    const S = 2 * K + 1, rng = new Rng(13 + K);
    const wg = randomWeighting(rng, N), s = randomWeighting(rng, S), upstream = randomArray(rng, N);
    const wTilde = new Float64Array(N);
    await gradCheckSteps(t, `K = ${K}: dwg, ds`, {
      inputs: { wg, s },
      loss: () => {
        shiftForward(wTilde, wg, s, N, S);
        return dot(wTilde, upstream);
      },
      backward: (d) => {
        shiftForward(wTilde, wg, s, N, S);
        shiftBackward(d.wg!, d.s!, upstream, wg, s, N, S);
      },
    });
  }
});

Deno.test("sharpenForward() is w̃^γ normalised", () => {
  const rng = new Rng(2);
  const wTilde = randomWeighting(rng, N), gamma = 2.7, w = new Float64Array(N);
  sharpenForward(w, wTilde, gamma, N);
  const sum = wTilde.reduce((a, v) => a + v ** gamma, 0);
  for (let i = 0; i < N; i++) assert.ok(Math.abs(w[i]! - wTilde[i]! ** gamma / sum) < 1e-15, `w[${i}]`);
});

Deno.test("sharpenBackward() matches central differences", async (t) => {
  const rng = new Rng(16);
  // w̃ need not be normalised for the op; give it a spread of magnitudes.
  const wTilde = randomArray(rng, N, 0.01, 1), gamma = Float64Array.of(1 + 3 * rng.uniform());
  const upstream = randomArray(rng, N), w = new Float64Array(N);
  await gradCheckSteps(t, "dw̃, dγ", {
    inputs: { wTilde, gamma },
    loss: () => {
      sharpenForward(w, wTilde, gamma[0]!, N);
      return dot(w, upstream);
    },
    backward: (d) => {
      sharpenForward(w, wTilde, gamma[0]!, N);
      sharpenBackward(d.wTilde!, d.gamma!, upstream, w, wTilde, gamma[0]!, N);
    },
  });
});

Deno.test("the whole addressing chain matches central differences", async (t) => {
  // Content → interpolation → shift (K = 2) → sharpening, composed from the four backwards.
  const rng = new Rng(17), K = 2, S = 2 * K + 1;
  const k = randomArray(rng, M), beta = Float64Array.of(1 + 4 * rng.uniform()), mem = randomArray(rng, N * M);
  const g = Float64Array.of(rng.uniform()), wPrev = randomWeighting(rng, N), s = randomWeighting(rng, S);
  const gamma = Float64Array.of(1 + 2 * rng.uniform()), upstream = randomArray(rng, N);
  const wc = new Float64Array(N),
    wg = new Float64Array(N),
    wTilde = new Float64Array(N),
    w = new Float64Array(N);
  const forward = () => {
    contentAddressForward(wc, k, beta[0]!, mem, N, M);
    interpolateForward(wg, wc, wPrev, g[0]!, N);
    shiftForward(wTilde, wg, s, N, S);
    sharpenForward(w, wTilde, gamma[0]!, N);
  };
  await gradCheckSteps(t, "dk, dβ, dmem, dg, dwPrev, ds, dγ", {
    inputs: { k, beta, mem, g, wPrev, s, gamma },
    loss: () => (forward(), dot(w, upstream)),
    backward: (d) => {
      forward();
      const dwTilde = new Float64Array(N), dwg = new Float64Array(N), dwc = new Float64Array(N);
      sharpenBackward(dwTilde, d.gamma!, upstream, w, wTilde, gamma[0]!, N);
      shiftBackward(dwg, d.s!, dwTilde, wg, s, N, S);
      interpolateBackward(dwc, d.wPrev!, d.g!, dwg, wc, wPrev, g[0]!, N);
      contentAddressBackward(d.k!, d.beta!, d.mem!, dwc, wc, k, beta[0]!, mem, N, M);
    },
  });
});

Deno.test("gradCheck() flags a slightly wrong backward and one that overwrites", () => {
  // The harness itself: a 0.1% error in one gradient, or a backward that assigns instead of adding, fails.
  const rng = new Rng(18);
  const wTilde = randomArray(rng, N, 0.01, 1), gamma = Float64Array.of(2), upstream = randomArray(rng, N);
  const w = new Float64Array(N);
  const loss = () => (sharpenForward(w, wTilde, gamma[0]!, N), dot(w, upstream));
  const wrong = gradCheck({
    inputs: { wTilde, gamma },
    loss,
    backward: (d) => {
      sharpenForward(w, wTilde, gamma[0]!, N);
      sharpenBackward(d.wTilde!, d.gamma!, upstream, w, wTilde, gamma[0]! * 1.001, N);
    },
  });
  assert.ok(wrong.errors.wTilde! > 1e-4 && wrong.errors.wTilde! < 1e-2, `${wrong.errors.wTilde}`);
  assert.throws(() => assertGradCheck(wrong));
  const overwriting = gradCheck({
    inputs: { wTilde, gamma },
    loss,
    backward: (d) => {
      sharpenForward(w, wTilde, gamma[0]!, N);
      d.wTilde!.fill(0), d.gamma!.fill(0);
      sharpenBackward(d.wTilde!, d.gamma!, upstream, w, wTilde, gamma[0]!, N);
    },
  });
  assert.ok(overwriting.worst < 1e-6);
  assert.throws(() => assertAddsInto(overwriting));
});
