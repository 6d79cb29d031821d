/**
 * The WebAssembly engine on several threads: one shared linear memory, the parameters in it once, and one
 * engine per thread (the calling thread's and each Worker's) with its own gradient and tape. A batch's
 * episodes are split into contiguous shares, one per thread, run at once; the gradients are then added in
 * thread order (so a run is deterministic for a given thread count) and the calling thread applies the
 * optimiser. A batch of one episode runs on the calling thread alone.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import { type EpisodeBatch, sliceEpisodes } from "../model/episode.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import { NtmWasmEngine } from "./engine.ts";
import { layEngines, type WasmOptimizer } from "./parameters.ts";
import { compileWasmKernels, type WasmAssets, WasmInstance } from "./kernels.ts";
import { layTape, tapeSizes } from "./tape.ts";
import type { WorkerDone, WorkerFailed, WorkerInit, WorkerRun } from "./worker.ts";

/** What a run over a batch returns. */
export interface BatchRun {
  /** (B) each episode's loss in nats. */
  readonly loss: Float64Array;
  /** (B, T, Y) the outputs, when asked for. */
  readonly outputs: Float64Array | null;
}

/** A Worker and the queue of answers it owes. */
interface Helper {
  readonly worker: Worker;
  readonly pending: ((answer: WorkerDone | WorkerFailed | { type: "ready" }) => void)[];
}

/** The engine over `threads` threads (the calling one and threads − 1 Workers). */
export class NtmWasmThreads {
  readonly #wasm: WasmInstance;
  readonly #config: NtmConfig;
  readonly #engine: NtmWasmEngine;
  readonly #helpers: Helper[];
  readonly #gradients: number[];
  readonly #tapesStart: number;
  #capacity = 0;

  private constructor(
    wasm: WasmInstance,
    config: NtmConfig,
    engine: NtmWasmEngine,
    helpers: Helper[],
    gradients: number[],
    tapesStart: number,
  ) {
    this.#wasm = wasm;
    this.#config = config;
    this.#engine = engine;
    this.#helpers = helpers;
    this.#gradients = gradients;
    this.#tapesStart = tapesStart;
  }

  /**
   * Starts the Workers and copies the parameters and the optimiser's state in.
   *
   * @param config The NTM.
   * @param layout Its parameter layout.
   * @param params (P) the starting parameters (rounded to float32).
   * @param optimizer The optimiser and its state.
   * @param threads How many threads (≥ 2).
   * @param assets Where the shared-memory kernels and the Worker's script are (default: this package's).
   * @returns The engine.
   */
  static async create(
    config: NtmConfig,
    layout: ParameterLayout,
    params: Float64Array,
    optimizer: WasmOptimizer,
    threads: number,
    assets: WasmAssets = {},
  ): Promise<NtmWasmThreads> {
    const module = await compileWasmKernels(assets.threadedKernels, true);
    const script = assets.worker ?? new URL("./worker.ts", import.meta.url);
    const wasm = new WasmInstance(module, 1 << 20, undefined, true);
    const { regions, end } = layEngines(wasm, layout.size, optimizer.name, threads);
    const engine = new NtmWasmEngine(wasm, config, layout, regions[0]!, optimizer);
    engine.writeParameters(params);
    engine.writeOptimizerState(optimizer.state);
    const helpers: Helper[] = [];
    try {
      for (let i = 1; i < threads; i++) {
        const worker = new Worker(script.href, { type: "module" });
        const helper: Helper = { worker, pending: [] };
        worker.onmessage = (event) => helper.pending.shift()?.(event.data);
        worker.onerror = (event) => {
          event.preventDefault();
          for (const answer of helper.pending.splice(0)) answer({ type: "error", message: event.message });
        };
        helpers.push(helper);
        const init: WorkerInit = { type: "init", module, memory: wasm.memory, config, regions: regions[i]! };
        const ready = await ask(helper, init);
        if (ready.type === "error") throw new Error(`Cannot start a WebAssembly worker: ${ready.message}`);
      }
    } catch (error) {
      for (const helper of helpers) helper.worker.terminate();
      throw error;
    }
    return new NtmWasmThreads(wasm, config, engine, helpers, regions.map((r) => r.grad), end);
  }

