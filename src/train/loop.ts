/**
 * The training loop, whatever the backend: draw a batch, take a step, and every `reportEvery` steps
 * evaluate on a held-out batch, report, and stop early once the bit errors are low enough.
 *
 * Batches come from a {@linkcode BatchSource}: by default the task's episodes over the training range; the
 * program task passes a curriculum's source, whose hook advances the curriculum after each evaluation.
 *
 * @module
 */

import type { LengthRange, Task } from "../../tasks/task.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import type { Rng } from "../model/random.ts";
import type { TrainingBackend } from "./backend.ts";
import { type BatchSource, type SourceReport, taskBatchSource } from "./batch_source.ts";
import { type Evaluation, softmaxEvaluation } from "./metrics.ts";
import type { LrSchedule } from "../optim/lr_schedule.ts";

export { type BatchSource, type SourceReport, taskBatchSource } from "./batch_source.ts";

/** How long to train and when to report. */
export interface TrainingSchedule {
  /** The task to draw episodes from. */
  readonly task: Task;
  /** Training lengths. */
  readonly range: LengthRange;
  /** B: episodes per step. */
  readonly batch: number;
  /** Train until this many steps have been taken in all (counting steps before a resume). */
  readonly steps: number;
  /** Evaluate and report every this many steps (and at the last step). */
  readonly reportEvery: number;
  /** Stop as soon as an evaluation's bit errors per sequence fall below this. */
  readonly stopAtBitErrors?: number;
  /** Episodes in the held-out evaluation batch. */
  readonly evalEpisodes: number;
  /** Seeds the held-out batch (drawn from its own stream, never seen in training). */
  readonly evalSeed: number;
  /**
   * Where the batches come from (default: {@linkcode taskBatchSource} of `task` over `range`); `task`
   * still gives the output kind, and so the metrics.
   */
  readonly source?: BatchSource;
  /** The learning-rate schedule, applied after each report's evaluation (default: none, a constant rate). */
  readonly lrSchedule?: LrSchedule;
}

/** One progress report. */
export interface TrainingReport {
  /** Steps taken in all. */
  readonly step: number;
  /** Training sequences seen in all. */
  readonly sequences: number;
  /** Seconds of training in this run (not counting earlier runs before a resume). */
  readonly seconds: number;
  /** Training sequences per second in this run. */
  readonly sequencesPerSecond: number;
  /**
   * Mean loss per sequence of the training batches since the previous report (where the backend keeps it,
   * else of the last batch), in bits.
   */
  readonly trainCostBits: number;
  /** L2 norm of the last gradient before clipping. */
  readonly gradNorm: number;
  /** Held-out cost in bits per sequence. */
  readonly costBits: number;
  /** Held-out bit errors per sequence. */
  readonly bitErrors: number;
  /** Softmax outputs: held-out per-character accuracy (teacher forcing). */
  readonly characterAccuracy?: number;
  /** Softmax outputs: held-out share of episodes with every output character right. */
  readonly answerAccuracy?: number;
  /** What the batch source added (e.g. the curriculum's stage), if anything. */
  readonly source?: SourceReport;
  /** With a learning-rate schedule: the rate from the next step on (this report may have decayed it). */
  readonly learningRate?: number;
}

/** How a training run ended. */
export interface TrainingResult {
  /** The last report. */
  readonly last: TrainingReport;
  /** Whether the bit-error threshold stopped it before `steps`. */
  readonly stoppedEarly: boolean;
  /** The step after which {@linkcode TrainingHooks.shouldStop} stopped training, if it did. */
  readonly interruptedAt?: number;
}

/** Hooks called while training. */
export interface TrainingHooks {
  /** After each report; may save a checkpoint. */
  readonly onReport?: (report: TrainingReport) => Promise<void> | void;
  /** After each step: `true` stops training there (a signal asked to stop), without a report. */
  readonly shouldStop?: () => boolean;
}

/**
 * Trains until `schedule.steps` steps or the bit-error threshold.
 *
 * @param backend The engine.
 * @param schedule What to train on and how long.
 * @param dataRng The training batches' random stream (saved with checkpoints, so a resume continues it).
 * @param startStep Steps already taken (0 for a fresh run).
 * @param hooks Report callbacks.
 * @returns The last report and whether training stopped early.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * import { createCpuBackend } from "./cpu_backend.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const task = copyTask();
 * const config = presetNtmConfig(task, { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = createCpuBackend(runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * const schedule = { task, range: { minLen: 1, maxLen: 3 }, batch: 2, steps: 4, reportEvery: 2, evalEpisodes: 4, evalSeed: 2 };
 * const steps: number[] = [];
 * const result = await trainLoop(backend, schedule, new Rng(1), 0, { onReport: (r) => void steps.push(r.step) });
 * assert.deepEqual(steps, [2, 4]);
 * assert.equal(result.stoppedEarly, false);
 * ```
 */
