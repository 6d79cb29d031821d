/**
 * Training checkpoints: a directory of three files that hold everything needed to continue a run exactly
 * where it stopped, or to evaluate and draw the model.
 *
 * | file | content |
 * |---|---|
 * | `model.safetensors` | every tensor of the parameter layout (`controller.0.weight`, …), F64, row-major; metadata `format`, `format_version`, `step` |
 * | `optimizer.safetensors` | each optimiser slot (`m`, `v` for Adam; `n`, `gbar`, `delta` for RMSProp) as a flat F64 tensor of P values; metadata `format`, `format_version`, `optimizer`, `optimizer_step`, `step` |
 * | `config.json` | `format`, `formatVersion`, `package`, `packageVersion`, `savedAt`, `modelKind` (`ntm` or `lstm`; absent means `ntm`), `model` (the {@linkcode NtmConfig}, or the {@linkcode LstmConfig} of the plain LSTM baseline), `parameters` (P), `training` ({@linkcode TrainingOptions}), `progress` ({@linkcode TrainingProgress}) |
 *
 * A program-task run also records its curriculum: `training.program` (the strategy and the target
 * difficulty) and `progress.curriculum` (the stage reached), so that a resumed run draws the same batches.
 * Float64 throughout, so that a CPU run resumed from a checkpoint is bit-identical to an uninterrupted one.
 *
 * A save never leaves a half-written checkpoint behind for the ordinary failures (a full disk, a
 * non-finite parameter, an interrupted write): all three files are first written in full next to the old
 * ones (each with {@linkcode writeFileAtomic}), and only then renamed over them. Every file carries the
 * training step, and loading checks that the three agree.
 *
 * @module
 */

import denoConfig from "../../deno.json" with { type: "json" };
import { join } from "node:path";
import {
  createCurriculum,
  CURRICULUM_NAMES,
  type CurriculumName,
  type CurriculumState,
} from "../../tasks/curriculum.ts";
import {
  checkProgramDifficulty,
  checkProgramOperations,
  type ProgramDifficulty,
  type ProgramOperation,
  programTask,
} from "../../tasks/program.ts";
import { taskByName } from "../../tasks/presets.ts";
import {
  type LengthRange,
  MAX_BATCH,
  MAX_LENGTH,
  PAPER_TASK_NAMES,
  type TaskName,
} from "../../tasks/task.ts";
import { MAX_PARAMETERS, type NtmConfig, ntmConfig } from "../model/config.ts";
import { type LstmConfig, lstmConfig, lstmLayout } from "../model/lstm_config.ts";
import { INIT_WEIGHTINGS, type InitOptions, type InitWeighting } from "../model/init.ts";
import { type ParameterLayout, parameterLayout } from "../model/layout.ts";
import { MAX_SEED, type RngState } from "../model/random.ts";
import {
  OPTIMIZER_NAMES,
  type OptimizerName,
  type OptimizerState,
  restoreOptimizer,
} from "../optim/optimizer.ts";
import {
  checkDigest,
  CHECKPOINT_FILES,
  CheckpointFileError,
  commitCheckpointFiles,
  type CommitOptions,
  fileDigest,
  readBoundedFile,
  recordedDigests,
  resolveCheckpointFiles,
} from "./checkpoint_files.ts";
import { decodeSafetensors, encodeSafetensors, type NamedSafetensorsTensor } from "./safetensors.ts";

/** The name written in every checkpoint file's `format` field. */
export const CHECKPOINT_FORMAT = "ntm-checkpoint";

/** The checkpoint format version this package writes and reads. */
export const CHECKPOINT_VERSION = 1;

export { CHECKPOINT_FILES } from "./checkpoint_files.ts";

/** This package's name, as checkpoints record it. */
export const PACKAGE_NAME: string = denoConfig.name;

/** This package's version, as checkpoints record it. */
export const PACKAGE_VERSION: string = denoConfig.version;

