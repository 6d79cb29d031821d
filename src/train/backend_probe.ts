/**
 * What `--backend auto` measures when the only WebGPU adapter is a software one (Mesa's llvmpipe or
 * lavapipe, SwiftShader), which runs the kernels on the CPU: a few training steps of the run's own batch on
 * throwaway copies of both backends, so that the run trains on whichever is faster for its configuration
 * and batch on this machine. Measured on the paper's copy model (`deno task throughput`), the software
 * adapter was 5× slower than the float64 reference at batch 1 and about as fast at batch 32, and its speed
 * differs 5× between machines of the same kind: no fixed rule picks right everywhere.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { TrainingBackend } from "./backend.ts";

/** Timing of one backend on the probe batch. */
export interface ProbeTiming {
  /** Milliseconds per training step, after one warm-up step. */
  readonly msPerStep: number;
  /** Steps timed. */
  readonly steps: number;
}

/** Time spent timing one backend, at most (after the warm-up step and the first timed step). */
const PROBE_BUDGET_MS = 600;

/** Steps timed, at most. */
const PROBE_MAX_STEPS = 5;

/**
 * Times training steps of a backend on one batch: one warm-up step (pipelines, tapes), one step to estimate
 * the cost, then as many steps as fit {@linkcode PROBE_BUDGET_MS} (at most {@linkcode PROBE_MAX_STEPS}),
 * submitted back to back and read back once at the end (which waits for the GPU), as the training loop
 * runs them. The steps change the backend: pass a throwaway one.
 *
 * @param backend A throwaway backend.
 * @param batch The run's batch (B episodes).
 * @returns Milliseconds per step.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { Rng } from "../model/random.ts";
 * import { createCpuBackend } from "./cpu_backend.ts";
 * import { presetNtmConfig, runBackendInit } from "./run_setup.ts";
 * const config = presetNtmConfig(copyTask(), { controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const optimizer = { name: "adam" as const, options: {} };
 * const throwaway = createCpuBackend(runBackendInit({ config }, { seed: 1, batch: 2, memorySeed: 3, optimizer }));
 * const batch = copyTask().generate(new Rng(1), 2, { minLen: 1, maxLen: 3 });
 * const { msPerStep } = await timeTrainingSteps(throwaway, batch);
 * assert.ok(msPerStep > 0);
 * ```
 */
export async function timeTrainingSteps(backend: TrainingBackend, batch: EpisodeBatch): Promise<ProbeTiming> {
  const run = async (steps: number) => {
    const started = performance.now();
    for (let i = 0; i < steps; i++) await backend.trainStep(batch);
    await backend.lastStep();
    return performance.now() - started;
  };
  await run(1);
  const estimate = await run(1);
  const steps = Math.max(
    1,
    Math.min(PROBE_MAX_STEPS, Math.floor(PROBE_BUDGET_MS / Math.max(estimate, 1e-3))),
  );
  return { msPerStep: (await run(steps)) / steps, steps };
}
