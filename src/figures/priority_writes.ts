/**
 * The priority-sort figure of the NTM paper (Figure 17): where the machine writes each input vector,
 * against the vector's priority. The paper's hypothesis is that the write location is a (roughly linear)
 * function of the priority, so that reading the rows in order reads the vectors sorted. The figure plots,
 * for every input vector of a few held-out episodes, its priority against the memory row its write head
 * weights most at the step the vector arrives, for the write head whose locations follow the priority most
 * closely (largest |Pearson r|), and states r.
 *
 * @module
 */

import type { LoadedCheckpoint } from "../io/checkpoint.ts";
import { lineChartSvg } from "./line_chart.ts";
import { svgDocument } from "./svg.ts";
import type { ReferenceForward } from "../reference/model.ts";
import { argmax, type EpisodeBatch } from "../model/episode.ts";

/** One episode and the reference's forward pass over it (what `runEpisode` of viz.ts returns). */
export interface EpisodeRun {
  /** A one-episode batch. */
  readonly batch: EpisodeBatch;
  /** The forward pass, with its tape. */
  readonly forward: ReferenceForward;
}

/** The figure's file name inside a checkpoint directory. */
export const PRIORITY_WRITES_FILE = "priority_writes.svg";

/** The write locations of one write head against the inputs' priorities. */
export interface PriorityWrites {
  /** The write head (0-based among the write heads). */
  readonly head: number;
  /** (priority, row) per input vector: the row the head's weighting is largest on when the vector arrives. */
  readonly points: readonly (readonly [number, number])[];
  /** Pearson's r between priority and row. */
  readonly r: number;
}

/**
 * Pearson's correlation of the points' x and y (0 when either is constant).
 *
 * @param points The (x, y) pairs.
 * @returns r in [−1, 1].
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { pearson } from "./priority_writes.ts";
 * assert(Math.abs(pearson([[0, 1], [1, 3], [2, 5]]) - 1) < 1e-12);
 * ```
 */
export function pearson(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  let mx = 0, my = 0;
  for (const [x, y] of points) mx += x / n, my += y / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (const [x, y] of points) sxy += (x - mx) * (y - my), sxx += (x - mx) ** 2, syy += (y - my) ** 2;
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

/**
 * Collects, per write head, each input vector's priority and the row written at its step, over the episodes
 * of a priority-sort NTM.
 *
 * @param checkpoint A priority-sort NTM checkpoint.
 * @param runs Its forward passes over one-episode batches.
 * @returns One entry per write head, the best-correlated first.
 * @throws {TypeError} when the checkpoint is not a priority-sort NTM.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * import { runEpisode } from "./checkpoint_figures.ts";
 * const checkpoint = await loadCheckpoint(new URL("../../models/priority-sort", import.meta.url).pathname);
 * const [best] = priorityWrites(checkpoint, [runEpisode(checkpoint, 20, 2)]);
 * assert.ok(best !== undefined && best.points.length === 20 && Math.abs(best.r) <= 1);
 * ```
 */
export function priorityWrites(checkpoint: LoadedCheckpoint, runs: readonly EpisodeRun[]): PriorityWrites[] {
  if (checkpoint.modelKind === "lstm" || checkpoint.training.task !== "priority-sort") {
    throw new TypeError(
      `Cannot draw the priority-sort write figure of ${checkpoint.dir}: it holds ${
        checkpoint.modelKind === "lstm" ? "the plain LSTM baseline" : `a ${checkpoint.training.task} model`
      }, not a priority-sort NTM`,
    );
  }
  const { readHeads: R, writeHeads: W } = checkpoint.config;
  const perHead: [number, number][][] = Array.from({ length: W }, () => []);
  for (const { batch, forward } of runs) {
    const X = batch.inputSize, priorityChannel = X - 2;
    const tape = forward.tapes[0]!;
    for (let t = 0; t < inputs(batch); t++) {
      const priority = batch.input[t * X + priorityChannel]!;
      for (let h = 0; h < W; h++) {
        perHead[h]!.push([priority, argmax(tape.steps[t]!.w[R + h]!)]);
      }
    }
  }
  return perHead
    .map((points, head) => ({ head, points, r: pearson(points) }))
    .sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
}

/**
 * Draws the figure: the best-correlated write head's locations against priority, one dot per input vector.
 *
 * @param checkpoint A priority-sort NTM checkpoint.
 * @param runs Its forward passes over one-episode batches.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { loadCheckpoint } from "../io/checkpoint_load.ts";
 * import { runEpisode } from "./checkpoint_figures.ts";
 * const checkpoint = await loadCheckpoint(new URL("../../models/priority-sort", import.meta.url).pathname);
 * const runs = [2, 3].map((seed) => runEpisode(checkpoint, 20, seed));
 * assert.match(priorityWritesSvg(checkpoint, runs), /Pearson|r = /);
 * ```
 */
export function priorityWritesSvg(checkpoint: LoadedCheckpoint, runs: readonly EpisodeRun[]): string {
  const [best] = priorityWrites(checkpoint, runs);
  const length = inputs(runs[0]!.batch), episodes = runs.length;
  const W = checkpoint.modelKind === "lstm" ? 0 : checkpoint.config.writeHeads;
  const title = `Write row against priority: head ${best!.head + 1} of ${W}, r = ${best!.r.toFixed(2)} ` +
    `(${episodes} × ${length} vectors, step ${checkpoint.progress.step})`;
  const chart = lineChartSvg(
    [{ name: "input vectors", colour: "#1f77b4", points: best!.points, markers: true }],
    {
      x: 0,
      y: 0,
      width: 640,
      height: 400,
      title,
      xLabel: "priority of the input vector",
      yLabel: "memory row written (largest write weight)",
    },
  );
  return svgDocument(640, 400, chart, title);
}

/** The input vectors of a one-episode priority-sort batch: the steps before the "go" flag. */
function inputs(batch: EpisodeBatch): number {
  const X = batch.inputSize;
  let t = 0;
  while (t < batch.steps && batch.input[t * X + X - 1] !== 1) t++;
  return t;
}