export type { CurriculumName, CurriculumState } from "../../tasks/curriculum.ts";
export type { ProgramDifficulty } from "../../tasks/program.ts";
export type { LstmConfig } from "../model/lstm_config.ts";

/** The task names a checkpoint can record: the five paper tasks and `program`. */
const TASK_NAMES: readonly TaskName[] = [...PAPER_TASK_NAMES, "program"];

/** The program task's training options (`training.program`). */
export interface ProgramTrainingOptions {
  /** The curriculum strategy. */
  readonly curriculum: CurriculumName;
  /** The target difficulty: digits per number (1..9) and nesting (1..3). */
  readonly target: ProgramDifficulty;
  /** The operations the programs compose, when not all six (`["add"]`: the paper's addition task). */
  readonly operations?: readonly ProgramOperation[];
}

/** The options of a training run, as `config.json` records them (`training`). */
export interface TrainingOptions {
  /** The task trained on. */
  readonly task: TaskName;
  /** The program task's curriculum and target (present exactly when `task` is `program`). */
  readonly program?: ProgramTrainingOptions;
  /** The preset the run started from: `quick`, `fast` or `paper`. */
  readonly preset: "quick" | "fast" | "paper";
  /** The `--backend` choice: `auto`, `webgpu` or `cpu`. */
  readonly backend: "auto" | "webgpu" | "cpu";
  /** Training lengths, in the task's `lengthMeaning` units. */
  readonly range: LengthRange;
  /** B: episodes per step. */
  readonly batch: number;
  /** The step target: train until this many steps in all. */
  readonly steps: number;
  /** `--seed`: seeds initialisation and the training data. */
  readonly seed: number;
  /** Seeds the held-out batch. */
  readonly evalSeed: number;
  /** Seeds the per-episode memories of `random` memory init. */
  readonly memorySeed: number;
  /** Evaluate, report and save every this many steps. */
  readonly reportEvery: number;
  /** Episodes in the held-out batch. */
  readonly evalEpisodes: number;
  /** Stop once held-out bit errors per sequence fall below this; `null` for never. */
  readonly stopAtBitErrors: number | null;
  /** How the parameters were initialised, when not the default ({@linkcode DEFAULT_INIT}). */
  readonly init?: InitOptions;
  /** The optimiser's name and every hyper-parameter in use (defaults filled in). */
  readonly optimizer: {
    readonly name: OptimizerName;
    readonly options: Readonly<Record<string, number>>;
  };
}

/** Where a run stood when its checkpoint was saved (`config.json`'s `progress`). */
export interface TrainingProgress {
  /** Training steps taken in all. */
  readonly step: number;
  /** Training sequences seen in all. */
  readonly sequences: number;
  /** Seconds of training in all, over every resumed run. */
  readonly seconds: number;
  /** The training data stream's state after `step` steps. */
  readonly dataRng: RngState;
  /** The per-episode memory stream's state (`backend.memoryRngState()`). */
  readonly memoryRng: RngState;
  /** Held-out cost in bits per sequence at `step`, or `null` when not evaluated. */
  readonly costBits: number | null;
  /** Held-out bit errors per sequence at `step`, or `null` when not evaluated. */
  readonly bitErrors: number | null;
  /** Softmax tasks: held-out per-character accuracy at `step` (`null` or absent when not evaluated). */
  readonly characterAccuracy?: number | null;
  /** Softmax tasks: held-out whole-answer accuracy at `step` (`null` or absent when not evaluated). */
  readonly answerAccuracy?: number | null;
  /** The program task: the curriculum's state after the report at `step`. */
  readonly curriculum?: CurriculumState;
}

/** What every checkpoint holds, whatever the model. */
export interface CheckpointCommon {
  /** The training run's options. */
  readonly training: TrainingOptions;
  /** Where the run stood. */
  readonly progress: TrainingProgress;
  /** (P) the flat parameters, in layout order. */
  readonly params: Float64Array;
  /** The optimiser's state (its `step` counts the updates applied). */
  readonly optimizer: OptimizerState;
}

