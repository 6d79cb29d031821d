/**
 * Planning a `deno task train` run from its flags: a fresh run's model, task, optimiser and schedule from
 * the preset and the flags, or a resumed run's from its checkpoint (with every flag that would change the
 * run refused), and the output directory checked before anything is trained.
 *
 * @module
 */

import { join } from "node:path";
import { PROGRAM_OPERATIONS } from "../../tasks/program.ts";
import {
  type LengthRange,
  MAX_BATCH,
  MAX_LENGTH,
  type Task,
  TASK_NAMES,
  type TaskName,
} from "../../tasks/task.ts";
import {
  hasCheckpoint,
  loadCheckpoint,
  type LoadedCheckpoint,
  type LstmCheckpoint,
  type NtmCheckpoint,
  type TrainingOptions,
} from "../io/checkpoint.ts";
import { METRICS_LOG_FILE } from "../io/metrics_log.ts";
import { DEFAULT_NTM_CONFIG, type NtmConfig, ntmConfig } from "../model/config.ts";
import { type LrScheduleSpec, parseLrSchedule } from "../optim/lr_schedule.ts";
import { DEFAULT_INIT, INIT_WEIGHTINGS, type InitOptions } from "../model/init.ts";
import { parameterLayout } from "../model/layout.ts";
import { MAX_SEED, Rng } from "../model/random.ts";
import { createOptimizer, OPTIMIZER_NAMES, type OptimizerState } from "../optim/optimizer.ts";
import { lstmConfig } from "../model/lstm_config.ts";
import { MODEL_KINDS, type ModelKind } from "../train/backend.ts";
import { BACKEND_CHOICES, type BackendChoice, checkBackendChoice } from "../train/create_backend.ts";
import { lstmUnitsForParameterCount } from "../train/lstm_backend.ts";
import { runSeeds } from "../train/run_setup.ts";
import {
  asUsage,
  choiceFlag,
  type CommandLine,
  integerFlag,
  numberFlag,
  stringFlag,
  UsageError,
} from "./args.ts";
import {
  PRESET_NAMES,
  presetByName,
  type PresetName,
  programPreset,
  programRange,
  trainingTask,
} from "../../tasks/presets.ts";
import {
  lrFlag,
  lstmShapeFromFlags,
  PROGRAM_FLAGS,
  programFlags,
  SHAPE_FLAGS,
  SHAPE_KEYS,
  shapeFromFlags,
} from "./train_flags.ts";

/** The model a run trains: an NTM, or the plain LSTM baseline (with the NTM's parameter count beside it). */
export type ModelPlan =
  | Pick<NtmCheckpoint, "modelKind" | "config">
  | (Pick<LstmCheckpoint, "modelKind" | "config"> & { readonly ntmParameters?: number });

/** A run ready to train: its model, options and where it starts from. */
export interface RunPlan {
  readonly model: ModelPlan;
  readonly training: TrainingOptions;
  readonly presetName: PresetName;
  readonly backend: BackendChoice;
  readonly outDir: string;
  readonly noEval: boolean;
  readonly resume: (LoadedCheckpoint & { readonly optimizer: OptimizerState }) | undefined;
  /** The wasm backend's threads (`undefined`: every core, one for a batch of one). */
  readonly threads?: number;
}

/** The flags both a fresh and a resumed run read, and readers of the others. */
interface PlanFlags {
  /** A flag's value if it was given (a resumed run refuses what it would change). */
  readonly str: (name: string) => string | undefined;
  /** A flag's value, given or its default (a fresh run). */
  readonly value: (name: string) => string;
  /** A given integer flag in `min..max`, or `fallback`. */
  readonly int: (name: string, fallback: number, min?: number, max?: number) => number;
  /** `--backend` as given. */
  readonly backendFlag: string | undefined;
  /** `--backend`, or `auto`. */
  readonly backend: BackendChoice;
  /** `--model` as given. */
  readonly modelFlag: ModelKind | undefined;
  readonly noEval: boolean;
  readonly reportEvery: number | undefined;
  /** `--stop-at-bit-errors` as given (`never` included). */
  readonly stopAt: string | undefined;
  readonly stopAtBitErrors: number | undefined;
  /** The program task's flags, as given. */
  readonly program: ReturnType<typeof programFlags>;
}

