/**
 * The `cpu` training backend: the float64 reference model and optimiser.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { NtmConfig } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import { Rng, type RngState } from "../model/random.ts";
import type { Optimizer, OptimizerState } from "../optim/optimizer.ts";
import { referenceBackward, referenceForward } from "../reference/model.ts";
import { initialMemory, randomInitialMemory } from "../model/initial_memory.ts";
import {
  evaluationMemorySeed,
  NonFiniteLossError,
  type StepReport,
  type TrainingBackend,
} from "./backend.ts";
import { errorsPerSequence, type Evaluation, softmaxAccuracy } from "./metrics.ts";

/**
 * Creates the `cpu` backend over parameters and an optimiser (both owned by the backend from then on).
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params (P) the parameters to train.
 * @param optimizer The optimiser.
 * @param memorySeed Seeds the per-episode memories of `random` memory init.
 * @param startStep Steps already taken (for error messages after a resume).
 * @param memoryRngState Restores the memory stream's state (after a resume).
 * @returns The backend.
 *
 * @example
 * ```ts ignore
 * const backend = createCpuBackend(config, layout, params, createOptimizer("adam", layout.size), 1);
 * await backend.trainStep(batch);
 * ```
 */
export function createCpuBackend(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  optimizer: Optimizer,
  memorySeed: number,
  startStep = 0,
  memoryRngState?: RngState,
): TrainingBackend {
  const memoryRng = new Rng(memorySeed);
  if (memoryRngState) memoryRng.setState(memoryRngState);
  let step = startStep;
  let last: StepReport = { lossNats: NaN, gradNorm: NaN };
  let lossSum = 0, lossSteps = 0; // since the previous report
  const memoryFor = (episodes: number, rng: Rng) =>
    config.memoryInit === "random"
      ? randomInitialMemory(config, episodes, () => rng.uniform())
      : initialMemory(config, layout, params, episodes);
  /** Training draws from the run's memory stream; evaluation from a fresh stream of its own. */
  const forward = (batch: EpisodeBatch, rng = new Rng(evaluationMemorySeed(memorySeed))) =>
    referenceForward(config, layout, params, batch, memoryFor(batch.batch, rng));

  return {
    name: "cpu",
    device: "cpu (float64 reference)",
    trainStep(batch: EpisodeBatch): Promise<void> {
      step++;
      const result = forward(batch, memoryRng);
      let loss = 0;
      for (const l of result.loss) loss += l;
      loss /= batch.batch;
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, `the loss (${loss})`);
      const grad = new Float64Array(layout.size);
      referenceBackward(config, layout, params, batch, result, grad);
      const gradNorm = optimizer.step(params, grad);
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
      const result = forward(batch);
      let loss = 0;
      for (const l of result.loss) loss += l;
      const evaluation: Evaluation = {
        costBits: loss / batch.batch / Math.LN2,
        bitErrors: errorsPerSequence(result.output, batch, config.outputKind),
        episodes: batch.batch,
      };
      if (config.outputKind === "sigmoid") return Promise.resolve(evaluation);
      const { characterAccuracy, answerAccuracy } = softmaxAccuracy(result.output, batch);
      return Promise.resolve({ ...evaluation, characterAccuracy, answerAccuracy });
    },
    predict: (batch: EpisodeBatch) => Promise.resolve(forward(batch).output),
    parameters: () => Promise.resolve(params.slice()),
    optimizerState(): Promise<OptimizerState> {
      const { name, step, slots } = optimizer.state;
      return Promise.resolve({ name, step, slots: structuredClone(slots) });
    },
    memoryRngState: () => memoryRng.getState(),
    destroy(): void {},
  };
}
