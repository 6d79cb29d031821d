import assert from "node:assert/strict";
import {
  createOptimizer,
  type Optimizer,
  type OptimizerState,
  restoreOptimizer,
  RMSPROP_DEFAULTS,
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

Deno.test("createOptimizer('rmsprop') uses the NTM paper's defaults", () => {
  const rms = createOptimizer("rmsprop", 2);
  assert.equal(rms.name, "rmsprop");
  assert.deepEqual({ ...rms.options }, {
    learningRate: 1e-4,
    rho: 0.95,
    momentum: 0.9,
    epsilon: 1e-4,
    clip: 10,
  });
  assert.deepEqual({ ...rms.options }, { ...RMSPROP_DEFAULTS });
  assert.equal(rms.state.step, 0);
  assert.deepEqual(Object.keys(rms.state.slots), ["n", "gbar", "delta"]);
  for (const slot of Object.values(rms.state.slots)) assert.deepEqual(slot, new Float64Array(2));
});

Deno.test("RMSProp.step() matches three centred-RMSProp steps with momentum worked out by hand", () => {
  // θ0 = [1, 2], lr = 0.1, ρ = 0.95, μ = 0.9, ε = 1e-4; gradients within the clip (±10).
  const params = new Float64Array([1, 2]);
  const rms = createOptimizer("rmsprop", 2, { learningRate: 0.1 });

  // Step 1, g = [1, −2]:
  //   n = 0.05·g² = [0.05, 0.2];  ḡ = 0.05·g = [0.05, −0.1]
  //   n − ḡ² + ε = [0.05 − 0.0025 + 0.0001, 0.2 − 0.01 + 0.0001] = [0.0476, 0.1901]
  //   √ = [0.2181742423, 0.4360045871]
  //   Δ = 0.9·0 − 0.1·[1/0.2181742423, −2/0.4360045871] = [−0.4583492485, 0.4587107703]
  //   θ1 = θ0 + Δ = [0.5416507515, 2.4587107703]
  let norm = rms.step(params, new Float64Array([1, -2]));
  assert.ok(Math.abs(norm - Math.sqrt(5)) < 1e-15);
  assertClose(rms.state.slots.n!, [0.05, 0.2]);
  assertClose(rms.state.slots.gbar!, [0.05, -0.1]);
  assertClose(rms.state.slots.delta!, [-0.458349248514106, 0.458710770259687]);
  assertClose(params, [0.54165075148589435, 2.4587107702596873]);

  // Step 2, g = [1, 0]:
  //   n = 0.95·[0.05, 0.2] + 0.05·[1, 0] = [0.0475 + 0.05, 0.19] = [0.0975, 0.19]
  //   ḡ = 0.95·[0.05, −0.1] + 0.05·[1, 0] = [0.0475 + 0.05, −0.095] = [0.0975, −0.095]
  //   n − ḡ² + ε = [0.0975 − 0.00950625 + 0.0001, 0.19 − 0.009025 + 0.0001] = [0.08809375, 0.181075]
  //   √ = [0.2968059130, 0.4255290824]
  //   Δ = 0.9·[−0.4583492485, 0.4587107703] − 0.1·[1/0.2968059130, 0]
  //     = [−0.4125143237 − 0.3369211114, 0.4128396932] = [−0.7494354351, 0.4128396932]
  //   (the second parameter keeps moving with a zero gradient: momentum)
  //   θ2 = [0.5416507515 − 0.7494354351, 2.4587107703 + 0.4128396932] = [−0.2077840836, 2.8715504635]
  norm = rms.step(params, new Float64Array([1, 0]));
  assert.equal(norm, 1);
  assertClose(rms.state.slots.n!, [0.0975, 0.19]);
  assertClose(rms.state.slots.gbar!, [0.0975, -0.095]);
  assertClose(rms.state.slots.delta!, [-0.749434835065462, 0.412839693233719]);
  assertClose(params, [-0.20778408357956780, 2.8715504634934060]);

  // Step 3, g = [−1, 0]:
  //   n = 0.95·[0.0975, 0.19] + 0.05·[1, 0] = [0.092625 + 0.05, 0.1805] = [0.142625, 0.1805]
  //   ḡ = 0.95·[0.0975, −0.095] + 0.05·[−1, 0] = [0.092625 − 0.05, −0.09025] = [0.042625, −0.09025]
  //   n − ḡ² + ε = [0.142625 − 0.001816890625 + 0.0001, 0.1805 − 0.0081450625 + 0.0001]
  //             = [0.140908109375, 0.1724549375], √ = [0.3753772894, 0.4152769407]
  //   Δ = 0.9·[−0.7494348351, 0.4128396932] − 0.1·[−1/0.3753772894, 0]
  //     = [−0.6744913516 + 0.2663985417, 0.3715557239] = [−0.4080928099, 0.3715557239]
  //   θ3 = [−0.2077840836 − 0.4080928099, 2.8715504635 + 0.3715557239] = [−0.6158767935, 3.2431061874]
  rms.step(params, new Float64Array([-1, 0]));
  assert.equal(rms.state.step, 3);
  assertClose(rms.state.slots.n!, [0.142625, 0.1805]);
  assertClose(rms.state.slots.gbar!, [0.042625, -0.09025]);
  assertClose(rms.state.slots.delta!, [-0.408092709894288, 0.371555723910347]);
  assertClose(params, [-0.61587679347385593, 3.2431061874037527]);
});

Deno.test("RMSProp.step() clamps each gradient element to [−10, 10] before the update", () => {
  // g = [25, −3] is clamped to [10, −3] (the norm is not what matters here), then with lr = 0.1:
  //   n = 0.05·[100, 9] = [5, 0.45];  ḡ = 0.05·[10, −3] = [0.5, −0.15]
  //   n − ḡ² + ε = [5 − 0.25 + 0.0001, 0.45 − 0.0225 + 0.0001] = [4.7501, 0.4276], √ = [2.1794724132, 0.6539113090]
  //   Δ = −0.1·[10/2.1794724132, −3/0.6539113090] = [−0.4588266380, 0.4587778127]
  // (unclamped, n[0] would be 0.05·625 = 31.25 and Δ[0] = −0.1·25/√(31.25 − 1.5625 + 0.0001) ≈ −0.4588)
  const rms = createOptimizer("rmsprop", 2, { learningRate: 0.1 });
  const params = new Float64Array([0, 0]);
  const grad = new Float64Array([25, -3]);
  const norm = rms.step(params, grad);
  assert.ok(Math.abs(norm - Math.sqrt(634)) < 1e-13, `norm ${norm}`); // before clipping: √(625 + 9)
  assert.deepEqual(grad, new Float64Array([10, -3]));
  assertClose(rms.state.slots.n!, [5, 0.45]);
  assertClose(rms.state.slots.gbar!, [0.5, -0.15]);
  assertClose(params, [-0.458826638012459, 0.458777812654962]);

  // A smaller clip limit is honoured too: [−7, 2] with clip 5 feeds [−5, 2] to the averages.
  const tight = createOptimizer("rmsprop", 2, { clip: 5 });
  const tightGrad = new Float64Array([-7, 2]);
  tight.step(new Float64Array(2), tightGrad);
  assert.deepEqual(tightGrad, new Float64Array([-5, 2]));
  assertClose(tight.state.slots.gbar!, [-0.25, 0.1]);
});

Deno.test("RMSProp.step() changes nothing and returns the norm for a non-finite gradient", () => {
  const rms = createOptimizer("rmsprop", 2);
  const params = new Float64Array([1, 2]);
  rms.step(params, new Float64Array([1, -2]));
  const before = { params: params.slice(), state: copyState(rms.state) };
  for (const bad of [NaN, Infinity, -Infinity]) {
    const grad = new Float64Array([1, bad]);
    const norm = rms.step(params, grad);
    assert.ok(!Number.isFinite(norm), `norm ${norm} for ${bad}`);
    // Not even an infinity is clamped to ±10: the caller must see the problem.
    assert.deepEqual(grad, new Float64Array([1, bad]));
    assert.deepEqual(params, before.params);
    assert.deepEqual(copyState(rms.state), before.state);
  }
});

Deno.test("restoreOptimizer() continues an RMSProp run exactly as if uninterrupted", () => {
  const grads = [[1, -2, 0.5], [1, 0, 30], [-1, 0, -0.5], [0.1, 4, 2], [-3, -3, 0]];
  const run = (optimizer: Optimizer, params: Float64Array, from: number, to: number) => {
    for (let i = from; i < to; i++) optimizer.step(params, Float64Array.from(grads[i]!));
  };
  const straight = createOptimizer("rmsprop", 3, { learningRate: 3e-5 });
  const straightParams = new Float64Array([1, 2, 3]);
  run(straight, straightParams, 0, 5);

  const first = createOptimizer("rmsprop", 3, { learningRate: 3e-5 });
  const params = new Float64Array([1, 2, 3]);
  run(first, params, 0, 3);
  const resumed = restoreOptimizer(copyState(first.state), { learningRate: 3e-5 });
  assert.equal(resumed.size, 3);
  assert.equal(resumed.state.step, 3);
  run(resumed, params, 3, 5);

  assert.deepEqual(params, straightParams);
  assert.deepEqual(copyState(resumed.state), copyState(straight.state));
});

Deno.test("createOptimizer() and restoreOptimizer() reject bad RMSProp options and state", async (t) => {
  await t.step("options", () => {
    assert.throws(
      () => createOptimizer("rmsprop", 2, { learningRate: -1e-4 }),
      new RangeError("Cannot create the RMSProp optimiser: learningRate must be > 0, got -0.0001"),
    );
    assert.throws(() => createOptimizer("rmsprop", 2, { rho: 1 }), /rho must be in \[0, 1\), got 1/);
    assert.throws(() => createOptimizer("rmsprop", 2, { momentum: -0.5 }), /momentum must be in \[0, 1\)/);
    assert.throws(() => createOptimizer("rmsprop", 2, { epsilon: -1 }), /epsilon must be > 0, got -1/);
    assert.throws(() => createOptimizer("rmsprop", 2, { clip: -10 }), /clip must be > 0/);
    assert.throws(
      () => createOptimizer("rmsprop", 2, { beta1: 0.9 }),
      new TypeError(
        'Cannot create the RMSProp optimiser: unknown option "beta1"; valid options are learningRate, rho, ' +
          "momentum, epsilon, clip",
      ),
    );
    assert.throws(
      () => createOptimizer("rmsprop", 0),
      new RangeError("Cannot create the RMSProp optimiser: size must be a positive integer, got 0"),
    );
  });
  await t.step("state", () => {
    const good = (): OptimizerState => ({
      name: "rmsprop",
      step: 1,
      slots: {
        n: new Float64Array([0.05, 0.2]),
        gbar: new Float64Array([0.05, -0.1]),
        delta: new Float64Array(2),
      },
    });
    assert.equal(restoreOptimizer(good()).size, 2);
    const short = good();
    short.slots.delta = new Float64Array(3);
    assert.throws(
      () => restoreOptimizer(short),
      new RangeError(
        "Cannot restore the RMSProp optimiser: state.slots.delta must have length 2 (the parameter count), got 3",
      ),
    );
    const adamSlots = good();
    delete adamSlots.slots.gbar;
    adamSlots.slots.m = new Float64Array(2);
    assert.throws(
      () => restoreOptimizer(adamSlots),
      /unexpected slot state\.slots\.m; expected exactly n, gbar, delta/,
    );
    const negative = good();
    negative.slots.n![0] = -1;
    assert.throws(
      () => restoreOptimizer(negative),
      /state\.slots\.n\[0\] must hold finite values ≥ 0, got -1/,
    );
    const empty: OptimizerState = {
      name: "rmsprop",
      step: 0,
      slots: { n: new Float64Array(0), gbar: new Float64Array(0), delta: new Float64Array(0) },
    };
    assert.throws(
      () => restoreOptimizer(empty),
      /the parameter count \(state\.slots\.n\.length\) must be a positive integer, got 0/,
    );
  });
});