/** A checkpoint of an NTM. */
export interface NtmCheckpoint extends CheckpointCommon {
  /** The model: an NTM (the default when left out). */
  readonly modelKind?: "ntm";
  /** The model's configuration. */
  readonly config: NtmConfig;
}

/** A checkpoint of the plain LSTM baseline (no memory). */
export interface LstmCheckpoint extends CheckpointCommon {
  /** The model: the plain LSTM baseline. */
  readonly modelKind: "lstm";
  /** The baseline's configuration. */
  readonly config: LstmConfig;
}

/** Everything a checkpoint holds: an NTM's or the LSTM baseline's (`modelKind` tells which). */
export type Checkpoint = NtmCheckpoint | LstmCheckpoint;

/** What loading adds to a checkpoint. */
export interface LoadedFields {
  /**
   * The optimiser's state, or `null` for a shipped model ({@linkcode shipModel}: float32 weights without
   * optimiser state, which evaluates and draws but cannot be resumed).
   */
  readonly optimizer: OptimizerState | null;
  /** Whether this is a shipped model (weights only, stored as float32). */
  readonly shipped: boolean;
  /** The directory it was read from. */
  readonly dir: string;
  /** The parameter layout of its configuration. */
  readonly layout: ParameterLayout;
  /** The package version that wrote it. */
  readonly packageVersion: string;
  /** When it was written (ISO 8601). */
  readonly savedAt: string;
}

/** A checkpoint read back from disk, with what was derived and recorded on the way. */
export type LoadedCheckpoint =
  | (Omit<NtmCheckpoint, "optimizer"> & LoadedFields)
  | (Omit<LstmCheckpoint, "optimizer"> & LoadedFields);

/**
 * The parameter layout of a checkpoint's model: the NTM's, or the LSTM baseline's.
 *
 * @param checkpoint The model kind and configuration.
 * @returns The layout.
 *
 * @example
 * ```ts
 * import { checkpointLayout } from "./checkpoint.ts";
 * const layout = checkpointLayout({
 *   modelKind: "lstm",
 *   config: { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" },
 * });
 * console.assert(layout.get("output.weight").size === 6);
 * ```
 */
export function checkpointLayout(
  checkpoint: Pick<NtmCheckpoint, "modelKind" | "config"> | Pick<LstmCheckpoint, "modelKind" | "config">,
): ParameterLayout {
  return checkpoint.modelKind === "lstm" ? lstmLayout(checkpoint.config) : parameterLayout(checkpoint.config);
}

/**
 * How {@linkcode saveCheckpoint} writes its files (the defaults are right outside tests): the writer of one
 * complete file (tests substitute a failing one) and a hook after each step of the commit (tests throw from
 * it to stop a save where a crash would).
 */
export type SaveCheckpointOptions = CommitOptions;

/** A checkpoint could not be saved or loaded: the message names the file and what is wrong. */
export class CheckpointError extends Error {
  /**
   * Creates the error.
   *
   * @param message What failed, naming the file.
   * @param options The underlying error, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message.replace(/\s*\n\s*/g, " "), options); // one line, even when it quotes a parser's message
    this.name = "CheckpointError";
  }
}

/**
 * Saves a checkpoint into `dir` (created if needed): `model.safetensors`, `optimizer.safetensors` and
 * `config.json`, replacing any checkpoint already there.
 *
 * Nothing is written if a parameter or optimiser value is not finite. The three files are written in full
 * (atomically, fsynced) under temporary names first, then renamed over the old ones, so a failure while
 * writing leaves the previous checkpoint exactly as it was.
 *
 * @param dir The checkpoint directory.
 * @param checkpoint What to save.
 * @param options How to write the files (for tests).
 * @returns A promise that resolves once all three files are in place.
 * @throws {CheckpointError} when a value is not finite or the sizes do not match the configuration (nothing
 *   is written), or a write fails (the old checkpoint is left in place; the cause is attached).
 *
 * @example Save and reload
 * ```ts ignore
 * await saveCheckpoint("runs/copy-1", { config, training, progress, params, optimizer: optimizer.state });
 * const loaded = await loadCheckpoint("runs/copy-1");
 * ```
 */
