/**
 * The presets of `deno task train`, the live run and the page: the NTM paper's settings for its five tasks
 * (Graves et al. 2014, Tables 1–2, the `paper` preset), the `fast` preset (the paper's model with the recipe
 * the convergence study found fastest, `docs/convergence.md`), the `quick` preset (the default copy run and,
 * for the other tasks, the paper's structure shrunk to train in minutes) and the program task's quick
 * preset; also the tasks by name and the task a run's options name.
 *
 * @module
 */

import type { NtmConfig } from "../src/model/config.ts";
import { type AssociativeRecallOptions, associativeRecallTask } from "./associative_recall.ts";
import { type CopyOptions, copyTask } from "./copy.ts";
import { type NgramsTask, ngramsTask } from "./ngrams.ts";
import { type PrioritySortOptions, prioritySortTask } from "./priority_sort.ts";
import { type RepeatCopyOptions, type RepeatCopyTask, repeatCopyTask } from "./repeat_copy.ts";
import type { CurriculumName } from "./curriculum.ts";
import { type ProgramDifficulty, type ProgramOperation, programTask } from "./program.ts";
import { type LengthRange, PAPER_TASK_NAMES, type PaperTaskName, type Task, type TaskName } from "./task.ts";

/** A training setup: the model's shape (all but the task-given fields), the optimiser and the episodes. */
export interface TaskPreset {
  /** The task to train on. */
  readonly task: TaskName;
  /** The model's fields; the task gives X, Y and the output kind, and the rest take their defaults. */
  readonly model: Partial<Omit<NtmConfig, "inputSize" | "outputSize" | "outputKind">>;
  /** The optimiser: the paper's centred RMSProp with momentum, or Adam (Collier & Beel). */
  readonly optimizer: "adam" | "rmsprop";
  /** The learning rate. */
  readonly learningRate: number;
  /** B: episodes per update. */
  readonly batch: number;
  /** The training lengths, in the task's {@linkcode Task.lengthMeaning} units. */
  readonly range: LengthRange;
  /** Updates to train for. */
  readonly steps: number;
  /** Evaluate and report every this many steps (default 100). */
  readonly reportEvery?: number;
}

/** Heads, controller units and layers, and learning rate of one row of the paper's Tables 1–2. */
interface PaperRow {
  readonly heads: number;
  readonly units: number;
  readonly layers: number;
  readonly learningRate: number;
  readonly steps: number;
}

/**
 * Graves et al. 2014, Table 1 (LSTM) and Table 2 (feed-forward). `steps` (updates of one episode) is not
 * from the tables: it is a generous budget from the paper's learning curves, e.g. copy near 0 bits well
 * before 100k sequences, recall near 0 after about 30k, priority sort still improving at 1M.
 */
const PAPER_ROWS: Readonly<Record<"lstm" | "feedforward", Readonly<Record<PaperTaskName, PaperRow>>>> = {
  lstm: {
    "copy": { heads: 1, units: 100, layers: 1, learningRate: 1e-4, steps: 100_000 },
    "repeat-copy": { heads: 1, units: 100, layers: 1, learningRate: 1e-4, steps: 200_000 },
    "associative-recall": { heads: 1, units: 100, layers: 1, learningRate: 1e-4, steps: 100_000 },
    "ngrams": { heads: 1, units: 100, layers: 1, learningRate: 3e-5, steps: 1_000_000 },
    "priority-sort": { heads: 5, units: 100, layers: 2, learningRate: 3e-5, steps: 1_000_000 },
  },
  feedforward: {
    "copy": { heads: 1, units: 100, layers: 1, learningRate: 1e-4, steps: 100_000 },
    "repeat-copy": { heads: 1, units: 100, layers: 1, learningRate: 1e-4, steps: 200_000 },
    "associative-recall": { heads: 4, units: 256, layers: 1, learningRate: 1e-4, steps: 100_000 },
    "ngrams": { heads: 1, units: 100, layers: 1, learningRate: 3e-5, steps: 1_000_000 },
    "priority-sort": { heads: 8, units: 512, layers: 1, learningRate: 3e-5, steps: 1_000_000 },
  },
};

/** Options of each paper task's factory, by task name. */
export interface PaperTaskOptions {
  /** Options of {@linkcode copyTask}. */
  readonly "copy": CopyOptions;
  /** Options of {@linkcode repeatCopyTask}. */
  readonly "repeat-copy": RepeatCopyOptions;
  /** Options of {@linkcode associativeRecallTask}. */
  readonly "associative-recall": AssociativeRecallOptions;
  /** {@linkcode ngramsTask} takes no options. */
  readonly "ngrams": Readonly<Record<never, never>>;
  /** Options of {@linkcode prioritySortTask}. */
  readonly "priority-sort": PrioritySortOptions;
}

