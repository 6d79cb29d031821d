/**
 * `deno task train`: trains an NTM (or, with `--model lstm`, a plain LSTM baseline of about the same
 * parameter count) on one of the paper's tasks or on Learning to Execute's program task, saving a
 * checkpoint and a metrics log in `--out DIR` at every report, and (unless `--no-eval`) evaluates it at
 * the task's test lengths and draws its figures at the end. `--resume DIR` continues a run exactly where
 * its checkpoint stopped.
 *
 * `--task program` trains on programs from a curriculum (`--curriculum baseline|naive|mix|combined`,
 * default combined) heading for `--target-length L` digits per number and `--target-nesting K` composed
 * operations. Every report evaluates a held-out batch of programs at the target difficulty (per-character
 * accuracy with teacher forcing, whole-answer accuracy, compared with the frequency baseline printed at
 * the start), and tells a naive or combined curriculum the per-character accuracy at its current stage,
 * on a held-out batch of that stage, so that it advances once it passes 0.95 (see
 * `src/train/curriculum_source.ts`). The curriculum's stage is saved with every checkpoint.
 *
 * `metrics.jsonl` lines of softmax tasks add `char_accuracy` and `answer_accuracy`; those of the program
 * task also `stage_length`, `stage_nesting`, `stage_char_accuracy`, `next_stage_length` and
 * `next_stage_nesting` (the curriculum's stage before and after the report).
 *
 * Standard output: progress (a live line on a terminal, a line per report otherwise), where the results
 * are, and last one JSON line: `{"task", "model", "backend", "steps", "sequences", "seconds",
 * "total_seconds", "cost_bits", "bit_errors", "character_accuracy", "answer_accuracy",
 * "frequency_baseline", "stopped_early", "checkpoint", "metrics", "eval", "figures"}` (the accuracies
 * and the baseline are `null` for the sigmoid tasks).
 *
 * Exit status: 0 on success, 2 for a usage error (bad flag or value), 1 when training or a checkpoint
 * fails (a non-finite loss, an unreadable checkpoint).
 *
 * @module
 */

import { join } from "node:path";
import {
  createCurriculum,
  type Curriculum,
  CURRICULUM_NAMES,
  type CurriculumName,
} from "../../tasks/curriculum.ts";
import {
  MAX_PROGRAM_LENGTH,
  MAX_PROGRAM_NESTING,
  PROGRAM_OPERATIONS,
  PROGRAM_VOCABULARY,
  type ProgramOperation,
} from "../../tasks/program.ts";
import {
  type LengthRange,
  MAX_BATCH,
  MAX_LENGTH,
  PAPER_TASK_NAMES,
  type Task,
  type TaskName,
} from "../../tasks/task.ts";
import {
  CheckpointError,
  checkpointLayout,
  hasCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  type LstmCheckpoint,
  type NtmCheckpoint,
  saveCheckpoint,
  type TrainingOptions,
} from "../io/checkpoint.ts";
import {
  appendMetricsRecord,
  METRICS_LOG_FILE,
  MetricsLogError,
  type MetricsRecord,
  parseMetricsLog,
  truncateMetricsLog,
} from "../io/metrics_log.ts";
import { writeFileAtomic } from "../io/atomic_write.ts";
import { DEFAULT_NTM_CONFIG, type NtmConfig, ntmConfig } from "../model/config.ts";
import {
  DEFAULT_INIT,
  HEADS_GAIN,
  INIT_WEIGHTINGS,
  type InitOptions,
  initParameters,
} from "../model/init.ts";
import { parameterLayout } from "../model/layout.ts";
import { MAX_SEED, Rng } from "../model/random.ts";
import {
  createOptimizer,
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerState,
  restoreOptimizer,
} from "../optim/optimizer.ts";
import { initLstmParameters } from "../reference/lstm_model.ts";
import { type LstmConfig, lstmConfig } from "../model/lstm_config.ts";
import { NonFiniteLossError, type TrainingBackend } from "../train/backend.ts";
import { type BatchSource, taskBatchSource } from "../train/batch_source.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { acquireRunLock, RunLockedError } from "../io/run_lock.ts";
import { listenForStop, type StopListener, TrainingInterruptedError } from "./stop_signals.ts";
import {
  BACKEND_CHOICES,
  type BackendChoice,
  createBackend,
  MODEL_KINDS,
  type ModelKind,
} from "../train/create_backend.ts";
import { curriculumBatchSource } from "../train/curriculum_source.ts";
import { lstmUnitsForParameterCount } from "../train/lstm_backend.ts";
import { frequencyBaseline } from "../train/metrics.ts";
import { WebGpuUnavailableError } from "../gpu/device.ts";
import { type TrainingReport, trainLoop } from "../train/loop.ts";
import {
  choiceFlag,
  type FlagSpec,
  helpText,
  integerFlag,
  numberFlag,
  parseFlags,
  pipeSafeWriter,
  UsageError,
} from "./args.ts";
import { defaultEvalLengths, evaluateCheckpoint, formatEvalTable } from "./eval.ts";
import {
  PRESET_NAMES,
  presetByName,
  type PresetName,
  programPreset,
  programRange,
  trainingTask,
} from "./presets.ts";
import { ProgressDisplay } from "./progress.ts";
import { renderFigures, renderLearningCurve } from "./viz.ts";
import { runCommand } from "./run_command.ts";

/** Every task `--task` accepts: the paper's five and the program task. */
const TASK_NAMES: readonly TaskName[] = [...PAPER_TASK_NAMES, "program"];

