/**
 * The flags of `deno task train`: their table (help text and defaults) and the parsers that turn the
 * program-task, shape and learning-rate flags into checked values, each error naming the flag.
 *
 * @module
 */

import { CURRICULUM_NAMES, type CurriculumName } from "../../tasks/curriculum.ts";
import {
  MAX_PROGRAM_LENGTH,
  MAX_PROGRAM_NESTING,
  PROGRAM_OPERATIONS,
  type ProgramOperation,
} from "../../tasks/program.ts";
import { TASK_NAMES } from "../../tasks/task.ts";
import { DEFAULT_NTM_CONFIG, type NtmConfig } from "../model/config.ts";
import { DEFAULT_INIT } from "../model/init.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import { choiceFlag, type FlagSpec, integerFlag, numberFlag, UsageError } from "./args.ts";
import { HELP_FLAG, presetFlag } from "./common_flags.ts";
import { programPreset } from "../../tasks/presets.ts";

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
    help: "auto, wasm (float32 WebAssembly SIMD), webgpu or cpu (the float64 reference)",
    defaultFrom: "auto, or the checkpoint's on --resume",
  },
  "threads": {
    type: "string",
    help: "the wasm backend's threads (a run is deterministic for a given count)",
    defaultFrom: "every core, one for --batch 1",
  },
  "curriculum": {
    type: "string",
    help: `program task: ${CURRICULUM_NAMES.join(", ")} (Zaremba & Sutskever §4)`,
    default: programPreset().curriculum,
  },
  "target-length": {
    type: "string",
    help: `program task: digits per number to head for, 1..${MAX_PROGRAM_LENGTH}`,
    default: String(programPreset().target.length),
  },
  "target-nesting": {
    type: "string",
    help: `program task: composed operations to head for, 1..${MAX_PROGRAM_NESTING}`,
    default: String(programPreset().target.nesting),
  },
  "operations": {
    type: "string",
    help: `program task: the operations to compose, comma-separated from ${
      PROGRAM_OPERATIONS.join(",")
    } (add with nesting 1: the paper's addition task, print(a+b))`,
    defaultFrom: "all six",
  },
  "controller-type": presetFlag(
    "lstm or feedforward (with --preset paper or fast, feedforward takes the heads and units of Table 2)",
  ),
  "controller": {
    type: "string",
    help: "C: units per controller layer (--model lstm: units per LSTM layer)",
    defaultFrom: "from the preset (--model lstm: matched to the NTM's parameter count)",
  },
  "controller-layers": presetFlag("stacked controller layers"),
  "read-heads": presetFlag("R: read heads"),
  "write-heads": presetFlag("W: write heads"),
  "memory-n": presetFlag("N: memory rows"),
  "memory-m": presetFlag("M: memory row width"),
  "shift-range": presetFlag("K: shifts −K..K"),
  "memory-init": {
    type: "string",
    help: "learned, constant or random",
    defaultFrom: DEFAULT_NTM_CONFIG.memoryInit,
  },
  "init-heads-gain": {
    type: "string",
    help: "Glorot gain of the head-parameter map's initial weights (pytorch-ntm: 1.4)",
    default: String(DEFAULT_INIT.headsGain),
  },
  "init-weighting": {
    type: "string",
    help: "initial weightings' logits: uniform (all 0) or random (Glorot, as Collier & Beel)",
    default: DEFAULT_INIT.weighting,
  },
  "optimizer": presetFlag("adam, rmsprop (Graves' centred RMSProp) or sgd (global-norm clipped)"),
  "lr": presetFlag("learning rate (may change on --resume)"),
  "lr-schedule": {
    type: "string",
    help:
      "constant, plateau:factor=F,patience=P[,threshold=E][,min=M] (×F after P reports without a held-out " +
      "cost below best·(1−E)) or decay:factor=F,every=N[,min=M] (×F every N steps); may change on --resume",
    defaultFrom: "constant, or the checkpoint's on --resume",
  },
  "batch": presetFlag("B: episodes per step"),
  "steps": presetFlag("train until this many steps in all (a resumed run counts from the start)"),
  "seed": { type: "string", help: "seeds initialisation and data", default: "1" },
  "min-len": presetFlag("shortest training length"),
  "max-len": presetFlag("longest training length"),
  "report-every": {
    type: "string",
    help: "evaluate, report and save a checkpoint every this many steps",
    defaultFrom: "from the preset (fast: 500, for N-grams and priority sort 1000; else 100)",
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
    defaultFrom: "runs/<task>-<timestamp>, or the --resume directory",
  },
  "resume": {
    type: "string",
    help: "continue the run whose checkpoint is in this directory (shape flags must match it)",
  },
  "no-eval": { type: "boolean", help: "skip the evaluation and figures after training" },
  "help": HELP_FLAG,
};

/** Flags that fix the model's shape: on `--resume` they must agree with the checkpoint. */
export const SHAPE_FLAGS = [
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

/** The program task's flags, checked (each `undefined` when not given). */
export interface ProgramFlags {
  readonly curriculum: CurriculumName | undefined;
  readonly length: number | undefined;
  readonly nesting: number | undefined;
  readonly operations: readonly ProgramOperation[] | undefined;
}

export const PROGRAM_FLAGS = ["curriculum", "target-length", "target-nesting", "operations"] as const;

export function programFlags(str: (name: string) => string | undefined): ProgramFlags {
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
export function operationsFlag(value: string | undefined): readonly ProgramOperation[] | undefined {
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

/** `--lr`: a positive number that float32 (the WebGPU engine's precision) can hold. */
export function lrFlag(value: string): number {
  const lr = numberFlag(value, "lr", 0);
  if (lr > FLOAT32_MAX) {
    throw new UsageError(
      `--lr ${value} overflows float32 (at most ${FLOAT32_MAX.toPrecision(3)}); use a learning rate below 1`,
    );
  }
  return lr;
}

/** The largest finite float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/** NTM-only shape flags, which `--model lstm` rejects (it has units and layers only). */
export const NTM_ONLY_FLAGS: readonly (typeof SHAPE_FLAGS)[number][] = SHAPE_FLAGS.filter(
  (flag) => flag !== "controller" && flag !== "controller-layers",
);

/** The LSTM baseline's configuration `base` with `--controller` (units) and `--controller-layers` applied. */
export function lstmShapeFromFlags(str: (name: string) => string | undefined, base: LstmConfig): LstmConfig {
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

export const SHAPE_KEYS = {
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
export function shapeFromFlags(str: (name: string) => string | undefined, base: NtmConfig): NtmConfig {
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
