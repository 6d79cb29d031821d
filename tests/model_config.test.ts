import assert from "node:assert/strict";
import {
  controllerInputWidth,
  DEFAULT_NTM_CONFIG,
  headParamsWidth,
  type NtmConfig,
  ntmConfig,
  readHeadWidth,
  requirePositiveInteger,
  shiftCount,
  writeHeadWidth,
} from "../src/model/config.ts";

const XY = { inputSize: 9, outputSize: 8 } as const;

/** Builds a config from deliberately wrong fields (bypassing the static types). */
function build(fields: Record<string, unknown>): NtmConfig {
  return ntmConfig({ ...XY, ...fields } as unknown as Parameters<typeof ntmConfig>[0]);
}

Deno.test("ntmConfig() fills in the paper's defaults", () => {
  const config = ntmConfig(XY);
  assert.deepEqual(config, { ...DEFAULT_NTM_CONFIG, ...XY });
  assert.equal(config.controllerType, "lstm");
  assert.equal(config.controllerSize, 100);
  assert.equal(config.memoryN, 128);
  assert.equal(config.memoryM, 20);
  assert.equal(config.readHeads, 1);
  assert.equal(config.writeHeads, 1);
  assert.equal(config.shiftRange, 1);
  assert.equal(config.memoryInit, "learned");
  assert.equal(config.outputKind, "sigmoid");
});

Deno.test("ntmConfig() keeps every override", () => {
  const fields: NtmConfig = {
    ...XY,
    controllerType: "feedforward",
    controllerSize: 7,
    controllerLayers: 3,
    memoryN: 13,
    memoryM: 5,
    readHeads: 2,
    writeHeads: 3,
    shiftRange: 2,
    memoryInit: "learned",
    outputKind: "softmax",
  };
  assert.deepEqual(ntmConfig(fields), fields);
});

Deno.test("ntmConfig() rejects sizes that are not positive integers, naming the field and the value", async (t) => {
  const fields = [
    ["inputSize", "X"],
    ["outputSize", "Y"],
    ["controllerSize", "C"],
    ["controllerLayers", "controller layers"],
    ["memoryN", "N"],
    ["memoryM", "M"],
    ["readHeads", "R"],
    ["writeHeads", "W"],
    ["shiftRange", "K"],
  ] as const;
  for (const [field, letter] of fields) {
    await t.step(`${field} (${letter})`, () => {
      for (const bad of [0, -1, 1.5, NaN, Infinity]) {
        assert.throws(
          () => build({ [field]: bad }),
          (e: unknown) =>
            e instanceof RangeError && e.message.includes(field) && e.message.includes(letter) &&
            e.message.includes(`got ${bad}`),
          `${field} = ${bad}`,
        );
      }
      for (const bad of ["3", null, true]) {
        assert.throws(
          () => build({ [field]: bad }),
          (e: unknown) =>
            e instanceof TypeError && e.message.includes(field) && e.message.includes(JSON.stringify(bad)),
          `${field} = ${JSON.stringify(bad)}`,
        );
      }
    });
  }
});

Deno.test("ntmConfig() requires K < N/2 so that the shifts stay distinct", () => {
  assert.throws(() => ntmConfig({ ...XY, memoryN: 4, shiftRange: 2 }), (e: unknown) => {
    return e instanceof RangeError && e.message.includes("shiftRange") && e.message.includes("got 2") &&
      e.message.includes("N/2 = 2");
  });
  assert.throws(() => ntmConfig({ ...XY, memoryN: 2, shiftRange: 1 }), RangeError);
  assert.equal(ntmConfig({ ...XY, memoryN: 5, shiftRange: 2 }).shiftRange, 2);
  assert.equal(ntmConfig({ ...XY, memoryN: 3, shiftRange: 1 }).memoryN, 3);
});

Deno.test("ntmConfig() rejects unknown choices with a TypeError naming the field and value", () => {
  const choices = [
    ["controllerType", "gru"],
    ["memoryInit", "zeros"],
    ["outputKind", "tanh"],
    ["controllerType", 1],
    ["memoryInit", undefined],
  ] as const;
  for (const [field, bad] of choices) {
    assert.throws(
      () => build({ [field]: bad }),
      (e: unknown) => e instanceof TypeError && e.message.includes(field) && e.message.includes(String(bad)),
      `${field} = ${String(bad)}`,
    );
  }
});

Deno.test("requirePositiveInteger() returns the value or throws", () => {
  assert.equal(requirePositiveInteger(3, "N"), 3);
  assert.throws(() => requirePositiveInteger(0, "N"), RangeError);
  assert.throws(() => requirePositiveInteger("1", "N"), TypeError);
});

Deno.test("the width helpers follow the head layout", () => {
  const config = ntmConfig({ ...XY, memoryM: 20, readHeads: 2, writeHeads: 3, shiftRange: 2 });
  assert.equal(shiftCount(config), 5);
  assert.equal(readHeadWidth(config), 20 + 5 + 3);
  assert.equal(writeHeadWidth(config), 3 * 20 + 5 + 3);
  assert.equal(headParamsWidth(config), 2 * 28 + 3 * 68);
  assert.equal(controllerInputWidth(config), 9 + 2 * 20);
});