/** The flags of `deno task train`, with their help and defaults. */
export const TRAIN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "task": { type: "string", help: `task: ${TASK_NAMES.join(", ")}`, default: "copy" },
  "model": {
    type: "string",
    help: "ntm, or lstm: a plain LSTM without memory of about the NTM's parameter count (CPU only)",
    default: "ntm",
  },
  "preset": {
    type: "string",
    help:
      "quick (the default copy run: under 3 minutes on a CPU), fast (the paper's model, the fastest recipe the " +
      "convergence study found) or paper (Graves et al. Tables 1–2, batch 1)",
    default: "quick",
  },
  "backend": {
    type: "string",
    help: "auto, webgpu or cpu (the float64 reference)",
    default: "auto, or the checkpoint's on --resume",
  },
  "curriculum": {
    type: "string",
    help: `program task: ${CURRICULUM_NAMES.join(", ")} (Zaremba & Sutskever §4)`,
    default: "combined",
  },
  "target-length": {
    type: "string",
    help: `program task: digits per number to head for, 1..${MAX_PROGRAM_LENGTH}`,
    default: "2",
  },
  "target-nesting": {
    type: "string",
    help: `program task: composed operations to head for, 1..${MAX_PROGRAM_NESTING}`,
    default: "1",
  },
  "operations": {
    type: "string",
    help: `program task: the operations to compose, comma-separated from ${
      PROGRAM_OPERATIONS.join(",")
    } (add with nesting 1: the paper's addition task, print(a+b))`,
    default: "all six",
  },
  "controller-type": { type: "string", help: "lstm or feedforward", default: "from the preset" },
  "controller": {
    type: "string",
    help: "C: units per controller layer (--model lstm: units per LSTM layer)",
    default: "from the preset (--model lstm: matched to the NTM's parameter count)",
  },
  "controller-layers": { type: "string", help: "stacked controller layers", default: "from the preset" },
  "read-heads": { type: "string", help: "R: read heads", default: "from the preset" },
  "write-heads": { type: "string", help: "W: write heads", default: "from the preset" },
  "memory-n": { type: "string", help: "N: memory rows", default: "from the preset" },
  "memory-m": { type: "string", help: "M: memory row width", default: "from the preset" },
  "shift-range": { type: "string", help: "K: shifts −K..K", default: "1" },
  "memory-init": { type: "string", help: "learned, constant or random", default: "learned" },
  "init-heads-gain": {
    type: "string",
    help: "Glorot gain of the head-parameter map's initial weights (pytorch-ntm: 1.4)",
    default: String(HEADS_GAIN),
  },
  "init-weighting": {
    type: "string",
    help: "initial weightings' logits: uniform (all 0) or random (Glorot, as Collier & Beel)",
    default: "uniform",
  },
  "optimizer": {
    type: "string",
    help: "adam or rmsprop (Graves' centred RMSProp)",
    default: "from the preset",
  },
  "lr": { type: "string", help: "learning rate (may change on --resume)", default: "from the preset" },
  "batch": { type: "string", help: "B: episodes per step", default: "from the preset" },
  "steps": {
    type: "string",
    help: "train until this many steps in all (a resumed run counts from the start)",
    default: "from the preset",
  },
  "seed": { type: "string", help: "seeds initialisation and data", default: "1" },
  "min-len": { type: "string", help: "shortest training length", default: "from the preset" },
  "max-len": { type: "string", help: "longest training length", default: "from the preset" },
  "report-every": {
    type: "string",
    help: "evaluate, report and save a checkpoint every this many steps",
    default: "from the preset (fast: 500, for N-grams and priority sort 1000; else 100)",
  },
  "stop-at-bit-errors": {
    type: "string",
    help:
      "stop once held-out bit errors (program task: wrong characters) per sequence fall below this; never: train all --steps",
    default: "never",
  },
  "eval-episodes": { type: "string", help: "episodes in the held-out batch", default: "64" },
  "out": {
    type: "string",
    help: "directory for the checkpoint, metrics.jsonl, eval.json and figures",
    default: "runs/<task>-<timestamp>, or the --resume directory",
  },
  "resume": {
    type: "string",
    help: "continue the run whose checkpoint is in this directory (shape flags must match it)",
  },
  "no-eval": { type: "boolean", help: "skip the evaluation and figures after training" },
  "help": { type: "boolean", help: "show this help" },
};

/** Flags that fix the model's shape: on `--resume` they must agree with the checkpoint. */
const SHAPE_FLAGS = [
  "controller-type",
  "controller",
  "controller-layers",
  "read-heads",
  "write-heads",
  "memory-n",
  "memory-m",
  "shift-range",
  "memory-init",
] as const;

/** Where `deno task train` writes and how it shows progress (the defaults use the console). */
export interface TrainIo {
  /** Writes text to standard output as is. */
  readonly write: (text: string) => void;
  /** Writes a line (no newline included) to standard error. */
  readonly error: (line: string) => void;
  /** Redraw one live progress line (standard output is a terminal). */
  readonly live: boolean;
  /** The terminal's width in columns. */
  readonly columns?: number;
}

/** Substitutes for the parts `deno task train` is built from, for tests. */
export interface TrainDependencies {
  /** Creates the backend (default {@linkcode createBackend}); tests wrap it to inject failures. */
  readonly createBackend?: typeof createBackend;
}

/** The final JSON line of `deno task train`. */
export interface TrainSummary {
  /** The task. */
  readonly task: TaskName;
  /** The model: `ntm` or `lstm` (the plain LSTM baseline). */
  readonly model: ModelKind;
  /** The backend that trained. */
  readonly backend: string;
  /** Steps taken in all. */
  readonly steps: number;
  /** Training sequences seen in all. */
  readonly sequences: number;
  /** Seconds of training in this run. */
  readonly seconds: number;
  /** Seconds of training in all, over resumed runs. */
  readonly total_seconds: number;
  /** Held-out cost, bits per sequence, at the last report. */
  readonly cost_bits: number;
  /** Held-out bit errors per sequence, at the last report. */
  readonly bit_errors: number;
  /** Softmax tasks: held-out per-character accuracy (teacher forcing) at the last report, else `null`. */
  readonly character_accuracy: number | null;
  /** Softmax tasks: held-out whole-answer accuracy at the last report, else `null`. */
  readonly answer_accuracy: number | null;
  /** Softmax tasks: the held-out batch's frequency baseline (per-character accuracy), else `null`. */
  readonly frequency_baseline: number | null;
  /** Whether `--stop-at-bit-errors` stopped training. */
  readonly stopped_early: boolean;
  /** The checkpoint directory. */
  readonly checkpoint: string;
  /** The metrics log. */
  readonly metrics: string;
  /** The evaluation table (`null` with `--no-eval`). */
  readonly eval: string | null;
  /** The figures (empty with `--no-eval`). */
  readonly figures: readonly string[];
}

/** The model a run trains: an NTM, or the plain LSTM baseline (with the NTM's parameter count beside it). */
type ModelPlan =
  | Pick<NtmCheckpoint, "modelKind" | "config">
  | (Pick<LstmCheckpoint, "modelKind" | "config"> & { readonly ntmParameters?: number });

