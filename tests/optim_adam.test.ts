import assert from "node:assert/strict";
import {
  ADAM_DEFAULTS,
  createOptimizer,
  type Optimizer,
  type OptimizerState,
  restoreOptimizer,
} from "../src/optim/mod.ts";

/** Asserts |actual − expected| ≤ atol + rtol·|expected| elementwise, listing the first mismatches. */
function assertClose(
  actual: ArrayLike<number>,
  expected: readonly number[],
  atol = 1e-13,
  rtol = 1e-12,
): void {
  assert.equal(actual.length, expected.length, `length ${actual.length} != ${expected.length}`);
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) bad.push(`[${i}] got ${a}, expected ${e}`);
  }
  assert.ok(bad.length === 0, `mismatches: ${bad.slice(0, 5).join("; ")}`);
}

function copyState(state: OptimizerState): OptimizerState {
  const slots: Record<string, Float64Array> = {};
  for (const [k, v] of Object.entries(state.slots)) slots[k] = v.slice();
  return { name: state.name, step: state.step, slots };
}

Deno.test("createOptimizer('adam') uses Collier & Beel's defaults", () => {
  const adam = createOptimizer("adam", 3);
  assert.equal(adam.name, "adam");
  assert.equal(adam.size, 3);
  assert.deepEqual({ ...adam.options }, {
    learningRate: 1e-3,
    beta1: 0.9,
    beta2: 0.999,
    epsilon: 1e-8,
    clip: 50,
  });
  assert.deepEqual({ ...adam.options }, { ...ADAM_DEFAULTS });
  assert.equal(adam.state.step, 0);
  assert.deepEqual(Object.keys(adam.state.slots), ["m", "v"]);
  assert.deepEqual(adam.state.slots.m, new Float64Array(3));
  assert.deepEqual(adam.state.slots.v, new Float64Array(3));
});

Deno.test("Adam.step() matches three bias-corrected steps worked out by hand", () => {
  // θ0 = [1, 2], lr = 0.1, β1 = 0.9, β2 = 0.999, ε = 1e-8; gradients small enough that the clip (50) is idle.
  const params = new Float64Array([1, 2]);
  const adam = createOptimizer("adam", 2, { learningRate: 0.1 });

  // Step 1, g = [0.5, −2] (norm √4.25 ≈ 2.0616):
  //   m = 0.1·g = [0.05, −0.2];  v = 0.001·g² = [0.00025, 0.004]
  //   bias corrections 1 − 0.9 = 0.1 and 1 − 0.999 = 0.001, so m̂ = [0.5, −2], v̂ = [0.25, 4], √v̂ = [0.5, 2]
  //   θ −= 0.1·m̂/(√v̂ + 1e-8): 0.1·0.5/0.50000001 = 0.099999998, 0.1·(−2)/2.00000001 = −0.0999999995
  //   θ1 = [0.900000002, 2.0999999995]
  let norm = adam.step(params, new Float64Array([0.5, -2]));
  assert.ok(Math.abs(norm - Math.sqrt(4.25)) < 1e-15);
  assertClose(adam.state.slots.m!, [0.05, -0.2]);
  assertClose(adam.state.slots.v!, [0.00025, 0.004]);
  assertClose(params, [0.900000002, 2.0999999995]);

  // Step 2, g = [1.5, 0]:
  //   m = 0.9·[0.05, −0.2] + 0.1·[1.5, 0] = [0.045 + 0.15, −0.18] = [0.195, −0.18]
  //   v = 0.999·[0.00025, 0.004] + 0.001·[2.25, 0] = [0.00024975 + 0.00225, 0.003996] = [0.00249975, 0.003996]
  //   bias corrections 1 − 0.81 = 0.19 and 1 − 0.998001 = 0.001999
  //   m̂ = [0.195/0.19, −0.18/0.19] = [1.0263157895, −0.9473684211]
  //   v̂ = [0.00249975/0.001999, 0.003996/0.001999] = [1.2505002501, 1.9989994997], √v̂ = [1.1182576850, 1.4138597879]
  //   updates 0.1·1.0263157895/1.1182576850 = 0.0917781111 and 0.1·(−0.9473684211)/1.4138597879 = −0.0670058249
  //   (the second parameter moves although its gradient is 0: momentum)
  //   θ2 = [0.900000002 − 0.0917781111, 2.0999999995 + 0.0670058249] = [0.8082218909, 2.1670058244]
  norm = adam.step(params, new Float64Array([1.5, 0]));
  assert.equal(norm, 1.5);
  assertClose(adam.state.slots.m!, [0.195, -0.18]);
  assertClose(adam.state.slots.v!, [0.00249975, 0.003996]);
  assertClose(params, [0.80822189092269368, 2.1670058244397331]);

  // Step 3, g = [−1, 0.5]:
  //   m = 0.9·[0.195, −0.18] + 0.1·[−1, 0.5] = [0.1755 − 0.1, −0.162 + 0.05] = [0.0755, −0.112]
  //   v = 0.999·[0.00249975, 0.003996] + 0.001·[1, 0.25] = [0.00349725025, 0.004242004]
  //   bias corrections 1 − 0.729 = 0.271 and 1 − 0.997002999 = 0.002997001
  //   m̂ = [0.2785977860, −0.4132841328]; v̂ = [1.1669166110, 1.4154162778], √v̂ = [1.0802391453, 1.1897126871]
  //   updates 0.0257903803 and −0.0347381459
  //   θ3 = [0.8082218909 − 0.0257903803, 2.1670058244 + 0.0347381459] = [0.7824315107, 2.2017439704]
  adam.step(params, new Float64Array([-1, 0.5]));
  assert.equal(adam.state.step, 3);
  assertClose(adam.state.slots.m!, [0.0755, -0.112]);
  assertClose(adam.state.slots.v!, [0.00349725025, 0.004242004]);
  assertClose(params, [0.78243151065190894, 2.2017439703681340]);
});

