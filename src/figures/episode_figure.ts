/**
 * The episode figure, in the style of the paper's Figure 6: heat maps over time (x axis) of the inputs,
 * targets and outputs, and of every head's weighting over the N memory rows (write heads, then read heads),
 * with the add vectors of the write heads and the read vectors of the read heads, drawn from the float64
 * reference's forward pass over one episode ({@linkcode forwardEpisode}). `deno task viz` writes it for a
 * checkpoint; the web demo draws it as it trains.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import { type NtmConfig, shiftCount } from "../model/config.ts";
import type { ParameterLayout } from "../model/layout.ts";
import { Rng } from "../model/random.ts";
import { episodeMemories } from "../model/initial_memory.ts";
import { headFieldOffsets } from "../reference/head_params.ts";
import { type ReferenceForward, referenceForward } from "../reference/model.ts";
import { headOffset } from "../reference/model_step.ts";
import { colourBarSvg, heatmapSvg } from "./heatmap.ts";
import { svgDocument, svgText } from "./svg.ts";

/** What the episode figure draws and names: the model and where its training stands. */
export interface EpisodeFigureSubject {
  /** The model's configuration. */
  readonly config: NtmConfig;
  /** The task's name. */
  readonly task: string;
  /** What the task's length counts (e.g. `sequence length`). */
  readonly lengthMeaning: string;
  /** Training steps taken. */
  readonly step: number;
  /** Training sequences seen. */
  readonly sequences: number;
}

/** One heat map panel of the episode figure. */
interface Panel {
  readonly title: string;
  readonly values: ArrayLike<number>;
  readonly rows: number;
  readonly min: number;
  readonly max: number;
  readonly weighting: boolean;
}

/**
 * Runs a batch through the float64 reference on some parameters, from the initial memory the training run
 * uses: the learned (or constant) one of the parameters, or with `random` memory init the first draw of the
 * run's memory stream.
 *
 * @param config The configuration.
 * @param layout Its layout.
 * @param params (P) the parameters.
 * @param batch The episodes.
 * @param memorySeed The run's memory seed (`random` memory init only).
 * @returns The reference's forward pass, tapes included.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { ntmConfig } from "../model/config.ts";
 * import { initParameters } from "../model/init.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { Rng } from "../model/random.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const layout = parameterLayout(config);
 * const batch = copyTask().generate(new Rng(2), 1, { minLen: 3, maxLen: 3 });
 * const forward = forwardEpisode(config, layout, initParameters(config, layout, 1), batch, 1);
 * assert.equal(forward.tapes[0]!.steps.length, batch.steps);
 * ```
 */
export function forwardEpisode(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  memorySeed: number,
): ReferenceForward {
  const memoryRng = new Rng(memorySeed);
  const memory0 = episodeMemories(config, layout, params, batch.batch, () => memoryRng.uniform());
  return referenceForward(config, layout, params, batch, memory0);
}

/**
 * Draws the episode figure: inputs, targets, outputs, and every head's weighting and vectors over time.
 *
 * @param subject The model and what the captions name.
 * @param length The episode's length in the task's units (for the caption).
 * @param batch A one-episode batch.
 * @param forward The reference's forward pass over it.
 * @returns The SVG document.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { copyTask } from "../../tasks/copy.ts";
 * import { ntmConfig } from "../model/config.ts";
 * import { initParameters } from "../model/init.ts";
 * import { parameterLayout } from "../model/layout.ts";
 * import { Rng } from "../model/random.ts";
 * const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
 * const layout = parameterLayout(config);
 * const batch = copyTask().generate(new Rng(2), 1, { minLen: 3, maxLen: 3 });
 * const forward = forwardEpisode(config, layout, initParameters(config, layout, 1), batch, 1);
 * const subject = { config, task: "copy", lengthMeaning: "sequence length", step: 0, sequences: 0 };
 * const svg = episodeFigureSvg(subject, 3, batch, forward);
 * assert.match(svg, /<svg[ >]/);
 * assert.match(svg, /Write weightings, write head 1 \(N = 8 rows\)/);
 * ```
 */
export function episodeFigureSvg(
  subject: EpisodeFigureSubject,
  length: number,
  batch: EpisodeBatch,
  forward: ReferenceForward,
): string {
  const { config, step, sequences } = subject;
  const T = batch.lengths[0]!, N = config.memoryN;
  const left = 60, cellW = Math.max(1.5, Math.min(20, 900 / T));
  const plotW = cellW * T, figureW = left + Math.max(plotW, 520) + 20;
  const bitH = Math.max(3, Math.min(14, cellW));
  const weightH = Math.max(0.75, Math.min(cellW, 240 / N));
  const parts: string[] = [];
  let y = 20;
  parts.push(
    svgText(
      left,
      y,
      `${subject.task}: one episode of ${subject.lengthMeaning} ${length} (T = ${T} steps)`,
      { bold: true, size: 14 },
    ),
    svgText(left, y + 16, `after ${step} steps (${sequences} sequences); time runs left to right`, {
      size: 11,
    }),
  );
  y += 30;
  for (const panel of episodePanels(config, batch, forward)) {
    const cellH = panel.weighting ? weightH : Math.max(3, Math.min(bitH, 160 / panel.rows));
    y += 18;
    parts.push(svgText(left, y - 4, panel.title, { size: 12 }));
    parts.push(
      heatmapSvg(panel.values, panel.rows, T, {
        x: left,
        y,
        cellWidth: cellW,
        cellHeight: cellH,
        min: panel.min,
        max: panel.max,
        label: panel.title,
      }),
    );
    parts.push(svgText(left - 6, y + 9, panel.weighting ? "row 0" : "0", { anchor: "end", size: 9 }));
    parts.push(svgText(left - 6, y + panel.rows * cellH, String(panel.rows - 1), { anchor: "end", size: 9 }));
    y += panel.rows * cellH + 6;
  }
  y += 6;
  const steps = batch.steps;
  parts.push(
    svgText(left, y + 8, `time →  (t = 0 … ${T - 1}${steps > T ? `, of ${steps}` : ""})`, { size: 11 }),
  );
  parts.push(colourBarSvg(figureW - 180, y, 160, "low", "high"));
  parts.push(svgText(figureW - 190, y + 8, "colour (range in each title)", { anchor: "end", size: 10 }));
  y += 30;
  return svgDocument(figureW, y, parts.join("\n"), `${subject.task} episode, step ${step}`);
}

