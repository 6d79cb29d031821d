/**
 * The known NaN failure modes of NTM implementations (docs/model.md "Numerical guards": a zero cosine denominator, `pow(0, γ)`,
 * exp overflow in β, saturated activations) give finite values in the reference, and its gradients there
 * are the true ones wherever the function is differentiable.
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
import { sigmoid, softmaxInto, softplus } from "../src/reference/activations.ts";
import { headFieldOffsets, headParamsBackward, headParamsForward } from "../src/reference/head_params.ts";
import {
  crossEntropyBackward,
  sigmoidCrossEntropyForward,
  softmaxCrossEntropyForward,
} from "../src/reference/output.ts";
import { referenceLossAndGradient } from "../src/reference/model.ts";
import { ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { initParameters } from "../src/model/init.ts";
import { Rng } from "../src/model/random.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { randomArray } from "./_support/random_batch.ts";
import {
  centralDifference,
  dot,
  fmtErr,
  GRAD_TOLERANCE,
  relativeError,
} from "./_support/finite_difference.ts";

const N = 13, M = 7;

function assertFinite(name: string, values: ArrayLike<number> | number): void {
  const array = typeof values === "number" ? [values] : values;
  for (let i = 0; i < array.length; i++) {
    assert.ok(Number.isFinite(array[i]), `${name}[${i}] is ${array[i]}`);
  }
}

/** The relative error of FD against `analytic` over the elements in `indices` only. */
function subsetError(fd: Float64Array, analytic: Float64Array, indices: number[]): number {
  return relativeError(indices.map((i) => fd[i]!), indices.map((i) => analytic[i]!));
}

/** Content addressing on `mem` with key `k`: forward, backward and the loss Σ wc·upstream. */
function contentCase(k: Float64Array, mem: Float64Array, beta: Float64Array, upstream: Float64Array) {
  const wc = new Float64Array(N);
  const loss = () => (contentAddressForward(wc, k, beta[0]!, mem, N, M), dot(wc, upstream));
  loss();
  const dk = new Float64Array(M), dbeta = new Float64Array(1), dmem = new Float64Array(N * M);
  contentAddressBackward(dk, dbeta, dmem, upstream, wc, k, beta[0]!, mem, N, M);
  return { wc, loss, dk, dbeta, dmem };
}

Deno.test("contentAddressForward() stays finite on all-zero memory rows", async (t) => {
  const rng = new Rng(1), zeroRows = [0, 5, 12];
  const k = randomArray(rng, M), mem = randomArray(rng, N * M), beta = Float64Array.of(3);
  for (const i of zeroRows) mem.fill(0, i * M, (i + 1) * M);
  const upstream = randomArray(rng, N);
  const c = contentCase(k, mem, beta, upstream);
  await t.step("forward and gradients are finite; zero rows have similarity 0", () => {
    assertFinite("wc", c.wc), assertFinite("dk", c.dk), assertFinite("dbeta", c.dbeta);
    assertFinite("dmem", c.dmem);
    assert.ok(Math.abs(c.wc.reduce((a, b) => a + b, 0) - 1) < 1e-15);
    // exp(β·0 − max) / sum: the zero rows share one weight.
    assert.equal(c.wc[0], c.wc[5]), assert.equal(c.wc[5], c.wc[12]);
  });
  const errK = relativeError(centralDifference(c.loss, k), c.dk);
  const errBeta = relativeError(centralDifference(c.loss, beta), c.dbeta);
  const nonZeroCells = [...Array(N * M).keys()].filter((q) => !zeroRows.includes(Math.floor(q / M)));
  const zeroCells = [...Array(N * M).keys()].filter((q) => zeroRows.includes(Math.floor(q / M)));
  const errRows = subsetError(centralDifference(c.loss, mem, 1e-6, nonZeroCells), c.dmem, nonZeroCells);
  // At a zero row the cosine is k·v/ε (the max picks ε while ‖k‖‖v‖ < ε), so its true gradient is β·k/ε
  // scaled: FD with a step far inside that region (h = 1e-12 ≪ ε/‖k‖) must agree.
  const errZero = subsetError(centralDifference(c.loss, mem, 1e-12, zeroCells), c.dmem, zeroCells);
  const worst = Math.max(errK, errBeta, errRows, errZero);
  await t.step(`dk, dβ, dmem (non-zero and zero rows) match FD (worst rel. err ${fmtErr(worst)})`, () => {
    assert.ok(
      worst < GRAD_TOLERANCE,
      `dk ${errK}, dβ ${errBeta}, dmem rows ${errRows}, zero rows ${errZero}`,
    );
  });
});