export async function saveCheckpoint(
  dir: string,
  checkpoint: Checkpoint,
  options: SaveCheckpointOptions = {},
): Promise<void> {
  const where = `Cannot save the checkpoint in ${dir}`;
  const { progress, params, optimizer } = checkpoint;
  const layout = checkpointLayout(checkpoint);
  if (!(params instanceof Float64Array) || params.length !== layout.size) {
    throw new CheckpointError(
      `${where}: params must be a Float64Array of ${layout.size} values (the layout's size), got ${params?.length}`,
    );
  }
  for (const entry of layout.entries) {
    const bad = firstNonFinite(params, entry.offset, entry.size);
    if (bad !== undefined) {
      throw new CheckpointError(
        `${where}: parameter ${entry.name}[${bad - entry.offset}] is ${params[bad]}; ` +
          `the previous checkpoint is kept`,
      );
    }
  }
  const slotNames = Object.keys(optimizer.slots);
  for (const name of slotNames) {
    const slot = optimizer.slots[name]!;
    if (slot.length !== layout.size) {
      throw new CheckpointError(
        `${where}: optimiser slot ${name} has ${slot.length} values, expected ${layout.size}`,
      );
    }
    const bad = firstNonFinite(slot, 0, slot.length);
    if (bad !== undefined) {
      throw new CheckpointError(
        `${where}: optimiser slot ${name}[${bad}] is ${slot[bad]}; the previous checkpoint is kept`,
      );
    }
  }

  const common = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    step: String(progress.step),
  };
  const modelBytes = encodeModel(layout, params, "F64", common);
  const optimizerBytes = encodeSafetensors(
    slotNames.map((name): NamedSafetensorsTensor => ({
      name,
      dtype: "F64",
      shape: [layout.size],
      data: optimizer.slots[name]!,
    })),
    { ...common, optimizer: optimizer.name, optimizer_step: String(optimizer.step) },
  );

  const files = new Map([[CHECKPOINT_FILES.model, modelBytes], [CHECKPOINT_FILES.optimizer, optimizerBytes]]);
  const json = configJson(checkpoint, layout.size, { files: await digestsOf(files) });
  try {
    await Deno.mkdir(dir, { recursive: true });
  } catch (error) {
    throw new CheckpointError(`${where}: cannot create the directory (${(error as Error).message})`, {
      cause: error,
    });
  }
  try {
    await commitCheckpointFiles(dir, files, json, options);
  } catch (error) {
    if (!(error instanceof CheckpointFileError)) throw error;
    throw new CheckpointError(`${where}: ${error.message}`, { cause: error });
  }
}

/** The digests `config.json` records, by file name. */
async function digestsOf(files: ReadonlyMap<string, Uint8Array>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [name, bytes] of files) out[name] = await fileDigest(bytes);
  return out;
}

/** `model.safetensors`: every tensor of the layout in `dtype`, with the format's metadata. */
function encodeModel(
  layout: ParameterLayout,
  params: Float64Array,
  dtype: "F32" | "F64",
  common: Record<string, string>,
): Uint8Array {
  return encodeSafetensors(
    layout.entries.map((e): NamedSafetensorsTensor => {
      const values = params.subarray(e.offset, e.offset + e.size);
      return dtype === "F64"
        ? { name: e.name, dtype, shape: e.shape, data: values }
        : { name: e.name, dtype, shape: e.shape, data: Float32Array.from(values) };
    }),
    { ...common, parameters: String(layout.size) },
  );
}