/** The task type each paper task's factory returns, by task name. */
export interface PaperTasks {
  /** The copy task. */
  readonly "copy": Task;
  /** The repeat-copy task. */
  readonly "repeat-copy": RepeatCopyTask;
  /** The associative-recall task. */
  readonly "associative-recall": Task;
  /** The N-grams task. */
  readonly "ngrams": NgramsTask;
  /** The priority-sort task. */
  readonly "priority-sort": Task;
}

function requirePaperTaskName(name: unknown, what: string): PaperTaskName {
  if (name === "program") {
    throw new TypeError(
      `${what}: the program task is not one of the paper's five; create it with programTask from tasks/program.ts`,
    );
  }
  if (typeof name !== "string" || !(PAPER_TASK_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(
      `${what}: task must be one of ${PAPER_TASK_NAMES.join(", ")}, got ${JSON.stringify(name)}`,
    );
  }
  return name as PaperTaskName;
}

/**
 * The paper's setup for one of its tasks (Graves et al. 2014, Tables 1–2): memory 128 × 20, shifts −1..1,
 * k read heads and k write heads, RMSProp, one episode per update and the paper's training lengths.
 *
 * | task | LSTM heads / units / lr | feed-forward heads / units / lr |
 * |---|---|---|
 * | copy | 1 / 100 / 1e-4 | 1 / 100 / 1e-4 |
 * | repeat-copy | 1 / 100 / 1e-4 | 1 / 100 / 1e-4 |
 * | associative-recall | 1 / 100 / 1e-4 | 4 / 256 / 1e-4 |
 * | ngrams | 1 / 100 / 3e-5 | 1 / 100 / 3e-5 |
 * | priority-sort | 5 / 2 × 100 / 3e-5 | 8 / 512 / 3e-5 |
 *
 * `steps` is not in the paper's tables: 100k (copy, recall), 200k (repeat copy), 1M (N-grams, sort), chosen
 * generously from its learning curves.
 *
 * @param task One of the five paper tasks.
 * @param controllerType The controller: `lstm` (Table 1, default) or `feedforward` (Table 2).
 * @returns The preset.
 * @throws {TypeError} when the task or controller type is unknown.
 *
 * @example The paper's copy setup
 * ```ts
 * import assert from "node:assert/strict";
 * import { paperPreset } from "./presets.ts";
 * const preset = paperPreset("copy");
 * assert(preset.learningRate === 1e-4 && preset.model.memoryN === 128);
 * ```
 */
export function paperPreset(
  task: PaperTaskName,
  controllerType: "lstm" | "feedforward" = "lstm",
): TaskPreset {
  const what = "Cannot build the paper preset";
  const name = requirePaperTaskName(task, what);
  if (controllerType !== "lstm" && controllerType !== "feedforward") {
    throw new TypeError(
      `${what}: controllerType must be one of lstm, feedforward, got ${JSON.stringify(controllerType)}`,
    );
  }
  const row = PAPER_ROWS[controllerType][name];
  return {
    task: name,
    model: {
      controllerType,
      controllerSize: row.units,
      controllerLayers: row.layers,
      memoryN: 128,
      memoryM: 20,
      readHeads: row.heads,
      writeHeads: row.heads,
      shiftRange: 1,
    },
    optimizer: "rmsprop",
    learningRate: row.learningRate,
    batch: 1,
    range: taskByName(name).defaultRange,
    steps: row.steps,
  };
}

/**
 * Creates one of the five paper tasks from its name.
 *
 * @param name The task's name (the program task is made by `programTask` in tasks/program.ts instead).
 * @param options The options of that task's factory.
 * @returns The task.
 * @throws {TypeError} when the name is not one of the five paper tasks.
 * @throws {RangeError} when an option is out of range.
 *
 * @example Create a task from a command-line name
 * ```ts
 * import assert from "node:assert/strict";
 * import { taskByName } from "./presets.ts";
 * const task = taskByName("repeat-copy", { repeats: 20 });
 * assert(task.inputSize === 10 && task.fixedRepeats === 20);
 * ```
 */
export function taskByName<N extends PaperTaskName>(name: N, options?: PaperTaskOptions[N]): PaperTasks[N] {
  const what = "Cannot create the task by name";
  if (options !== undefined && (typeof options !== "object" || options === null)) {
    throw new TypeError(`${what}: options must be an object, got ${JSON.stringify(options)}`);
  }
  const task: Task = createTask(requirePaperTaskName(name, what), options ?? {});
  return task as PaperTasks[N];
}

function createTask(name: PaperTaskName, options: object): Task {
  switch (name) {
    case "copy":
      return copyTask(options as CopyOptions);
    case "repeat-copy":
      return repeatCopyTask(options as RepeatCopyOptions);
    case "associative-recall":
      return associativeRecallTask(options as AssociativeRecallOptions);
    case "ngrams":
      return ngramsTask();
    case "priority-sort":
      return prioritySortTask(options as PrioritySortOptions);
  }
}

/** The presets `--preset` selects from. */
export type PresetName = "quick" | "fast" | "paper";

/** Every {@linkcode PresetName}, in the order `--help` lists them. */
export const PRESET_NAMES: readonly PresetName[] = ["quick", "fast", "paper"];

/**
 * The fast preset's training recipe: the paper's centred RMSProp at batch 1 with lr 1e-3 (ten times the
 * paper's), evaluated every 500 steps: the recipe that reached the copy threshold in the fewest sequences in
 * the convergence study (its figures, and the command that re-measures them, are in `docs/convergence.md`).
 */
export const FAST_RECIPE: Readonly<Pick<TaskPreset, "optimizer" | "learningRate" | "batch" | "reportEvery">> =
  Object
    .freeze({ optimizer: "rmsprop", learningRate: 1e-3, batch: 1, reportEvery: 500 });

/** Steps of the fast copy preset: well past convergence (`docs/convergence.md`), trained on to generalise. */
export const FAST_COPY_STEPS = 12_000;

/**
 * The fast preset's learning rate, steps and report interval per task: copy's from the convergence study
 * (`docs/convergence.md`), the other four from the runs of `docs/results.md`, which say why 3e-4 and not
 * 1e-3 (N-grams and priority sort take ten times the paper's 3e-5, as 1e-3 is ten times copy's 1e-4).
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
 * @param controllerType Whose row of the paper's tables: Table 1 (`lstm`, default) or Table 2 (`feedforward`).
 * @returns The preset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { fastPreset } from "./presets.ts";
 * const preset = fastPreset("copy");
 * assert(preset.model.memoryN === 128 && preset.batch === 1);
 * ```
 */
export function fastPreset(task: PaperTaskName, controllerType: "lstm" | "feedforward" = "lstm"): TaskPreset {
  return { ...paperPreset(task, controllerType), ...FAST_RECIPE, ...FAST_TASKS[task] };
}

/**
 * The quick copy run, what `deno task train` trains with no flags: the paper's copy experiment (LSTM 100,
 * memory 128 × 20, one read and one write head, lengths 1..20) with the fast recipe ({@linkcode FAST_RECIPE}),
 * {@linkcode QUICK_COPY_STEPS} steps, well past convergence so that it generalises (the README's quick start
 * has the measured figures); its evaluation table reaches length 50.
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
 * @param controllerType Whose row of the paper's tables: Table 1 (`lstm`, default) or Table 2 (`feedforward`).
 * @returns The preset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { quickPreset } from "./presets.ts";
 * assert(quickPreset("copy").range.maxLen === 20 && quickPreset("copy").model.memoryN === 128);
 * assert(quickPreset("repeat-copy").optimizer === "adam" && quickPreset("repeat-copy").model.memoryN === 32);
 * ```
 */
export function quickPreset(
  task: PaperTaskName,
  controllerType: "lstm" | "feedforward" = "lstm",
): TaskPreset {
  const paper = paperPreset(task, controllerType);
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
 * @param controllerType Whose row of the paper's tables: Table 1 (`lstm`, default) or Table 2 (`feedforward`).
 * @returns The preset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { presetByName } from "./presets.ts";
 * assert(presetByName("paper", "copy").optimizer === "rmsprop");
 * ```
 */
export function presetByName(
  name: PresetName,
  task: PaperTaskName,
  controllerType: "lstm" | "feedforward" = "lstm",
): TaskPreset {
  return name === "paper"
    ? paperPreset(task, controllerType)
    : name === "fast"
    ? fastPreset(task, controllerType)
    : quickPreset(task, controllerType);
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
 * above the frequency baseline (figures in `docs/results.md`): an LSTM
 * controller of 64 units, memory 16 × 16 with one read and one write head, a softmax output over the 49
 * symbols, Adam at lr 3e-3, batch 16, the combined curriculum, 5,000 steps. `range` is the digits per
 * number the curriculum can draw, 1..target.
 *
 * @returns The preset.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { programPreset } from "./presets.ts";
 * const preset = programPreset();
 * assert(preset.curriculum === "combined" && preset.target.length === 2);
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
 * import assert from "node:assert/strict";
 * import { trainingTask } from "./presets.ts";
 * const task = trainingTask({ task: "program", program: { target: { length: 3, nesting: 2 } } });
 * assert(task.outputKind === "softmax" && task.lengthMeaning.includes("nesting 2"));
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
 * import assert from "node:assert/strict";
 * import { programRange } from "./presets.ts";
 * assert(programRange("naive", { length: 4, nesting: 1 }).minLen === 1);
 * ```
 */
export function programRange(curriculum: CurriculumName, target: ProgramDifficulty): LengthRange {
  return { minLen: curriculum === "baseline" ? target.length : 1, maxLen: target.length };
}