/** Reads the flags every run reads, checking their values. */
function readPlanFlags(line: CommandLine): PlanFlags {
  const str = (name: string): string | undefined => line.given.has(name) ? stringFlag(line, name) : undefined;
  const value = (name: string): string => {
    const v = stringFlag(line, name);
    if (v === undefined) throw new Error(`--${name} has no default`);
    return v;
  };
  const int = (name: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) => {
    const v = str(name);
    return v === undefined ? fallback : integerFlag(v, name, min, max);
  };
  const backendFlag = str("backend");
  const modelGiven = str("model");
  const reportEveryFlag = str("report-every");
  const stopAt = str("stop-at-bit-errors");
  return {
    str,
    value,
    int,
    backendFlag,
    backend: choiceFlag(backendFlag ?? "auto", "backend", BACKEND_CHOICES),
    modelFlag: modelGiven === undefined ? undefined : choiceFlag(modelGiven, "model", MODEL_KINDS),
    noEval: line.values["no-eval"] === true,
    reportEvery: reportEveryFlag === undefined ? undefined : integerFlag(reportEveryFlag, "report-every", 1),
    stopAt,
    stopAtBitErrors: stopAt === undefined || stopAt === "never"
      ? undefined
      : numberFlag(stopAt, "stop-at-bit-errors", 0),
    program: programFlags(str),
  };
}

/**
 * Plans a run from its command line: a resumed run's from its checkpoint, refusing any given flag that
 * would change it; a fresh run's from the preset, the flags and their defaults.
 */
export async function planRun(line: CommandLine): Promise<RunPlan> {
  const flags = readPlanFlags(line);
  const resumeDir = flags.str("resume");
  const plan = resumeDir === undefined ? await planFresh(line, flags) : await planResume(flags, resumeDir);
  const threads = flags.str("threads");
  return threads === undefined ? plan : { ...plan, threads: integerFlag(threads, "threads", 1, 256) };
}

/** A resumed run: the checkpoint's model and options, with the flags that may change (steps, lr, …). */
async function planResume(flags: PlanFlags, resumeDir: string): Promise<RunPlan> {
  const { str, int, reportEvery, stopAt, stopAtBitErrors } = flags;
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
  const backend = flags.backendFlag === undefined ? training.backend : flags.backend;
  checkResumedModel(flags, resume, resumeDir, backend);
  checkResumedRun(flags, training, resumeDir);
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
      ...(str("lr-schedule") === undefined
        ? training.lrSchedule && { lrSchedule: training.lrSchedule }
        : lrScheduleOption(str("lr-schedule"))),
      optimizer: { name: training.optimizer.name, options: { ...training.optimizer.options, learningRate } },
    },
    presetName: training.preset,
    backend,
    outDir,
    noEval: flags.noEval,
    resume,
  };
}

