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
import { compileWasmKernels, type WasmAssets, WasmInstance } from "../wasm/kernels.ts";
import { LstmWasmEngine } from "../wasm/lstm_engine.ts";
import { type BatchRun, NtmWasmThreads } from "../wasm/threads.ts";
import {
  type BackendInit,
  evaluationMemorySeed,
  NonFiniteLossError,
  type StepReport,
  type TrainingBackend,
} from "./backend.ts";
import { errorsPerSequence, type Evaluation, softmaxAccuracy } from "./metrics.ts";

/** The `wasm` backend's options. */
export interface WasmBackendOptions {
  /**
   * Threads to run on (default 1): the calling thread and threads − 1 Workers over one shared memory, each
   * running its share of a batch's episodes. A batch of one episode runs on one thread.
   */
  readonly threads?: number;
  /** Where the kernels and the Worker's script are, for a bundled page (default: this package's files). */
  readonly assets?: WasmAssets;
}

/** The device line of the `wasm` backend on some threads. */
export function wasmDevice(threads: number): string {
  return `wasm (float32 WebAssembly SIMD, ${threads} thread${threads === 1 ? "" : "s"})`;
}

/**
 * Creates the `wasm` backend over a model's parameters and optimiser state (copied in, as float32): an NTM
 * (on one or more threads) or the plain LSTM baseline (on one).
 *
 * @param init The model, its parameters, optimiser, memory stream and steps already taken.
 * @param options How many threads.
 * @returns The backend.
 * @throws {Error} when the kernels cannot be loaded or a Worker cannot start.
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
export async function createWasmBackend(
  init: BackendInit,
  options: WasmBackendOptions = {},
): Promise<TrainingBackend> {
  const { layout, optimizer, memorySeed } = init;
  const threads = init.kind === "lstm" ? 1 : Math.max(1, Math.floor(options.threads ?? 1));
  const assets = options.assets ?? {};
  const engines = init.kind === "lstm"
    ? await lstmSingleThread(init, assets)
    : threads > 1
    ? await NtmWasmThreads.create(init.config, layout, init.params, optimizer, threads, assets)
    : await singleThread(init, assets);
  const engine = engines.engine;
  const memoryInit = init.kind === "ntm" ? init.config.memoryInit : "learned";
  const outputKind = init.config.outputKind;
  const memoryRng = new Rng(memorySeed);
  if (init.memoryRngState) memoryRng.setState(init.memoryRngState);
  let step = init.startStep;
  let last: StepReport = { lossNats: NaN, gradNorm: NaN };
  let lossSum = 0, lossSteps = 0; // since the previous report
  const noParams = new Float64Array(0);
  /** Training draws from the run's memory stream; evaluation from a fresh stream of its own. */
  const run = (batch: EpisodeBatch, backward: boolean, rng = new Rng(evaluationMemorySeed(memorySeed))) =>
    engines.run(
      batch,
      init.kind === "lstm" || memoryInit === "learned"
        ? null
        : episodeMemories(init.config, layout, noParams, batch.batch, () => rng.uniform()),
      { backward, scale: 1 / batch.batch, outputs: !backward },
    );
  return {
    name: "wasm",
    device: init.kind === "lstm" ? `${wasmDevice(1)}, plain LSTM` : wasmDevice(threads),
    async trainStep(batch: EpisodeBatch): Promise<void> {
      step++;
      let loss = 0;
      for (const l of (await run(batch, true, memoryRng)).loss) loss += l;
      loss /= batch.batch;
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, `the loss (${loss})`);
      const gradNorm = engine.optimizerStep();
      if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(step, `the gradient norm (${gradNorm})`);
      last = { lossNats: loss, gradNorm };
      lossSum += loss, lossSteps++;
    },
    lastStep(): Promise<StepReport> {
      const report = lossSteps ? { ...last, meanLossNats: lossSum / lossSteps } : last;
      lossSum = 0, lossSteps = 0;
      return Promise.resolve(report);
    },
    async evaluate(batch: EpisodeBatch): Promise<Evaluation> {
      const result = await run(batch, false);
      let loss = 0;
      for (const l of result.loss) loss += l;
      const output = result.outputs!;
      const evaluation: Evaluation = {
        costBits: loss / batch.batch / Math.LN2,
        bitErrors: errorsPerSequence(output, batch, outputKind),
        episodes: batch.batch,
      };
      if (outputKind === "sigmoid") return evaluation;
      const { characterAccuracy, answerAccuracy } = softmaxAccuracy(output, batch);
      return { ...evaluation, characterAccuracy, answerAccuracy };
    },
    predict: async (batch: EpisodeBatch) => (await run(batch, false)).outputs!,
    parameters: () => Promise.resolve(engine.parameters()),
    optimizerState: () => Promise.resolve(engine.optimizerState()),
    memoryRngState: () => memoryRng.getState(),
    // The engines read the optimiser's options at every update.
    setLearningRate: (learningRate: number) => optimizer.setLearningRate(learningRate),
    destroy: () => engines.destroy(),
  };
}

/** What the backend needs of an engine: its run over a batch, and its parameters and optimiser. */
interface Engines {
  readonly engine: Pick<NtmWasmEngine, "optimizerStep" | "parameters" | "optimizerState">;
  run(
    batch: EpisodeBatch,
    memory0: Float64Array | null,
    options: { backward: boolean; scale: number; outputs: boolean },
  ): Promise<BatchRun>;
  destroy(): void;
}

/** The LSTM baseline's engine on the calling thread. */
async function lstmSingleThread(init: BackendInit<"lstm">, assets: WasmAssets): Promise<Engines> {
  const wasm = new WasmInstance(await compileWasmKernels(assets.kernels), 1 << 20);
  const engine = new LstmWasmEngine(wasm, init.config, init.layout, init.params, init.optimizer);
  return {
    engine,
    run(batch, _memory0, options): Promise<BatchRun> {
      const loss = engine.forward(batch);
      if (options.backward) engine.backward(batch, options.scale);
      return Promise.resolve({ loss, outputs: options.outputs ? engine.outputs(batch) : null });
    },
    destroy(): void {},
  };
}

/** One engine on the calling thread, with the threaded engine's run interface. */
async function singleThread(init: BackendInit<"ntm">, assets: WasmAssets): Promise<Engines> {
  const wasm = new WasmInstance(await compileWasmKernels(assets.kernels), 1 << 20);
  const engine = NtmWasmEngine.create(wasm, init.config, init.layout, init.params, init.optimizer);
  return {
    engine,
    run(batch, memory0, options): Promise<BatchRun> {
      const loss = engine.forward(batch, memory0);
      if (options.backward) engine.backward(batch, options.scale);
      return Promise.resolve({ loss, outputs: options.outputs ? engine.outputs(batch) : null });
    },
    destroy(): void {},
  };
}
