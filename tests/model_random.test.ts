import assert from "node:assert/strict";
import { Rng, type RngState } from "../src/model/random.ts";
import { ntmConfig } from "../src/model/config.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { HEADS_GAIN, INITIAL_BETA_RAW, initParameters } from "../src/model/init.ts";
import { softmaxInto } from "../src/reference/activations.ts";

function draws(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

function moments(sample: readonly number[]): { mean: number; variance: number } {
  const mean = sample.reduce((a, b) => a + b, 0) / sample.length;
  const variance = sample.reduce((a, b) => a + (b - mean) ** 2, 0) / sample.length;
  return { mean, variance };
}

Deno.test("Rng gives equal streams for equal seeds and different streams otherwise", () => {
  assert.deepEqual(draws(new Rng(42), 50), draws(new Rng(42), 50));
  assert.notDeepEqual(draws(new Rng(42), 50), draws(new Rng(43), 50));
  assert.notDeepEqual(draws(new Rng(0), 50), draws(new Rng(-1), 50));
  // Seeds past 32 bits still matter.
  assert.notDeepEqual(draws(new Rng(2 ** 40), 20), draws(new Rng(0), 20));
  for (const v of draws(new Rng(0), 100)) assert.ok(Number.isInteger(v) && v >= 0 && v <= 0xffffffff);
});

Deno.test("Rng.getState() and setState() continue the same stream", () => {
  const rng = new Rng(7);
  draws(rng, 13);
  const state = rng.getState();
  const expected = [rng.uniform(), rng.normal(), rng.int(1, 6), rng.bit(), ...draws(rng, 5)];
  const restored = new Rng(999);
  restored.setState(state);
  assert.deepEqual([
    restored.uniform(),
    restored.normal(),
    restored.int(1, 6),
    restored.bit(),
    ...draws(restored, 5),
  ], expected);
  // The state is a copy: changing it does not touch the generator.
  const copy = rng.getState(), next = new Rng(1);
  next.setState(copy);
  copy[0] ^= 1;
  assert.equal(rng.nextUint32(), next.nextUint32());
  // A state survives a JSON round trip (as in a checkpoint).
  const again = new Rng(5);
  again.setState(JSON.parse(JSON.stringify(state)) as RngState);
  const other = new Rng(6);
  other.setState(state);
  assert.deepEqual(draws(again, 10), draws(other, 10));
});

Deno.test("Rng rejects bad seeds and bad states with a TypeError", () => {
  for (const seed of [1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(
      () => new Rng(seed),
      (e: unknown) => e instanceof TypeError && e.message.includes(String(seed)),
    );
  }
  const rng = new Rng(1);
  const badStates: unknown[] = [
    [0, 0, 0, 0],
    [1, 2, 3],
    [1, 2, 3, 4, 5],
    [-1, 0, 0, 1],
    [2 ** 32, 0, 0, 1],
    [1.5, 0, 0, 1],
    ["1", 0, 0, 1],
    null,
  ];
  for (const state of badStates) {
    assert.throws(() => rng.setState(state as RngState), TypeError, JSON.stringify(state));
  }
  assert.deepEqual(draws(rng, 3), draws(new Rng(1), 3), "a rejected state leaves the generator as it was");
});

Deno.test("Rng.uniform() lies in [0, 1) with mean 1/2 and variance 1/12", () => {
  const rng = new Rng(3), sample = Array.from({ length: 100_000 }, () => rng.uniform());
  for (const u of sample) assert.ok(u >= 0 && u < 1, `${u}`);
  const { mean, variance } = moments(sample);
  assert.ok(Math.abs(mean - 0.5) < 0.005, `mean ${mean}`);
  assert.ok(Math.abs(variance - 1 / 12) < 0.002, `variance ${variance}`);
});

Deno.test("Rng.int() includes both bounds and nothing outside", () => {
  const rng = new Rng(4);
  for (const [lo, hi] of [[3, 5], [-2, 2], [0, 0], [1, 6]] as const) {
    const counts = new Map<number, number>();
    for (let i = 0; i < 6000; i++) {
      const v = rng.int(lo, hi);
      assert.ok(Number.isInteger(v) && v >= lo && v <= hi, `${v} outside [${lo}, ${hi}]`);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    assert.equal(counts.size, hi - lo + 1, `every value of [${lo}, ${hi}] drawn`);
    const expected = 6000 / (hi - lo + 1);
    for (const [v, c] of counts) assert.ok(Math.abs(c - expected) < 0.15 * expected, `${v} drawn ${c} times`);
  }
});

Deno.test("Rng.normal() has mean 0 and variance 1; bit() and betaHalfHalf() have the right moments", () => {
  const rng = new Rng(5), n = 100_000;
  const normal = moments(Array.from({ length: n }, () => rng.normal()));
  assert.ok(Math.abs(normal.mean) < 0.02, `normal mean ${normal.mean}`);
  assert.ok(Math.abs(normal.variance - 1) < 0.03, `normal variance ${normal.variance}`);
  const bits = Array.from({ length: n }, () => rng.bit());
  assert.ok(bits.every((b) => b === 0 || b === 1));
  assert.ok(Math.abs(moments(bits).mean - 0.5) < 0.01);
  const beta = Array.from({ length: n }, () => rng.betaHalfHalf());
  assert.ok(beta.every((b) => b >= 0 && b <= 1));
  const m = moments(beta);
  assert.ok(
    Math.abs(m.mean - 0.5) < 0.01 && Math.abs(m.variance - 1 / 8) < 0.005,
    `Beta(½,½) ${m.mean}, ${m.variance}`,
  );
});

Deno.test("initParameters() is determined by its seed", () => {
  const config = ntmConfig({ inputSize: 9, outputSize: 8, memoryN: 16, memoryM: 6, controllerSize: 12 });
  const layout = parameterLayout(config);
  const a = initParameters(config, layout, 11), b = initParameters(config, layout, 11);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, initParameters(config, layout, 12));
  assert.equal(a.length, layout.size);
});

Deno.test("initParameters() sets the forget-gate bias to 1, other biases and LSTM state to 0", () => {
  const C = 12;
  const config = ntmConfig({
    inputSize: 9,
    outputSize: 8,
    memoryN: 16,
    memoryM: 6,
    controllerSize: C,
    controllerLayers: 2,
    readHeads: 2,
    writeHeads: 1,
    memoryInit: "learned",
  });
  const layout = parameterLayout(config), params = initParameters(config, layout, 3);
  const values = (name: string) => {
    const e = layout.get(name);
    return params.subarray(e.offset, e.offset + e.size);
  };
  for (const l of [0, 1]) {
    const bias = values(`controller.${l}.bias`);
    bias.forEach((v, i) => assert.equal(v, i >= C && i < 2 * C ? 1 : 0, `controller.${l}.bias[${i}]`));
  }
  const headsBias = values("heads.bias"), readWidth = 6 + 3 + 3, writeWidth = readWidth + 12;
  const betas = [6, readWidth + 6, 2 * readWidth + 6]; // β follows the key (M = 6) of each head
  headsBias.forEach((v, i) => assert.equal(v, betas.includes(i) ? INITIAL_BETA_RAW : 0, `heads.bias[${i}]`));
  assert.equal(headsBias.length, 2 * readWidth + writeWidth);
  for (const name of ["output.bias", "init.hidden", "init.cell"]) {
    assert.ok(values(name).every((v) => v === 0), name);
  }
  for (const e of layout.entries.filter((e) => e.name.endsWith(".weight"))) {
    const gain = e.name === "heads.weight" ? HEADS_GAIN : 1;
    const limit = gain * Math.sqrt(6 / (e.shape[0]! + e.shape[1]!)), w = values(e.name);
    assert.ok(w.every((v) => Math.abs(v) <= limit), `${e.name} within ±${limit}`);
    assert.ok(Math.max(...w.map(Math.abs)) > 0.8 * limit, `${e.name} uses its range`);
  }
  assert.ok(values("init.read").every((v) => Math.abs(v) <= 0.01 && v !== 0));
  const memoryLimit = 1 / Math.sqrt(16 + 6);
  assert.ok(values("init.memory").every((v) => Math.abs(v) <= memoryLimit && v !== 0));

  const ff = ntmConfig({ inputSize: 9, outputSize: 8, controllerType: "feedforward", controllerSize: C });
  const ffLayout = parameterLayout(ff), ffParams = initParameters(ff, ffLayout, 3);
  const ffBias = ffLayout.get("controller.0.bias");
  assert.ok(ffParams.subarray(ffBias.offset, ffBias.offset + ffBias.size).every((v) => v === 0));
});

Deno.test("initParameters() starts every head's w_0 uniform over the rows", () => {
  const N = 16, heads = 3;
  const config = ntmConfig({
    inputSize: 9,
    outputSize: 8,
    memoryN: N,
    memoryM: 6,
    controllerSize: 12,
    readHeads: 2,
  });
  const layout = parameterLayout(config), params = initParameters(config, layout, 4);
  const entry = layout.get("init.weighting");
  assert.deepEqual(entry.shape, [heads, N]);
  for (let h = 0; h < heads; h++) {
    const w0 = new Float64Array(N);
    softmaxInto(w0, params.subarray(entry.offset + h * N, entry.offset + (h + 1) * N), 0, N);
    for (let i = 0; i < N; i++) assert.ok(Math.abs(w0[i]! - 1 / N) < 1e-15, `head ${h}: w0[${i}] = ${w0[i]}`);
  }
});