Deno.test("Adam.step() clips the gradient to global norm 50 before the update", () => {
  // g = [60, 80, 0] has norm 100 > 50, so it is scaled by 50/100 to [30, 40, 0] before the moments see it:
  //   m = 0.1·[30, 40, 0] = [3, 4, 0];  v = 0.001·[900, 1600, 0] = [0.9, 1.6, 0]
  // (unclipped, m would be [6, 8, 0] and v [3.6, 6.4, 0]).
  const adam = createOptimizer("adam", 3);
  const params = new Float64Array([1, 1, 1]);
  const grad = new Float64Array([60, 80, 0]);
  assert.equal(adam.step(params, grad), 100);
  assert.deepEqual(grad, new Float64Array([30, 40, 0]));
  assertClose(adam.state.slots.m!, [3, 4, 0]);
  assertClose(adam.state.slots.v!, [0.9, 1.6, 0]);

  // The second step shows the clip in the parameters too: a run fed the clipped gradient by hand, with
  // clipping off, lands on exactly the same values.
  const reference = createOptimizer("adam", 3, { clip: Infinity });
  const referenceParams = new Float64Array([1, 1, 1]);
  reference.step(referenceParams, new Float64Array([30, 40, 0]));
  adam.step(params, new Float64Array([3, -4, 1]));
  reference.step(referenceParams, new Float64Array([3, -4, 1]));
  assert.deepEqual(params, referenceParams);
  const unclipped = createOptimizer("adam", 3, { clip: Infinity });
  const unclippedParams = new Float64Array([1, 1, 1]);
  unclipped.step(unclippedParams, new Float64Array([60, 80, 0]));
  unclipped.step(unclippedParams, new Float64Array([3, -4, 1]));
  assert.notDeepEqual(params, unclippedParams);
});

Deno.test("Adam.step() leaves gradients within the clip norm untouched", () => {
  const adam = createOptimizer("adam", 2);
  const grad = new Float64Array([30, 40]); // norm exactly 50
  assert.equal(adam.step(new Float64Array(2), grad), 50);
  assert.deepEqual(grad, new Float64Array([30, 40]));
});

Deno.test("Adam.step() changes nothing and returns the norm for a non-finite gradient", () => {
  const adam = createOptimizer("adam", 2, { learningRate: 0.1 });
  const params = new Float64Array([1, 2]);
  adam.step(params, new Float64Array([0.5, -2]));
  const before = { params: params.slice(), state: copyState(adam.state) };
  for (const bad of [NaN, Infinity, -Infinity]) {
    const grad = new Float64Array([bad, 1]);
    const norm = adam.step(params, grad);
    assert.ok(!Number.isFinite(norm), `norm ${norm} for ${bad}`);
    assert.deepEqual(grad, new Float64Array([bad, 1]));
    assert.deepEqual(params, before.params);
    assert.deepEqual(copyState(adam.state), before.state);
  }
  assert.ok(Number.isNaN(adam.step(params, new Float64Array([NaN, Infinity]))));
});