/**
 * The figure's panels, top to bottom: inputs, targets (output phase), outputs; per write head its add
 * vectors and weightings; per read head its read vectors and weightings.
 */
function episodePanels(config: NtmConfig, batch: EpisodeBatch, forward: ReferenceForward): Panel[] {
  const { memoryN: N, memoryM: M, readHeads: R, writeHeads: W } = config;
  const T = batch.lengths[0]!, X = batch.inputSize, Y = batch.outputSize;
  const tape = forward.tapes[0]!;
  const at = headFieldOffsets(M, shiftCount(config));
  const row = (array: ArrayLike<number>, width: number, t: number) =>
    Array.from({ length: width }, (_, j) => array[t * width + j]!);
  const masked = (t: number) =>
    Array.from({ length: Y }, (_, j) => batch.mask[t]! ? batch.target[t * Y + j]! : 0);
  const panels: Panel[] = [
    bitsPanel(`Inputs (${X} channels)`, X, T, (t) => row(batch.input, X, t)),
    bitsPanel(`Targets (${Y} channels, output phase)`, Y, T, masked),
    bitsPanel(`Outputs (${Y} channels)`, Y, T, (t) => row(forward.output, Y, t)),
  ];
  const weightings = (head: number) => (t: number) => tape.steps[t]!.w[head]!;
  for (let h = 0; h < W; h++) {
    const o = headOffset(config, R + h);
    panels.push(
      symmetricPanel(
        `Add vectors, write head ${h + 1} (M = ${M})`,
        M,
        T,
        (t) => tape.steps[t]!.heads.subarray(o + at.a, o + at.a + M),
      ),
      weightingPanel(`Write weightings, write head ${h + 1} (N = ${N} rows)`, N, T, weightings(R + h)),
    );
  }
  for (let h = 0; h < R; h++) {
    panels.push(
      symmetricPanel(
        `Read vectors, read head ${h + 1} (M = ${M})`,
        M,
        T,
        (t) => tape.steps[t]!.reads.subarray(h * M, (h + 1) * M),
      ),
      weightingPanel(`Read weightings, read head ${h + 1} (N = ${N} rows)`, N, T, weightings(h)),
    );
  }
  return panels;
}

/** (rows, T) from a per-time-step getter of a row vector. */
function overTime(rows: number, T: number, get: (t: number) => ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows * T);
  for (let t = 0; t < T; t++) {
    const v = get(t);
    for (let r = 0; r < rows; r++) out[r * T + t] = v[r]!;
  }
  return out;
}

/** The smallest and largest of the values, `lo` and `hi` included. */
function valueRange(values: ArrayLike<number>, lo: number, hi: number): [number, number] {
  let min = lo, max = hi;
  for (let i = 0; i < values.length; i++) {
    if (values[i]! < min) min = values[i]!;
    if (values[i]! > max) max = values[i]!;
  }
  return [min, max];
}

/** A panel of bits: the colour range 0 … 1 (wider if a value lies outside). */
function bitsPanel(title: string, rows: number, T: number, get: (t: number) => ArrayLike<number>): Panel {
  const values = overTime(rows, T, get);
  const [min, max] = valueRange(values, 0, 1);
  return { title, values, rows, min, max, weighting: false };
}

/** A panel of signed values: a colour range symmetric about 0, named in the title. */
function symmetricPanel(
  title: string,
  rows: number,
  T: number,
  get: (t: number) => ArrayLike<number>,
): Panel {
  const values = overTime(rows, T, get);
  const [min, max] = valueRange(values, -1e-9, 1e-9);
  const bound = Math.max(-min, max);
  return {
    title: `${title}, colour −${bound.toPrecision(2)} … ${bound.toPrecision(2)}`,
    values,
    rows,
    min: -bound,
    max: bound,
    weighting: false,
  };
}

/** Weightings use the colour range 0 … max(their largest value, ¼), so that diffuse ones still show. */
function weightingPanel(title: string, N: number, T: number, get: (t: number) => ArrayLike<number>): Panel {
  const values = overTime(N, T, get);
  const max = Math.min(1, valueRange(values, 0, 0.25)[1]);
  return {
    title: `${title}, colour 0 … ${max.toPrecision(2)}`,
    values,
    rows: N,
    min: 0,
    max,
    weighting: true,
  };
}
