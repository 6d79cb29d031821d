/**
 * The checks a checkpoint's content must pass: `config.json` parsed field by field into its model,
 * training options and progress (every field present and valid, the model fitting its task, a program
 * run's curriculum fitting its target), the `format`, `format_version` and `step` metadata of each
 * safetensors file, and the finiteness of stored values.
 *
 * @module
 */

import { createCurriculum, CURRICULUM_NAMES, type CurriculumState } from "../../tasks/curriculum.ts";
import {
  checkProgramDifficulty,
  checkProgramOperations,
  type ProgramOperation,
  programTask,
} from "../../tasks/program.ts";
import { taskByName } from "../../tasks/presets.ts";
import { MAX_BATCH, MAX_LENGTH, TASK_NAMES } from "../../tasks/task.ts";
import { MAX_PARAMETERS, type NtmConfig, ntmConfig } from "../model/config.ts";
import { type LstmConfig, lstmConfig } from "../model/lstm_config.ts";
import { checkLrScheduleSpec, type LrScheduleSpec, type LrScheduleState } from "../optim/lr_schedule.ts";
import { INIT_WEIGHTINGS, type InitOptions, type InitWeighting } from "../model/init.ts";
import { MAX_SEED, type RngState } from "../model/random.ts";
import { OPTIMIZER_NAMES } from "../optim/optimizer.ts";
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  checkpointLayout,
  type LstmCheckpoint,
  type NtmCheckpoint,
  type ProgramTrainingOptions,
  type TrainingOptions,
  type TrainingProgress,
} from "./checkpoint_types.ts";

/**
 * Checks a safetensors file's metadata: this format and version, saved at the step `config.json` records.
 *
 * @param metadata The file's metadata.
 * @param path The file, for the message.
 * @param step The step `config.json` records.
 * @param configPath The `config.json`, for the message.
 * @throws {CheckpointError} naming the file and the field that does not match.
 */
export function checkFileMetadata(
  metadata: Record<string, string>,
  path: string,
  step: number,
  configPath: string,
): void {
  if (metadata.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(
      `Cannot read ${path}: metadata format must be "${CHECKPOINT_FORMAT}", got ${
        JSON.stringify(metadata.format)
      }`,
    );
  }
  if (metadata.format_version !== String(CHECKPOINT_VERSION)) {
    throw new CheckpointError(
      `Cannot read ${path}: format version ${JSON.stringify(metadata.format_version)} is not supported ` +
        `(this package reads version ${CHECKPOINT_VERSION})`,
    );
  }
  if (metadata.step !== String(step)) {
    throw new CheckpointError(
      `Cannot read ${path}: it was saved at step ${
        JSON.stringify(metadata.step)
      } but ${configPath} at step ` +
        `${step}; the checkpoint's files do not belong together (was a save interrupted?)`,
    );
  }
}

/** What {@linkcode parseConfigJson} reads from `config.json`. */
export interface ConfigJson {
  /** The model kind and its configuration. */
  readonly model: Pick<NtmCheckpoint, "modelKind" | "config"> | Pick<LstmCheckpoint, "modelKind" | "config">;
  /** The run's options. */
  readonly training: TrainingOptions;
  /** Where the run stood. */
  readonly progress: TrainingProgress;
  /** The package version that wrote it (`unknown` when not recorded). */
  readonly packageVersion: string;
  /** When it was written (`unknown` when not recorded). */
  readonly savedAt: string;
  /** `"shipped": "F32"`: a shipped model, float32 weights without optimiser state. */
  readonly shipped: boolean;
}

/** The fields of NtmConfig that config.json must spell out (none is defaulted on load). */
const MODEL_FIELDS: readonly (keyof NtmConfig)[] = [
  "inputSize",
  "outputSize",
  "controllerType",
  "controllerSize",
  "controllerLayers",
  "memoryN",
  "memoryM",
  "readHeads",
  "writeHeads",
  "shiftRange",
  "memoryInit",
  "outputKind",
];

/** The fields of LstmConfig that config.json must spell out for the LSTM baseline. */
const LSTM_FIELDS: readonly (keyof LstmConfig)[] = [
  "inputSize",
  "outputSize",
  "units",
  "layers",
  "outputKind",
];

/**
 * Parses and checks `config.json`: this format and version, every field of the model, the training options
 * and the progress present and valid, the model fitting its task, and a program run's curriculum fitting its
 * target.
 *
 * @param value The parsed JSON.
 * @param path The file, for the message.
 * @returns What it records.
 * @throws {CheckpointError} naming the file and the first field that is wrong.
 */
