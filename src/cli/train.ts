/**
 * `deno task train`: trains an NTM on one of the paper's tasks and prints progress, then one JSON line.
 *
 * @module
 */

import { type LengthRange, PAPER_TASK_NAMES, type PaperTaskName } from "../../tasks/task.ts";
import { paperPreset, taskByName, type TaskPreset } from "../../tasks/presets.ts";
import { type NtmConfig, ntmConfig } from "../model/config.ts";
import { initParameters } from "../model/init.ts";
import { parameterLayout } from "../model/layout.ts";
import { Rng } from "../model/random.ts";
import { createOptimizer, OPTIMIZER_NAMES } from "../optim/optimizer.ts";
import { NonFiniteLossError } from "../train/backend.ts";
import { BACKEND_CHOICES, createBackend } from "../train/create_backend.ts";
import { trainLoop } from "../train/loop.ts";
import {
  choiceFlag,
  type FlagSpec,
  helpText,
  integerFlag,
  numberFlag,
  parseFlags,
  UsageError,
} from "./args.ts";

/** The presets `--preset` selects from. */
const PRESETS = ["quick", "paper"] as const;

const FLAGS: Record<string, FlagSpec> = {
  "task": { type: "string", help: `task: ${PAPER_TASK_NAMES.join(", ")}`, default: "copy" },
  "preset": {
    type: "string",
    help: "quick (small, Adam: trains in minutes on a CPU) or paper (Graves et al. Tables 1–2)",
    default: "quick",
  },
  "backend": { type: "string", help: "auto, webgpu or cpu (the float64 reference)", default: "auto" },
  "controller-type": { type: "string", help: "lstm or feedforward", default: "from the preset" },
  "controller": { type: "string", help: "C: units per controller layer", default: "from the preset" },
  "controller-layers": { type: "string", help: "stacked controller layers", default: "from the preset" },
  "read-heads": { type: "string", help: "R: read heads", default: "from the preset" },
  "write-heads": { type: "string", help: "W: write heads", default: "from the preset" },
  "memory-n": { type: "string", help: "N: memory rows", default: "from the preset" },
  "memory-m": { type: "string", help: "M: memory row width", default: "from the preset" },
  "shift-range": { type: "string", help: "K: shifts −K..K", default: "1" },
  "memory-init": { type: "string", help: "constant, learned or random", default: "constant" },
  "optimizer": {
    type: "string",
    help: "adam or rmsprop (Graves' centred RMSProp)",
    default: "from the preset",
  },
  "lr": { type: "string", help: "learning rate", default: "from the preset" },
  "batch": { type: "string", help: "B: episodes per step", default: "from the preset" },
  "steps": { type: "string", help: "train until this many steps in all", default: "from the preset" },
  "seed": { type: "string", help: "seeds initialisation and data", default: "1" },
  "min-len": { type: "string", help: "shortest training length", default: "from the preset" },
  "max-len": { type: "string", help: "longest training length", default: "from the preset" },
  "report-every": { type: "string", help: "evaluate and report every this many steps", default: "100" },
  "stop-at-bit-errors": {
    type: "string",
    help: "stop once held-out bit errors per sequence fall below this",
  },
  "eval-episodes": { type: "string", help: "episodes in the held-out batch", default: "64" },
  "help": { type: "boolean", help: "show this help" },
};

/** Quick presets: small enough to train in minutes on a CPU, with Adam (Collier & Beel). */
function quickPreset(task: PaperTaskName): TaskPreset {
  const paper = paperPreset(task);
  const small = { controllerSize: 64, memoryN: 32, memoryM: 8 };
  const byTask: Partial<Record<PaperTaskName, Partial<TaskPreset>>> = {
    copy: { model: { ...paper.model, ...small }, range: { minLen: 1, maxLen: 5 }, steps: 10_000 },
  };
  return {
    ...paper,
    model: { ...paper.model, ...small },
    optimizer: "adam",
    learningRate: 1e-3,
    batch: 16,
    steps: 20_000,
    ...byTask[task],
  };
}