Deno.test("contentAddressForward() stays finite with a zero key, and on an all-zero memory", async (t) => {
  const rng = new Rng(2), upstream = randomArray(rng, N), beta = Float64Array.of(5);
  const k = new Float64Array(M), mem = randomArray(rng, N * M);
  const c = contentCase(k, mem, beta, upstream);
  await t.step("zero key: a uniform weighting and finite gradients", () => {
    for (const v of c.wc) assert.ok(Math.abs(v - 1 / N) < 1e-16);
    assertFinite("dk", c.dk), assertFinite("dbeta", c.dbeta), assertFinite("dmem", c.dmem);
  });
  const errK = relativeError(centralDifference(c.loss, k, 1e-12), c.dk);
  await t.step(`zero key: dk matches FD inside the ε region (rel. err ${fmtErr(errK)})`, () => {
    assert.ok(errK < GRAD_TOLERANCE, `${errK}`);
  });
  const both = contentCase(new Float64Array(M), new Float64Array(N * M), beta, upstream);
  await t.step("zero key on a zero memory: uniform weighting, finite (zero) gradients", () => {
    for (const v of both.wc) assert.equal(v, 1 / N);
    assertFinite("dk", both.dk), assertFinite("dbeta", both.dbeta), assertFinite("dmem", both.dmem);
  });
});

Deno.test("sharpen handles exact zeros in w̃ (x^γ·ln x taken as 0)", async (t) => {
  const rng = new Rng(3), zeros = [1, 4, 9];
  const wTilde = randomArray(rng, N, 0.05, 1);
  for (const i of zeros) wTilde[i] = 0;
  const gamma = Float64Array.of(2.3), upstream = randomArray(rng, N), w = new Float64Array(N);
  const loss = () => (sharpenForward(w, wTilde, gamma[0]!, N), dot(w, upstream));
  loss();
  const dwTilde = new Float64Array(N), dgamma = new Float64Array(1);
  sharpenBackward(dwTilde, dgamma, upstream, w, wTilde, gamma[0]!, N);
  await t.step("forward and gradients are finite; zeros stay zero", () => {
    assertFinite("w", w), assertFinite("dwTilde", dwTilde), assertFinite("dgamma", dgamma);
    for (const i of zeros) assert.equal(w[i], 0), assert.equal(dwTilde[i], 0);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  });
  // γ and the positive entries are differentiable (w(i) = 0 for every γ at the zeros).
  const positive = [...Array(N).keys()].filter((i) => !zeros.includes(i));
  const errGamma = relativeError(centralDifference(loss, gamma), dgamma);
  const errW = subsetError(centralDifference(loss, wTilde, 1e-6, positive), dwTilde, positive);
  await t.step(
    `dγ and dw̃ (positive entries) match FD (worst rel. err ${fmtErr(Math.max(errGamma, errW))})`,
    () => {
      assert.ok(errGamma < GRAD_TOLERANCE && errW < GRAD_TOLERANCE, `dγ ${errGamma}, dw̃ ${errW}`);
    },
  );
  // One-sided FD at a zero (w̃ < 0 is outside the domain): the quotient is about c·h^(γ−1), so it vanishes
  // as h → 0, which makes the true derivative 0, as the backward says. Check that it shrinks at that rate.
  const base = loss(), saved = wTilde[4]!;
  const oneSided = (h: number) => {
    wTilde[4] = h;
    const q = (loss() - base) / h;
    wTilde[4] = saved;
    return q;
  };
  const q4 = oneSided(1e-4), q6 = oneSided(1e-6), rate = (1e-2) ** (gamma[0]! - 1);
  await t.step("the one-sided derivative at a zero vanishes like h^(γ−1), as the backward's 0 says", () => {
    assert.ok(Math.abs(q6) < 1e-7, `one-sided FD at h = 1e-6: ${q6}`);
    assert.ok(Math.abs(q6 / q4) < 2 * rate, `quotients ${q4} (h = 1e-4), ${q6} (h = 1e-6)`);
  });
});

