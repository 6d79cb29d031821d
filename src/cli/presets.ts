/**
 * The `quick` and `fast` presets of `deno task train` and the program task's quick preset. `fast` is the
 * paper's model with the recipe the convergence study found fastest (`docs/convergence.md`); `quick` is the
 * default copy run (the paper's copy setup with that recipe and fewer steps) and, for the other tasks, the paper's
 * structure shrunk to train in minutes. The `paper` presets are `paperPreset` in tasks/presets.ts. Also the
 * task a training run's options name.
 *
 * @module
 */

import type { CurriculumName } from "../../tasks/curriculum.ts";
import { type ProgramDifficulty, type ProgramOperation, programTask } from "../../tasks/program.ts";
import { paperPreset, taskByName, type TaskPreset } from "../../tasks/presets.ts";
import type { LengthRange, PaperTaskName, Task, TaskName } from "../../tasks/task.ts";

/** The presets `--preset` selects from. */
export type PresetName = "quick" | "fast" | "paper";

/** Every {@linkcode PresetName}, in the order `--help` lists them. */
export const PRESET_NAMES: readonly PresetName[] = ["quick", "fast", "paper"];

/**
 * The fast preset's training recipe: the paper's centred RMSProp at batch 1 with lr 1e-3 (ten times the
 * paper's), evaluated every 500 steps. In the convergence study it reached < 0.1 held-out bit errors per
 * sequence after 1,500–2,000 sequences (lr 3e-4: 2,500–3,000; the paper's 1e-4: 4,500–6,000; Adam:
 * 4,000–14,500), and every seed copied length 120 without an error after 10,000 more steps. With
 * `--backend auto` on a machine without a GPU it trains on the float64 CPU reference, the faster backend at
 * batch 1 (`backend_probe.ts`).
 */
export const FAST_RECIPE: Readonly<Pick<TaskPreset, "optimizer" | "learningRate" | "batch" | "reportEvery">> =
  Object
    .freeze({ optimizer: "rmsprop", learningRate: 1e-3, batch: 1, reportEvery: 500 });

/** Steps of the fast copy preset: converged after 1,500–2,000 in the study, then trained on to generalise. */
export const FAST_COPY_STEPS = 12_000;

/**
 * The fast preset's learning rate, steps and report interval per task. Copy's come from the convergence
 * study (3 seeds); the other four from the runs of `docs/results.md` (seed 1 each): at lr 1e-3 repeat copy
 * was unstable (its held-out cost jumped back up several times) and associative recall stalled at about 3.4
 * bit errors per sequence, while 3e-4 learned both; N-grams and priority sort take 3e-4 too (ten times the
 * paper's 3e-5, as 1e-3 is ten times copy's 1e-4). Steps are what those runs trained.
 */
export const FAST_TASKS: Readonly<
  Record<PaperTaskName, Readonly<Pick<TaskPreset, "learningRate" | "steps" | "reportEvery">>>
> = Object.freeze({
  "copy": { learningRate: FAST_RECIPE.learningRate, steps: FAST_COPY_STEPS, reportEvery: 500 },
  "repeat-copy": { learningRate: 3e-4, steps: 40_000, reportEvery: 500 },
  "associative-recall": { learningRate: 3e-4, steps: 80_000, reportEvery: 500 },
  "ngrams": { learningRate: 3e-4, steps: 30_000, reportEvery: 1000 },
  "priority-sort": { learningRate: 3e-4, steps: 40_000, reportEvery: 1000 },
});

/**
 * The fast preset of a task: the paper's model (Tables 1–2), so that results compare with the paper's,
 * trained with the recipe that reached the copy task's threshold (< 0.1 held-out bit errors per sequence)
 * in the least wall time in the convergence study (`docs/convergence.md`): {@linkcode FAST_RECIPE}, with each
 * task's learning rate, steps and report interval from {@linkcode FAST_TASKS}.
 *
 * @param task One of the five paper tasks.
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { fastPreset } from "./presets.ts";
 * const preset = fastPreset("copy");
 * console.assert(preset.model.memoryN === 128 && preset.batch === 1);
 * ```
 */
export function fastPreset(task: PaperTaskName): TaskPreset {
  return { ...paperPreset(task), ...FAST_RECIPE, ...FAST_TASKS[task] };
}

/**
 * The quick copy run, what `deno task train` trains with no flags: the paper's copy experiment (LSTM 100,
 * memory 128 × 20, one read and one write head, lengths 1..20) with the fast recipe ({@linkcode FAST_RECIPE}),
 * {@linkcode QUICK_COPY_STEPS} steps: converged after about 2,000 and trained on to generalise; its
 * evaluation table reaches length 50. (Lengths 1..10 with lr 1e-4 learned less reliably: one seed of three
 * had not converged after 20,000 sequences.)
 */
export const QUICK_COPY: Readonly<Partial<TaskPreset>> = Object.freeze({ ...FAST_RECIPE });

/** Steps of the quick copy run (see {@linkcode QUICK_COPY}). */
export const QUICK_COPY_STEPS = 8_000;