/** A run ready to train: its model, options and where it starts from. */
interface RunPlan {
  readonly model: ModelPlan;
  readonly training: TrainingOptions;
  readonly presetName: PresetName;
  readonly backend: BackendChoice;
  readonly outDir: string;
  readonly noEval: boolean;
  readonly resume: (LoadedCheckpoint & { readonly optimizer: OptimizerState }) | undefined;
}

/** Training stopped before its end: the message names the step and the checkpoint left in place. */
export class TrainingStoppedError extends Error {
  /**
   * Creates the error.
   *
   * @param message What happened and what was kept.
   * @param options The cause.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "TrainingStoppedError";
  }
}

/**
 * The console as {@linkcode TrainIo}: progress and results on standard output (a live line when it is a
 * terminal), notices on standard error.
 *
 * @returns The console's writers.
 *
 * @example
 * ```ts
 * import { consoleIo } from "./train.ts";
 * consoleIo().write("hello\n");
 * ```
 */
export function consoleIo(): TrainIo {
  let columns: number | undefined;
  try {
    columns = Deno.consoleSize().columns;
  } catch { /* not a terminal */ }
  const error = pipeSafeWriter(Deno.stderr);
  return {
    write: pipeSafeWriter(Deno.stdout),
    error: (line) => error(line + "\n"),
    live: Deno.stdout.isTerminal(),
    ...(columns !== undefined && { columns }),
  };
}

/**
 * Runs `deno task train` with the given arguments: parses and checks the flags, trains (saving a checkpoint
 * and a metrics line at every report), evaluates and draws the figures (unless `--no-eval`), and prints the
 * final JSON line.
 *
 * @param args The command-line arguments.
 * @param io Where to write (default: the console).
 * @param deps Substitutes for tests.
 * @returns The final summary, or `undefined` for `--help`.
 * @throws {UsageError} for an unknown flag, a malformed value, or a resume flag that contradicts the
 *   checkpoint.
 * @throws {CheckpointError} when `--resume` names an unreadable checkpoint or a save fails.
 * @throws {TrainingStoppedError} when the loss or gradient becomes non-finite (the last checkpoint is kept).
 *
 * @example Train a tiny copy model for 20 steps
 * ```ts ignore
 * import { trainCommand } from "./train.ts";
 * const summary = await trainCommand(["--backend", "cpu", "--steps", "20", "--out", "runs/tiny", "--no-eval"]);
 * console.log(summary?.cost_bits);
 * ```
 */
export async function trainCommand(
  args: string[],
  io: TrainIo = consoleIo(),
  deps: TrainDependencies = {},
): Promise<TrainSummary | undefined> {
  const values = parseFlags(args, TRAIN_FLAGS);
  if (values.help) {
    io.write(helpText("deno task train [flags]", TRAIN_FLAGS) + "\n");
    return undefined;
  }
  const plan = await planRun(values);
  return await runPlan(plan, io, deps);
}

/** The program task's flags, checked (each `undefined` when not given). */
interface ProgramFlags {
  readonly curriculum: CurriculumName | undefined;
  readonly length: number | undefined;
  readonly nesting: number | undefined;
  readonly operations: readonly ProgramOperation[] | undefined;
}

const PROGRAM_FLAGS = ["curriculum", "target-length", "target-nesting", "operations"] as const;

function programFlags(str: (name: string) => string | undefined): ProgramFlags {
  const curriculum = str("curriculum"), length = str("target-length"), nesting = str("target-nesting");
  return {
    curriculum: curriculum === undefined ? undefined : choiceFlag(curriculum, "curriculum", CURRICULUM_NAMES),
    length: length === undefined ? undefined : integerFlag(length, "target-length", 1, MAX_PROGRAM_LENGTH),
    nesting: nesting === undefined
      ? undefined
      : integerFlag(nesting, "target-nesting", 1, MAX_PROGRAM_NESTING),
    operations: operationsFlag(str("operations")),
  };
}

/** `--operations add,subtract`: distinct names of program operations, in the canonical order. */
function operationsFlag(value: string | undefined): readonly ProgramOperation[] | undefined {
  if (value === undefined) return undefined;
  const names = value.split(",").map((name) => name.trim());
  for (const name of names) choiceFlag(name, "operations", PROGRAM_OPERATIONS);
  if (new Set(names).size !== names.length) {
    throw new UsageError(`--operations must list each operation once, got ${JSON.stringify(value)}`);
  }
  // All six is the default, which a checkpoint records by leaving the field out.
  return names.length === PROGRAM_OPERATIONS.length
    ? undefined
    : PROGRAM_OPERATIONS.filter((op) => names.includes(op));
}

/** The plain LSTM baseline runs on the CPU only: `--backend webgpu` with it is a usage error. */
function checkLstmBackend(model: ModelKind, backend: BackendChoice): void {
  if (model === "lstm" && backend === "webgpu") {
    throw new UsageError(
      "--backend webgpu cannot run --model lstm: the plain LSTM baseline runs on the CPU only (float64); " +
        "use --backend cpu or auto",
    );
  }
}

async function planRun(values: Record<string, string | boolean | undefined>): Promise<RunPlan> {
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const int = (name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) => {
    const v = str(name);
    return v === undefined ? fallback : integerFlag(v, name, min, max);
  };
  const backendFlag = str("backend");
  let backend = choiceFlag(backendFlag ?? "auto", "backend", BACKEND_CHOICES);
  const modelFlag = str("model") === undefined ? undefined : choiceFlag(str("model")!, "model", MODEL_KINDS);
  const noEval = values["no-eval"] === true;
  const reportEveryFlag = str("report-every");
  const reportEvery = reportEveryFlag === undefined
    ? undefined
    : integerFlag(reportEveryFlag, "report-every", 1);
  const stopAt = str("stop-at-bit-errors");
  const stopAtBitErrors = stopAt === undefined || stopAt === "never"
    ? undefined
    : numberFlag(stopAt, "stop-at-bit-errors", 0);
  const program = programFlags(str);

  const resumeDir = str("resume");
  if (resumeDir !== undefined) {
    const loaded = await loadCheckpoint(resumeDir);
    const savedOptimizer = loaded.optimizer;
    if (savedOptimizer === null) {
      throw new UsageError(
        `--resume ${resumeDir} holds a shipped model (float32 weights without optimiser state), which cannot ` +
          `be resumed; resume the training checkpoint it was shipped from, or evaluate it with deno task eval`,
      );
    }
    const resume = { ...loaded, optimizer: savedOptimizer };
    const { training } = resume;
    if (backendFlag === undefined) backend = training.backend;
    const modelKind: ModelKind = resume.modelKind ?? "ntm";
    if (modelFlag !== undefined && modelFlag !== modelKind) {
      throw new UsageError(
        `--model ${modelFlag} would change the model: the checkpoint in ${resumeDir} holds ${modelKind}; ` +
          `drop --model to resume it, or start a new run with another --out`,
      );
    }
    checkLstmBackend(modelKind, backend);
    // Flags that would change the model or the run must agree with the checkpoint.
    const changed = (flag: string, saved: unknown): never => {
      throw new UsageError(
        `--${flag} ${str(flag)} would change the model's shape: the checkpoint in ${resumeDir} has ` +
          `${saved}; drop --${flag} to resume it, or start a new run with another --out`,
      );
    };
    if (resume.modelKind === "lstm") {
      const shape = lstmShapeFromFlags(str, resume.config);
      if (shape.units !== resume.config.units) changed("controller", `${resume.config.units} units`);
      if (shape.layers !== resume.config.layers) {
        changed("controller-layers", `${resume.config.layers} layers`);
      }
    } else {
      const config = resume.config;
      const shape = shapeFromFlags(str, config);
      for (const flag of SHAPE_FLAGS) {
        if (str(flag) === undefined) continue;
        const key = SHAPE_KEYS[flag];
        if (shape[key] !== config[key]) changed(flag, `${key} = ${config[key]}`);
      }
    }
    for (const flag of ["init-heads-gain", "init-weighting"]) {
      if (str(flag) !== undefined) {
        throw new UsageError(
          `--${flag} sets the initialisation, which a resumed run has long left behind; drop --${flag}`,
        );
      }
    }
    if (training.task !== "program") {
      for (const flag of PROGRAM_FLAGS) {
        if (str(flag) !== undefined) {
          throw new UsageError(
            `--${flag} applies only to --task program; the checkpoint in ${resumeDir} trains ${training.task}`,
          );
        }
      }
    }
    const same: [string, unknown, unknown][] = [
      ["task", str("task") && choiceFlag(str("task")!, "task", TASK_NAMES), training.task],
      ["preset", str("preset") && choiceFlag(str("preset")!, "preset", PRESET_NAMES), training.preset],
      [
        "optimizer",
        str("optimizer") && choiceFlag(str("optimizer")!, "optimizer", OPTIMIZER_NAMES),
        training.optimizer.name,
      ],
      ["batch", str("batch") && int("batch", 0), training.batch],
      ["seed", str("seed") && int("seed", 0, 0), training.seed],
      ["min-len", str("min-len") && int("min-len", 0), training.range.minLen],
      ["max-len", str("max-len") && int("max-len", 0), training.range.maxLen],
      ["eval-episodes", str("eval-episodes") && int("eval-episodes", 0), training.evalEpisodes],
      ["curriculum", program.curriculum, training.program?.curriculum],
      ["target-length", program.length, training.program?.target.length],
      ["target-nesting", program.nesting, training.program?.target.nesting],
      [
        "operations",
        str("operations") === undefined ? undefined : (program.operations ?? PROGRAM_OPERATIONS).join(","),
        (training.program?.operations ?? PROGRAM_OPERATIONS).join(","),
      ],
    ];
    for (const [flag, given, saved] of same) {
      if (given !== undefined && given !== saved) {
        const why = flag === "task"
          ? "would change the model's shape"
          : flag === "optimizer"
          ? "does not match the saved optimiser state"
          : "would not continue the same run";
        throw new UsageError(
          `--${flag} ${str(flag)} ${why}: the checkpoint in ${resumeDir} has ${saved}; drop --${flag} to ` +
            `resume it, or start a new run with another --out`,
        );
      }
    }
    const learningRate = str("lr") === undefined
      ? training.optimizer.options.learningRate!
      : lrFlag(str("lr")!);
    const outDir = str("out") ?? resumeDir;
    if (!samePath(outDir, resumeDir) && await hasCheckpoint(outDir)) {
      throw new UsageError(
        `--out ${outDir} already holds a checkpoint; choose an empty directory, or leave --out out to continue ` +
          `in ${resumeDir}`,
      );
    }
    return {
      model: resume.modelKind === "lstm"
        ? { modelKind: "lstm", config: resume.config }
        : { modelKind: "ntm", config: resume.config },
      training: {
        ...training,
        backend,
        steps: int("steps", training.steps),
        reportEvery: reportEvery ?? training.reportEvery,
        stopAtBitErrors: stopAt === undefined ? training.stopAtBitErrors : stopAtBitErrors ?? null,
        optimizer: {
          name: training.optimizer.name,
          options: { ...training.optimizer.options, learningRate },
        },
      },
      presetName: training.preset,
      backend,
      outDir,
      noEval,
      resume,
    };
  }

  const taskName = choiceFlag(str("task") ?? "copy", "task", TASK_NAMES);
  const presetName = choiceFlag(str("preset") ?? "quick", "preset", PRESET_NAMES);
  if (taskName !== "program") {
    for (const flag of PROGRAM_FLAGS) {
      if (str(flag) !== undefined) {
        throw new UsageError(`--${flag} applies only to --task program, not to --task ${taskName}`);
      }
    }
  } else {
    for (const flag of ["min-len", "max-len"]) {
      if (str(flag) !== undefined) {
        throw new UsageError(
          `--${flag} does not apply to --task program: set the difficulty with --target-length and --target-nesting`,
        );
      }
    }
    if (presetName !== "quick") {
      throw new UsageError(
        `--preset ${presetName} has no setup for --task program (the NTM paper has no program task); use --preset quick`,
      );
    }
  }
  const preset = taskName === "program" ? programPreset() : presetByName(presetName, taskName);
  const programOptions = taskName === "program"
    ? {
      curriculum: program.curriculum ?? programPreset().curriculum,
      target: {
        length: program.length ?? programPreset().target.length,
        nesting: program.nesting ?? programPreset().target.nesting,
      },
      ...(program.operations && { operations: program.operations }),
    }
    : undefined;
  const task = trainingTask({ task: taskName, ...(programOptions && { program: programOptions }) });
  const model = preset.model;
  const defaults: NtmConfig = {
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    outputKind: task.outputKind,
    controllerType: model.controllerType ?? "lstm",
    controllerSize: model.controllerSize ?? 100,
    controllerLayers: model.controllerLayers ?? 1,
    readHeads: model.readHeads ?? 1,
    writeHeads: model.writeHeads ?? 1,
    memoryN: model.memoryN ?? 128,
    memoryM: model.memoryM ?? 20,
    shiftRange: model.shiftRange ?? 1,
    memoryInit: DEFAULT_NTM_CONFIG.memoryInit,
  };
  const modelKind: ModelKind = modelFlag ?? "ntm";
  checkLstmBackend(modelKind, backend);
  let modelPlan: ModelPlan;
  try {
    if (modelKind === "lstm") {
      // A plain LSTM with about as many parameters as the NTM the same preset (and flags) would build.
      const ntmParameters = parameterLayout(ntmConfig(defaults)).size;
      const layers = int("controller-layers", 1);
      const units = lstmUnitsForParameterCount(task.inputSize, task.outputSize, layers, ntmParameters);
      const config = lstmConfig(lstmShapeFromFlags(str, {
        inputSize: task.inputSize,
        outputSize: task.outputSize,
        units,
        layers,
        outputKind: task.outputKind,
      }));
      modelPlan = { modelKind: "lstm", config, ntmParameters };
    } else {
      modelPlan = { modelKind: "ntm", config: ntmConfig(shapeFromFlags(str, defaults)) };
    }
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  let range: LengthRange;
  if (programOptions) {
    range = programRange(programOptions.curriculum, programOptions.target);
  } else {
    range = {
      minLen: int("min-len", preset.range.minLen, 1, MAX_LENGTH),
      maxLen: int("max-len", preset.range.maxLen, 1, MAX_LENGTH),
    };
    if (range.minLen > range.maxLen) {
      throw new UsageError(`--min-len must be ≤ --max-len, got ${range.minLen} > ${range.maxLen}`);
    }
    try {
      task.generate(new Rng(0), 1, range);
    } catch (error) {
      throw new UsageError(
        `--min-len/--max-len ${range.minLen}..${range.maxLen}: ${(error as Error).message}`,
      );
    }
  }
  const optimizerName = choiceFlag(str("optimizer") ?? preset.optimizer, "optimizer", OPTIMIZER_NAMES);
  const learningRate = str("lr") !== undefined
    ? lrFlag(str("lr")!)
    : optimizerName === preset.optimizer
    ? preset.learningRate
    : optimizerName === "adam"
    ? 1e-3
    : 1e-4;
  const seed = int("seed", 1, 0, MAX_SEED);
  const gainFlag = str("init-heads-gain"), weightingFlag = str("init-weighting");
  const init: InitOptions = {
    headsGain: gainFlag === undefined ? DEFAULT_INIT.headsGain : numberFlag(gainFlag, "init-heads-gain", 0),
    weighting: weightingFlag === undefined
      ? DEFAULT_INIT.weighting
      : choiceFlag(weightingFlag, "init-weighting", INIT_WEIGHTINGS),
  };
  if (modelKind === "lstm" && (gainFlag !== undefined || weightingFlag !== undefined)) {
    throw new UsageError(
      "--init-heads-gain and --init-weighting apply to the NTM's heads, not to --model lstm",
    );
  }
  const outGiven = str("out");
  const outDir = outGiven ?? await defaultOutDir(modelKind === "lstm" ? `${taskName}-lstm` : taskName);
  if (outGiven !== undefined) await checkNewOutDir(outGiven);
  return {
    model: modelPlan,
    training: {
      task: taskName,
      ...(programOptions && { program: programOptions }),
      preset: presetName,
      backend,
      range,
      batch: int("batch", preset.batch, 1, MAX_BATCH),
      steps: int("steps", preset.steps),
      seed,
      evalSeed: seed + 1,
      memorySeed: seed + 2,
      reportEvery: reportEvery ?? preset.reportEvery ?? 100,
      evalEpisodes: int("eval-episodes", 64, 1, MAX_BATCH),
      stopAtBitErrors: stopAtBitErrors ?? null,
      ...((init.headsGain !== DEFAULT_INIT.headsGain || init.weighting !== DEFAULT_INIT.weighting) &&
        { init }),
      optimizer: {
        name: optimizerName,
        options: createOptimizer(optimizerName, 1, { learningRate }).options,
      },
    },
    presetName,
    backend,
    outDir,
    noEval,
    resume: undefined,
  };
}

/**
 * Refuses an `--out` for a new run that cannot become its directory, or that holds an earlier run's files
 * (which the new run would overwrite): a checkpoint, or a metrics log without one.
 */
async function checkNewOutDir(out: string): Promise<void> {
  if (out.trim() === "") throw new UsageError(`--out must name a directory, got "${out}"`);
  let info: Deno.FileInfo | null = null;
  try {
    info = await Deno.stat(out);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      throw new UsageError(`--out ${out} is a system path that training may not write; choose another --out`);
    }
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new UsageError(`--out ${out} cannot be used: ${(error as Error).message}`);
    }
  }
  if (info === null) return;
  if (!info.isDirectory) {
    throw new UsageError(`--out ${out} is a file, not a directory; choose another --out`);
  }
  if (await hasCheckpoint(out).catch(() => false)) {
    throw new UsageError(
      `--out ${out} already holds a checkpoint; continue it with --resume ${out}, or choose another --out`,
    );
  }
  if (await Deno.stat(join(out, METRICS_LOG_FILE)).then(() => true, () => false)) {
    throw new UsageError(
      `--out ${out} holds ${METRICS_LOG_FILE} but no checkpoint (left by an earlier run?); a new run would ` +
        `overwrite it: move it away, or choose another --out`,
    );
  }
}

