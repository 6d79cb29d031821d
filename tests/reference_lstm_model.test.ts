import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { initLstmParameters, lstmLossAndGradient } from "../src/reference/lstm_model.ts";
import { lstmConfig, lstmLayout } from "../src/model/lstm_config.ts";
import { randomArray, randomBatch } from "./_support/random_batch.ts";

for (const outputKind of ["sigmoid", "softmax"] as const) {
  Deno.test(`lstmLossAndGradient() matches central differences for every parameter group (2 layers, ${outputKind})`, () => {
    const config = lstmConfig({ inputSize: 3, outputSize: 4, units: 5, layers: 2, outputKind });
    const layout = lstmLayout(config);
    const rng = new Rng(2);
    const params = randomArray(rng, layout.size, -0.8, 0.8);
    const batch = randomBatch(rng, 2, 6, 3, 4, outputKind);
    const { grad } = lstmLossAndGradient(config, layout, params, batch);
    const lossAt = () => lstmLossAndGradient(config, layout, params, batch, false).loss;
    const errors: string[] = [];
    for (const e of layout.entries) {
      let num = 0, den = 0;
      for (let i = e.offset; i < e.offset + e.size; i++) {
        const old = params[i]!, h = 1e-5;
        params[i] = old + h;
        const up = lossAt();
        params[i] = old - h;
        const down = lossAt();
        params[i] = old;
        const fd = (up - down) / (2 * h);
        num += (fd - grad[i]!) ** 2, den += fd * fd + grad[i]! ** 2;
      }
      const relative = Math.sqrt(num) / Math.max(Math.sqrt(den), 1e-8);
      errors.push(`${e.name} ${relative.toExponential(1)}`);
      assert.ok(relative < 1e-6, `${e.name}: relative error ${relative}`);
      assert.ok(den > 0, `${e.name} has no gradient`);
    }
    console.log(`worst relative errors: ${errors.join(", ")}`);
  });
}

Deno.test("lstmConfig() rejects sizes that are not positive integers, naming the field", () => {
  assert.throws(
    () => lstmConfig({ inputSize: 3, outputSize: 4, units: 0, layers: 1, outputKind: "sigmoid" }),
    /C \(units\) must be a positive integer, got 0/,
  );
});

Deno.test("initLstmParameters() is seeded and sets the forget-gate bias to 1", () => {
  const config = lstmConfig({ inputSize: 3, outputSize: 4, units: 5, layers: 1, outputKind: "sigmoid" });
  const layout = lstmLayout(config);
  const a = initLstmParameters(config, layout, 7);
  assert.deepEqual(a, initLstmParameters(config, layout, 7));
  const bias = layout.get("lstm.0.bias");
  assert.deepEqual([...a.subarray(bias.offset, bias.offset + 20)], [
    ...Array(5).fill(0),
    ...Array(5).fill(1),
    ...Array(10).fill(0),
  ]);
});
