/**
 * The `cpu` training backend: the float64 reference model and optimiser.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import { Rng } from "../model/random.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import { referenceBackward, referenceForward } from "../reference/model.ts";
import { episodeMemories } from "../model/initial_memory.ts";
import {
  type BackendInit,
  evaluationMemorySeed,
  NonFiniteLossError,
  type StepReport,
  type TrainingBackend,
} from "./backend.ts";
import { errorsPerSequence, type Evaluation, softmaxAccuracy } from "./metrics.ts";

/**
 * Creates the `cpu` backend over parameters and an optimiser (both owned by the backend from then on).
 *
 * @param init The NTM, its parameters, optimiser, memory stream and steps already taken.
 * @returns The backend.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const config = presetNtmConfig(copyTask(), { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const backend = createCpuBackend(runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * const batch = copyTask().generate(new Rng(1), 2, { minLen: 1, maxLen: 3 });
 * const before = await backend.parameters();
 * await backend.trainStep(batch);
 * assert.ok(Number.isFinite((await backend.lastStep()).lossNats));
 * assert.notDeepEqual(await backend.parameters(), before);
 * ```
 */
export function createCpuBackend(init: BackendInit<"ntm">): TrainingBackend {
  const { config, layout, params, optimizer, memorySeed } = init;
  const memoryRng = new Rng(memorySeed);
  if (init.memoryRngState) memoryRng.setState(init.memoryRngState);
  let step = init.startStep;
  let last: StepReport = { lossNats: NaN, gradNorm: NaN };
  let lossSum = 0, lossSteps = 0; // since the previous report
  const memoryFor = (episodes: number, rng: Rng) =>
    episodeMemories(config, layout, params, episodes, () => rng.uniform());
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
    setLearningRate: (learningRate: number) => optimizer.setLearningRate(learningRate),
    destroy(): void {},
  };
}