Deno.test("restoreOptimizer() continues an Adam run exactly as if uninterrupted", () => {
  const grads = [[0.5, -2, 1], [1.5, 0, -3], [-1, 0.5, 2], [70, -10, 5], [0.25, 0.25, -0.5]];
  const run = (optimizer: Optimizer, params: Float64Array, from: number, to: number) => {
    for (let i = from; i < to; i++) optimizer.step(params, Float64Array.from(grads[i]!));
  };
  const options = { learningRate: 0.05, beta2: 0.99 };
  const straight = createOptimizer("adam", 3, options);
  const straightParams = new Float64Array([1, 2, 3]);
  run(straight, straightParams, 0, 5);

  const first = createOptimizer("adam", 3, options);
  const params = new Float64Array([1, 2, 3]);
  run(first, params, 0, 2);
  const saved = copyState(first.state);
  const resumed = restoreOptimizer(saved, first.options, 3);
  // The restored optimiser owns copies: scribbling on the saved arrays changes nothing.
  saved.slots.m!.fill(123);
  assert.equal(resumed.state.step, 2);
  assert.deepEqual({ ...resumed.options }, { ...straight.options });
  run(resumed, params, 2, 5);

  assert.deepEqual(params, straightParams);
  assert.deepEqual(copyState(resumed.state), copyState(straight.state));
});

Deno.test("createOptimizer() rejects bad names, sizes and Adam options", async (t) => {
  await t.step("unknown name lists the valid ones", () => {
    assert.throws(
      () => createOptimizer("lbfgs" as "adam", 3),
      new TypeError('Cannot create an optimiser: name must be one of "adam", "rmsprop", "sgd", got "lbfgs"'),
    );
  });
  await t.step("size must be a positive integer", () => {
    for (const size of [0, -1, 1.5, NaN, Infinity]) {
      assert.throws(
        () => createOptimizer("adam", size),
        new RangeError(`Cannot create the Adam optimiser: size must be a positive integer, got ${size}`),
      );
    }
  });
  await t.step("learningRate must be > 0", () => {
    assert.throws(
      () => createOptimizer("adam", 3, { learningRate: -1 }),
      new RangeError("Cannot create the Adam optimiser: learningRate must be > 0, got -1"),
    );
    assert.throws(() => createOptimizer("adam", 3, { learningRate: 0 }), RangeError);
    assert.throws(() => createOptimizer("adam", 3, { learningRate: NaN }), RangeError);
    assert.throws(() => createOptimizer("adam", 3, { learningRate: Infinity }), RangeError);
  });
  await t.step("betas must lie in [0, 1), epsilon > 0, clip > 0", () => {
    assert.throws(
      () => createOptimizer("adam", 3, { beta1: 1 }),
      new RangeError("Cannot create the Adam optimiser: beta1 must be in [0, 1), got 1"),
    );
    assert.throws(() => createOptimizer("adam", 3, { beta2: -0.1 }), /beta2 must be in \[0, 1\), got -0.1/);
    assert.throws(() => createOptimizer("adam", 3, { epsilon: 0 }), /epsilon must be > 0, got 0/);
    assert.throws(
      () => createOptimizer("adam", 3, { clip: 0 }),
      /clip must be > 0 \(Infinity for no clipping\)/,
    );
    assert.equal(createOptimizer("adam", 3, { clip: Infinity }).options.clip, Infinity);
  });
  await t.step("options of the other optimiser, typos and non-numbers are rejected", () => {
    assert.throws(
      () => createOptimizer("adam", 3, { momentum: 0.9 }),
      new TypeError(
        'Cannot create the Adam optimiser: unknown option "momentum"; valid options are learningRate, beta1, ' +
          "beta2, epsilon, clip",
      ),
    );
    assert.throws(
      () => createOptimizer("adam", 3, { lr: 0.1 } as unknown as { learningRate: number }),
      /unknown option "lr"/,
    );
    assert.throws(
      () => createOptimizer("adam", 3, { learningRate: "0.1" as unknown as number }),
      new TypeError('Cannot create the Adam optimiser: learningRate must be a number, got "0.1"'),
    );
  });
  await t.step("step() checks the array lengths", () => {
    const adam = createOptimizer("adam", 3);
    assert.throws(
      () => adam.step(new Float64Array(3), new Float64Array(4)),
      new RangeError("Cannot take an Adam step: grad must have length 3 (the parameter count), got 4"),
    );
    assert.throws(() => adam.step(new Float64Array(2), new Float64Array(3)), /params must have length 3/);
    assert.throws(
      () => adam.step(new Float32Array(3) as unknown as Float64Array, new Float64Array(3)),
      /params must be a Float64Array, got Float32Array of length 3/,
    );
  });
});

