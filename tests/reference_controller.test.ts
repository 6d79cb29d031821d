/**
 * The controller pieces of the reference: the affine map (with its weight and bias offsets), the LSTM cell
 * and the feed-forward tanh layer, checked against central finite differences in float64.
 */

import assert from "node:assert/strict";
import {
  feedforwardBackward,
  feedforwardForward,
  linearBackward,
  linearForward,
  lstmBackward,
  lstmForward,
} from "../src/reference/controller.ts";
import { sigmoid } from "../src/reference/activations.ts";
import { Rng } from "../src/model/random.ts";
import { randomArray } from "./_support/random_batch.ts";
import { dot, gradCheckSteps } from "./_support/finite_difference.ts";

const C = 7;

Deno.test("linearForward() computes W·x + b at the given offsets", () => {
  const rng = new Rng(1), rows = 5, cols = 3, wOff = 4, bOff = 2;
  const weight = randomArray(rng, wOff + rows * cols + 3), bias = randomArray(rng, bOff + rows + 1);
  const x = randomArray(rng, cols), y = new Float64Array(rows);
  linearForward(y, weight, bias, x, rows, cols, wOff, bOff);
  for (let r = 0; r < rows; r++) {
    let expected = bias[bOff + r]!;
    for (let c = 0; c < cols; c++) expected += weight[wOff + r * cols + c]! * x[c]!;
    assert.ok(Math.abs(y[r]! - expected) < 1e-15, `y[${r}]`);
  }
});

Deno.test("linearBackward() matches central differences", async (t) => {
  for (const [wOff, bOff] of [[0, 0], [6, 3]] as const) {
    const rng = new Rng(41 + wOff), rows = 5, cols = 9;
    // Padding around the blocks: their gradient must stay exactly 0.
    const weight = randomArray(rng, wOff + rows * cols + 4), bias = randomArray(rng, bOff + rows + 2);
    const x = randomArray(rng, cols), upstream = randomArray(rng, rows), y = new Float64Array(rows);
    const result = await gradCheckSteps(t, `offsets (${wOff}, ${bOff}): dx, dW, db`, {
      inputs: { x, weight, bias },
      loss: () => (linearForward(y, weight, bias, x, rows, cols, wOff, bOff), dot(y, upstream)),
      backward: (d) => {
        linearForward(y, weight, bias, x, rows, cols, wOff, bOff);
        linearBackward(d.x!, d.weight!, d.bias!, upstream, weight, x, rows, cols, wOff, bOff);
      },
    });
    await t.step(`offsets (${wOff}, ${bOff}): nothing outside the blocks is touched`, () => {
      const dW = result.analytic.weight!, db = result.analytic.bias!;
      for (let i = 0; i < dW.length; i++) {
        if (i < wOff || i >= wOff + rows * cols) assert.equal(dW[i], 0, `dW[${i}]`);
      }
      for (let i = 0; i < db.length; i++) {
        if (i < bOff || i >= bOff + rows) assert.equal(db[i], 0, `db[${i}]`);
      }
    });
  }
});

Deno.test("lstmForward() computes the gates in the order i, f, o, g", () => {
  const rng = new Rng(2);
  const preact = randomArray(rng, 4 * C, -2, 2), cPrev = randomArray(rng, C);
  const h = new Float64Array(C), c = new Float64Array(C), gates = new Float64Array(4 * C);
  lstmForward(h, c, gates, preact, cPrev, C);
  for (let u = 0; u < C; u++) {
    const i = sigmoid(preact[u]!), f = sigmoid(preact[C + u]!);
    const o = sigmoid(preact[2 * C + u]!), g = Math.tanh(preact[3 * C + u]!);
    assert.deepEqual([gates[u], gates[C + u], gates[2 * C + u], gates[3 * C + u]], [i, f, o, g]);
    assert.ok(Math.abs(c[u]! - (f * cPrev[u]! + i * g)) < 1e-15, `c[${u}]`);
    assert.ok(Math.abs(h[u]! - o * Math.tanh(c[u]!)) < 1e-15, `h[${u}]`);
  }
});

Deno.test("lstmBackward() matches central differences", async (t) => {
  const rng = new Rng(42);
  const preact = randomArray(rng, 4 * C, -2, 2), cPrev = randomArray(rng, C);
  const dh = randomArray(rng, C), dc = randomArray(rng, C);
  const h = new Float64Array(C), c = new Float64Array(C), gates = new Float64Array(4 * C);
  // The loss reaches both outputs: h directly and c through the later steps (dc).
  await gradCheckSteps(t, "dpreact, dcPrev", {
    inputs: { preact, cPrev },
    loss: () => (lstmForward(h, c, gates, preact, cPrev, C), dot(h, dh) + dot(c, dc)),
    backward: (d) => {
      lstmForward(h, c, gates, preact, cPrev, C);
      lstmBackward(d.preact!, d.cPrev!, dh, dc, gates, c, cPrev, C);
    },
  });
});

Deno.test("an LSTM layer (linear map, then cell) matches central differences", async (t) => {
  const rng = new Rng(43), inWidth = 5, cols = inWidth + C;
  const weight = randomArray(rng, 4 * C * cols, -0.8, 0.8), bias = randomArray(rng, 4 * C);
  const x = randomArray(rng, inWidth), hPrev = randomArray(rng, C), cPrev = randomArray(rng, C);
  const dh = randomArray(rng, C), dc = randomArray(rng, C);
  const concat = new Float64Array(cols), preact = new Float64Array(4 * C);
  const h = new Float64Array(C), c = new Float64Array(C), gates = new Float64Array(4 * C);
  const forward = () => {
    concat.set(x), concat.set(hPrev, inWidth);
    linearForward(preact, weight, bias, concat, 4 * C, cols);
    lstmForward(h, c, gates, preact, cPrev, C);
  };
  await gradCheckSteps(t, "dx, dhPrev, dcPrev, dW, db", {
    inputs: { x, hPrev, cPrev, weight, bias },
    loss: () => (forward(), dot(h, dh) + dot(c, dc)),
    backward: (d) => {
      forward();
      const dpreact = new Float64Array(4 * C), dconcat = new Float64Array(cols);
      lstmBackward(dpreact, d.cPrev!, dh, dc, gates, c, cPrev, C);
      linearBackward(dconcat, d.weight!, d.bias!, dpreact, weight, concat, 4 * C, cols);
      for (let i = 0; i < inWidth; i++) d.x![i]! += dconcat[i]!;
      for (let u = 0; u < C; u++) d.hPrev![u]! += dconcat[inWidth + u]!;
    },
  });
});

Deno.test("feedforwardBackward() matches central differences", async (t) => {
  const rng = new Rng(44);
  const preact = randomArray(rng, C, -2, 2), upstream = randomArray(rng, C), h = new Float64Array(C);
  await gradCheckSteps(t, "dpreact", {
    inputs: { preact },
    loss: () => (feedforwardForward(h, preact, C), dot(h, upstream)),
    backward: (d) => {
      feedforwardForward(h, preact, C);
      feedforwardBackward(d.preact!, upstream, h, C);
    },
  });
});
