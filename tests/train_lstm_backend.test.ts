import assert from "node:assert/strict";
import { generatePrograms } from "../tasks/program.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { initLstmParameters, lstmLossAndGradient } from "../src/reference/lstm_model.ts";
import { lstmConfig, lstmLayout } from "../src/model/lstm_config.ts";
import { createBackend } from "../src/train/create_backend.ts";
import { createLstmBackend, lstmUnitsForParameterCount } from "../src/train/lstm_backend.ts";
import { softmaxAccuracy } from "../src/train/metrics.ts";

const config = lstmConfig({ inputSize: 49, outputSize: 49, units: 12, layers: 1, outputKind: "softmax" });
const layout = lstmLayout(config);
/** The fields of a backend's start that these tests do not vary. */
const start = { kind: "lstm" as const, config, layout, batch: 3, memorySeed: 1, startStep: 0 };

Deno.test("createLstmBackend() training steps reduce the loss on a fixed tiny batch", async () => {
  const batch = generatePrograms(new Rng(4), 3, { length: 1, nesting: 1 });
  const params = initLstmParameters(config, layout, 1);
  const before = lstmLossAndGradient(config, layout, params, batch, false).loss;
  const backend = createLstmBackend({
    ...start,
    params,
    optimizer: createOptimizer("adam", layout.size, { learningRate: 1e-2 }),
  });
  for (let i = 0; i < 30; i++) await backend.trainStep(batch);
  const { lossNats, gradNorm } = await backend.lastStep();
  assert.ok(Number.isFinite(gradNorm));
  const after = (await backend.evaluate(batch)).costBits * Math.LN2;
  assert.ok(after < 0.5 * before, `loss ${before} → ${after}`);
  assert.ok(lossNats < before, `last training loss ${lossNats} vs ${before}`);
  // The backend's parameters are what it trained; evaluate() and predict() agree with the model.
  const trained = await backend.parameters();
  const reference = lstmLossAndGradient(config, layout, trained, batch, false);
  assert.ok(Math.abs(reference.loss - after) < 1e-12);
  assert.deepEqual(await backend.predict(batch), reference.output);
  const e = await backend.evaluate(batch);
  assert.equal(e.characterAccuracy, softmaxAccuracy(reference.output, batch).characterAccuracy);
  assert.equal((await backend.optimizerState()).step, 30);
});

Deno.test("createLstmBackend() rejects parameters or an optimiser of the wrong size", () => {
  const optimizer = createOptimizer("adam", layout.size);
  assert.throws(
    () => createLstmBackend({ ...start, params: new Float64Array(3), optimizer }),
    /params must hold the layout's \d+ values, got 3/,
  );
  assert.throws(
    () =>
      createLstmBackend({
        ...start,
        params: initLstmParameters(config, layout, 1),
        optimizer: createOptimizer("adam", 5),
      }),
    /updates 5 parameters/,
  );
});

Deno.test("lstmUnitsForParameterCount() picks the units whose count is closest to the target", () => {
  for (const [layers, target] of [[1, 20_000], [1, 80_601], [2, 50_000], [1, 10]] as const) {
    const units = lstmUnitsForParameterCount(49, 49, layers, target);
    const size = (c: number) => lstmLayout({ ...config, units: c, layers }).size;
    assert.ok(Math.abs(size(units) - target) <= Math.abs(size(units + 1) - target), `${layers}, ${target}`);
    if (units > 1) assert.ok(Math.abs(size(units) - target) <= Math.abs(size(units - 1) - target));
  }
  assert.throws(() => lstmUnitsForParameterCount(49, 49, 0, 100), /layers must be a positive integer, got 0/);
});

Deno.test("createBackend() runs the LSTM baseline on the CPU: wasm with a notice for auto, an error for webgpu", async () => {
  const init = {
    ...start,
    params: initLstmParameters(config, layout, 1),
    optimizer: createOptimizer("adam", layout.size),
    memorySeed: 3,
  };
  const notices: string[] = [];
  const backend = await createBackend("auto", init, (line) => void notices.push(line));
  assert.equal(backend.name, "wasm");
  assert.match(backend.device, /plain LSTM/);
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /plain LSTM baseline runs on the CPU; using wasm/);
  const cpu = await createBackend("cpu", init, (line) => void notices.push(line));
  assert.equal(cpu.name, "cpu");
  assert.equal(notices.length, 1);
  await assert.rejects(
    createBackend("webgpu", init),
    /--backend webgpu cannot run this model: the plain LSTM baseline runs on the CPU \(float64 or WebAssembly\)/,
  );
});

Deno.test("the LSTM baseline on the wasm backend takes two training steps like the float64 one", async () => {
  const batches = [1, 2].map((seed) => generatePrograms(new Rng(seed), 3, { length: 2, nesting: 1 }));
  const params = Float64Array.from(Float32Array.from(initLstmParameters(config, layout, 2)));
  const make = (name: "cpu" | "wasm") =>
    createBackend(name, {
      ...start,
      layout,
      params: params.slice(),
      optimizer: createOptimizer("rmsprop", layout.size, { learningRate: 1e-3 }),
    }, () => {});
  const [cpu, wasm] = [await make("cpu"), await make("wasm")];
  for (const batch of batches) {
    await cpu.trainStep(batch), await wasm.trainStep(batch);
    const [a, b] = [await cpu.lastStep(), await wasm.lastStep()];
    assert.ok(Math.abs(a.lossNats - b.lossNats) < 1e-4, `${a.lossNats} vs ${b.lossNats}`);
  }
  const [pa, pb] = [await cpu.parameters(), await wasm.parameters()];
  let worst = 0;
  for (let i = 0; i < pa.length; i++) {
    worst = Math.max(worst, Math.abs(pa[i]! - pb[i]!) / (2e-6 + 1e-4 * Math.abs(pa[i]!)));
  }
  assert.ok(worst <= 1, `parameters differ by ${worst} × the tolerance`);
  const heldOut = generatePrograms(new Rng(9), 4, { length: 2, nesting: 1 });
  const [ea, eb] = [await cpu.evaluate(heldOut), await wasm.evaluate(heldOut)];
  assert.ok(Math.abs(ea.costBits - eb.costBits) < 1e-3, `${ea.costBits} vs ${eb.costBits}`);
  assert.equal(eb.characterAccuracy, ea.characterAccuracy);
});