  /** How many threads run a batch. */
  get threads(): number {
    return this.#helpers.length + 1;
  }

  /**
   * Runs a batch: each thread's share forward (and backward), then the gradients added into the first.
   *
   * @param batch The episodes.
   * @param memory0 (B, N, M) initial memories, or `null` for the learned one.
   * @param options Whether to run the backward (with the loss's scale) and return the outputs.
   * @returns The losses and outputs.
   */
  async run(
    batch: EpisodeBatch,
    memory0: Float64Array | null,
    options: { backward: boolean; scale: number; outputs: boolean },
  ): Promise<BatchRun> {
    const shares = this.#shares(batch.batch);
    const bases = this.#tapeBases(shares, batch.steps);
    const NM = this.#config.memoryN * this.#config.memoryM;
    const answers = shares.slice(1).map(([start, count], i) => {
      const message: WorkerRun = {
        type: "run",
        batch: sliceEpisodes(batch, start, count),
        memory0: memory0 ? memory0.slice(start * NM, (start + count) * NM) : null,
        tapeBase: bases[i + 1]!,
        ...options,
      };
      return ask(this.#helpers[i]!, message);
    });
    const [, mine] = shares[0]!;
    const own = sliceEpisodes(batch, 0, mine);
    this.#engine.tapeBase = bases[0]!;
    const loss = new Float64Array(batch.batch);
    loss.set(this.#engine.forward(own, memory0 ? memory0.subarray(0, mine * NM) : null));
    if (options.backward) this.#engine.backward(own, options.scale);
    const outputs = options.outputs
      ? new Float64Array(batch.batch * batch.steps * this.#config.outputSize)
      : null;
    outputs?.set(this.#engine.outputs(own));
    const done = await Promise.all(answers);
    done.forEach((answer, i) => {
      if (answer.type !== "done") {
        throw new Error(
          `A WebAssembly worker failed: ${answer.type === "error" ? answer.message : answer.type}`,
        );
      }
      const [start] = shares[i + 1]!;
      loss.set(answer.loss, start);
      outputs?.set(answer.outputs!, start * batch.steps * this.#config.outputSize);
    });
    if (options.backward) {
      const k = this.#wasm.kernels, P = this.#engine.parameterCount, first = this.#gradients[0]!;
      for (let i = 1; i < shares.length; i++) k.add_rows(first, 0, this.#gradients[i]!, P, P, 1);
    }
    return { loss, outputs };
  }

  /** Contiguous shares [start, count) of B episodes, one per thread that has any (sizes differ by ≤ 1). */
  #shares(episodes: number): [number, number][] {
    const used = Math.min(this.threads, episodes);
    const shares: [number, number][] = [];
    for (let i = 0, start = 0; i < used; i++) {
      const count = Math.floor(episodes / used) + (i < episodes % used ? 1 : 0);
      shares.push([start, count]);
      start += count;
    }
    return shares;
  }

  /** Each share's tape base: tapes one after another, sized for the longest batch seen so far. */
  #tapeBases(shares: [number, number][], steps: number): number[] {
    this.#capacity = Math.max(this.#capacity, steps);
    const z = tapeSizes(this.#config), bases: number[] = [];
    let base = this.#tapesStart;
    for (const [, count] of shares) {
      bases.push(base);
      base = layTape(z, count, this.#capacity, base).end;
    }
    this.#wasm.reserve(base);
    return bases;
  }

  /** The engine of the calling thread (parameters, optimiser, the summed gradient). */
  get engine(): NtmWasmEngine {
    return this.#engine;
  }

  /** The optimiser's state. */
  optimizerState(): OptimizerState {
    return this.#engine.optimizerState();
  }

  /** Stops the Workers. */
  destroy(): void {
    for (const helper of this.#helpers) helper.worker.terminate();
  }
}

/** Posts a message to a Worker and waits for its answer. */
function ask(
  helper: Helper,
  message: WorkerInit | WorkerRun,
): Promise<WorkerDone | WorkerFailed | { type: "ready" }> {
  return new Promise((resolve) => {
    helper.pending.push(resolve);
    helper.worker.postMessage(message);
  });
}
