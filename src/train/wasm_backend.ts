/**
 * The `wasm` training backend: the NTM in float32 on the WebAssembly SIMD kernels (`src/wasm/`), with the
 * same memory streams, reports and errors as the float64 `cpu` backend.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import { episodeMemories } from "../model/initial_memory.ts";
import { Rng } from "../model/random.ts";
import { NtmWasmEngine } from "../wasm/engine.ts";
import { compileWasmKernels, WasmInstance, type WasmSource } from "../wasm/kernels.ts";
import {
  type BackendInit,
  evaluationMemorySeed,
  NonFiniteLossError,
  type StepReport,
  type TrainingBackend,
} from "./backend.ts";
import { errorsPerSequence, type Evaluation, softmaxAccuracy } from "./metrics.ts";

/** The name the `wasm` backend gives its device. */
export const WASM_DEVICE = "wasm (float32 WebAssembly SIMD, 1 thread)";

/**
 * Creates the `wasm` backend over an NTM's parameters and optimiser state (copied in, as float32).
 *
 * @param init The NTM, its parameters, optimiser, memory stream and steps already taken.
 * @param source Where to load the kernels from (default: the package's `wasm/ntm.wasm`).
 * @returns The backend.
 * @throws {Error} when the kernels cannot be loaded.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const config = presetNtmConfig(copyTask(), { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = await createWasmBackend(runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * await backend.trainStep(copyTask().generate(new Rng(1), 2, { minLen: 1, maxLen: 3 }));
 * assert.ok(Number.isFinite((await backend.lastStep()).lossNats));
 * ```
 */
export async function createWasmBackend(init: BackendInit<"ntm">, source?: WasmSource): Promise<TrainingBackend> {
  const { config, layout, optimizer, memorySeed } = init;
  const wasm = new WasmInstance(await compileWasmKernels(source), 1 << 20);
  const engine = new NtmWasmEngine(wasm, config, layout, init.params, optimizer);
  const memoryRng = new Rng(memorySeed);
  if (init.memoryRngState) memoryRng.setState(init.memoryRngState);
  let step = init.startStep;
  let last: StepReport = { lossNats: NaN, gradNorm: NaN };
  let lossSum = 0, lossSteps = 0; // since the previous report
  const noParams = new Float64Array(0);
  /** Training draws from the run's memory stream; evaluation from a fresh stream of its own. */
  const forward = (batch: EpisodeBatch, rng = new Rng(evaluationMemorySeed(memorySeed))) =>
    engine.forward(
      batch,
      config.memoryInit === "learned"
        ? null
        : episodeMemories(config, layout, noParams, batch.batch, () => rng.uniform()),
    );
  return {
    name: "wasm",
    device: WASM_DEVICE,
    trainStep(batch: EpisodeBatch): Promise<void> {
      step++;
      let loss = 0;
      for (const l of forward(batch, memoryRng)) loss += l;
      loss /= batch.batch;
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, `the loss (${loss})`);
      engine.backward(batch, 1 / batch.batch);
      const gradNorm = engine.optimizerStep();
      if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(step, `the gradient norm (${gradNorm})`);
      last = { lossNats: loss, gradNorm };
      lossSum += loss, lossSteps++;
      return Promise.resolve();
    },
    lastStep(): Promise<StepReport> {
      const report = lossSteps ? { ...last, meanLossNats: lossSum / lossSteps } : last;
      lossSum = 0, lossSteps = 0;
      return Promise.resolve(report);
    },
    evaluate(batch: EpisodeBatch): Promise<Evaluation> {
      let loss = 0;
      for (const l of forward(batch)) loss += l;
      const output = engine.outputs(batch);
      const evaluation: Evaluation = {
        costBits: loss / batch.batch / Math.LN2,
        bitErrors: errorsPerSequence(output, batch, config.outputKind),
        episodes: batch.batch,
      };
      if (config.outputKind === "sigmoid") return Promise.resolve(evaluation);
      const { characterAccuracy, answerAccuracy } = softmaxAccuracy(output, batch);
      return Promise.resolve({ ...evaluation, characterAccuracy, answerAccuracy });
    },
    predict(batch: EpisodeBatch): Promise<Float64Array> {
      forward(batch);
      return Promise.resolve(engine.outputs(batch));
    },
    parameters: () => Promise.resolve(engine.parameters()),
    optimizerState: () => Promise.resolve(engine.optimizerState()),
    memoryRngState: () => memoryRng.getState(),
    destroy(): void {},
  };
}
