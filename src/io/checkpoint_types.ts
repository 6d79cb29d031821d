/**
 * What a checkpoint is: the format's identifiers (the name and version every file records, and the package
 * that wrote it), the types of what a checkpoint holds and of what loading returns, the parameter layout of
 * a checkpoint's model, and the error that saving and loading throw.
 *
 * @module
 */

import denoConfig from "../../deno.json" with { type: "json" };
import type { CurriculumName, CurriculumState } from "../../tasks/curriculum.ts";
import type { ProgramDifficulty, ProgramOperation } from "../../tasks/program.ts";
import type { LengthRange, TaskName } from "../../tasks/task.ts";
import type { NtmConfig } from "../model/config.ts";
import { type LstmConfig, lstmLayout } from "../model/lstm_config.ts";
import type { InitOptions } from "../model/init.ts";
import { type ParameterLayout, parameterLayout } from "../model/layout.ts";
import type { RngState } from "../model/random.ts";
import type { OptimizerName, OptimizerState } from "../optim/optimizer.ts";
import type { LrScheduleSpec, LrScheduleState } from "../optim/lr_schedule.ts";

/** The name written in every checkpoint file's `format` field. */
export const CHECKPOINT_FORMAT = "ntm-checkpoint";

/** The checkpoint format version this package writes and reads. */
export const CHECKPOINT_VERSION = 1;

/** This package's name, as checkpoints record it. */
export const PACKAGE_NAME: string = denoConfig.name;

/** This package's version, as checkpoints record it. */
export const PACKAGE_VERSION: string = denoConfig.version;

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
  readonly backend: "auto" | "wasm" | "webgpu" | "cpu";
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
  /** The learning-rate schedule, when not constant (`--lr-schedule`). */
  readonly lrSchedule?: LrScheduleSpec;
  /**
   * The optimiser's name and every hyper-parameter in use (defaults filled in); with a schedule, the
   * `learningRate` in use at the checkpoint.
   */
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
  /** With a learning-rate schedule: what it remembered after the report at `step`. */
  readonly lrSchedule?: LrScheduleState;
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

/** A checkpoint's model: its kind (absent: an NTM) and configuration. */
export type CheckpointModel =
  | Pick<NtmCheckpoint, "modelKind" | "config">
  | Pick<LstmCheckpoint, "modelKind" | "config">;

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
 * import assert from "node:assert/strict";
 * import { checkpointLayout } from "./checkpoint_types.ts";
 * const layout = checkpointLayout({
 *   modelKind: "lstm",
 *   config: { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" },
 * });
 * assert(layout.get("output.weight").size === 6);
 * ```
 */
export function checkpointLayout(checkpoint: CheckpointModel): ParameterLayout {
  return checkpoint.modelKind === "lstm" ? lstmLayout(checkpoint.config) : parameterLayout(checkpoint.config);
}

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
 * A checkpoint held in memory, as {@linkcode loadCheckpoint} would read it back from `dir` right after it
 * was saved there (parameters and optimiser state are saved in float64, so the values are the same): what
 * the end of a training run evaluates and draws without reloading the files it has just written.
 *
 * @param checkpoint The checkpoint.
 * @param dir The directory it was saved in.
 * @returns The checkpoint with the fields loading adds.
 *
 * @example
 * ```ts
 * import { strict as assert } from "node:assert";
 * const config = { inputSize: 2, outputSize: 2, units: 3, layers: 1, outputKind: "softmax" as const };
 * const layout = checkpointLayout({ modelKind: "lstm", config });
 * const loaded = checkpointInMemory({
 *   modelKind: "lstm", config, params: new Float64Array(layout.size),
 *   optimizer: { name: "adam", step: 0, slots: {} },
 *   training: {} as TrainingOptions, progress: {} as TrainingProgress,
 * }, "runs/x");
 * assert.equal(loaded.layout.size, layout.size);
 * assert.equal(loaded.shipped, false);
 * ```
 */
export function checkpointInMemory(checkpoint: Checkpoint, dir: string): LoadedCheckpoint {
  return {
    ...checkpoint,
    dir,
    layout: checkpointLayout(checkpoint),
    shipped: false,
    packageVersion: PACKAGE_VERSION,
    savedAt: new Date().toISOString(),
  } as LoadedCheckpoint;
}