/** Refuses flags that would change a resumed run's model: its kind, shape or initialisation. */
function checkResumedModel(
  flags: PlanFlags,
  resume: LoadedCheckpoint,
  resumeDir: string,
  backend: BackendChoice,
): void {
  const { str } = flags;
  const modelKind: ModelKind = resume.modelKind ?? "ntm";
  if (flags.modelFlag !== undefined && flags.modelFlag !== modelKind) {
    throw new UsageError(
      `--model ${flags.modelFlag} would change the model: the checkpoint in ${resumeDir} holds ${modelKind}; ` +
        `drop --model to resume it, or start a new run with another --out`,
    );
  }
  asUsage(() => checkBackendChoice(modelKind, backend, `--model ${modelKind}`));
  const changed = (flag: string, saved: unknown): never => {
    throw new UsageError(
      `--${flag} ${str(flag)} would change the model's shape: the checkpoint in ${resumeDir} has ` +
        `${saved}; drop --${flag} to resume it, or start a new run with another --out`,
    );
  };
  if (resume.modelKind === "lstm") {
    const shape = lstmShapeFromFlags(str, resume.config);
    if (shape.units !== resume.config.units) changed("controller", `${resume.config.units} units`);
    if (shape.layers !== resume.config.layers) changed("controller-layers", `${resume.config.layers} layers`);
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
}

/** Refuses flags that would make a resumed run another run: its task, data, seed, optimiser or batch. */
function checkResumedRun(flags: PlanFlags, training: TrainingOptions, resumeDir: string): void {
  const { str, int, program } = flags;
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
    if (given === undefined || given === saved) continue;
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

/** A fresh run: the preset of the task, the model and options the flags set, a new output directory. */
async function planFresh(line: CommandLine, flags: PlanFlags): Promise<RunPlan> {
  const { str, value, int, backend } = flags;
  const taskName = choiceFlag(value("task"), "task", TASK_NAMES);
  const presetName = choiceFlag(value("preset"), "preset", PRESET_NAMES);
  checkTaskFlags(str, taskName, presetName);
  // A feed-forward controller takes its row of the paper's Table 2 (its heads and units), as the paper did.
  const type = str("controller-type");
  const controllerType = type === undefined
    ? "lstm"
    : choiceFlag(type, "controller-type", ["lstm", "feedforward"] as const);
  const preset = taskName === "program"
    ? programPreset()
    : presetByName(presetName, taskName, controllerType);
  const programValues = programFlags((name) => stringFlag(line, name));
  const programOptions = taskName === "program"
    ? {
      curriculum: programValues.curriculum!,
      target: { length: programValues.length!, nesting: programValues.nesting! },
      ...(programValues.operations && { operations: programValues.operations }),
    }
    : undefined;
  const task = trainingTask({ task: taskName, ...(programOptions && { program: programOptions }) });
  const modelKind = choiceFlag(value("model"), "model", MODEL_KINDS);
  asUsage(() => checkBackendChoice(modelKind, backend, `--model ${modelKind}`));
  const model = freshModel(flags, task, preset.model, modelKind);
  const range = programOptions
    ? programRange(programOptions.curriculum, programOptions.target)
    : freshRange(flags, task, preset.range);
  const optimizerName = choiceFlag(str("optimizer") ?? preset.optimizer, "optimizer", OPTIMIZER_NAMES);
  const learningRate = str("lr") !== undefined
    ? lrFlag(str("lr")!)
    : optimizerName === preset.optimizer
    ? preset.learningRate
    : createOptimizer(optimizerName, 1).options.learningRate!;
  const seed = integerFlag(value("seed"), "seed", 0, MAX_SEED);
  const init: InitOptions = {
    headsGain: numberFlag(value("init-heads-gain"), "init-heads-gain", 0),
    weighting: choiceFlag(value("init-weighting"), "init-weighting", INIT_WEIGHTINGS),
  };
  if (modelKind === "lstm" && (line.given.has("init-heads-gain") || line.given.has("init-weighting"))) {
    throw new UsageError(
      "--init-heads-gain and --init-weighting apply to the NTM's heads, not to --model lstm",
    );
  }
  const outGiven = str("out");
  const outDir = outGiven ?? await defaultOutDir(modelKind === "lstm" ? `${taskName}-lstm` : taskName);
  if (outGiven !== undefined) await checkNewOutDir(outGiven);
  return {
    model,
    training: {
      task: taskName,
      ...(programOptions && { program: programOptions }),
      preset: presetName,
      backend,
      range,
      batch: int("batch", preset.batch, 1, MAX_BATCH),
      steps: int("steps", preset.steps),
      ...runSeeds(seed),
      reportEvery: flags.reportEvery ?? preset.reportEvery ?? 100,
      evalEpisodes: integerFlag(value("eval-episodes"), "eval-episodes", 1, MAX_BATCH),
      stopAtBitErrors: flags.stopAtBitErrors ?? null,
      ...((init.headsGain !== DEFAULT_INIT.headsGain || init.weighting !== DEFAULT_INIT.weighting) &&
        { init }),
      ...lrScheduleOption(str("lr-schedule")),
      optimizer: {
        name: optimizerName,
        options: createOptimizer(optimizerName, 1, { learningRate }).options,
      },
    },
    presetName,
    backend,
    outDir,
    noEval: flags.noEval,
    resume: undefined,
  };
}

/** `--lr-schedule`, checked: the run's `lrSchedule` option (absent for a constant rate). */
function lrScheduleOption(text: string | undefined): { lrSchedule?: LrScheduleSpec } {
  const spec = asUsage(() => parseLrSchedule(text ?? "constant"));
  return spec.kind === "constant" ? {} : { lrSchedule: spec };
}

/** Refuses the program task's flags on the paper tasks, and the paper tasks' on the program task. */
function checkTaskFlags(
  str: (name: string) => string | undefined,
  taskName: TaskName,
  presetName: PresetName,
): void {
  if (taskName !== "program") {
    for (const flag of PROGRAM_FLAGS) {
      if (str(flag) !== undefined) {
        throw new UsageError(`--${flag} applies only to --task program, not to --task ${taskName}`);
      }
    }
    return;
  }
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

/**
 * A fresh run's model: the preset's NTM with the shape flags, or a plain LSTM with about as many parameters
 * as the NTM the same preset (and flags) would build.
 */
function freshModel(
  flags: PlanFlags,
  task: Task,
  presetModel: Partial<NtmConfig>,
  modelKind: ModelKind,
): ModelPlan {
  const { str, int } = flags;
  const defaults: NtmConfig = {
    ...DEFAULT_NTM_CONFIG,
    ...presetModel,
    inputSize: task.inputSize,
    outputSize: task.outputSize,
    outputKind: task.outputKind,
    memoryInit: DEFAULT_NTM_CONFIG.memoryInit,
  };
  try {
    if (modelKind === "ntm") return { modelKind: "ntm", config: ntmConfig(shapeFromFlags(str, defaults)) };
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
    return { modelKind: "lstm", config, ntmParameters };
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
}

/** A paper task's training lengths: the preset's, or `--min-len`/`--max-len`, checked against the task. */
function freshRange(flags: PlanFlags, task: Task, presetRange: LengthRange): LengthRange {
  const range = {
    minLen: flags.int("min-len", presetRange.minLen, 1, MAX_LENGTH),
    maxLen: flags.int("max-len", presetRange.maxLen, 1, MAX_LENGTH),
  };
  if (range.minLen > range.maxLen) {
    throw new UsageError(`--min-len must be ≤ --max-len, got ${range.minLen} > ${range.maxLen}`);
  }
  try {
    task.generate(new Rng(0), 1, range);
  } catch (error) {
    throw new UsageError(`--min-len/--max-len ${range.minLen}..${range.maxLen}: ${(error as Error).message}`);
  }
  return range;
}

/**
 * Refuses an `--out` for a new run that cannot become its directory, or that holds an earlier run's files
 * (which the new run would overwrite): a checkpoint, or a metrics log without one.
 */
export async function checkNewOutDir(out: string): Promise<void> {
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

export async function defaultOutDir(task: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, "").replace(/[-:]/g, "").replace("T", "-");
  for (let i = 1;; i++) {
    const dir = join("runs", `${task}-${stamp}${i === 1 ? "" : `-${i}`}`);
    if (!(await exists(dir))) return dir;
  }
}

export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

export function samePath(a: string, b: string): boolean {
  return join(a) === join(b);
}
