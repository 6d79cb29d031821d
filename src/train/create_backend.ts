/**
 * Chooses and creates a training backend by name, for an NTM or for the plain LSTM baseline (which runs on
 * the CPU only).
 *
 * @module
 */

import { createOptimizer } from "../optim/optimizer.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { type GpuContext, requestGpuContext, WebGpuUnavailableError } from "../gpu/device.ts";
import type { LoadedCheckpoint } from "../io/checkpoint_types.ts";
import { createWebGpuBackend } from "./webgpu_backend.ts";
import {
  type BackendInit,
  type BackendName,
  type ModelKind,
  NonFiniteLossError,
  type TrainingBackend,
} from "./backend.ts";
import { timeTrainingSteps } from "./backend_probe.ts";
import { createCpuBackend } from "./cpu_backend.ts";
import { createLstmBackend } from "./lstm_backend.ts";
import { createWasmBackend, type WasmBackendOptions } from "./wasm_backend.ts";
import type { WasmAssets } from "../wasm/kernels.ts";
import { checkpointBackendInit } from "./run_setup.ts";

/** What `--backend` accepts: a backend, or `auto` (WebGPU where an adapter exists, else the CPU). */
export type BackendChoice = BackendName | "auto";

/** Every {@linkcode BackendChoice}. */
export const BACKEND_CHOICES: readonly BackendChoice[] = ["auto", "wasm", "webgpu", "cpu"];

/** How `auto` may choose, and on which device. */
export interface BackendOptions {
  /** The WebGPU device to use (default: request one). */
  readonly context?: GpuContext;
  /**
   * Threads of the `wasm` backend (default {@linkcode defaultWasmThreads}: every core, or one for a batch of
   * one episode).
   */
  readonly threads?: number;
  /** Where the `wasm` backend's kernels and Worker script are, for a bundled page (default: the package's). */
  readonly wasmAssets?: WasmAssets;
  /**
   * A batch of the run's own episodes (B of them). When `auto` finds only a software WebGPU adapter, it
   * times training steps of this batch on throwaway copies of both backends and trains on the faster one
   * (see `backend_probe.ts`); without it, `auto` takes any adapter.
   */
  readonly probe?: EpisodeBatch;
}

/**
 * Refuses a backend that cannot run a kind of model: the plain LSTM baseline runs on the CPU only, so
 * `webgpu` with it is an error (the one wording every command uses).
 *
 * @param kind The model's kind.
 * @param choice The backend asked for.
 * @param subject What the user asked to run, for the message (`--model lstm`, a checkpoint's directory).
 * @throws {RangeError} for the LSTM baseline on `webgpu`.
 *
 * @example
 * ```ts
 * import { checkBackendChoice } from "./create_backend.ts";
 * checkBackendChoice("ntm", "webgpu", "--model ntm");
 * ```
 */
export function checkBackendChoice(kind: ModelKind, choice: BackendChoice, subject: string): void {
  if (kind === "lstm" && choice === "webgpu") {
    throw new RangeError(
      `--backend webgpu cannot run ${subject}: the plain LSTM baseline runs on the CPU (float64 or ` +
        "WebAssembly); use --backend wasm, cpu or auto",
    );
  }
}

/**
 * Creates the backend a choice names. `auto` takes a hardware GPU whenever there is one; otherwise, with a
 * probe batch, it times a training step of that batch on each engine this machine has (the WebAssembly
 * SIMD engine, the float64 reference, a software WebGPU adapter if there is one) and takes the fastest,
 * saying which and why in one notice; without a probe batch it takes the WebAssembly engine. The plain LSTM
 * baseline (`kind: "lstm"`) runs on the CPU: `auto` picks the WebAssembly engine for it with a notice, and
 * `webgpu` is an error.
 *
 * @param choice `auto`, `wasm`, `webgpu` or `cpu`.
 * @param init The model, parameters and optimiser.
 * @param notice Where to print a one-line notice (which engine `auto` took and why).
 * @param options The probe batch for `auto`, a WebGPU device to use, the `wasm` backend's threads and files.
 * @returns The backend.
 * @throws {WebGpuUnavailableError} when `webgpu` is asked for and no adapter is available.
 * @throws {RangeError} when `webgpu` is asked for the LSTM baseline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const config = presetNtmConfig(copyTask(), { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = await createBackend("cpu", runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * assert.equal(backend.name, "cpu");
 * backend.destroy();
 * ```
 */
export async function createBackend(
  choice: BackendChoice,
  init: BackendInit,
  notice: (line: string) => void = console.error,
  options: BackendOptions = {},
): Promise<TrainingBackend> {
  const wasmOnly = options.wasmAssets ? { assets: options.wasmAssets } : {};
  if (init.kind === "lstm") {
    checkBackendChoice("lstm", choice, "this model");
    if (choice === "cpu") return createLstmBackend(init);
    if (choice === "auto") {
      notice("notice: the plain LSTM baseline runs on the CPU; using wasm (float32 WebAssembly SIMD)");
    }
    return await createWasmBackend(init, wasmOnly);
  }
  if (choice === "cpu") return createCpuBackend(init);
  const threads = options.threads ?? defaultWasmThreads(init.batch);
  const wasm = { threads, ...wasmOnly };
  if (choice === "wasm") return await createWasmBackend(init, wasm);
  let context = options.context;
  try {
    context ??= await requestGpuContext();
  } catch (error) {
    if (!(error instanceof WebGpuUnavailableError)) throw error;
    if (choice === "webgpu") {
      throw new WebGpuUnavailableError(`Cannot train on --backend webgpu: ${error.message}`);
    }
  }
  if (choice === "webgpu" || (context && !context.isSoftware)) {
    return await createWebGpuBackend(init, context);
  }
  return await fastestEngine(init, context, notice, options.probe, wasm);
}