/** `config.json`'s text: the format, the model, the run's options and progress, and `extra` fields. */
function configJson(
  checkpoint: Pick<Checkpoint, "modelKind" | "config" | "training" | "progress">,
  parameters: number,
  extra: Record<string, unknown>,
): string {
  return JSON.stringify(
    {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_VERSION,
      package: PACKAGE_NAME,
      packageVersion: PACKAGE_VERSION,
      savedAt: new Date().toISOString(),
      modelKind: checkpoint.modelKind ?? "ntm",
      model: checkpoint.config,
      parameters,
      ...extra,
      training: checkpoint.training,
      progress: checkpoint.progress,
    },
    (_key, value) => (typeof value === "number" && !Number.isFinite(value) ? String(value) : value),
    2,
  ) + "\n";
}

/**
 * Writes a shipped model into `dir` (created if needed): `config.json` (marked `"shipped": "F32"`) and
 * `model.safetensors` with every parameter rounded to float32, and no optimiser state: half the size of the
 * checkpoint's model file, an eighth of the whole checkpoint with RMSProp. {@linkcode loadCheckpoint} reads
 * it for evaluation and figures (as float64 values of the rounded weights) and `--resume` refuses it. The
 * files are committed like a checkpoint's.
 *
 * @param dir The directory to write, e.g. `models/copy`.
 * @param checkpoint The trained checkpoint (its optimiser state is not used).
 * @returns A promise that resolves once both files are in place.
 * @throws {CheckpointError} when a parameter is not finite in float32 or a write fails.
 *
 * @example
 * ```ts ignore
 * await shipModel("models/copy", await loadCheckpoint("runs/copy-1"));
 * ```
 */
