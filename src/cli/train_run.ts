/**
 * Running a planned `deno task train` run: the run lock, the backend, the metrics log carried over on
 * resume, the training loop with its progress display, a checkpoint at every report, the stop signals,
 * and the evaluation and figures at the end.
 *
 * @module
 */

import { join } from "node:path";
import { createCurriculum, type Curriculum } from "../../tasks/curriculum.ts";
import { PROGRAM_VOCABULARY } from "../../tasks/program.ts";
import type { Task, TaskName } from "../../tasks/task.ts";
import {
  type Checkpoint,
  checkpointInMemory,
  checkpointLayout,
  type LoadedCheckpoint,
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
import type { NtmConfig } from "../model/config.ts";
import { Rng } from "../model/random.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import { type ModelKind, NonFiniteLossError, type TrainingBackend } from "../train/backend.ts";
import { type BatchSource, taskBatchSource } from "../train/batch_source.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { acquireRunLock, RunLockedError } from "../io/run_lock.ts";
import { listenForStop, type StopListener, TrainingInterruptedError } from "./stop_signals.ts";
import { createBackend } from "../train/create_backend.ts";
import { curriculumBatchSource } from "../train/curriculum_source.ts";
import { defaultEvalLengths, evaluateCheckpoint } from "../train/evaluate.ts";
import { type FrequencyBaseline, frequencyBaseline } from "../train/metrics.ts";
import { type TrainingReport, type TrainingResult, trainLoop } from "../train/loop.ts";
import { runBackendInit } from "../train/run_setup.ts";
import { formatLrSchedule, LrSchedule } from "../optim/lr_schedule.ts";
import { UsageError } from "./args.ts";
import { EVAL_FILE, formatEvalTable } from "./eval.ts";
import { trainingTask } from "../../tasks/presets.ts";
import { ProgressDisplay } from "./progress.ts";
import { renderFigures, renderLearningCurve } from "./viz.ts";
import { type RunPlan, samePath } from "./train_plan.ts";

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
    setLearningRate: (learningRate) => backend.setLearningRate(learningRate),
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

export async function runPlan(plan: RunPlan, io: TrainIo): Promise<TrainSummary> {
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
    return await runLocked(plan, io, stop);
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

/** What a run starts from besides its backend: the task, the data stream and the held-out baseline. */
interface RunStart {
  readonly task: Task;
  readonly startStep: number;
  /** Seconds trained before this run (after a resume). */
  readonly previousSeconds: number;
  /** The training batches' stream (restored after a resume). */
  readonly dataRng: Rng;
  readonly curriculum: Curriculum | undefined;
  readonly source: BatchSource;
  /** Softmax tasks: the held-out batch's frequency baseline. */
  readonly baseline: FrequencyBaseline | null;
  readonly metricsPath: string;
  /** The learning-rate schedule (restored after a resume), when the run has one. */
  readonly lrSchedule: LrSchedule | undefined;
}

/** The task, the data stream (restored on resume), the batch source and the held-out baseline. */
function startRun(plan: RunPlan): RunStart {
  const { training, resume } = plan;
  const task = trainingTask(training);
  const dataRng = new Rng(training.seed);
  if (resume) dataRng.setState(resume.progress.dataRng);
  let curriculum: Curriculum | undefined;
  let source: BatchSource;
  if (training.program) {
    const { curriculum: name, target, operations } = training.program;
    curriculum = createCurriculum(name, target, operations);
    if (resume?.progress.curriculum) curriculum.restore(resume.progress.curriculum);
    source = curriculumBatchSource(curriculum);
  } else {
    source = taskBatchSource(task, training.range);
  }
  const baseline = task.outputKind === "softmax"
    ? frequencyBaseline(source.heldOut(training.evalEpisodes, training.evalSeed))
    : null;
  return {
    task,
    startStep: resume?.progress.step ?? 0,
    previousSeconds: resume?.progress.seconds ?? 0,
    dataRng,
    curriculum,
    source,
    baseline,
    metricsPath: join(plan.outDir, METRICS_LOG_FILE),
    lrSchedule: training.lrSchedule && new LrSchedule(
      training.lrSchedule,
      training.optimizer.options.learningRate!,
      resume?.progress.lrSchedule ?? resume?.progress.step ?? 0,
    ),
  };
}

/** The metrics log of the output directory, up to the start step (carried over from another directory). */
async function prepareMetricsLog(plan: RunPlan, start: RunStart): Promise<void> {
  const { resume, outDir } = plan;
  try {
    if (resume && !samePath(outDir, resume.dir)) {
      await carryMetricsLog(join(resume.dir, METRICS_LOG_FILE), start.metricsPath, start.startStep);
    } else {
      await truncateMetricsLog(start.metricsPath, start.startStep);
    }
  } catch (error) {
    if (!(error instanceof MetricsLogError)) throw error;
    throw new MetricsLogError(
      `${error.message}; nothing was changed: repair the line or move ${start.metricsPath} away, then run again`,
    );
  }
}

/** The run's backend: `auto` with only a software adapter times a batch of this run's own episodes. */
function runBackend(plan: RunPlan, start: RunStart, io: TrainIo): Promise<TrainingBackend> {
  const { model, training, resume } = plan;
  return createBackend(
    plan.backend,
    runBackendInit(model, training, resume),
    (line) => io.error(line),
    // The probe batch comes from its own stream, so the training batches are the same whichever trains.
    {
      ...(plan.threads !== undefined && { threads: plan.threads }),
      ...(plan.backend === "auto" &&
        { probe: start.source.next(new Rng(training.seed + 3), training.batch) }),
    },
  );
}

/** The lines that open a run: what trains on what, the held-out baseline, where it writes. */
function runHeader(plan: RunPlan, start: RunStart, backend: TrainingBackend): string[] {
  const { model, training, resume, outDir } = plan;
  const size = checkpointLayout(model).size;
  const what = model.modelKind === "lstm"
    ? `plain LSTM ${model.config.units}×${model.config.layers} (no memory), ${size} parameters` +
      ("ntmParameters" in model && model.ntmParameters !== undefined
        ? ` (the NTM of this preset: ${model.ntmParameters})`
        : "")
    : `${model.config.controllerType} ${model.config.controllerSize}×${model.config.controllerLayers}, ` +
      `memory ${model.config.memoryN}×${model.config.memoryM}, ` +
      `${model.config.readHeads}R/${model.config.writeHeads}W heads, ${size} parameters`;
  const program = training.program, curriculum = start.curriculum;
  const data = program
    ? `${program.curriculum} curriculum to length ${program.target.length}, nesting ${program.target.nesting}` +
      (program.operations ? `, operations ${program.operations.join(",")}` : "") +
      (curriculum && curriculum.name !== "baseline" && curriculum.name !== "mix"
        ? ` (stage ${curriculum.current.length}/${curriculum.current.nesting})`
        : "")
    : `${start.task.lengthMeaning} ${training.range.minLen}..${training.range.maxLen}`;
  const lines = [
    `${resume ? `Resuming ${resume.dir} at step ${start.startStep}:` : "Training"} ${training.task} ` +
    `(${plan.presetName} preset) on ${backend.device}: ${what}, ${training.optimizer.name} lr ` +
    `${training.optimizer.options.learningRate}${
      training.lrSchedule ? ` (${formatLrSchedule(training.lrSchedule)})` : ""
    }, batch ${training.batch}, ${data}, up to ${training.steps} steps`,
  ];
  if (start.baseline) {
    lines.push(
      `Held-out batch: ${training.evalEpisodes} episodes` +
        (program
          ? ` at the target (length ${program.target.length}, nesting ${program.target.nesting})`
          : "") +
        `; frequency baseline (always ${symbolName(start.baseline.symbol)}): ` +
        `${(100 * start.baseline.characterAccuracy).toFixed(1)}% per character`,
    );
  }
  lines.push(`Checkpoint and logs: ${outDir}`);
  return lines;
}

/** Saves checkpoints of a run and keeps the last one in memory. */
interface RunSaver {
  /** Saves the backend's state at `step`, with the report's held-out metrics (if any). */
  save(report: TrainingReport | undefined, step: number, seconds: number): Promise<void>;
  /** The step of the last checkpoint. */
  readonly savedStep: number;
  /** The last checkpoint saved by this run, as loading it would give (`undefined` before the first). */
  readonly last: LoadedCheckpoint | undefined;
}

/** A {@linkcode RunSaver} writing into the run's output directory. */
function runSaver(plan: RunPlan, start: RunStart, backend: TrainingBackend): RunSaver {
  const { model, training, resume, outDir } = plan;
  const softmax = start.task.outputKind === "softmax";
  let savedStep = start.startStep;
  let last: LoadedCheckpoint | undefined;
  return {
    get savedStep() {
      return savedStep;
    },
    get last() {
      return last;
    },
    async save(report, step, seconds) {
      const [params, optimizer] = await Promise.all([backend.parameters(), backend.optimizerState()]);
      const accuracy = (key: "characterAccuracy" | "answerAccuracy") =>
        report ? report[key] ?? null : resume?.progress[key] ?? null;
      const schedule = start.lrSchedule;
      const checkpoint = {
        ...model,
        training: schedule ? withLearningRate(training, schedule.learningRate) : training,
        progress: {
          step,
          sequences: step * training.batch,
          seconds,
          dataRng: start.dataRng.getState(),
          memoryRng: backend.memoryRngState(),
          costBits: report?.costBits ?? resume?.progress.costBits ?? null,
          bitErrors: report?.bitErrors ?? resume?.progress.bitErrors ?? null,
          ...(softmax && {
            characterAccuracy: accuracy("characterAccuracy"),
            answerAccuracy: accuracy("answerAccuracy"),
          }),
          ...(start.curriculum && { curriculum: start.curriculum.state() }),
          ...(schedule && { lrSchedule: schedule.state }),
        },
        params,
        optimizer,
      } as Checkpoint;
      await saveCheckpoint(outDir, checkpoint);
      savedStep = step;
      last = checkpointInMemory(checkpoint, outDir);
    },
  };
}

/** The run's options with the optimiser's learning rate as a schedule has set it. */
function withLearningRate(training: TrainingOptions, learningRate: number): TrainingOptions {
  const { optimizer } = training;
  return { ...training, optimizer: { ...optimizer, options: { ...optimizer.options, learningRate } } };
}

/** A report's line of `metrics.jsonl`. */
function metricsRecord(
  report: TrainingReport,
  seconds: number,
): MetricsRecord & Record<string, number | null> {
  return {
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
    ...(report.learningRate !== undefined && { lr: report.learningRate }),
  };
}

/** The run itself, with the output directory locked. */
async function runLocked(plan: RunPlan, io: TrainIo, stop: StopListener): Promise<TrainSummary> {
  const { training, resume, outDir } = plan;
  const start = startRun(plan);
  await prepareMetricsLog(plan, start);
  const backend = await runBackend(plan, start, io);
  try {
    const progress = new ProgressDisplay({
      totalSteps: training.steps,
      startStep: start.startStep,
      batch: training.batch,
      live: io.live,
      write: io.write,
      ...(io.columns !== undefined && { columns: io.columns }),
    });
    for (const line of runHeader(plan, start, backend)) progress.message(line);
    const saver = runSaver(plan, start, backend);
    let lastReport: TrainingReport | undefined;
    let rate = training.optimizer.options.learningRate;
    stop.onFirst((signal) =>
      progress.message(
        `${signal}: stopping after this step and saving a checkpoint (send ${signal} again to exit at once)`,
      )
    );
    let result: TrainingResult;
    let loopStarted = performance.now();
    try {
      if (!resume) await saver.save(undefined, 0, 0); // the directory is a (step-0) checkpoint from the start
      if (start.startStep >= training.steps) {
        progress.message(
          `The checkpoint is at step ${start.startStep} already, not below --steps ${training.steps}`,
        );
      }
      loopStarted = performance.now();
      result = await trainLoop(
        withStepHook(backend, start.startStep, (step) => progress.step(step)),
        {
          task: start.task,
          range: training.range,
          batch: training.batch,
          steps: training.steps,
          reportEvery: training.reportEvery,
          evalEpisodes: training.evalEpisodes,
          evalSeed: training.evalSeed,
          source: start.source,
          ...(training.stopAtBitErrors !== null && { stopAtBitErrors: training.stopAtBitErrors }),
          ...(start.lrSchedule && { lrSchedule: start.lrSchedule }),
        },
        start.dataRng,
        start.startStep,
        {
          shouldStop: () => stop.signal !== null,
          onReport: async (report) => {
            lastReport = report;
            const seconds = start.previousSeconds + report.seconds;
            await saver.save(report, report.step, seconds);
            await appendMetricsRecord(start.metricsPath, metricsRecord(report, seconds));
            progress.report(report);
            if (report.learningRate !== undefined && report.learningRate !== rate) {
              progress.message(
                `step ${report.step}: learning rate ${rate} → ${report.learningRate} (${
                  formatLrSchedule(training.lrSchedule!)
                })`,
              );
              rate = report.learningRate;
            }
          },
        },
      );
    } catch (error) {
      progress.finish();
      if (error instanceof NonFiniteLossError) {
        throw new TrainingStoppedError(
          `${error.message}. The last good checkpoint (step ${saver.savedStep}) in ${outDir} is left as it ` +
            `was; continue from it with a lower learning rate: deno task train --resume ${outDir} --lr <lower>`,
          { cause: error },
        );
      }
      throw error;
    }
    progress.finish();
    if (result.interruptedAt !== undefined && stop.signal !== null) {
      const seconds = start.previousSeconds + (performance.now() - loopStarted) / 1000;
      await saver.save(lastReport, result.interruptedAt, seconds);
      io.write(
        `Stopped by ${stop.signal} after step ${result.interruptedAt}: the checkpoint in ${outDir} is at step ` +
          `${result.interruptedAt}.\nContinue training with: deno task train --resume ${outDir}\n`,
      );
      throw new TrainingInterruptedError(stop.signal);
    }
    stop.remove(); // the checkpoint is final: a signal during the evaluation ends the process as usual
    const trained = saver.last ?? resume!;
    return await finishRun(plan, start, result, backend, trained, io);
  } finally {
    backend.destroy();
  }
}

/**
 * The end of a run: what stopped it, the held-out accuracy of a softmax task, the evaluation table and the
 * figures (from the trained backend and parameters in memory), the paths and the summary line.
 */
async function finishRun(
  plan: RunPlan,
  start: RunStart,
  result: TrainingResult,
  backend: TrainingBackend,
  trained: LoadedCheckpoint,
  io: TrainIo,
): Promise<TrainSummary> {
  const { training, outDir } = plan;
  const { last, stoppedEarly } = result;
  if (stoppedEarly) {
    io.write(
      `Stopped: held-out bit errors ${last.bitErrors} < ${training.stopAtBitErrors} at step ${last.step}\n`,
    );
  }
  const baseline = start.baseline;
  if (baseline && last.characterAccuracy !== undefined) {
    io.write(
      `Held-out per-character accuracy ${(100 * last.characterAccuracy).toFixed(1)}% (frequency baseline ` +
        `${(100 * baseline.characterAccuracy).toFixed(1)}%), whole answers ` +
        `${(100 * (last.answerAccuracy ?? 0)).toFixed(1)}% at step ${last.step}\n`,
    );
  }
  const outputs = plan.noEval
    ? { evalPath: null, figures: [] }
    : await finalOutputs(plan, backend, trained, io);
  io.write(`Checkpoint: ${outDir} (model.safetensors, optimizer.safetensors, config.json)\n`);
  io.write(`Metrics log: ${start.metricsPath}\n`);
  if (outputs.evalPath) io.write(`Evaluation: ${outputs.evalPath}\n`);
  if (outputs.figures.length) io.write(`Figures: ${outputs.figures.join(", ")}\n`);
  io.write(`Continue training with: deno task train --resume ${outDir} --steps <more>\n`);
  const summary: TrainSummary = {
    task: training.task,
    model: plan.model.modelKind ?? "ntm",
    backend: backend.name,
    steps: last.step,
    sequences: last.sequences,
    seconds: Number(last.seconds.toFixed(3)),
    total_seconds: Number((start.previousSeconds + last.seconds).toFixed(3)),
    cost_bits: last.costBits,
    bit_errors: last.bitErrors,
    character_accuracy: last.characterAccuracy ?? null,
    answer_accuracy: last.answerAccuracy ?? null,
    frequency_baseline: baseline?.characterAccuracy ?? null,
    stopped_early: stoppedEarly,
    checkpoint: outDir,
    metrics: start.metricsPath,
    eval: outputs.evalPath,
    figures: outputs.figures,
  };
  io.write(JSON.stringify(summary) + "\n");
  return summary;
}

/**
 * The final evaluation table (on the backend that trained, so it names the same backend) and the figures,
 * both from the trained parameters in memory, written into the run's directory.
 */
async function finalOutputs(
  plan: RunPlan,
  backend: TrainingBackend,
  trained: LoadedCheckpoint,
  io: TrainIo,
): Promise<{ evalPath: string | null; figures: string[] }> {
  const task = trainingTask(plan.training);
  const evaluation = await evaluateCheckpoint(trained, {
    on: backend,
    lengths: defaultEvalLengths(task, plan.training.range),
    episodes: plan.training.evalEpisodes,
  });
  const evalPath = join(plan.outDir, EVAL_FILE);
  await writeFileAtomic(evalPath, JSON.stringify({ ...evaluation, file: evalPath }, null, 2) + "\n");
  io.write(formatEvalTable(evaluation) + "\n");
  if (plan.model.modelKind === "lstm") {
    const curve = await renderLearningCurve(trained);
    return { evalPath, figures: curve ? [curve] : [] };
  }
  const drawn = await renderFigures(trained);
  return {
    evalPath,
    figures: [
      drawn.episode,
      ...(drawn.learningCurve ? [drawn.learningCurve] : []),
      ...(drawn.priorityWrites ? [drawn.priorityWrites] : []),
    ],
  };
}