export function parseConfigJson(value: unknown, path: string): ConfigJson {
  const fail = (what: string): never => {
    throw new CheckpointError(`Cannot read ${path}: ${what}`);
  };
  const root = objectAt(value, "the file", fail);
  if (root.format !== CHECKPOINT_FORMAT) {
    fail(`format must be "${CHECKPOINT_FORMAT}", got ${JSON.stringify(root.format)} (is this a checkpoint?)`);
  }
  if (root.formatVersion !== CHECKPOINT_VERSION) {
    fail(
      `format version ${
        JSON.stringify(root.formatVersion)
      } is not supported (this package reads version ${CHECKPOINT_VERSION})`,
    );
  }
  const packageVersion = typeof root.packageVersion === "string" ? root.packageVersion : "unknown";
  const savedAt = typeof root.savedAt === "string" ? root.savedAt : "unknown";
  const spec = parseModel(root, fail);
  const training = parseTraining(objectAt(root.training, "training", fail), fail);
  checkModelFitsTask(spec, training, fail);
  const progress = parseProgress(objectAt(root.progress, "progress", fail), training.program, fail);
  if (root.shipped !== undefined && root.shipped !== "F32") {
    fail(`shipped must be "F32" (a shipped float32 model) when present, got ${JSON.stringify(root.shipped)}`);
  }
  return { model: spec, training, progress, packageVersion, savedAt, shipped: root.shipped === "F32" };
}

/** Reports what is wrong with a field and stops. */
type Fail = (what: string) => never;

/** `o[key]`, an integer in `min..max`. */
function integerAt(
  o: Record<string, unknown>,
  key: string,
  prefix: string,
  fail: Fail,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = o[key];
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
    fail(`${prefix}.${key} must be an integer ${range}, got ${JSON.stringify(v)}`);
  }
  return v as number;
}