/** `--lr`: a positive number that float32 (the WebGPU engine's precision) can hold. */
function lrFlag(value: string): number {
  const lr = numberFlag(value, "lr", 0);
  if (lr > FLOAT32_MAX) {
    throw new UsageError(
      `--lr ${value} overflows float32 (at most ${FLOAT32_MAX.toPrecision(3)}); use a learning rate below 1`,
    );
  }
  return lr;
}

/** The largest finite float32. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** NTM-only shape flags, which `--model lstm` rejects. */
const NTM_ONLY_FLAGS = [
  "controller-type",
  "read-heads",
  "write-heads",
  "memory-n",
  "memory-m",
  "shift-range",
  "memory-init",
] as const;

/** The LSTM baseline's configuration `base` with `--controller` (units) and `--controller-layers` applied. */
function lstmShapeFromFlags(str: (name: string) => string | undefined, base: LstmConfig): LstmConfig {
  for (const flag of NTM_ONLY_FLAGS) {
    if (str(flag) !== undefined) {
      throw new UsageError(
        `--${flag} does not apply to --model lstm: the plain LSTM baseline has no memory or heads ` +
          `(size it with --controller and --controller-layers)`,
      );
    }
  }
  const int = (name: string, fallback: number) => {
    const v = str(name);
    return v === undefined ? fallback : integerFlag(v, name, 1);
  };
  return { ...base, units: int("controller", base.units), layers: int("controller-layers", base.layers) };
}