Deno.test("restoreOptimizer() rejects a damaged Adam state", async (t) => {
  const good = (): OptimizerState => ({
    name: "adam",
    step: 2,
    slots: { m: new Float64Array([0.1, 0.2, 0.3]), v: new Float64Array([0.01, 0.02, 0.03]) },
  });
  await t.step("a slot of the wrong length names the slot and both lengths", () => {
    const state = good();
    state.slots.v = new Float64Array(2);
    assert.throws(
      () => restoreOptimizer(state),
      new RangeError(
        "Cannot restore the Adam optimiser: state.slots.v must have length 3 (the parameter count), got 2",
      ),
    );
    assert.throws(
      () => restoreOptimizer(good(), undefined, 4),
      /state\.slots\.m must have length 4 \(the parameter count\), got 3/,
    );
  });
  await t.step("missing, extra or mistyped slots", () => {
    const missing = good();
    delete missing.slots.v;
    assert.throws(
      () => restoreOptimizer(missing),
      new TypeError("Cannot restore the Adam optimiser: state.slots.v must be a Float64Array, got undefined"),
    );
    const extra = good();
    extra.slots.n = new Float64Array(3);
    assert.throws(() => restoreOptimizer(extra), /unexpected slot state\.slots\.n; expected exactly m, v/);
    const typed = good();
    typed.slots.m = new Float32Array(3) as unknown as Float64Array;
    assert.throws(() => restoreOptimizer(typed), /state\.slots\.m must be a Float64Array, got Float32Array/);
  });
  await t.step("bad step counts, names and values", () => {
    assert.throws(
      () => restoreOptimizer({ ...good(), step: -1 }),
      new RangeError("Cannot restore the Adam optimiser: state.step must be a non-negative integer, got -1"),
    );
    assert.throws(() => restoreOptimizer({ ...good(), step: 1.5 }), RangeError);
    assert.throws(
      () => restoreOptimizer({ ...good(), name: "lbfgs" as "adam" }),
      new TypeError(
        'Cannot restore an optimiser: state.name must be one of "adam", "rmsprop", "sgd", got "lbfgs"',
      ),
    );
    const nan = good();
    nan.slots.m![1] = NaN;
    assert.throws(() => restoreOptimizer(nan), /state\.slots\.m\[1\] must hold finite values, got NaN/);
    const negative = good();
    negative.slots.v![2] = -1e-9;
    assert.throws(
      () => restoreOptimizer(negative),
      /state\.slots\.v\[2\] must hold finite values ≥ 0, got -1e-9/,
    );
    assert.throws(() => restoreOptimizer(good(), { learningRate: -1 }), /learningRate must be > 0, got -1/);
  });
});

Deno.test("createOptimizer('sgd') clips the gradient's global norm, then steps against it; it keeps no slots", () => {
  const sgd = createOptimizer("sgd", 2, { learningRate: 0.1, clip: 5 });
  assert.deepEqual(Object.keys(sgd.state.slots), []);
  const params = Float64Array.of(1, 1);
  const norm = sgd.step(params, Float64Array.of(30, 40)); // norm 50, clipped to 5: (3, 4)
  assert.equal(norm, 50);
  assert.ok(Math.abs(params[0]! - 0.7) < 1e-12 && Math.abs(params[1]! - 0.6) < 1e-12, String(params));
  assert.equal(sgd.state.step, 1);
  assert.ok(!Number.isFinite(sgd.step(params, Float64Array.of(NaN, 1))));
  assert.equal(sgd.state.step, 1, "a non-finite gradient changes nothing");
});