/**
 * The quick preset of a task. Copy: {@linkcode QUICK_COPY}, the paper's copy setup with the fast recipe and
 * fewer steps. The other tasks: the paper's structure (controller type and layers, heads, shifts) with a smaller
 * controller and memory (C = 64, N = 32, M = 8), Adam at lr 1e-3, batch 16, 20,000 steps.
 *
 * @param task One of the five paper tasks.
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { quickPreset } from "./presets.ts";
 * console.assert(quickPreset("copy").range.maxLen === 20 && quickPreset("copy").model.memoryN === 128);
 * console.assert(quickPreset("repeat-copy").optimizer === "adam" && quickPreset("repeat-copy").model.memoryN === 32);
 * ```
 */
export function quickPreset(task: PaperTaskName): TaskPreset {
  const paper = paperPreset(task);
  if (task === "copy") return { ...paper, ...QUICK_COPY, steps: QUICK_COPY_STEPS };
  return {
    ...paper,
    model: { ...paper.model, controllerSize: 64, memoryN: 32, memoryM: 8 },
    optimizer: "adam",
    learningRate: 1e-3,
    batch: 16,
    steps: 20_000,
  };
}

/**
 * The preset a name selects.
 *
 * @param name `quick`, `fast` or `paper`.
 * @param task One of the five paper tasks.
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { presetByName } from "./presets.ts";
 * console.assert(presetByName("paper", "copy").optimizer === "rmsprop");
 * ```
 */
export function presetByName(name: PresetName, task: PaperTaskName): TaskPreset {
  return name === "paper" ? paperPreset(task) : name === "fast" ? fastPreset(task) : quickPreset(task);
}

/** The program task's preset: a {@linkcode TaskPreset} with a default curriculum and target difficulty. */
export interface ProgramPreset extends TaskPreset {
  /** The task: `program`. */
  readonly task: "program";
  /** The default `--curriculum`. */
  readonly curriculum: CurriculumName;
  /** The default `--target-length` and `--target-nesting`. */
  readonly target: ProgramDifficulty;
}

/**
 * The program task's quick preset, which learns the default target (2-digit numbers, one operation) well
 * above the frequency baseline in about ten minutes on a 2-core machine's software WebGPU adapter: an LSTM
 * controller of 64 units, memory 16 × 16 with one read and one write head, a softmax output over the 49
 * symbols, Adam at lr 3e-3, batch 16, the combined curriculum, 5,000 steps. `range` is the digits per
 * number the curriculum can draw, 1..target.
 *
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { programPreset } from "./presets.ts";
 * const preset = programPreset();
 * console.assert(preset.curriculum === "combined" && preset.target.length === 2);
 * ```
 */
export function programPreset(): ProgramPreset {
  return {
    task: "program",
    model: {
      controllerType: "lstm",
      controllerSize: 64,
      controllerLayers: 1,
      memoryN: 16,
      memoryM: 16,
      readHeads: 1,
      writeHeads: 1,
      shiftRange: 1,
    },
    optimizer: "adam",
    learningRate: 3e-3,
    batch: 16,
    range: { minLen: 1, maxLen: 2 },
    steps: 5_000,
    curriculum: "combined",
    target: { length: 2, nesting: 1 },
  };
}

/** The parts of a run's options that name its task (a checkpoint's `training` has them). */
export interface TaskOptions {
  /** The task's name. */
  readonly task: TaskName;
  /** The program task's target difficulty and, when not all six, the operations it composes. */
  readonly program?: {
    readonly target: ProgramDifficulty;
    readonly operations?: readonly ProgramOperation[];
  };
}

/**
 * The task a run trains on: a paper task by name, or the program task at the run's target difficulty
 * (its `generate` draws lengths from a range at the target nesting).
 *
 * @param options The task's name, and the program task's target.
 * @returns The task.
 * @throws {TypeError} when `task` is `program` without a target, or is unknown.
 *
 * @example
 * ```ts
 * import { trainingTask } from "./presets.ts";
 * const task = trainingTask({ task: "program", program: { target: { length: 3, nesting: 2 } } });
 * console.assert(task.outputKind === "softmax" && task.lengthMeaning.includes("nesting 2"));
 * ```
 */
export function trainingTask(options: TaskOptions): Task {
  if (options.task !== "program") return taskByName(options.task);
  if (options.program === undefined) {
    throw new TypeError("Cannot create the program task: the run's options have no program target");
  }
  const { target, operations } = options.program;
  return programTask({ ...target, ...(operations && { operations }) });
}

/**
 * The length range a program run's curriculum can draw: the target length alone for `baseline`, else
 * 1..target.
 *
 * @param curriculum The curriculum strategy.
 * @param target The target difficulty.
 * @returns The range, in digits per number.
 *
 * @example
 * ```ts
 * import { programRange } from "./presets.ts";
 * console.assert(programRange("naive", { length: 4, nesting: 1 }).minLen === 1);
 * ```
 */
export function programRange(curriculum: CurriculumName, target: ProgramDifficulty): LengthRange {
  return { minLen: curriculum === "baseline" ? target.length : 1, maxLen: target.length };
}
