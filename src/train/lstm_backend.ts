/**
 * The plain LSTM baseline (no memory, `--model lstm`) as a training backend: the float64 model of
 * `src/reference/lstm_model.ts` and the same optimisers, on the CPU. It lets the training loop, the
 * checkpoints and the evaluation treat the baseline exactly like an NTM, so that the two are compared on
 * the same batches with the same metrics.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import { Rng, type RngState } from "../model/random.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import { lstmLossAndGradient } from "../reference/lstm_model.ts";
import { type BackendInit, NonFiniteLossError, type StepReport, type TrainingBackend } from "./backend.ts";
import { errorsPerSequence, type Evaluation, softmaxAccuracy } from "./metrics.ts";

/**
 * Creates the backend of the plain LSTM baseline, on the CPU in float64 (its `name` is `cpu`).
 *
 * @param init The baseline, its parameters and its optimiser (its memory stream is never drawn from: its
 *   state only keeps checkpoints of both models alike).
 * @returns The backend.
 * @throws {RangeError} when the parameters do not match the layout, or the optimiser's size differs.
 *
 * @example Two training steps on a tiny batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { createLstmBackend } from "./lstm_backend.ts";
 * import { initLstmParameters } from "../reference/lstm_model.ts";
 * import { lstmConfig, lstmLayout } from "../model/lstm_config.ts";
 * import { createOptimizer } from "../optim/optimizer.ts";
 * const config = lstmConfig({ inputSize: 2, outputSize: 2, units: 4, layers: 1, outputKind: "softmax" });
 * const layout = lstmLayout(config);
 * const backend = createLstmBackend({
 *   kind: "lstm", config, layout, params: initLstmParameters(config, layout, 1),
 *   optimizer: createOptimizer("adam", layout.size), batch: 1, memorySeed: 1, startStep: 0,
 * });
 * const batch = {
 *   batch: 1, steps: 2, inputSize: 2, outputSize: 2, input: Float32Array.of(1, 0, 0, 1),
 *   target: Float32Array.of(0, 1, 1, 0), mask: Float32Array.of(1, 1), lengths: Int32Array.of(2),
 * };
 * await backend.trainStep(batch);
 * assert(Number.isFinite((await backend.lastStep()).lossNats));
 * ```
 */
export function createLstmBackend(init: BackendInit<"lstm">): TrainingBackend {
  const { config, layout, params, optimizer } = init;
  if (params.length !== layout.size) {
    throw new RangeError(
      `Cannot create the LSTM baseline's backend: params must hold the layout's ${layout.size} values, got ${params.length}`,
    );
  }
  if (optimizer.size !== layout.size) {
    throw new RangeError(
      `Cannot create the LSTM baseline's backend: the optimiser updates ${optimizer.size} parameters, the model has ${layout.size}`,
    );
  }
  const memoryRng = new Rng(init.memorySeed);
  if (init.memoryRngState) memoryRng.setState(init.memoryRngState);
  let step = init.startStep;
  let last: StepReport = { lossNats: NaN, gradNorm: NaN };
  return {
    name: "cpu",
    device: `cpu (float64 plain LSTM, no memory)`,
    trainStep(batch: EpisodeBatch): Promise<void> {
      step++;
      const { loss, grad } = lstmLossAndGradient(config, layout, params, batch, true);
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, `the loss (${loss})`);
      const gradNorm = optimizer.step(params, grad);
      if (!Number.isFinite(gradNorm)) throw new NonFiniteLossError(step, `the gradient norm (${gradNorm})`);
      last = { lossNats: loss, gradNorm };
      return Promise.resolve();
    },
    lastStep: () => Promise.resolve(last),
    evaluate(batch: EpisodeBatch): Promise<Evaluation> {
      const { loss, output } = lstmLossAndGradient(config, layout, params, batch, false);
      const evaluation: Evaluation = {
        costBits: loss / Math.LN2,
        bitErrors: errorsPerSequence(output, batch, config.outputKind),
        episodes: batch.batch,
      };
      if (config.outputKind === "sigmoid") return Promise.resolve(evaluation);
      const { characterAccuracy, answerAccuracy } = softmaxAccuracy(output, batch);
      return Promise.resolve({ ...evaluation, characterAccuracy, answerAccuracy });
    },
    predict: (batch: EpisodeBatch) =>
      Promise.resolve(lstmLossAndGradient(config, layout, params, batch, false).output),
    parameters: () => Promise.resolve(params.slice()),
    optimizerState(): Promise<OptimizerState> {
      const { name, step, slots } = optimizer.state;
      return Promise.resolve({ name, step, slots: structuredClone(slots) });
    },
    memoryRngState: (): RngState => memoryRng.getState(),
    setLearningRate: (learningRate: number) => optimizer.setLearningRate(learningRate),
    destroy(): void {},
  };
}

/**
 * The number of units per layer that gives a plain LSTM a parameter count closest to `target` (for a
 * baseline of about the NTM's size). Counts follow `lstmLayout` (reference/lstm_model.ts): per layer `4C·(in + C) + 4C`,
 * then `Y·C + Y` for the output layer and `2·L·C` for the initial state.
 *
 * @param inputSize X.
 * @param outputSize Y.
 * @param layers L: stacked layers.
 * @param target The parameter count to match (e.g. the NTM's).
 * @returns The units C (at least 1).
 * @throws {RangeError} when a size is not a positive integer.
 *
 * @example About as many parameters as a 20,000-parameter NTM
 * ```ts
 * import assert from "node:assert/strict";
 * import { lstmUnitsForParameterCount } from "./lstm_backend.ts";
 * assert(lstmUnitsForParameterCount(49, 49, 1, 20_000) === 46);
 * ```
 */
export function lstmUnitsForParameterCount(
  inputSize: number,
  outputSize: number,
  layers: number,
  target: number,
): number {
  for (
    const [name, v] of [["inputSize", inputSize], ["outputSize", outputSize], ["layers", layers]] as const
  ) {
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot size the LSTM baseline: ${name} must be a positive integer, got ${v}`);
    }
  }
  if (!Number.isInteger(target) || target < 1) {
    throw new RangeError(`Cannot size the LSTM baseline: target must be a positive integer, got ${target}`);
  }
  const count = (c: number) => {
    let p = 0;
    for (let l = 0; l < layers; l++) p += 4 * c * ((l === 0 ? inputSize : c) + c) + 4 * c;
    return p + outputSize * c + outputSize + 2 * layers * c;
  };
  let best = 1;
  for (let c = 2; count(c - 1) < target; c++) {
    if (Math.abs(count(c) - target) < Math.abs(count(best) - target)) best = c;
  }
  return best;
}
