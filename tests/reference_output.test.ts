/**
 * The output layer's losses of the reference (sigmoid + binary cross-entropy, softmax + categorical
 * cross-entropy, both differentiated by `crossEntropyBackward`) and the shared softmax, checked against
 * their definitions and against central finite differences in float64.
 */

import assert from "node:assert/strict";
import {
  crossEntropyBackward,
  sigmoidCrossEntropyForward,
  softmaxCrossEntropyForward,
} from "../src/reference/output.ts";
import { softmaxBackwardInto, softmaxInto } from "../src/reference/activations.ts";
import { Rng } from "../src/model/random.ts";
import { randomArray } from "./_support/random_batch.ts";
import { dot, gradCheckSteps } from "./_support/finite_difference.ts";

const Y = 7;

/** (offset + Y + 2) targets with a random distribution (or bits) at `offset`, padded with junk around it. */
function targets(
  rng: Rng,
  offset: number,
  kind: "bits" | "soft bits" | "one-hot" | "distribution",
): Float64Array {
  const t = randomArray(rng, offset + Y + 2, 5, 6); // junk outside the window must never be read
  const window = t.subarray(offset, offset + Y);
  if (kind === "bits") { for (let j = 0; j < Y; j++) window[j] = rng.bit(); }
  else if (kind === "soft bits") { for (let j = 0; j < Y; j++) window[j] = rng.uniform(); }
  else if (kind === "one-hot") window.fill(0)[rng.int(0, Y - 1)] = 1;
  else {
    for (let j = 0; j < Y; j++) window[j] = 0.05 + rng.uniform();
    const sum = window.reduce((a, b) => a + b, 0);
    for (let j = 0; j < Y; j++) window[j]! /= sum;
  }
  return t;
}

Deno.test("sigmoidCrossEntropyForward() is −t·ln y − (1−t)·ln(1−y) summed, times the mask", () => {
  const rng = new Rng(1), offset = 3;
  const z = randomArray(rng, Y, -3, 3), t = targets(rng, offset, "soft bits"), y = new Float64Array(Y);
  const loss = sigmoidCrossEntropyForward(y, z, t, 1, Y, offset);
  let expected = 0;
  for (let j = 0; j < Y; j++) {
    const p = 1 / (1 + Math.exp(-z[j]!)), tj = t[offset + j]!;
    assert.ok(Math.abs(y[j]! - p) < 1e-15, `y[${j}]`);
    expected += -tj * Math.log(p) - (1 - tj) * Math.log(1 - p);
  }
  assert.ok(Math.abs(loss - expected) < 1e-13, `loss ${loss} vs ${expected}`);
  assert.equal(sigmoidCrossEntropyForward(y, z, t, 0, Y, offset), 0);
});

Deno.test("softmaxCrossEntropyForward() is −Σ t·ln y, times the mask", () => {
  const rng = new Rng(2), offset = 4;
  const z = randomArray(rng, Y, -3, 3), t = targets(rng, offset, "distribution"), y = new Float64Array(Y);
  const loss = softmaxCrossEntropyForward(y, z, t, 1, Y, offset);
  const sum = z.reduce((a, v) => a + Math.exp(v), 0);
  let expected = 0;
  for (let j = 0; j < Y; j++) {
    assert.ok(Math.abs(y[j]! - Math.exp(z[j]!) / sum) < 1e-15, `y[${j}]`);
    expected -= t[offset + j]! * Math.log(y[j]!);
  }
  assert.ok(Math.abs(loss - expected) < 1e-13, `loss ${loss} vs ${expected}`);
  assert.equal(softmaxCrossEntropyForward(y, z, t, 0, Y, offset), 0);
});

Deno.test("crossEntropyBackward() matches central differences of both losses", async (t) => {
  const cases = [
    ["sigmoid, bit targets", sigmoidCrossEntropyForward, "bits"],
    ["sigmoid, soft targets", sigmoidCrossEntropyForward, "soft bits"],
    ["softmax, one-hot target", softmaxCrossEntropyForward, "one-hot"],
    ["softmax, soft target", softmaxCrossEntropyForward, "distribution"],
  ] as const;
  let seed = 51;
  for (const [label, forward, kind] of cases) {
    const rng = new Rng(seed++), offset = 2;
    const logits = randomArray(rng, Y, -3, 3), target = targets(rng, offset, kind);
    const scale = 0.3 + rng.uniform(), y = new Float64Array(Y);
    // L = scale · loss: the scale stands for the upstream gradient (e.g. 1/B of a batch mean).
    await gradCheckSteps(t, `${label}: dlogits`, {
      inputs: { logits },
      loss: () => scale * forward(y, logits, target, 1, Y, offset),
      backward: (d) => {
        forward(y, logits, target, 1, Y, offset);
        crossEntropyBackward(d.logits!, y, target, 1, scale, Y, offset);
      },
    });
  }
});

Deno.test("crossEntropyBackward() adds nothing on a masked step", () => {
  const dz = Float64Array.of(1, 2, 3);
  crossEntropyBackward(dz, Float64Array.of(0.2, 0.3, 0.5), Float64Array.of(1, 0, 0), 0, 1, 3);
  assert.deepEqual(dz, Float64Array.of(1, 2, 3));
});

Deno.test("softmaxInto() writes only its window, and its values sum to 1", () => {
  const rng = new Rng(3), offset = 3, length = 9;
  const x = randomArray(rng, offset + length + 4, -3, 3), p = new Float64Array(x.length).fill(-1);
  softmaxInto(p, x, offset, length);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    if (i < offset || i >= offset + length) assert.equal(p[i], -1, `p[${i}]`);
    else sum += p[i]!;
  }
  assert.ok(Math.abs(sum - 1) < 1e-15);
});

Deno.test("softmaxBackwardInto() matches central differences", async (t) => {
  const rng = new Rng(55), offset = 3, length = 9, total = offset + length + 4;
  const x = randomArray(rng, total, -3, 3), upstream = randomArray(rng, total), p = new Float64Array(total);
  const window = (a: Float64Array) => a.subarray(offset, offset + length);
  const result = await gradCheckSteps(t, "dx", {
    inputs: { x },
    loss: () => (softmaxInto(p, x, offset, length), dot(window(p), window(upstream))),
    backward: (d) => {
      softmaxInto(p, x, offset, length);
      softmaxBackwardInto(d.x!, upstream, p, offset, length);
    },
  });
  await t.step("nothing outside the window is touched", () => {
    const dx = result.analytic.x!;
    for (let i = 0; i < total; i++) {
      if (i < offset || i >= offset + length) assert.equal(dx[i], 0, `dx[${i}]`);
    }
  });
});
