/**
 * A Worker of the threaded WebAssembly engine: an engine over the main thread's shared memory that runs
 * the forward (and backward) of its share of a batch's episodes when asked, into its own gradient and tape.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { parameterLayout } from "../model/layout.ts";
import { NtmWasmEngine } from "./engine.ts";
import type { EngineRegions } from "./parameters.ts";
import { WasmInstance } from "./kernels.ts";

/** The first message: the module, the shared memory, the model and where this worker's buffers lie. */
export interface WorkerInit {
  readonly type: "init";
  readonly module: WebAssembly.Module;
  readonly memory: WebAssembly.Memory;
  readonly config: NtmConfig;
  readonly regions: EngineRegions;
}

/** A share of a batch to run. */
export interface WorkerRun {
  readonly type: "run";
  readonly batch: EpisodeBatch;
  /** (B, N, M) the share's initial memories, or `null` for the learned one. */
  readonly memory0: Float64Array | null;
  readonly tapeBase: number;
  /** Run the backward too, with this loss scale. */
  readonly backward: boolean;
  readonly scale: number;
  /** Return the outputs. */
  readonly outputs: boolean;
}

/** The answer to a run. */
export interface WorkerDone {
  readonly type: "done";
  readonly loss: Float64Array;
  readonly outputs: Float64Array | null;
}

/** The answer when something failed. */
export interface WorkerFailed {
  readonly type: "error";
  readonly message: string;
}

let engine: NtmWasmEngine | undefined;

/**
 * Handles one message of the main thread.
 *
 * @param message An init or a run.
 * @returns The answer.
 */
export function handleWorkerMessage(
  message: WorkerInit | WorkerRun,
): WorkerDone | WorkerFailed | { type: "ready" } {
  try {
    if (message.type === "init") {
      const wasm = new WasmInstance(message.module, 0, message.memory);
      engine = new NtmWasmEngine(
        wasm,
        message.config,
        parameterLayout(message.config),
        message.regions,
        null,
      );
      return { type: "ready" };
    }
    if (!engine) throw new Error("the worker was not initialised");
    engine.tapeBase = message.tapeBase;
    const loss = engine.forward(message.batch, message.memory0);
    if (message.backward) engine.backward(message.batch, message.scale);
    return { type: "done", loss, outputs: message.outputs ? engine.outputs(message.batch) : null };
  } catch (error) {
    return { type: "error", message: (error as Error).message };
  }
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage?: (message: unknown) => void;
  WorkerGlobalScope?: unknown;
};
if (scope.WorkerGlobalScope !== undefined) {
  scope.onmessage = (event: MessageEvent) => scope.postMessage!(handleWorkerMessage(event.data));
}
