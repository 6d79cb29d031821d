/**
 * What a training loop needs from an engine: a training step, an evaluation, and the state to save.
 * The `cpu` backend runs the float64 reference; the `wasm` backend the float32 WebAssembly SIMD kernels; the
 * `webgpu` backend the WGSL kernels.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import type { RngState } from "../model/random.ts";
import type { Optimizer, OptimizerState } from "../optim/optimizer.ts";
import type { Evaluation } from "./metrics.ts";

/** The engines a model can train on. */
export type BackendName = "cpu" | "wasm" | "webgpu";

/** The models `--model` selects: an NTM, or a plain LSTM without memory (the baseline). */
export type ModelKind = "ntm" | "lstm";

/** Every {@linkcode ModelKind}. */
export const MODEL_KINDS: readonly ModelKind[] = Object.freeze(["ntm", "lstm"] as const);

/** The configuration of each kind of model. */
export interface ModelConfigs {
  /** The NTM's. */
  readonly ntm: NtmConfig;
  /** The plain LSTM baseline's. */
  readonly lstm: LstmConfig;
}

/** Everything a backend of one kind of model starts from (see {@linkcode BackendInit}). */
export interface ModelBackendInit<K extends ModelKind> {
  /** The model's kind. */
  readonly kind: K;
  /** Its configuration. */
  readonly config: ModelConfigs[K];
  /** Its layout. */
  readonly layout: ParameterLayout;
  /** (P) the starting parameters (owned by the backend from then on). */
  readonly params: Float64Array;
  /** The optimiser, with its state (a fresh one, or restored from a checkpoint). */
  readonly optimizer: Optimizer;
  /** B: episodes per training step (the GPU engine is built for it). */
  readonly batch: number;
  /** Seeds the per-episode memories of `random` memory init (the LSTM baseline only keeps its state). */
  readonly memorySeed: number;
  /** Steps already taken (after a resume). */
  readonly startStep: number;
  /** The memory stream's saved state (after a resume). */
  readonly memoryRngState?: RngState;
}

/**
 * Everything a backend starts from: the one type every backend (`cpu`, `webgpu`, the LSTM baseline's, and
 * any new one) takes, narrowed by `kind` to the models it runs.
 */
export type BackendInit<K extends ModelKind = ModelKind> = K extends ModelKind ? ModelBackendInit<K> : never;

/** The training loss and gradient norm of the last step, read at report time. */
export interface StepReport {
  /** Mean loss per sequence of the last training batch, in nats. */
  readonly lossNats: number;
  /** L2 norm of the last gradient, before clipping. */
  readonly gradNorm: number;
  /**
   * Mean loss per sequence over every training batch since the previous report, in nats, where the backend
   * keeps it (the CPU backends: their losses are on the host anyway; the webgpu backend reads back only the
   * last batch's).
   */
  readonly meanLossNats?: number;
}

/** A training engine for one model. */
export interface TrainingBackend {
  /** Which engine. */
  readonly name: BackendName;
  /** What it runs on, in words (e.g. `cpu (float64 reference)` or the adapter's name). */
  readonly device: string;
  /**
   * One training step: forward over the batch, loss, backward through time, clipping and the optimiser.
   *
   * @param batch The episodes.
   * @throws {NonFiniteLossError} (cpu) when the loss or the gradient is not finite; nothing is updated.
   */
  trainStep(batch: EpisodeBatch): Promise<void>;
  /**
   * The last step's loss and gradient norm (the webgpu backend reads them back here, not in trainStep).
   *
   * @returns The report.
   */
  lastStep(): Promise<StepReport>;
  /**
   * Evaluates the model on a batch without changing it.
   *
   * @param batch The episodes.
   * @returns The metrics.
   */
  evaluate(batch: EpisodeBatch): Promise<Evaluation>;
  /**
   * The output probabilities on a batch, (B, T, Y), for figures and tables.
   *
   * @param batch The episodes.
   * @returns The outputs.
   */
  predict(batch: EpisodeBatch): Promise<Float64Array>;
  /**
   * A copy of the parameters.
   *
   * @returns (P) the flat parameters.
   */
  parameters(): Promise<Float64Array>;
  /**
   * A copy of the optimiser's state.
   *
   * @returns The state.
   */
  optimizerState(): Promise<OptimizerState>;
  /**
   * The state of the random stream that draws per-episode memories (memory init `random`), saved in
   * checkpoints so that a resumed run draws the same memories as an uninterrupted one.
   *
   * @returns The state.
   */
  memoryRngState(): RngState;
  /**
   * Changes the optimiser's learning rate from the next step on (what a learning-rate schedule calls).
   *
   * @param learningRate The new rate, finite and > 0.
   * @throws {RangeError} for any other value.
   */
  setLearningRate(learningRate: number): void;
  /** Frees what the backend holds (GPU buffers). */
  destroy(): void;
}

/**
 * The seed of the initial memories an evaluation draws (`random` memory init). Every evaluation starts a
 * fresh stream from it, apart from the training stream, so evaluating never changes the training's memories:
 * a run resumed between reports trains exactly as one that was not, and every report's held-out episodes
 * meet the same memories.
 *
 * @param memorySeed The run's memory seed.
 * @returns The evaluation stream's seed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { evaluationMemorySeed } from "./backend.ts";
 * assert(evaluationMemorySeed(3) !== 3);
 * ```
 */
export function evaluationMemorySeed(memorySeed: number): number {
  return (memorySeed ^ 0x5eed_e7a1) >>> 0;
}

/** Training stopped because the loss or the gradient became NaN or infinite. */
export class NonFiniteLossError extends Error {
  /** The training step at which it happened (1-based). */
  readonly step: number;
  /**
   * Creates the error.
   *
   * @param step The training step.
   * @param what What was not finite, e.g. `loss NaN`.
   */
  constructor(step: number, what: string) {
    super(
      `Training stopped at step ${step}: ${what} is not finite; the parameters were not updated with it`,
    );
    this.name = "NonFiniteLossError";
    this.step = step;
  }
}