const SHAPE_KEYS = {
  "controller-type": "controllerType",
  "controller": "controllerSize",
  "controller-layers": "controllerLayers",
  "read-heads": "readHeads",
  "write-heads": "writeHeads",
  "memory-n": "memoryN",
  "memory-m": "memoryM",
  "shift-range": "shiftRange",
  "memory-init": "memoryInit",
} as const satisfies Record<(typeof SHAPE_FLAGS)[number], keyof NtmConfig>;

/** The configuration `base` with the shape flags that were given applied (values checked). */
function shapeFromFlags(str: (name: string) => string | undefined, base: NtmConfig): NtmConfig {
  const int = (name: string, fallback: number) => {
    const v = str(name);
    return v === undefined ? fallback : integerFlag(v, name, 1);
  };
  const type = str("controller-type");
  const init = str("memory-init");
  return {
    ...base,
    controllerType: type === undefined
      ? base.controllerType
      : choiceFlag(type, "controller-type", ["lstm", "feedforward"] as const),
    controllerSize: int("controller", base.controllerSize),
    controllerLayers: int("controller-layers", base.controllerLayers),
    readHeads: int("read-heads", base.readHeads),
    writeHeads: int("write-heads", base.writeHeads),
    memoryN: int("memory-n", base.memoryN),
    memoryM: int("memory-m", base.memoryM),
    shiftRange: int("shift-range", base.shiftRange),
    memoryInit: init === undefined
      ? base.memoryInit
      : choiceFlag(init, "memory-init", ["constant", "learned", "random"] as const),
  };
}

