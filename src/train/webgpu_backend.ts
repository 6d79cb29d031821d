/**
 * The `webgpu` training backend: the WGSL engine on a WebGPU device. A training step is one submit with
 * no readback; the loss, the gradient norm and the non-finite check are read back only when the training
 * loop asks for a report.
 *
 * @module
 */

import { type EpisodeBatch, sliceEpisodes } from "../model/episode.ts";
import { Rng } from "../model/random.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import { episodeMemories } from "../model/initial_memory.ts";
import {
  type BackendInit,
  evaluationMemorySeed,
  NonFiniteLossError,
  type StepReport,
  type TrainingBackend,
} from "./backend.ts";
import type { Evaluation } from "./metrics.ts";
import { type GpuContext, requestGpuContext } from "../gpu/device.ts";
import { NtmGpuEngine } from "../gpu/engine.ts";
import { KernelCache } from "../gpu/kernel.ts";

/**
 * Creates the `webgpu` backend.
 *
 * @param init The NTM, its parameters, optimiser, batch size, memory stream and steps already taken.
 * @param context A device to use (default: request one).
 * @returns The backend.
 * @throws {WebGpuUnavailableError} when no adapter is available.
 *
 * @example
 * ```ts ignore
 * const backend = await createWebGpuBackend({ kind: "ntm", config, layout, params, optimizer, batch: 32, memorySeed: 1, startStep: 0 });
 * ```
 */
export async function createWebGpuBackend(
  init: BackendInit<"ntm">,
  context?: GpuContext,
): Promise<TrainingBackend> {
  const { config, layout, optimizer, batch } = init;
  context ??= await requestGpuContext();
  let lost: string | undefined;
  context.device.lost.then((info) => {
    if (info.reason !== "destroyed") lost = `the GPU device was lost (${info.reason}: ${info.message})`;
  });
  const engine = new NtmGpuEngine(
    context,
    new KernelCache(context.device),
    config,
    layout,
    batch,
    optimizer.name,
    {
      ...optimizer.options,
    },
  );
  engine.writeParameters(init.params);
  engine.writeOptimizerState(optimizer.state);
  const memoryRng = new Rng(init.memorySeed);
  if (init.memoryRngState) memoryRng.setState(init.memoryRngState);
  let step = init.startStep;
  let reported = init.startStep;

  const checkDevice = () => {
    if (lost) throw new Error(`Training stopped at step ${step}: ${lost}; the last checkpoint is intact`);
  };
  const drawMemory = (rng: Rng) => {
    if (config.memoryInit === "random") {
      engine.writeMemoryDraw(episodeMemories(config, layout, init.params, batch, () => rng.uniform()));
    }
  };
  /** Runs a batch of any size in chunks of B episodes (the last one padded with masked-out episodes). */
  const forwardChunks = async (episodes: EpisodeBatch) => {
    const chunks: { loss: number; errors: number; y: Float32Array; count: number }[] = [];
    const evalRng = new Rng(evaluationMemorySeed(init.memorySeed)); // apart from the training stream
    for (let first = 0; first < episodes.batch; first += batch) {
      const count = Math.min(batch, episodes.batch - first);
      drawMemory(evalRng);
      const { y, report } = await engine.evaluate(sliceEpisodes(episodes, first, count, batch));
      checkDevice();
      let loss = 0, errors = 0;
      for (let b = 0; b < count; b++) loss += report.loss[b]!, errors += report.errors[b]!;
      chunks.push({ loss, errors, y, count });
    }
    return chunks;
  };

  return {
    name: "webgpu",
    device: `webgpu (${context.adapterName})`,
    trainStep(episodes: EpisodeBatch): Promise<void> {
      checkDevice();
      step++;
      drawMemory(memoryRng);
      engine.trainStep(episodes);
      return Promise.resolve();
    },
    async lastStep(): Promise<StepReport> {
      const report = await engine.readStepReport();
      checkDevice();
      let loss = 0;
      for (const l of report.loss) loss += l;
      loss /= batch;
      if (report.updates !== step) {
        throw new NonFiniteLossError(
          step,
          `the gradient of ${step - report.updates} of steps ${
            reported + 1
          }…${step} (since the last report; ` +
            `norm ${report.gradNorm}; those updates were skipped)`,
        );
      }
      if (!Number.isFinite(loss)) throw new NonFiniteLossError(step, `the loss (${loss})`);
      reported = step;
      return { lossNats: loss, gradNorm: report.gradNorm };
    },
    async evaluate(episodes: EpisodeBatch): Promise<Evaluation> {
      const chunks = await forwardChunks(episodes);
      const loss = chunks.reduce((sum, c) => sum + c.loss, 0),
        errors = chunks.reduce((sum, c) => sum + c.errors, 0);
      return {
        costBits: loss / episodes.batch / Math.LN2,
        bitErrors: errors / episodes.batch,
        episodes: episodes.batch,
      };
    },
    async predict(episodes: EpisodeBatch): Promise<Float64Array> {
      const { steps: T, outputSize: Y } = episodes;
      const output = new Float64Array(episodes.batch * T * Y);
      const chunks = await forwardChunks(episodes);
      chunks.forEach((chunk, c) => {
        for (let b = 0; b < chunk.count; b++) {
          for (let t = 0; t < T; t++) {
            const row = chunk.y.subarray((t * batch + b) * Y, (t * batch + b + 1) * Y);
            output.set(row, ((c * batch + b) * T + t) * Y);
          }
        }
      });
      return output;
    },
    parameters: () => engine.readParameters(),
    optimizerState: (): Promise<OptimizerState> => engine.readOptimizerState(),
    memoryRngState: () => memoryRng.getState(),
    setLearningRate(learningRate: number): void {
      optimizer.setLearningRate(learningRate); // checks it
      engine.setOptimizerOptions({ ...optimizer.options });
    },
    destroy(): void {
      engine.destroy();
    },
  };
}