export async function shipModel(
  dir: string,
  checkpoint: Pick<Checkpoint, "modelKind" | "config" | "training" | "progress" | "params">,
): Promise<void> {
  const where = `Cannot write the shipped model in ${dir}`;
  const layout = checkpointLayout(checkpoint as Checkpoint);
  const { params, progress } = checkpoint;
  if (params.length !== layout.size) {
    throw new CheckpointError(`${where}: params has ${params.length} values, the layout ${layout.size}`);
  }
  const rounded = Float32Array.from(params);
  const bad = firstNonFinite(rounded, 0, rounded.length);
  if (bad !== undefined) {
    throw new CheckpointError(`${where}: parameter ${bad} is ${params[bad]}, which float32 cannot hold`);
  }
  const common = {
    format: CHECKPOINT_FORMAT,
    format_version: String(CHECKPOINT_VERSION),
    step: String(progress.step),
  };
  const model = encodeModel(layout, params, "F32", common);
  const files = new Map([[CHECKPOINT_FILES.model, model]]);
  const json = configJson(checkpoint as Checkpoint, layout.size, {
    shipped: "F32",
    files: await digestsOf(files),
  });
  try {
    await Deno.mkdir(dir, { recursive: true });
    await Deno.remove(join(dir, CHECKPOINT_FILES.optimizer)).catch(() => {});
    await commitCheckpointFiles(dir, files, json);
  } catch (error) {
    throw new CheckpointError(`${where}: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Loads and validates a checkpoint directory written by {@linkcode saveCheckpoint} (or a shipped model
 * written by {@linkcode shipModel}).
 *
 * Finds the newest complete set of files (a save that crashed after its commit point is read, and rolled
 * forward where the directory is writable; see `checkpoint_files.ts`); reads each file only if it is a
 * regular file no larger than the configuration can need; checks that `config.json` is JSON of this format
 * and version with every field present and valid; that both safetensors files decode; that every tensor of
 * the configuration's layout is present with the right dtype (F64; F32 in a shipped model), the right shape
 * and finite values, and no other tensor is; that the optimiser's slots match its name and the parameter
 * count; that the files were saved at the same step; and that each file has the SHA-256 `config.json`
 * records for it.
 *
 * @param dir The checkpoint directory.
 * @returns The checkpoint, with its layout.
 * @throws {CheckpointError} naming the file and what is wrong; nothing is modified.
 *
 * @example
 * ```ts ignore
 * const { config, params, progress } = await loadCheckpoint("runs/copy-1");
 * console.log(`step ${progress.step}, ${params.length} parameters`);
 * ```
 */
export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "it does not exist" : (error as Error).message;
    throw new CheckpointError(`Cannot load the checkpoint in ${dir}: ${why}`, { cause: error });
  }
  if (!info.isDirectory) {
    throw new CheckpointError(
      `Cannot load the checkpoint in ${dir}: it is not a directory (a checkpoint is a directory holding ` +
        `${Object.values(CHECKPOINT_FILES).join(", ")})`,
    );
  }
  let found;
  try {
    found = await resolveCheckpointFiles(dir);
  } catch (error) {
    throw new CheckpointError((error as Error).message, { cause: error });
  }
  if (!found) {
    throw new CheckpointError(
      `Cannot load the checkpoint in ${dir}: ${
        join(dir, CHECKPOINT_FILES.config)
      } is missing (a checkpoint ` +
        `holds ${Object.values(CHECKPOINT_FILES).join(", ")})`,
    );
  }
  const { configPath } = found;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(found.config));
  } catch (error) {
    throw new CheckpointError(
      `Cannot read ${configPath}: it is not valid JSON (${(error as Error).message})`,
      { cause: error },
    );
  }
  const header = parseConfigJson(parsed, configPath);
  const layout = checkpointLayout(header.model);
  const digests = recordedDigests(found.config);
  if ((parsed as { files?: unknown }).files !== undefined && digests === null) {
    throw new CheckpointError(
      `Cannot read ${configPath}: files must map model.safetensors and optimizer.safetensors to their ` +
        `{ sha256, bytes }`,
    );
  }
  /** A file of the set: the committed save's copy, or the final file bounded by what the model can need. */
  const read = async (file: string, slots: number): Promise<Uint8Array> => {
    const path = join(dir, file);
    const bytes = found.files ? found.files.get(file) ?? null : await readBoundedFile(
      path,
      MAX_HEADER_BYTES + slots * layout.size * 8,
    ).catch((error) => {
      throw new CheckpointError((error as Error).message, { cause: error });
    });
    if (!bytes) {
      throw new CheckpointError(
        `Cannot load the checkpoint in ${dir}: ${path} is missing (a checkpoint holds ${
          Object.values(CHECKPOINT_FILES).join(", ")
        })`,
      );
    }
    return bytes;
  };
  const verify = async (bytes: Uint8Array, file: string) => {
    try {
      await checkDigest(bytes, digests?.get(file), join(dir, file), configPath);
    } catch (error) {
      throw new CheckpointError((error as Error).message, { cause: error });
    }
  };

  // model.safetensors
  const modelPath = join(dir, CHECKPOINT_FILES.model);
  const modelBytes = await read(CHECKPOINT_FILES.model, 1);
  const model = decodeFile(modelBytes, modelPath);
  checkFileMetadata(model.metadata, modelPath, header.progress.step, configPath);
  const params = new Float64Array(layout.size);
  for (const entry of layout.entries) {
    const tensor = model.tensors.get(entry.name);
    if (!tensor) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" of shape ${
          JSON.stringify(entry.shape)
        } is missing ` +
          `(the model in ${configPath} needs it)`,
      );
    }
    const dtype = header.shipped ? "F32" : "F64";
    if (tensor.dtype !== dtype) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" must be ${dtype}${
          header.shipped ? " (config.json marks a shipped float32 model)" : ""
        }, got ${tensor.dtype}`,
      );
    }
    if (!sameShape(tensor.shape, entry.shape)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" has shape ${
          JSON.stringify(tensor.shape)
        }, but the ` +
          `model in ${configPath} needs ${
            JSON.stringify(entry.shape)
          } (is this checkpoint from another model?)`,
      );
    }
    const bad = firstNonFinite(tensor.data, 0, tensor.data.length);
    if (bad !== undefined) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: tensor "${entry.name}" holds a non-finite value at ${bad}: ${
          tensor.data[bad]
        }`,
      );
    }
    params.set(tensor.data, entry.offset);
  }
  for (const name of model.tensors.keys()) {
    if (!layout.entries.some((e) => e.name === name)) {
      throw new CheckpointError(
        `Cannot read ${modelPath}: unexpected tensor "${name}", which the model in ${configPath} does not have`,
      );
    }
  }

  const common = {
    dir,
    layout,
    params,
    shipped: header.shipped,
    ...header.model,
    training: header.training,
    progress: header.progress,
    packageVersion: header.packageVersion,
    savedAt: header.savedAt,
  };
  await verify(modelBytes, CHECKPOINT_FILES.model);
  if (header.shipped) return { ...common, optimizer: null };

  // optimizer.safetensors
  const optimizerPath = join(dir, CHECKPOINT_FILES.optimizer);
  const optimizerBytes = await read(CHECKPOINT_FILES.optimizer, MAX_OPTIMIZER_SLOTS);
  const saved = decodeFile(optimizerBytes, optimizerPath);
  checkFileMetadata(saved.metadata, optimizerPath, header.progress.step, configPath);
  const name = saved.metadata.optimizer;
  if (name !== header.training.optimizer.name) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: it holds the state of optimiser ${
        JSON.stringify(name)
      }, but ${configPath} ` +
        `names ${JSON.stringify(header.training.optimizer.name)}`,
    );
  }
  const optimizerStep = Number(saved.metadata.optimizer_step);
  if (!Number.isSafeInteger(optimizerStep) || optimizerStep < 0) {
    throw new CheckpointError(
      `Cannot read ${optimizerPath}: metadata optimizer_step must be an integer ≥ 0, got ${
        JSON.stringify(saved.metadata.optimizer_step)
      }`,
    );
  }
  const slots: Record<string, Float64Array> = {};
  for (const [slot, tensor] of saved.tensors) {
    if (tensor.dtype !== "F64" || !sameShape(tensor.shape, [layout.size])) {
      throw new CheckpointError(
        `Cannot read ${optimizerPath}: slot "${slot}" must be F64 of shape [${layout.size}] (the parameter ` +
          `count), got ${tensor.dtype} ${JSON.stringify(tensor.shape)}`,
      );
    }
    slots[slot] = tensor.data as Float64Array;
  }
  const optimizerState: OptimizerState = { name: name as OptimizerName, step: optimizerStep, slots };
  try {
    // Validates slot names, lengths and values exactly as a resume will use them.
    restoreOptimizer(optimizerState, header.training.optimizer.options, layout.size);
  } catch (error) {
    throw new CheckpointError(`Cannot read ${optimizerPath}: ${(error as Error).message}`, { cause: error });
  }

  await verify(optimizerBytes, CHECKPOINT_FILES.optimizer);
  return { ...common, optimizer: optimizerState };
}

