import assert from "node:assert/strict";
import { ntmConfig } from "../src/model/config.ts";
import { DEFAULT_INIT, HEADS_GAIN, initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";

const config = ntmConfig({ inputSize: 5, outputSize: 4, controllerSize: 6, memoryN: 16, memoryM: 4 });
const layout = parameterLayout(config);
const entry = (name: string) => layout.entries.find((e) => e.name === name)!;
const slice = (params: Float64Array, name: string) =>
  params.subarray(entry(name).offset, entry(name).offset + entry(name).size);
const maxAbs = (a: Float64Array) => a.reduce((m, v) => Math.max(m, Math.abs(v)), 0);

Deno.test("initParameters() defaults to uniform initial weightings and heads at gain 3", () => {
  const params = initParameters(config, layout, 7);
  assert.deepEqual(params, initParameters(config, layout, 7, DEFAULT_INIT));
  assert.ok(slice(params, "init.weighting").every((v) => v === 0));
  const [rows, cols] = entry("heads.weight").shape;
  const limit = HEADS_GAIN * Math.sqrt(6 / (rows! + cols!));
  const heads = maxAbs(slice(params, "heads.weight"));
  assert.ok(heads <= limit && heads > 0.8 * limit, `${heads} vs ${limit}`);
});

Deno.test("initParameters() with random weightings draws the logits in ±√(6/(1+N)) and a gain scales the heads", () => {
  const base = initParameters(config, layout, 7);
  const params = initParameters(config, layout, 7, { headsGain: 1.5, weighting: "random" });
  const logits = slice(params, "init.weighting");
  const limit = Math.sqrt(6 / (1 + config.memoryN));
  assert.ok(maxAbs(logits) <= limit && maxAbs(logits) > 0.5 * limit);
  assert.ok(new Set(logits).size === logits.length, "every logit differs, so no two rows start alike");
  // The head map's weights are the same draws, scaled by 1.5 / 3.
  const a = slice(base, "heads.weight"), b = slice(params, "heads.weight");
  for (let i = 0; i < a.length; i++) assert.ok(Math.abs(b[i]! - a[i]! / 2) < 1e-15);
});