Deno.test("sharpen with a large γ stays finite where some w̃ are tiny", async (t) => {
  const rng = new Rng(4);
  const wTilde = randomArray(rng, N, 0.05, 1);
  // 1e-12^50 and smaller underflow in a naive pow; 1e-310 is subnormal and below the zero threshold.
  wTilde[2] = 1e-12, wTilde[3] = 1e-40, wTilde[6] = 1e-200, wTilde[7] = 1e-310, wTilde[8] = 0.9999;
  const gamma = Float64Array.of(50), upstream = randomArray(rng, N), w = new Float64Array(N);
  const loss = () => (sharpenForward(w, wTilde, gamma[0]!, N), dot(w, upstream));
  loss();
  const dwTilde = new Float64Array(N), dgamma = new Float64Array(1);
  sharpenBackward(dwTilde, dgamma, upstream, w, wTilde, gamma[0]!, N);
  await t.step("forward and gradients are finite and w sums to 1", () => {
    assertFinite("w", w), assertFinite("dwTilde", dwTilde), assertFinite("dgamma", dgamma);
    assert.ok(Math.abs(w.reduce((a, b) => a + b, 0) - 1) < 1e-15);
  });
  await t.step("w matches w̃^γ / Σ w̃^γ computed in logs", () => {
    const logs = Array.from(wTilde, (x) => (x > 0 ? 50 * Math.log(x) : -Infinity));
    const max = Math.max(...logs), sum = logs.reduce((a, l) => a + Math.exp(l - max), 0);
    for (let i = 0; i < N; i++) {
      const expected = wTilde[i]! < 1e-30 ? 0 : Math.exp(logs[i]! - max) / sum;
      assert.ok(Math.abs(w[i]! - expected) < 1e-14, `w[${i}] ${w[i]} vs ${expected}`);
    }
  });
  const errGamma = relativeError(centralDifference(loss, gamma), dgamma);
  await t.step(`dγ matches FD (rel. err ${fmtErr(errGamma)})`, () => assert.ok(errGamma < GRAD_TOLERANCE));
});

Deno.test("head parameters from huge raw values stay finite (softplus(800), saturated gates)", async (t) => {
  const S = 3, at = headFieldOffsets(M, S), width = 3 * M + S + 3, rng = new Rng(5);
  const raw = randomArray(rng, width, -3, 3);
  raw[at.beta] = 800, raw[at.g] = 800, raw[at.gamma] = 800;
  raw[at.s] = 800, raw[at.s + 1] = -800, raw[at.s + 2] = 0;
  for (let j = 0; j < M; j++) raw[at.e + j] = j % 2 ? 1000 : -1000, raw[at.k + j] = j % 2 ? 800 : -800;
  const act = new Float64Array(width), draw = new Float64Array(width);
  headParamsForward(act, raw, M, S, true);
  headParamsBackward(draw, randomArray(rng, width), act, raw, M, S, true);
  await t.step("β = 800, γ = 801, g = 1, s one-hot, and finite gradients", () => {
    assertFinite("act", act), assertFinite("draw", draw);
    assert.equal(act[at.beta], 800), assert.equal(act[at.gamma], 801), assert.equal(act[at.g], 1);
    assert.deepEqual([...act.subarray(at.s, at.s + S)], [1, 0, 0]);
  });
  // Content addressing at β = 800 and β = 1e4: the softmax saturates to exact zeros without overflow.
  for (const betaValue of [800, 1e4]) {
    const k = randomArray(rng, M), mem = randomArray(rng, N * M), upstream = randomArray(rng, N);
    const c = contentCase(k, mem, Float64Array.of(betaValue), upstream);
    await t.step(`content addressing with β = ${betaValue} is finite`, () => {
      assertFinite("wc", c.wc), assertFinite("dk", c.dk), assertFinite("dbeta", c.dbeta);
      assertFinite("dmem", c.dmem);
      assert.ok(Math.abs(c.wc.reduce((a, b) => a + b, 0) - 1) < 1e-15);
    });
  }
});

Deno.test("the addressing chain at β = 1e4, g = 1, one-hot s and γ = 50 stays finite", async (t) => {
  // wc underflows to exact zeros, so does w̃; sharpening then meets exact zeros with a large γ.
  const rng = new Rng(6), S = 3;
  const k = randomArray(rng, M), mem = randomArray(rng, N * M), wPrev = new Float64Array(N).fill(1 / N);
  const beta = 1e4, g = 1, s = Float64Array.of(0, 0, 1), gamma = 50, upstream = randomArray(rng, N);
  const wc = new Float64Array(N),
    wg = new Float64Array(N),
    wTilde = new Float64Array(N),
    w = new Float64Array(N);
  contentAddressForward(wc, k, beta, mem, N, M);
  interpolateForward(wg, wc, wPrev, g, N);
  shiftForward(wTilde, wg, s, N, S);
  sharpenForward(w, wTilde, gamma, N);
  const dwTilde = new Float64Array(N), dwg = new Float64Array(N), dwc = new Float64Array(N);
  const dk = new Float64Array(M), dbeta = new Float64Array(1), dmem = new Float64Array(N * M);
  const dg = new Float64Array(1),
    ds = new Float64Array(S),
    dgamma = new Float64Array(1),
    dwPrev = new Float64Array(N);
  sharpenBackward(dwTilde, dgamma, upstream, w, wTilde, gamma, N);
  shiftBackward(dwg, ds, dwTilde, wg, s, N, S);
  interpolateBackward(dwc, dwPrev, dg, dwg, wc, wPrev, g, N);
  contentAddressBackward(dk, dbeta, dmem, dwc, wc, k, beta, mem, N, M);
  await t.step("some weights are exact zeros, and every value and gradient is finite", () => {
    assert.ok(wTilde.some((v) => v === 0), "expected exact zeros in w̃");
    for (const [name, v] of Object.entries({ wc, wg, wTilde, w, dk, dbeta, dmem, dg, ds, dgamma, dwPrev })) {
      assertFinite(name, v);
    }
  });
});

