/**
 * Every episode's initial memory `Mem_0` (B, N, M), by memory init: `constant` (every cell
 * {@linkcode CONSTANT_MEMORY_INIT}), `learned` (the `init.memory` parameter, the same for every episode) or
 * `random` (drawn per episode). Shared by the float64 reference and the WebGPU backend.
 *
 * @module
 */

import { CONSTANT_MEMORY_INIT, type NtmConfig } from "./config.ts";
import type { ParameterLayout } from "./layout.ts";

/**
 * The initial memory of every episode in a batch, (B, N, M), for `constant` and `learned` memory init;
 * `random` memory init needs the caller to draw it (see {@linkcode randomInitialMemory}).
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params Flat parameters.
 * @param batch B.
 * @returns (B, N, M) initial memories.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "./config.ts";
 * import { parameterLayout } from "./layout.ts";
 * const config = ntmConfig({ inputSize: 2, outputSize: 1, memoryN: 3, memoryM: 2, memoryInit: "constant" });
 * const layout = parameterLayout(config);
 * const memory0 = initialMemory(config, layout, new Float64Array(layout.size), 8);
 * assert.equal(memory0.length, 8 * 3 * 2);
 * assert.ok(memory0.every((v) => v === memory0[0]));
 * ```
 */
export function initialMemory(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: number,
): Float64Array {
  const size = config.memoryN * config.memoryM, memory = new Float64Array(batch * size);
  if (config.memoryInit === "constant") memory.fill(CONSTANT_MEMORY_INIT);
  else if (config.memoryInit === "learned") {
    const entry = layout.get("init.memory");
    for (let b = 0; b < batch; b++) memory.set(params.subarray(entry.offset, entry.offset + size), b * size);
  } else {
    throw new TypeError(
      "Cannot build the initial memory: memoryInit is random, so pass memory drawn by randomInitialMemory()",
    );
  }
  return memory;
}

/**
 * Draws a fresh random initial memory per episode (memory init `random`): uniform in ±1/√(N + M).
 *
 * @param config The configuration.
 * @param batch B.
 * @param uniform A source of uniform numbers in [0, 1) (e.g. `() => rng.uniform()`).
 * @returns (B, N, M) initial memories.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ntmConfig } from "./config.ts";
 * import { Rng } from "./random.ts";
 * const config = ntmConfig({ inputSize: 2, outputSize: 1, memoryN: 3, memoryM: 6, memoryInit: "random" });
 * const rng = new Rng(1);
 * const memory0 = randomInitialMemory(config, 8, () => rng.uniform());
 * assert.ok(memory0.every((v) => Math.abs(v) <= 1 / 3)); // ±1/√(N + M)
 * ```
 */
export function randomInitialMemory(config: NtmConfig, batch: number, uniform: () => number): Float64Array {
  const limit = 1 / Math.sqrt(config.memoryN + config.memoryM);
  const memory = new Float64Array(batch * config.memoryN * config.memoryM);
  for (let i = 0; i < memory.length; i++) memory[i] = (2 * uniform() - 1) * limit;
  return memory;
}

/**
 * The initial memory of every episode in a batch, (B, N, M), whatever the memory init: the one place that
 * picks between {@linkcode initialMemory} (`constant`, `learned`) and {@linkcode randomInitialMemory}
 * (`random`, drawn from `uniform`).
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params (P) the parameters (`learned`: their `init.memory`).
 * @param batch B.
 * @param uniform The memory stream's uniform numbers in [0, 1) (`random` only).
 * @returns (B, N, M) initial memories.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * import { ntmConfig } from "./config.ts";
 * import { parameterLayout } from "./layout.ts";
 * const config = ntmConfig({ inputSize: 2, outputSize: 1, memoryN: 3, memoryM: 2, memoryInit: "constant" });
 * const layout = parameterLayout(config);
 * const memory = episodeMemories(config, layout, new Float64Array(layout.size), 2, Math.random);
 * assert.equal(memory.length, 2 * 3 * 2);
 * ```
 */
export function episodeMemories(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: number,
  uniform: () => number,
): Float64Array {
  return config.memoryInit === "random"
    ? randomInitialMemory(config, batch, uniform)
    : initialMemory(config, layout, params, batch);
}