/** `o[key]`, one of `allowed`. */
function choiceAt<T extends string>(
  o: Record<string, unknown>,
  key: string,
  prefix: string,
  allowed: readonly T[],
  fail: Fail,
): T {
  const v = o[key];
  if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
    fail(`${prefix}.${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
  }
  return v as T;
}

/** `modelKind`, `model` and `parameters`: a valid configuration of the kind, within the size limit. */
function parseModel(root: Record<string, unknown>, fail: Fail): ConfigJson["model"] {
  const modelKind = root.modelKind ?? "ntm";
  if (modelKind !== "ntm" && modelKind !== "lstm") {
    fail(`modelKind must be one of ntm, lstm, got ${JSON.stringify(root.modelKind)}`);
  }
  const model = objectAt(root.model, "model", fail);
  const fields = modelKind === "lstm" ? LSTM_FIELDS : MODEL_FIELDS;
  for (const field of fields) if (!(field in model)) fail(`model.${field} is missing`);
  let spec: ConfigJson["model"];
  try {
    if (modelKind === "lstm") {
      if (model.outputKind !== "sigmoid" && model.outputKind !== "softmax") {
        throw new TypeError(
          `outputKind must be one of sigmoid, softmax, got ${JSON.stringify(model.outputKind)}`,
        );
      }
      const config = lstmConfig({
        inputSize: model.inputSize as number,
        outputSize: model.outputSize as number,
        units: model.units as number,
        layers: model.layers as number,
        outputKind: model.outputKind,
      });
      spec = { modelKind: "lstm", config };
    } else {
      spec = { modelKind: "ntm", config: ntmConfig(model as unknown as NtmConfig) };
    }
  } catch (error) {
    return fail(`model is not a valid configuration: ${(error as Error).message}`);
  }
  const parameters = checkpointLayout(spec).size;
  if (parameters > MAX_PARAMETERS) {
    fail(`the model has ${parameters} parameters, more than the limit of ${MAX_PARAMETERS}`);
  }
  if (root.parameters !== parameters) {
    fail(
      `parameters must be ${parameters} (the size of the model's layout), got ${
        JSON.stringify(root.parameters)
      }`,
    );
  }
  return spec;
}

/** `training`: the task (and program), preset, backend, lengths, batch, seeds, schedule and optimiser. */
function parseTraining(t: Record<string, unknown>, fail: Fail): TrainingOptions {
  const int = (key: string, min: number, max?: number) => integerAt(t, key, "training", fail, min, max);
  const choice = <T extends string>(key: string, allowed: readonly T[]) =>
    choiceAt(t, key, "training", allowed, fail);
  const range = objectAt(t.range, "training.range", fail);
  const minLen = integerAt(range, "minLen", "training.range", fail, 1, MAX_LENGTH),
    maxLen = integerAt(range, "maxLen", "training.range", fail, 1, MAX_LENGTH);
  if (minLen > maxLen) fail(`training.range.minLen must be ≤ maxLen, got ${minLen} > ${maxLen}`);
  const optimizer = objectAt(t.optimizer, "training.optimizer", fail);
  const optimizerOptions = objectAt(optimizer.options, "training.optimizer.options", fail);
  const options: Record<string, number> = {};
  for (const [key, v] of Object.entries(optimizerOptions)) {
    const n = v === "Infinity" ? Infinity : v;
    if (typeof n !== "number" || Number.isNaN(n)) {
      fail(`training.optimizer.options.${key} must be a number, got ${JSON.stringify(v)}`);
    }
    options[key] = n as number;
  }
  const stopAt = t.stopAtBitErrors;
  if (stopAt !== null && (typeof stopAt !== "number" || !(stopAt >= 0))) {
    fail(`training.stopAtBitErrors must be a number ≥ 0 or null, got ${JSON.stringify(stopAt)}`);
  }
  const task = choice("task", TASK_NAMES);
  let program: ProgramTrainingOptions | undefined;
  if (task === "program") {
    program = parseProgram(objectAt(t.program, "training.program", fail), fail);
  } else if (t.program !== undefined) {
    fail(`training.program must be absent for task ${task}, got ${JSON.stringify(t.program)?.slice(0, 60)}`);
  }
  const initChoice = <T extends string>(
    o: Record<string, unknown>,
    key: string,
    prefix: string,
    allowed: readonly T[],
  ) => choiceAt(o, key, prefix, allowed, fail);
  return {
    task,
    ...(program !== undefined && { program }),
    preset: choice("preset", ["quick", "fast", "paper"] as const),
    backend: choice("backend", ["auto", "wasm", "webgpu", "cpu"] as const),
    range: { minLen, maxLen },
    batch: int("batch", 1, MAX_BATCH),
    steps: int("steps", 0),
    seed: int("seed", 0, MAX_SEED),
    evalSeed: int("evalSeed", 0, MAX_SEED + 1),
    memorySeed: int("memorySeed", 0, MAX_SEED + 2),
    reportEvery: int("reportEvery", 1),
    evalEpisodes: int("evalEpisodes", 1, MAX_BATCH),
    stopAtBitErrors: stopAt as number | null,
    ...(t.init !== undefined && { init: initOptionsAt(t.init, initChoice, fail) }),
    ...(t.lrSchedule !== undefined && { lrSchedule: lrScheduleAt(t.lrSchedule, fail) }),
    optimizer: { name: choiceAt(optimizer, "name", "training.optimizer", OPTIMIZER_NAMES, fail), options },
  };
}

/** `training.program`: a valid target difficulty, operations and curriculum. */
function parseProgram(p: Record<string, unknown>, fail: Fail): ProgramTrainingOptions {
  const target = objectAt(p.target, "training.program.target", fail);
  const difficulty = { length: target.length as number, nesting: target.nesting as number };
  try {
    checkProgramDifficulty(difficulty, "training.program.target is not valid");
  } catch (error) {
    fail((error as Error).message);
  }
  let operations: readonly ProgramOperation[] | undefined;
  if (p.operations !== undefined) {
    try {
      operations = checkProgramOperations(
        p.operations as ProgramOperation[],
        "training.program.operations is not valid",
      );
    } catch (error) {
      fail((error as Error).message);
    }
  }
  return {
    curriculum: choiceAt(p, "curriculum", "training.program", CURRICULUM_NAMES, fail),
    target: difficulty,
    ...(operations !== undefined && { operations: [...operations] }),
  };
}

/** The model's input and output sizes and output kind are the task's. */
function checkModelFitsTask(spec: ConfigJson["model"], training: TrainingOptions, fail: Fail): void {
  const { task, program } = training;
  const taskShape = task === "program"
    ? programTask({ ...program!.target, ...(program!.operations && { operations: program!.operations }) })
    : taskByName(task);
  const { inputSize, outputSize, outputKind } = spec.config;
  if (
    inputSize !== taskShape.inputSize || outputSize !== taskShape.outputSize ||
    outputKind !== taskShape.outputKind
  ) {
    fail(
      `the model (X = ${inputSize}, Y = ${outputSize}, ${outputKind} output) does not fit training.task ${task}, ` +
        `which needs X = ${taskShape.inputSize}, Y = ${taskShape.outputSize}, ${taskShape.outputKind} output`,
    );
  }
}

/** `progress`: steps, sequences, seconds, the random streams' states, the last metrics, the curriculum. */
function parseProgress(
  p: Record<string, unknown>,
  program: ProgramTrainingOptions | undefined,
  fail: Fail,
): TrainingProgress {
  const rngState = (key: string): RngState => {
    const v = p[key];
    if (
      !Array.isArray(v) || v.length !== 4 ||
      !v.every((x) => Number.isInteger(x) && x >= 0 && x <= 0xffffffff) || v.every((x) => x === 0)
    ) {
      fail(`progress.${key} must be four unsigned 32-bit integers, not all zero, got ${JSON.stringify(v)}`);
    }
    return [...(v as number[])] as RngState;
  };
  const metric = (key: string): number | null => {
    const v = p[key];
    if (v !== null && typeof v !== "number") {
      fail(`progress.${key} must be a number or null, got ${JSON.stringify(v)}`);
    }
    return v as number | null;
  };
  const seconds = p.seconds;
  if (typeof seconds !== "number" || !(seconds >= 0)) {
    fail(`progress.seconds must be a number ≥ 0, got ${JSON.stringify(seconds)}`);
  }
  return {
    step: integerAt(p, "step", "progress", fail, 0),
    sequences: integerAt(p, "sequences", "progress", fail, 0),
    seconds: seconds as number,
    dataRng: rngState("dataRng"),
    memoryRng: rngState("memoryRng"),
    costBits: metric("costBits"),
    bitErrors: metric("bitErrors"),
    ...("characterAccuracy" in p && { characterAccuracy: metric("characterAccuracy") }),
    ...("answerAccuracy" in p && { answerAccuracy: metric("answerAccuracy") }),
    ...(program !== undefined && { curriculum: parseCurriculumState(p.curriculum, program, fail) }),
    ...(p.lrSchedule !== undefined && { lrSchedule: lrScheduleStateAt(p.lrSchedule, fail) }),
  };
}

/** `training.lrSchedule`, checked. */
function lrScheduleAt(value: unknown, fail: Fail): LrScheduleSpec {
  try {
    return checkLrScheduleSpec(value);
  } catch (error) {
    return fail(`training.lrSchedule: ${(error as Error).message}`);
  }
}

/** `progress.lrSchedule`: the last report's step, the best cost (or null) and the count since. */
function lrScheduleStateAt(value: unknown, fail: Fail): LrScheduleState {
  const state = objectAt(value, "progress.lrSchedule", fail);
  const best = state.best;
  if (best !== null && (typeof best !== "number" || !Number.isFinite(best))) {
    fail(`progress.lrSchedule.best must be a finite number or null, got ${JSON.stringify(best)}`);
  }
  return {
    step: integerAt(state, "step", "progress.lrSchedule", fail, 0),
    best: best as number | null,
    since: integerAt(state, "since", "progress.lrSchedule", fail, 0),
  };
}

/** `progress.curriculum`, checked against `training.program` by restoring it into a fresh curriculum. */
function parseCurriculumState(
  value: unknown,
  program: ProgramTrainingOptions,
  fail: (what: string) => never,
): CurriculumState {
  const state = objectAt(value, "progress.curriculum", fail) as unknown as CurriculumState;
  try {
    createCurriculum(program.curriculum, program.target, program.operations).restore(state);
  } catch (error) {
    return fail(`progress.curriculum does not fit training.program: ${(error as Error).message}`);
  }
  return {
    name: state.name,
    target: { length: state.target.length, nesting: state.target.nesting },
    current: { length: state.current.length, nesting: state.current.nesting },
    ...(state.stageBest !== undefined && { stageBest: state.stageBest }),
    ...(state.reportsSinceProgress !== undefined && { reportsSinceProgress: state.reportsSinceProgress }),
  };
}

/** `value` as a JSON object, or a failure naming `what`. */
function objectAt(
  value: unknown,
  what: string,
  fail: (what: string) => never,
): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    const got = value === undefined ? "it is missing" : `got ${JSON.stringify(value)?.slice(0, 60)}`;
    return fail(`${what} must be a JSON object; ${got}`);
  }
  return value as Record<string, unknown>;
}

/**
 * The index of the first value in `values[offset .. offset + size)` that is not finite.
 *
 * @param values The values.
 * @param offset Where to start.
 * @param size How many values to check.
 * @returns The index, or `undefined` when all are finite.
 */
export function firstNonFinite(values: ArrayLike<number>, offset: number, size: number): number | undefined {
  for (let i = offset; i < offset + size; i++) if (!Number.isFinite(values[i]!)) return i;
  return undefined;
}

/** `training.init`, checked. */
function initOptionsAt(
  value: unknown,
  choice: (
    o: Record<string, unknown>,
    key: string,
    prefix: string,
    allowed: readonly InitWeighting[],
  ) => InitWeighting,
  fail: (message: string) => never,
): InitOptions {
  const init = objectAt(value, "training.init", fail);
  const gain = init.headsGain;
  if (typeof gain !== "number" || !(gain > 0) || !Number.isFinite(gain)) {
    fail(`training.init.headsGain must be a finite number > 0, got ${JSON.stringify(gain)}`);
  }
  return {
    headsGain: gain as number,
    weighting: choice(init, "weighting", "training.init", INIT_WEIGHTINGS),
  };
}
