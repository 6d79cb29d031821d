/**
 * The NTM paper's settings for its five tasks (Graves et al. 2014, Tables 1–2), and the tasks by name.
 *
 * @module
 */

import type { NtmConfig } from "../src/model/config.ts";
import { type AssociativeRecallOptions, associativeRecallTask } from "./associative_recall.ts";
import { type CopyOptions, copyTask } from "./copy.ts";
import { type NgramsTask, ngramsTask } from "./ngrams.ts";
import { type PrioritySortOptions, prioritySortTask } from "./priority_sort.ts";
import { type RepeatCopyOptions, type RepeatCopyTask, repeatCopyTask } from "./repeat_copy.ts";
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
 * import { paperPreset } from "./presets.ts";
 * const preset = paperPreset("copy");
 * console.assert(preset.learningRate === 1e-4 && preset.model.memoryN === 128);
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
 * import { taskByName } from "./presets.ts";
 * const task = taskByName("repeat-copy", { repeats: 20 });
 * console.assert(task.inputSize === 10 && task.fixedRepeats === 20);
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
