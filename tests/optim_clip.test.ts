import assert from "node:assert/strict";
import { clipElementwise, clipGlobalNorm, l2Norm } from "../src/optim/mod.ts";

Deno.test("l2Norm() measures vectors exactly and without overflow", () => {
  assert.equal(l2Norm(new Float64Array([3, 4])), 5);
  assert.equal(l2Norm(new Float64Array([2, -4, 4])), 6); // √(4 + 16 + 16)
  assert.equal(l2Norm(new Float64Array(0)), 0);
  // (1e200)² overflows, but the norm 1e200·√2 does not.
  const big = l2Norm(new Float64Array([1e200, -1e200]));
  assert.ok(Math.abs(big / (1e200 * Math.SQRT2) - 1) < 1e-15, `got ${big}`);
  assert.ok(Number.isNaN(l2Norm(new Float64Array([1, NaN, Infinity]))));
  assert.equal(l2Norm(new Float64Array([1, -Infinity])), Infinity);
});

Deno.test("clipGlobalNorm() scales a gradient down to the norm limit", () => {
  // [6, 8] has norm 10; limit 5 → scale 5/10 = 0.5 → [3, 4].
  const grad = new Float64Array([6, 8]);
  assert.equal(clipGlobalNorm(grad, 5), 10);
  assert.deepEqual(grad, new Float64Array([3, 4]));
  // [2, −4, 4] has norm 6; limit 3 → scale 0.5 → [1, −2, 2], the direction kept.
  const grad3 = new Float64Array([2, -4, 4]);
  assert.equal(clipGlobalNorm(grad3, 3), 6);
  assert.deepEqual(grad3, new Float64Array([1, -2, 2]));
  // [60, 80] (norm 100) with Adam's limit 50 → [30, 40].
  const adamGrad = new Float64Array([60, 80]);
  assert.equal(clipGlobalNorm(adamGrad, 50), 100);
  assert.deepEqual(adamGrad, new Float64Array([30, 40]));
});

Deno.test("clipGlobalNorm() leaves gradients at or under the limit untouched", () => {
  const atLimit = new Float64Array([3, 4]);
  assert.equal(clipGlobalNorm(atLimit, 5), 5);
  assert.deepEqual(atLimit, new Float64Array([3, 4]));
  const under = new Float64Array([0.3, -0.4, 0]);
  clipGlobalNorm(under, 50);
  assert.deepEqual(under, new Float64Array([0.3, -0.4, 0]));
  const zero = new Float64Array(3);
  assert.equal(clipGlobalNorm(zero, 1), 0);
  assert.deepEqual(zero, new Float64Array(3));
  const unlimited = new Float64Array([1e6, 1e6]);
  assert.equal(clipGlobalNorm(unlimited, Infinity), Math.sqrt(2e12));
  assert.deepEqual(unlimited, new Float64Array([1e6, 1e6]));
});

Deno.test("clipGlobalNorm() clips huge finite gradients whose squares overflow", () => {
  const grad = new Float64Array([1e200, 1e200]);
  const norm = clipGlobalNorm(grad, 1);
  assert.ok(Number.isFinite(norm));
  for (const g of grad) assert.ok(Math.abs(g - Math.SQRT1_2) < 1e-15, `got ${g}`);
});

Deno.test("clipGlobalNorm() and clipElementwise() return a non-finite norm and leave the gradient as it was", () => {
  for (const clip of [clipGlobalNorm, clipElementwise]) {
    const withNaN = new Float64Array([100, NaN, -100]);
    assert.ok(Number.isNaN(clip(withNaN, 1)), clip.name);
    assert.deepEqual(withNaN, new Float64Array([100, NaN, -100]));
    const withInf = new Float64Array([100, Infinity, -100]);
    assert.equal(clip(withInf, 1), Infinity, clip.name);
    assert.deepEqual(withInf, new Float64Array([100, Infinity, -100]));
  }
});

Deno.test("clipElementwise() clamps each element to [−limit, limit]", () => {
  // RMSProp's limit 10: 25 → 10, −12 → −10; −3, 10 and −10 are already inside.
  const grad = new Float64Array([25, -3, -12, 10, -10]);
  const norm = clipElementwise(grad, 10);
  assert.equal(norm, Math.sqrt(625 + 9 + 144 + 100 + 100)); // the norm before clipping, √978
  assert.deepEqual(grad, new Float64Array([10, -3, -10, 10, -10]));
  const small = new Float64Array([0.5, -0.25]);
  assert.equal(clipElementwise(small, 0.3), Math.sqrt(0.3125));
  assert.deepEqual(small, new Float64Array([0.3, -0.25]));
});

Deno.test("clipGlobalNorm() and clipElementwise() reject limits that are not positive numbers", () => {
  for (const bad of [0, -1, NaN]) {
    assert.throws(
      () => clipGlobalNorm(new Float64Array(2), bad),
      new RangeError(`Cannot clip the gradient: maxNorm must be > 0, got ${bad}`),
    );
    assert.throws(
      () => clipElementwise(new Float64Array(2), bad),
      new RangeError(`Cannot clip the gradient: limit must be > 0, got ${bad}`),
    );
  }
  assert.throws(
    () => clipGlobalNorm(new Float64Array(2), "5" as unknown as number),
    new TypeError("Cannot clip the gradient: maxNorm must be a number, got string"),
  );
});