/**
 * The `wasm` backend's threads when none are asked for: every core the runtime reports
 * (`navigator.hardwareConcurrency`), but no more than a batch has episodes (a batch of one runs on one), and
 * one where memory cannot be shared (a web page that is not cross-origin isolated).
 *
 * @param batch B.
 * @returns The thread count, ≥ 1.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.equal(defaultWasmThreads(1), 1);
 * assert.ok(defaultWasmThreads(32) >= 1);
 * ```
 */
export function defaultWasmThreads(batch: number): number {
  // The threads share one memory: a page that is not cross-origin isolated has no SharedArrayBuffer.
  if (typeof SharedArrayBuffer === "undefined") return 1;
  const cores = (globalThis.navigator as Navigator | undefined)?.hardwareConcurrency ?? 1;
  return Math.max(1, Math.min(cores, batch));
}

/** The engines `auto` weighs when there is no hardware GPU, in the order a tie goes. */
const CPU_ENGINES: readonly { name: BackendName; what: string }[] = [
  { name: "wasm", what: "float32 WebAssembly SIMD" },
  { name: "cpu", what: "float64 reference" },
  { name: "webgpu", what: "software WebGPU adapter" },
];

/**
 * Without a hardware GPU: times a training step of the probe batch on fresh copies of each engine (the
 * software adapter only when there is one) and creates the fastest; an engine whose float32 step is not
 * finite, or that cannot load, drops out. Without a probe batch: the WebAssembly engine.
 */
async function fastestEngine(
  init: BackendInit<"ntm">,
  context: GpuContext | undefined,
  notice: (line: string) => void,
  probe: EpisodeBatch | undefined,
  wasm: WasmBackendOptions,
): Promise<TrainingBackend> {
  const create = (name: BackendName, from: BackendInit<"ntm">) =>
    name === "wasm"
      ? createWasmBackend(from, wasm)
      : name === "cpu"
      ? Promise.resolve(createCpuBackend(from))
      : createWebGpuBackend(from, context!);
  const engines = CPU_ENGINES.filter((e) => e.name !== "webgpu" || context !== undefined);
  const why = context
    ? `the only WebGPU adapter is a software one (${context.adapterName})`
    : "no WebGPU adapter";
  if (!probe) {
    notice(`notice: --backend auto: ${why}; training on wasm (float32 WebAssembly SIMD)`);
    context?.device.destroy();
    return await create("wasm", init);
  }
  // Fresh copies from step 0 (a fresh optimiser's update count starts there too), also after a resume.
  const { memoryRngState: _resumedStream, ...fresh } = init;
  const { layout, params, optimizer } = init;
  const timings: { name: BackendName; what: string; ms: number }[] = [];
  const dropped: string[] = [];
  for (const engine of engines) {
    const throwaway = {
      ...fresh,
      startStep: 0,
      params: params.slice(),
      optimizer: createOptimizer(optimizer.name, layout.size, optimizer.options),
    };
    try {
      const backend = await create(engine.name, throwaway);
      const timing = await timeTrainingSteps(backend, probe).finally(() => backend.destroy());
      timings.push({ ...engine, ms: timing.msPerStep });
    } catch (error) {
      if (engine.name === "cpu") throw error; // the reference always runs: a failure there is a bug
      dropped.push(
        error instanceof NonFiniteLossError
          ? `${engine.name}'s float32 step was not finite`
          : `${engine.name} could not run (${(error as Error).message})`,
      );
    }
  }
  const best = timings.reduce((a, b) => (b.ms < a.ms ? b : a));
  const ms = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));
  notice(
    `notice: --backend auto: ${why}; a training step of this batch (B = ${probe.batch}) took ` +
      timings.map((t) => `${ms(t.ms)} ms on ${t.name}`).join(", ") +
      (dropped.length ? ` (${dropped.join("; ")})` : "") +
      `, so training on ${best.name} (${best.what}); --backend forces another`,
  );
  if (best.name !== "webgpu") context?.device.destroy();
  return await create(best.name, init);
}

/**
 * Creates a backend holding a checkpoint's model, for evaluation and answering programs: its parameters
 * and optimiser state (a shipped model gets a fresh optimiser; these uses apply no update).
 *
 * @param checkpoint The loaded checkpoint.
 * @param choice `auto`, `wasm`, `webgpu` or `cpu`.
 * @param notice Where the backend's notices go (which adapter, a fallback to the CPU).
 * @param options The WebGPU device, the `wasm` backend's threads and where its files are.
 * @returns The backend (call `destroy()` when done).
 * @throws {RangeError} when `choice` is `webgpu` and the checkpoint holds the plain LSTM baseline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * const addition = await loadCheckpoint(new URL("../../models/addition", import.meta.url).pathname);
 * const backend = await checkpointBackend(addition, "cpu");
 * assert.deepEqual(await backend.parameters(), addition.params);
 * backend.destroy();
 * ```
 */
export async function checkpointBackend(
  checkpoint: LoadedCheckpoint,
  choice: BackendChoice,
  notice: (line: string) => void = console.error,
  options: Pick<BackendOptions, "context" | "threads" | "wasmAssets"> = {},
): Promise<TrainingBackend> {
  checkBackendChoice(checkpoint.modelKind ?? "ntm", choice, checkpoint.dir);
  return await createBackend(choice, checkpointBackendInit(checkpoint), notice, options);
}
