import assert from "node:assert/strict";
import { headParamsWidth, type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { layerInputWidth, type ParameterLayout, parameterLayout } from "../src/model/layout.ts";

/** The layout invariants every configuration must satisfy. */
function assertWellFormed(layout: ParameterLayout): void {
  let offset = 0;
  for (const entry of layout.entries) {
    assert.equal(entry.offset, offset, `${entry.name} starts where the previous entry ends`);
    assert.equal(
      entry.size,
      entry.shape.reduce((a, b) => a * b, 1),
      `${entry.name} size is its shape's product`,
    );
    assert.ok(entry.size > 0, `${entry.name} is not empty`);
    assert.equal(layout.get(entry.name), entry);
    offset += entry.size;
  }
  assert.equal(layout.size, offset);
  assert.equal(new Set(layout.entries.map((e) => e.name)).size, layout.entries.length, "names are unique");
}

function shapes(layout: ParameterLayout): Record<string, readonly number[]> {
  return Object.fromEntries(layout.entries.map((e) => [e.name, e.shape]));
}

const XY = { inputSize: 9, outputSize: 8 } as const;

Deno.test("parameterLayout() lays out an LSTM model's tensors contiguously with the documented shapes", () => {
  const config = ntmConfig({
    inputSize: 3,
    outputSize: 2,
    controllerSize: 5,
    controllerLayers: 2,
    memoryN: 7,
    memoryM: 4,
    readHeads: 2,
    writeHeads: 3,
    shiftRange: 1,
    memoryInit: "learned",
  });
  const layout = parameterLayout(config);
  assertWellFormed(layout);
  const P = headParamsWidth(config);
  assert.equal(P, 2 * (4 + 3 + 3) + 3 * (3 * 4 + 3 + 3));
  assert.deepEqual(shapes(layout), {
    "controller.0.weight": [20, 3 + 2 * 4 + 5],
    "controller.0.bias": [20],
    "controller.1.weight": [20, 5 + 5],
    "controller.1.bias": [20],
    "heads.weight": [P, 5],
    "heads.bias": [P],
    "output.weight": [2, 5 + 2 * 4],
    "output.bias": [2],
    "init.read": [2, 4],
    "init.weighting": [5, 7],
    "init.hidden": [2, 5],
    "init.cell": [2, 5],
    "init.memory": [7, 4],
  });
  assert.deepEqual(layout.entries.map((e) => e.name), Object.keys(shapes(layout)));
  assert.equal(layerInputWidth(config, 0), 11);
  assert.equal(layerInputWidth(config, 1), 5);
});

Deno.test("parameterLayout() of a feed-forward model has no LSTM state and no memory unless learned", () => {
  for (const memoryInit of ["constant", "random"] as const) {
    const config = ntmConfig({ ...XY, controllerType: "feedforward", controllerSize: 16, memoryInit });
    const layout = parameterLayout(config);
    assertWellFormed(layout);
    assert.deepEqual(layout.entries.map((e) => e.name), [
      "controller.0.weight",
      "controller.0.bias",
      "heads.weight",
      "heads.bias",
      "output.weight",
      "output.bias",
      "init.read",
      "init.weighting",
    ]);
    assert.deepEqual(layout.get("controller.0.weight").shape, [16, 9 + 20]);
  }
});

Deno.test("parameterLayout() of the paper's copy models is close to the paper's counts", () => {
  const lstm = parameterLayout(ntmConfig({ ...XY, memoryInit: "constant" })).size;
  const feedforward =
    parameterLayout(ntmConfig({ ...XY, controllerType: "feedforward", memoryInit: "constant" }))
      .size;
  console.log(
    `copy task parameters: LSTM ${lstm} (paper 67,561), feed-forward ${feedforward} (paper 17,162)`,
  );
  // Exactly: LSTM 400·129 + 400, heads 92·100 + 92, output 8·120 + 8, r0 20, w0 2·128, h0 and c0 100 each.
  assert.equal(lstm, 400 * 129 + 400 + 92 * 100 + 92 + 8 * 120 + 8 + 20 + 2 * 128 + 2 * 100);
  assert.equal(lstm, 62_736);
  // The paper counts depend on which biases and initial vectors are learned; the structure matches to ~7%.
  assert.ok(Math.abs(lstm - 67_561) / 67_561 < 0.1, `${lstm} is not within 10% of 67,561`);
  assert.equal(feedforward, 100 * 29 + 100 + 92 * 100 + 92 + 8 * 120 + 8 + 20 + 2 * 128);
});

Deno.test("parameterLayout().get() throws a RangeError naming an unknown tensor", () => {
  const layout = parameterLayout(ntmConfig({ ...XY, memoryInit: "constant" }));
  assert.throws(() => layout.get("controller.7.weight"), (e: unknown) => {
    return e instanceof RangeError && e.message.includes('"controller.7.weight"') &&
      e.message.includes("heads.weight");
  });
  assert.throws(() => layout.get("init.memory"), RangeError); // constant memory: not learned
});

Deno.test("parameterLayout() grows by exactly the learned memory", () => {
  const base: Partial<NtmConfig> = { ...XY, memoryN: 16, memoryM: 6 };
  const constant = parameterLayout(ntmConfig({ ...XY, ...base, memoryInit: "constant" }));
  const learned = parameterLayout(ntmConfig({ ...XY, ...base, memoryInit: "learned" }));
  assert.equal(learned.size - constant.size, 16 * 6);
  assert.equal(learned.get("init.memory").offset, constant.size);
});