async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, FLAGS);
  if (values.help) {
    console.log(helpText("deno task train [flags]", FLAGS));
    return;
  }
  const str = (name: string): string | undefined => values[name] as string | undefined;
  const taskName = choiceFlag(str("task") ?? "copy", "task", PAPER_TASK_NAMES);
  const presetName = choiceFlag(str("preset") ?? "quick", "preset", PRESETS);
  const preset = presetName === "paper" ? paperPreset(taskName) : quickPreset(taskName);
  const backendChoice = choiceFlag(str("backend") ?? "auto", "backend", BACKEND_CHOICES);
  const task = taskByName(taskName);
  const int = (name: string, fallback: number, min = 1) => {
    const v = str(name);
    return v === undefined ? fallback : integerFlag(v, name, min);
  };
  const model = preset.model;
  let config: NtmConfig;
  try {
    config = ntmConfig({
      inputSize: task.inputSize,
      outputSize: task.outputSize,
      outputKind: task.outputKind,
      ...model,
      ...(str("controller-type") !== undefined &&
        {
          controllerType: choiceFlag(
            str("controller-type")!,
            "controller-type",
            ["lstm", "feedforward"] as const,
          ),
        }),
      controllerSize: int("controller", model.controllerSize ?? 100),
      controllerLayers: int("controller-layers", model.controllerLayers ?? 1),
      readHeads: int("read-heads", model.readHeads ?? 1),
      writeHeads: int("write-heads", model.writeHeads ?? 1),
      memoryN: int("memory-n", model.memoryN ?? 128),
      memoryM: int("memory-m", model.memoryM ?? 20),
      shiftRange: int("shift-range", model.shiftRange ?? 1),
      memoryInit: choiceFlag(
        str("memory-init") ?? "constant",
        "memory-init",
        ["constant", "learned", "random"] as const,
      ),
    });
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw new UsageError(error.message);
    throw error;
  }
  const range: LengthRange = {
    minLen: int("min-len", preset.range.minLen),
    maxLen: int("max-len", preset.range.maxLen),
  };
  if (range.minLen > range.maxLen) {
    throw new UsageError(`--min-len must be ≤ --max-len, got ${range.minLen} > ${range.maxLen}`);
  }
  const optimizerName = choiceFlag(str("optimizer") ?? preset.optimizer, "optimizer", OPTIMIZER_NAMES);
  const learningRate = str("lr") !== undefined
    ? numberFlag(str("lr")!, "lr", 0)
    : optimizerName === preset.optimizer
    ? preset.learningRate
    : optimizerName === "adam"
    ? 1e-3
    : 1e-4;
  const batch = int("batch", preset.batch);
  const steps = int("steps", preset.steps);
  const seed = int("seed", 1, 0);
  const reportEvery = int("report-every", 100);
  const evalEpisodes = int("eval-episodes", 64);
  const stopAt = str("stop-at-bit-errors");
  const stopAtBitErrors = stopAt === undefined ? undefined : numberFlag(stopAt, "stop-at-bit-errors", 0);

  const layout = parameterLayout(config);
  const params = initParameters(config, layout, seed);
  const optimizer = createOptimizer(optimizerName, layout.size, { learningRate });
  const backend = await createBackend(backendChoice, {
    config,
    layout,
    params,
    optimizer,
    memorySeed: seed + 2,
    startStep: 0,
  });
  console.log(
    `Training ${taskName} (${presetName} preset) on ${backend.device}: ${config.controllerType} ${config.controllerSize}×${config.controllerLayers}, ` +
      `memory ${config.memoryN}×${config.memoryM}, ${config.readHeads}R/${config.writeHeads}W heads, ${layout.size} parameters, ` +
      `${optimizerName} lr ${learningRate}, batch ${batch}, lengths ${range.minLen}..${range.maxLen}, up to ${steps} steps`,
  );
  try {
    const { last, stoppedEarly } = await trainLoop(
      backend,
      {
        task,
        range,
        batch,
        steps,
        reportEvery,
        evalEpisodes,
        evalSeed: seed + 1,
        ...(stopAtBitErrors !== undefined && { stopAtBitErrors }),
      },
      new Rng(seed),
      0,
      {
        onReport: (r) =>
          console.log(
            `step ${r.step}  sequences ${r.sequences}  train cost ${r.trainCostBits.toFixed(3)} bits  ` +
              `held-out cost ${r.costBits.toFixed(3)} bits, ${
                r.bitErrors.toFixed(3)
              } bit errors per sequence  ` +
              `${r.sequencesPerSecond.toFixed(1)} seq/s`,
          ),
      },
    );
    if (stoppedEarly) console.log(`Stopped: held-out bit errors ${last.bitErrors} < ${stopAtBitErrors}`);
    console.log(JSON.stringify({
      task: taskName,
      backend: backend.name,
      steps: last.step,
      sequences: last.sequences,
      seconds: Number(last.seconds.toFixed(3)),
      cost_bits: last.costBits,
      bit_errors: last.bitErrors,
      stopped_early: stoppedEarly,
    }));
  } finally {
    backend.destroy();
  }
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError || error instanceof NonFiniteLossError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