async function defaultOutDir(task: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, "").replace(/[-:]/g, "").replace("T", "-");
  for (let i = 1;; i++) {
    const dir = join("runs", `${task}-${stamp}${i === 1 ? "" : `-${i}`}`);
    if (!(await exists(dir))) return dir;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

function samePath(a: string, b: string): boolean {
  return join(a) === join(b);
}

/** The training backend, with a hook after every step (for the live progress line). */
function withStepHook(
  backend: TrainingBackend,
  startStep: number,
  hook: (step: number) => void,
): TrainingBackend {
  let step = startStep;
  return {
    get name() {
      return backend.name;
    },
    get device() {
      return backend.device;
    },
    async trainStep(batch) {
      await backend.trainStep(batch);
      hook(++step);
    },
    lastStep: () => backend.lastStep(),
    evaluate: (batch) => backend.evaluate(batch),
    predict: (batch) => backend.predict(batch),
    parameters: () => backend.parameters(),
    optimizerState: () => backend.optimizerState(),
    memoryRngState: () => backend.memoryRngState(),
    destroy: () => backend.destroy(),
  };
}

/** Copies the metrics log's lines up to `step` from one run directory's log to another's, as they are. */
async function carryMetricsLog(from: string, to: string, step: number): Promise<void> {
  let text = "";
  try {
    text = await Deno.readTextFile(from);
  } catch { /* no log to carry */ }
  const kept = text.split("\n").filter((line) => {
    if (line.trim() === "") return false;
    try {
      return parseMetricsLog(line + "\n")[0]!.step <= step;
    } catch {
      return false;
    }
  });
  await writeFileAtomic(to, kept.map((l) => l + "\n").join(""));
}

/** A symbol of the program vocabulary, printable: `'.'`, `'\\n'`. */
function symbolName(index: number): string {
  return JSON.stringify(PROGRAM_VOCABULARY[index] ?? "?").replaceAll('"', "'");
}

async function runPlan(plan: RunPlan, io: TrainIo, deps: TrainDependencies): Promise<TrainSummary> {
  const { model, training, outDir, resume } = plan;
  const task = trainingTask(training);
  const layout = checkpointLayout(model);
  checkTrainingSize(task, training, model.config, layout.size, resume?.dir);
  let lock;
  try {
    await Deno.mkdir(outDir, { recursive: true });
    lock = await acquireRunLock(outDir);
  } catch (error) {
    if (error instanceof RunLockedError) throw error;
    throw new UsageError(`Cannot write into the output directory ${outDir}: ${(error as Error).message}`);
  }
  const stop = listenForStop();
  try {
    return await runLocked(plan, io, deps, stop);
  } finally {
    stop.remove();
    await lock.release();
  }
}

/**
 * Refuses a run whose estimated memory exceeds the limit, before anything is allocated or written: the
 * training batch or the held-out batch (evaluated at once), each at the longest training length.
 */
function checkTrainingSize(
  task: Task,
  training: TrainingOptions,
  config: NtmConfig | LstmConfig,
  parameters: number,
  resumed: string | undefined,
): void {
  const fields = resumed
    ? `the run in ${resumed} (training.batch ${training.batch}, training.evalEpisodes ${training.evalEpisodes}, ` +
      `training.range.maxLen ${training.range.maxLen})`
    : `--batch ${training.batch} / --eval-episodes ${training.evalEpisodes} at --max-len ${training.range.maxLen}`;
  const shape = "units" in config
    ? `LSTM ${config.units}×${config.layers}`
    : `memory ${config.memoryN}×${config.memoryM}, ${config.readHeads}R/${config.writeHeads}W heads, ` +
      `controller ${config.controllerSize}×${config.controllerLayers}`;
  try {
    const steps =
      task.generate(new Rng(0), 1, { minLen: training.range.maxLen, maxLen: training.range.maxLen })
        .steps;
    const episodes = Math.max(training.batch, training.evalEpisodes);
    checkRunSize(
      `Cannot train ${fields} with ${shape}`,
      parameters,
      episodes * steps * tapeBytesPerStep(config),
    );
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

/** The run itself, with the output directory locked. */
async function runLocked(
  plan: RunPlan,
  io: TrainIo,
  deps: TrainDependencies,
  stop: StopListener,
): Promise<TrainSummary> {
  const { model, training, outDir, resume } = plan;
  const task = trainingTask(training);
  const layout = checkpointLayout(model);
  const startStep = resume?.progress.step ?? 0;
  const previousSeconds = resume?.progress.seconds ?? 0;
  const params = resume
    ? resume.params
    : model.modelKind === "lstm"
    ? initLstmParameters(model.config, layout, training.seed)
    : initParameters(model.config, layout, training.seed, training.init);
  const optimizerName: OptimizerName = training.optimizer.name;
  const optimizer = resume
    ? restoreOptimizer(resume.optimizer, training.optimizer.options, layout.size)
    : createOptimizer(optimizerName, layout.size, training.optimizer.options);
  const dataRng = new Rng(training.seed);
  if (resume) dataRng.setState(resume.progress.dataRng);
  let curriculum: Curriculum | undefined;
  let source: BatchSource;
  if (training.program) {
    curriculum = createCurriculum(
      training.program.curriculum,
      training.program.target,
      training.program.operations,
    );
    if (resume?.progress.curriculum) curriculum.restore(resume.progress.curriculum);
    source = curriculumBatchSource(curriculum);
  } else {
    source = taskBatchSource(task, training.range);
  }
  const softmax = task.outputKind === "softmax";
  const baseline = softmax
    ? frequencyBaseline(source.heldOut(training.evalEpisodes, training.evalSeed))
    : null;

  const metricsPath = join(outDir, METRICS_LOG_FILE);
  try {
    if (resume && !samePath(outDir, resume.dir)) {
      // Carry the log over to the new directory, up to the checkpoint's step.
      await carryMetricsLog(join(resume.dir, METRICS_LOG_FILE), metricsPath, startStep);
    } else {
      await truncateMetricsLog(metricsPath, startStep);
    }
  } catch (error) {
    if (!(error instanceof MetricsLogError)) throw error;
    throw new MetricsLogError(
      `${error.message}; nothing was changed: repair the line or move ${metricsPath} away, then run again`,
    );
  }

  const backendInit = {
    layout,
    params,
    optimizer,
    batch: training.batch,
    memorySeed: training.memorySeed,
    startStep,
    ...(resume && { memoryRngState: resume.progress.memoryRng }),
  };
  const backend = await (deps.createBackend ?? createBackend)(
    plan.backend,
    model.modelKind === "lstm"
      ? { ...backendInit, kind: "lstm", config: model.config }
      : { ...backendInit, config: model.config },
    (line) => io.error(line),
    // auto with only a software adapter times a batch of this run's episodes on both backends; the
    // batch comes from its own stream, so the training batches are the same whichever backend trains.
    plan.backend === "auto" ? { probe: source.next(new Rng(training.seed + 3), training.batch) } : {},
  );
  const lr = training.optimizer.options.learningRate;
  const what = model.modelKind === "lstm"
    ? `plain LSTM ${model.config.units}×${model.config.layers} (no memory), ${layout.size} parameters` +
      ("ntmParameters" in model && model.ntmParameters !== undefined
        ? ` (the NTM of this preset: ${model.ntmParameters})`
        : "")
    : `${model.config.controllerType} ${model.config.controllerSize}×${model.config.controllerLayers}, ` +
      `memory ${model.config.memoryN}×${model.config.memoryM}, ` +
      `${model.config.readHeads}R/${model.config.writeHeads}W heads, ${layout.size} parameters`;
  const data = training.program
    ? `${training.program.curriculum} curriculum to length ${training.program.target.length}, nesting ` +
      `${training.program.target.nesting}` +
      (training.program.operations ? `, operations ${training.program.operations.join(",")}` : "") +
      (curriculum && curriculum.name !== "baseline" && curriculum.name !== "mix"
        ? ` (stage ${curriculum.current.length}/${curriculum.current.nesting})`
        : "")
    : `${task.lengthMeaning} ${training.range.minLen}..${training.range.maxLen}`;
  const lines = [
    `${resume ? `Resuming ${resume.dir} at step ${startStep}:` : "Training"} ${training.task} ` +
    `(${plan.presetName} preset) on ${backend.device}: ${what}, ${training.optimizer.name} lr ${lr}, ` +
    `batch ${training.batch}, ${data}, up to ${training.steps} steps`,
    ...(baseline
      ? [
        `Held-out batch: ${training.evalEpisodes} episodes` +
        (training.program
          ? ` at the target (length ${training.program.target.length}, nesting ${training.program.target.nesting})`
          : "") +
        `; frequency baseline (always ${symbolName(baseline.symbol)}): ` +
        `${(100 * baseline.characterAccuracy).toFixed(1)}% per character`,
      ]
      : []),
    `Checkpoint and logs: ${outDir}`,
  ];
  const progress = new ProgressDisplay({
    totalSteps: training.steps,
    startStep,
    batch: training.batch,
    live: io.live,
    write: io.write,
    ...(io.columns !== undefined && { columns: io.columns }),
  });
  for (const line of lines) progress.message(line);

  let saved = startStep;
  let lastReport: TrainingReport | undefined;
  stop.onFirst((signal) =>
    progress.message(
      `${signal}: stopping after this step and saving a checkpoint (send ${signal} again to exit at once)`,
    )
  );
  const save = async (report: TrainingReport | undefined, step: number, seconds: number) => {
    const [params, optimizerState] = await Promise.all([backend.parameters(), backend.optimizerState()]);
    const accuracy = (key: "characterAccuracy" | "answerAccuracy") =>
      report ? report[key] ?? null : resume?.progress[key] ?? null;
    await saveCheckpoint(
      outDir,
      {
        ...model,
        training,
        progress: {
          step,
          sequences: step * training.batch,
          seconds,
          dataRng: dataRng.getState(),
          memoryRng: backend.memoryRngState(),
          costBits: report?.costBits ?? resume?.progress.costBits ?? null,
          bitErrors: report?.bitErrors ?? resume?.progress.bitErrors ?? null,
          ...(softmax && {
            characterAccuracy: accuracy("characterAccuracy"),
            answerAccuracy: accuracy("answerAccuracy"),
          }),
          ...(curriculum && { curriculum: curriculum.state() }),
        },
        params,
        optimizer: optimizerState,
      } as NtmCheckpoint | LstmCheckpoint,
    );
    saved = step;
  };

  let result;
  let loopStarted = performance.now();
  try {
    if (!resume) await save(undefined, 0, 0); // the directory is a (step-0) checkpoint from the start
    if (startStep >= training.steps) {
      progress.message(`The checkpoint is at step ${startStep} already, not below --steps ${training.steps}`);
    }
    loopStarted = performance.now();
    result = await trainLoop(
      withStepHook(backend, startStep, (step) => progress.step(step)),
      {
        task,
        range: training.range,
        batch: training.batch,
        steps: training.steps,
        reportEvery: training.reportEvery,
        evalEpisodes: training.evalEpisodes,
        evalSeed: training.evalSeed,
        source,
        ...(training.stopAtBitErrors !== null && { stopAtBitErrors: training.stopAtBitErrors }),
      },
      dataRng,
      startStep,
      {
        shouldStop: () => stop.signal !== null,
        onReport: async (report) => {
          lastReport = report;
          const seconds = previousSeconds + report.seconds;
          await save(report, report.step, seconds);
          const record: MetricsRecord & Record<string, number | null> = {
            step: report.step,
            sequences: report.sequences,
            seconds,
            train_cost_bits: report.trainCostBits,
            grad_norm: report.gradNorm,
            cost_bits: report.costBits,
            bit_errors: report.bitErrors,
            seq_per_s: report.sequencesPerSecond,
            ...(report.characterAccuracy !== undefined && { char_accuracy: report.characterAccuracy }),
            ...(report.answerAccuracy !== undefined && { answer_accuracy: report.answerAccuracy }),
            ...report.source?.fields,
          };
          await appendMetricsRecord(metricsPath, record);
          progress.report(report);
        },
      },
    );
  } catch (error) {
    progress.finish();
    if (error instanceof NonFiniteLossError) {
      throw new TrainingStoppedError(
        `${error.message}. The last good checkpoint (step ${saved}) in ${outDir} is left as it was; ` +
          `continue from it with a lower learning rate: deno task train --resume ${outDir} --lr <lower>`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    backend.destroy();
  }
  progress.finish();
  const { last, stoppedEarly, interruptedAt } = result;
  if (interruptedAt !== undefined && stop.signal !== null) {
    const seconds = previousSeconds + (performance.now() - loopStarted) / 1000;
    await save(lastReport, interruptedAt, seconds);
    io.write(
      `Stopped by ${stop.signal} after step ${interruptedAt}: the checkpoint in ${outDir} is at step ` +
        `${interruptedAt}.\nContinue training with: deno task train --resume ${outDir}\n`,
    );
    throw new TrainingInterruptedError(stop.signal);
  }
  stop.remove(); // the checkpoint is final: a signal during the evaluation ends the process as usual
  if (stoppedEarly) {
    io.write(
      `Stopped: held-out bit errors ${last.bitErrors} < ${training.stopAtBitErrors} at step ${last.step}\n`,
    );
  }
  if (baseline && last.characterAccuracy !== undefined) {
    io.write(
      `Held-out per-character accuracy ${(100 * last.characterAccuracy).toFixed(1)}% (frequency baseline ` +
        `${(100 * baseline.characterAccuracy).toFixed(1)}%), whole answers ` +
        `${(100 * (last.answerAccuracy ?? 0)).toFixed(1)}% at step ${last.step}\n`,
    );
  }

  let evalPath: string | null = null;
  const figures: string[] = [];
  if (!plan.noEval) {
    const evaluation = await evaluateCheckpoint(outDir, {
      lengths: defaultEvalLengths(task, training.range),
      episodes: training.evalEpisodes,
      backend: model.modelKind === "lstm" ? "cpu" : plan.backend, // the LSTM's CPU notice was shown once
      notice: (line) => io.error(line),
    });
    io.write(formatEvalTable(evaluation) + "\n");
    evalPath = evaluation.file;
    if (model.modelKind === "lstm") {
      const curve = await renderLearningCurve(outDir);
      if (curve) figures.push(curve);
    } else {
      const drawn = await renderFigures(outDir);
      figures.push(
        drawn.episode,
        ...(drawn.learningCurve ? [drawn.learningCurve] : []),
        ...(drawn.priorityWrites ? [drawn.priorityWrites] : []),
      );
    }
  }
  io.write(`Checkpoint: ${outDir} (model.safetensors, optimizer.safetensors, config.json)\n`);
  io.write(`Metrics log: ${metricsPath}\n`);
  if (evalPath) io.write(`Evaluation: ${evalPath}\n`);
  if (figures.length) io.write(`Figures: ${figures.join(", ")}\n`);
  io.write(`Continue training with: deno task train --resume ${outDir} --steps <more>\n`);
  const summary: TrainSummary = {
    task: training.task,
    model: model.modelKind ?? "ntm",
    backend: backend.name,
    steps: last.step,
    sequences: last.sequences,
    seconds: Number(last.seconds.toFixed(3)),
    total_seconds: Number((previousSeconds + last.seconds).toFixed(3)),
    cost_bits: last.costBits,
    bit_errors: last.bitErrors,
    character_accuracy: last.characterAccuracy ?? null,
    answer_accuracy: last.answerAccuracy ?? null,
    frequency_baseline: baseline?.characterAccuracy ?? null,
    stopped_early: stoppedEarly,
    checkpoint: outDir,
    metrics: metricsPath,
    eval: evalPath,
    figures,
  };
  io.write(JSON.stringify(summary) + "\n");
  return summary;
}

if (import.meta.main) {
  await runCommand(trainCommand, [
    CheckpointError,
    TrainingStoppedError,
    WebGpuUnavailableError,
    RunLockedError,
    MetricsLogError,
  ]);
}
