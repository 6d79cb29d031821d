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
  checkpointLayout,
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
import type { NtmConfig } from "../model/config.ts";
import { initParameters } from "../model/init.ts";
import { Rng } from "../model/random.ts";
import { createOptimizer, type OptimizerName, restoreOptimizer } from "../optim/optimizer.ts";
import { initLstmParameters } from "../reference/lstm_model.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import { NonFiniteLossError, type TrainingBackend } from "../train/backend.ts";
import { type BatchSource, taskBatchSource } from "../train/batch_source.ts";
import { checkRunSize, tapeBytesPerStep } from "../train/run_size.ts";
import { acquireRunLock, RunLockedError } from "../io/run_lock.ts";
import { listenForStop, type StopListener, TrainingInterruptedError } from "./stop_signals.ts";
import { createBackend, type ModelKind } from "../train/create_backend.ts";
import { curriculumBatchSource } from "../train/curriculum_source.ts";
import { frequencyBaseline } from "../train/metrics.ts";
import { type TrainingReport, trainLoop } from "../train/loop.ts";
import { UsageError } from "./args.ts";
import { defaultEvalLengths, evaluateCheckpoint, formatEvalTable } from "./eval.ts";
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

/** The run itself, with the output directory locked. */
async function runLocked(
  plan: RunPlan,
  io: TrainIo,
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
  const backend = await createBackend(
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
