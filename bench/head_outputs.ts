/**
 * `deno task head-outputs DIR …`: how far a trained NTM drives its head map. For each checkpoint it runs 32
 * held-out episodes of seed 5151 at the longest training length through the float64 reference and prints
 * the largest |raw head output|, the share beyond ±20 (what Collier & Beel's clip of the head map's outputs
 * would change), and the median and 99th percentile of the key strengths β and sharpening exponents γ of
 * every head and step: whether a run that stalled saturates its addressing.
 *
 * @module
 */

import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { forwardEpisode } from "../src/figures/episode_figure.ts";
import { headFieldOffsets } from "../src/reference/head_params.ts";
import { headOffset } from "../src/reference/model_step.ts";
import { shiftCount } from "../src/model/config.ts";
import { Rng } from "../src/model/random.ts";
import { trainingTask } from "../tasks/presets.ts";

/** The clip the line reports against (Collier & Beel's `clip_value`). */
const CLIP = 20;

/** The value at quantile q (0..1) of some values. */
function quantile(values: readonly number[], q: number): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] ?? NaN;
}

/**
 * One checkpoint's line.
 *
 * @param dir The checkpoint's directory.
 * @returns The line.
 */
export async function headOutputsLine(dir: string): Promise<string> {
  const checkpoint = await loadCheckpoint(dir);
  if (checkpoint.modelKind === "lstm") return `${dir}: a plain LSTM has no heads`;
  const { config, layout, params, training } = checkpoint;
  const batch = trainingTask(training).generate(new Rng(5151), 32, {
    minLen: training.range.maxLen,
    maxLen: training.range.maxLen,
  });
  const forward = forwardEpisode(config, layout, params, batch, training.memorySeed);
  const at = headFieldOffsets(config.memoryM, shiftCount(config));
  const heads = config.readHeads + config.writeHeads;
  let largest = 0, beyond = 0, count = 0;
  const betas: number[] = [], gammas: number[] = [];
  forward.tapes.forEach((tape, b) => {
    tape.steps.slice(0, batch.lengths[b]).forEach((step) => {
      for (const v of step.rawHeads) {
        largest = Math.max(largest, Math.abs(v));
        if (Math.abs(v) > CLIP) beyond++;
        count++;
      }
      for (let h = 0; h < heads; h++) {
        betas.push(step.heads[headOffset(config, h) + at.beta]!);
        gammas.push(step.heads[headOffset(config, h) + at.gamma]!);
      }
    });
  });
  const f = (v: number) => v.toFixed(1);
  return `${dir}: max |raw| ${f(largest)}, beyond ±${CLIP} ${(100 * beyond / count).toFixed(2)} %, ` +
    `β median ${f(quantile(betas, 0.5))} (99 %: ${f(quantile(betas, 0.99))}), ` +
    `γ median ${f(quantile(gammas, 0.5))} (99 %: ${f(quantile(gammas, 0.99))})`;
}

if (import.meta.main) {
  if (Deno.args.length === 0 || Deno.args.includes("--help")) {
    console.log(
      "deno task head-outputs DIR …: the head map's outputs of trained NTMs on 32 held-out episodes",
    );
    Deno.exit(Deno.args.length === 0 ? 2 : 0);
  }
  for (const dir of Deno.args) {
    try {
      console.log(await headOutputsLine(dir));
    } catch (error) {
      console.error(`error: ${(error as Error).message}`);
      Deno.exit(1);
    }
  }
}