Deno.test("sigmoid, softplus and the cross-entropies are finite at ±1000 logits", () => {
  assert.equal(sigmoid(1000), 1), assert.equal(sigmoid(-1000), 0);
  assert.equal(softplus(1000), 1000), assert.equal(softplus(-1000), 0);
  assert.equal(softplus(40), 40 + Math.log1p(Math.exp(-40)));
  const p = new Float64Array(3);
  softmaxInto(p, Float64Array.of(1000, -1000, 999), 0, 3);
  assertFinite("softmax", p);
  assert.ok(Math.abs(p[0]! - 1 / (1 + Math.exp(-1))) < 1e-15 && p[1] === 0);

  const z = Float64Array.of(1000, -1000, 1000, -1000), y = new Float64Array(4), dz = new Float64Array(4);
  const bits = Float64Array.of(1, 0, 0, 1);
  const loss = sigmoidCrossEntropyForward(y, z, bits, 1, 4);
  assert.equal(loss, 2000); // the two right answers cost 0, the two wrong ones 1000 nats each
  crossEntropyBackward(dz, y, bits, 1, 1, 4);
  assert.deepEqual([...dz], [0, 0, 1, -1]);

  const zs = Float64Array.of(1000, -1000, 0), ys = new Float64Array(3), dzs = new Float64Array(3);
  const oneHot = Float64Array.of(0, 1, 0);
  assert.equal(softmaxCrossEntropyForward(ys, zs, oneHot, 1, 3), 2000);
  crossEntropyBackward(dzs, ys, oneHot, 1, 1, 3);
  assertFinite("y", ys), assertFinite("dz", dzs);
  assert.deepEqual([...dzs], [1, -1, 0]);
});

/** A copy-task episode batch built here (B episodes of L random bits, a delimiter, then L recall steps). */
function copyLikeBatch(rng: Rng, batch: number, length: number, bits: number): EpisodeBatch {
  const T = 2 * length + 1, X = bits + 1, Y = bits;
  const input = new Float32Array(batch * T * X), target = new Float32Array(batch * T * Y);
  const mask = new Float32Array(batch * T);
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < length; t++) {
      for (let c = 0; c < bits; c++) {
        const bit = rng.bit();
        input[(b * T + t) * X + c] = bit;
        target[(b * T + length + 1 + t) * Y + c] = bit;
      }
      mask[b * T + length + 1 + t] = 1;
    }
    input[(b * T + length) * X + bits] = 1;
  }
  return {
    batch,
    steps: T,
    inputSize: X,
    outputSize: Y,
    input,
    target,
    mask,
    lengths: new Int32Array(batch).fill(T),
  };
}

Deno.test("the whole model on a copy batch with constant memory gives a finite loss and gradient", async (t) => {
  for (const controllerType of ["lstm", "feedforward"] as const) {
    // The paper's copy model (C = 100, N = 128, M = 20) with Collier & Beel's constant 1e-6 memory.
    const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerType, memoryInit: "constant" });
    const layout = parameterLayout(config);
    const batch = copyLikeBatch(new Rng(7), 2, 5, 8);
    for (const [label, scale] of [["initParameters", 1], ["initParameters × 20 (saturated)", 20]] as const) {
      const params = initParameters(config, layout, 7).map((v) => v * scale);
      const { loss, grad } = referenceLossAndGradient(config, layout, params, batch);
      await t.step(
        `${controllerType}, ${label}: loss ${loss.toFixed(3)} and ${grad.length} gradients finite`,
        () => {
          assertFinite("loss", loss), assertFinite("grad", grad);
          assert.ok(grad.some((v) => v !== 0));
        },
      );
    }
  }
});