export async function trainLoop(
  backend: TrainingBackend,
  schedule: TrainingSchedule,
  dataRng: Rng,
  startStep: number,
  hooks: TrainingHooks = {},
): Promise<TrainingResult> {
  const source = schedule.source ?? taskBatchSource(schedule.task, schedule.range);
  const outputKind = schedule.task.outputKind;
  const heldOut: EpisodeBatch = source.heldOut(schedule.evalEpisodes, schedule.evalSeed);
  const evaluate = (batch: EpisodeBatch) => evaluateBatch(backend, batch, outputKind);
  const started = performance.now();
  let yielded = started;
  let last: TrainingReport | undefined;
  for (let step = startStep + 1; step <= schedule.steps; step++) {
    await backend.trainStep(source.next(dataRng, schedule.batch));
    if (hooks.shouldStop && performance.now() - yielded > YIELD_EVERY_MS) {
      // A CPU step resolves without a macrotask; let signal handlers and timers run now and then.
      await new Promise((resolve) => setTimeout(resolve, 0));
      yielded = performance.now();
    }
    if (hooks.shouldStop?.()) {
      await backend.lastStep(); // a non-finite step is still caught before anything is saved
      return {
        last: last ?? unreported(startStep, schedule.batch),
        stoppedEarly: false,
        interruptedAt: step,
      };
    }
    if (step % schedule.reportEvery !== 0 && step !== schedule.steps) continue;
    const { lossNats, gradNorm, meanLossNats } = await backend.lastStep();
    const evaluation = await evaluate(heldOut);
    const extra = await source.afterEvaluation?.(evaluation, evaluate);
    const seconds = (performance.now() - started) / 1000;
    last = {
      step,
      sequences: step * schedule.batch,
      seconds,
      sequencesPerSecond: ((step - startStep) * schedule.batch) / seconds,
      trainCostBits: (meanLossNats ?? lossNats) / Math.LN2,
      gradNorm,
      ...metrics(evaluation),
      ...(extra !== undefined && { source: extra }),
      ...scheduleRate(schedule.lrSchedule, backend, step, evaluation.costBits),
    };
    await hooks.onReport?.(last);
    if (schedule.stopAtBitErrors !== undefined && evaluation.bitErrors < schedule.stopAtBitErrors) {
      return { last, stoppedEarly: true };
    }
  }
  if (!last) {
    const evaluation = await evaluate(heldOut);
    last = {
      step: startStep,
      sequences: startStep * schedule.batch,
      seconds: 0,
      sequencesPerSecond: 0,
      trainCostBits: NaN,
      gradNorm: NaN,
      ...metrics(evaluation),
    };
  }
  return { last, stoppedEarly: false };
}

/** Applies a report to the learning-rate schedule, and a changed rate to the backend; the rate, for the report. */
function scheduleRate(
  lrSchedule: LrSchedule | undefined,
  backend: TrainingBackend,
  step: number,
  costBits: number,
): { learningRate?: number } {
  if (!lrSchedule) return {};
  const changed = lrSchedule.afterReport(step, costBits);
  if (changed !== undefined) backend.setLearningRate(changed);
  return { learningRate: lrSchedule.learningRate };
}

/** How often the loop lets the event loop run (signal handlers), in milliseconds. */
const YIELD_EVERY_MS = 50;

/** A stand-in report for a run stopped before its first report: nothing measured yet. */
function unreported(step: number, batch: number): TrainingReport {
  return {
    step,
    sequences: step * batch,
    seconds: 0,
    sequencesPerSecond: 0,
    trainCostBits: NaN,
    gradNorm: NaN,
    costBits: NaN,
    bitErrors: NaN,
  };
}

/** A report's held-out metrics from an evaluation. */
function metrics(
  e: Evaluation,
): Pick<TrainingReport, "costBits" | "bitErrors" | "characterAccuracy" | "answerAccuracy"> {
  return {
    costBits: e.costBits,
    bitErrors: e.bitErrors,
    ...(e.characterAccuracy !== undefined && { characterAccuracy: e.characterAccuracy }),
    ...(e.answerAccuracy !== undefined && { answerAccuracy: e.answerAccuracy }),
  };
}

/**
 * Evaluates a backend on a batch with every metric its output kind has. Sigmoid outputs: the backend's own
 * {@linkcode TrainingBackend.evaluate}. Softmax outputs: the backend's evaluation when it measures the
 * accuracies itself (the `cpu` backends do); otherwise (the `webgpu` backend, whose evaluation only sums its
 * per-episode error counts) one {@linkcode TrainingBackend.predict} pass and {@linkcode softmaxEvaluation}
 * on the CPU, which takes the cost from the float32 probabilities.
 *
 * @param backend The engine.
 * @param batch The episodes.
 * @param outputKind The model's output layer.
 * @returns The evaluation, with `characterAccuracy` and `answerAccuracy` for softmax outputs.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { generatePrograms } from "../../tasks/program.ts";
 * import { Rng } from "../model/random.ts";
 * import { createLstmBackend } from "./lstm_backend.ts";
 * import { runBackendInit } from "./run_setup.ts";
 * const config = { inputSize: 49, outputSize: 49, units: 8, layers: 1, outputKind: "softmax" as const };
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = createLstmBackend(runBackendInit({ modelKind: "lstm", config }, { seed: 1, batch: 4, memorySeed: 3, optimizer }));
 * const heldOut = generatePrograms(new Rng(2), 4, { length: 1, nesting: 1 });
 * const e = await evaluateBatch(backend, heldOut, "softmax");
 * assert.ok(e.characterAccuracy! >= 0 && e.characterAccuracy! <= 1 && e.answerAccuracy! <= e.characterAccuracy!);
 * ```
 */
export async function evaluateBatch(
  backend: TrainingBackend,
  batch: EpisodeBatch,
  outputKind: "sigmoid" | "softmax",
): Promise<Evaluation> {
  if (outputKind === "sigmoid" || backend.name === "cpu") {
    const evaluation = await backend.evaluate(batch);
    if (outputKind === "sigmoid" || evaluation.characterAccuracy !== undefined) return evaluation;
  }
  return softmaxEvaluation(await backend.predict(batch), batch);
}