/** The largest safetensors header a checkpoint file may have (names, shapes and metadata: a few KiB). */
const MAX_HEADER_BYTES = 1 << 20;

/** The most optimiser slots of P values any optimiser keeps (RMSProp: n, gbar, delta). */
const MAX_OPTIMIZER_SLOTS = 4;

/**
 * Whether `dir` holds a checkpoint's `config.json` (a quick test before overwriting, not a validation).
 *
 * @param dir The directory.
 * @returns Whether `dir/config.json` exists.
 *
 * @example
 * ```ts ignore
 * if (await hasCheckpoint("runs/copy-1")) console.log("resume with --resume runs/copy-1");
 * ```
 */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  try {
    await Deno.stat(join(dir, CHECKPOINT_FILES.config));
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) return false;
    throw error;
  }
}

function decodeFile(bytes: Uint8Array, path: string): ReturnType<typeof decodeSafetensors> {
  try {
    return decodeSafetensors(bytes, path);
  } catch (error) {
    throw new CheckpointError((error as Error).message, { cause: error });
  }
}

function checkFileMetadata(
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

interface ConfigJson {
  readonly model: Pick<NtmCheckpoint, "modelKind" | "config"> | Pick<LstmCheckpoint, "modelKind" | "config">;
  readonly training: TrainingOptions;
  readonly progress: TrainingProgress;
  readonly packageVersion: string;
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

function parseConfigJson(value: unknown, path: string): ConfigJson {
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

  const t = objectAt(root.training, "training", fail);
  const int = (
    o: Record<string, unknown>,
    key: string,
    prefix: string,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number => {
    const v = o[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
      const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `in ${min}..${max}`;
      fail(`${prefix}.${key} must be an integer ${range}, got ${JSON.stringify(v)}`);
    }
    return v as number;
  };
  const choice = <T extends string>(
    o: Record<string, unknown>,
    key: string,
    prefix: string,
    allowed: readonly T[],
  ) => {
    const v = o[key];
    if (typeof v !== "string" || !(allowed as readonly string[]).includes(v)) {
      fail(`${prefix}.${key} must be one of ${allowed.join(", ")}, got ${JSON.stringify(v)}`);
    }
    return v as T;
  };
  const range = objectAt(t.range, "training.range", fail);
  const minLen = int(range, "minLen", "training.range", 1, MAX_LENGTH),
    maxLen = int(range, "maxLen", "training.range", 1, MAX_LENGTH);
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
  const task = choice(t, "task", "training", TASK_NAMES);
  let program: ProgramTrainingOptions | undefined;
  if (task === "program") {
    const p = objectAt(t.program, "training.program", fail);
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
    program = {
      curriculum: choice(p, "curriculum", "training.program", CURRICULUM_NAMES),
      target: difficulty,
      ...(operations !== undefined && { operations: [...operations] }),
    };
  } else if (t.program !== undefined) {
    fail(`training.program must be absent for task ${task}, got ${JSON.stringify(t.program)?.slice(0, 60)}`);
  }
  const training: TrainingOptions = {
    task,
    ...(program !== undefined && { program }),
    preset: choice(t, "preset", "training", ["quick", "fast", "paper"] as const),
    backend: choice(t, "backend", "training", ["auto", "webgpu", "cpu"] as const),
    range: { minLen, maxLen },
    batch: int(t, "batch", "training", 1, MAX_BATCH),
    steps: int(t, "steps", "training", 0),
    seed: int(t, "seed", "training", 0, MAX_SEED),
    evalSeed: int(t, "evalSeed", "training", 0, MAX_SEED + 1),
    memorySeed: int(t, "memorySeed", "training", 0, MAX_SEED + 2),
    reportEvery: int(t, "reportEvery", "training", 1),
    evalEpisodes: int(t, "evalEpisodes", "training", 1, MAX_BATCH),
    stopAtBitErrors: stopAt as number | null,
    ...(t.init !== undefined && { init: initOptionsAt(t.init, choice, fail) }),
    optimizer: { name: choice(optimizer, "name", "training.optimizer", OPTIMIZER_NAMES), options },
  };

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

  const p = objectAt(root.progress, "progress", fail);
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
  const progress: TrainingProgress = {
    step: int(p, "step", "progress", 0),
    sequences: int(p, "sequences", "progress", 0),
    seconds: seconds as number,
    dataRng: rngState("dataRng"),
    memoryRng: rngState("memoryRng"),
    costBits: metric("costBits"),
    bitErrors: metric("bitErrors"),
    ...("characterAccuracy" in p && { characterAccuracy: metric("characterAccuracy") }),
    ...("answerAccuracy" in p && { answerAccuracy: metric("answerAccuracy") }),
    ...(program !== undefined && { curriculum: parseCurriculumState(p.curriculum, program, fail) }),
  };
  if (root.shipped !== undefined && root.shipped !== "F32") {
    fail(`shipped must be "F32" (a shipped float32 model) when present, got ${JSON.stringify(root.shipped)}`);
  }
  return { model: spec, training, progress, packageVersion, savedAt, shipped: root.shipped === "F32" };
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

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function firstNonFinite(values: ArrayLike<number>, offset: number, size: number): number | undefined {
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
