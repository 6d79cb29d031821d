/// <reference lib="dom" />
/**
 * The demo page: trains an NTM live in the visitor's browser through the package's browser entry, on a
 * hardware WebGPU adapter or else on the WebAssembly SIMD engine (`web/engine.ts`; a picker forces either),
 * drawing the learning curve and an episode (inputs, targets, outputs, heads' vectors and weightings) at
 * every report; loads a shipped model from `models/` to probe it at a length (and repeat count) of the
 * visitor's choosing; and answers a typed program with the shipped addition model (`web/program_panel.ts`).
 * A query starts it without clicks, e.g. `?task=copy&preset=quick&steps=50&seed=1&autostart=1` (also
 * `report`, `eval`, `backend`), `?model=copy&length=120&episodes=16&probeSeed=2&probe=1` (also `repeats`) or
 * `?program=print(27%2B58)&execute=1`. What it measured is kept in `window.ntmDemo` for the browser tests.
 *
 * @module
 */

import {
  checkpointBackend,
  checkpointFromBuffers,
  createLiveRun,
  type EpisodeFigureSubject,
  episodeFigureSvg,
  evaluateCheckpoint,
  forwardEpisode,
  learningCurveSvg,
  type LoadedCheckpoint,
  type MetricsRecord,
  type NtmConfig,
  PAPER_TASK_NAMES,
  type PaperTaskName,
  type ParameterLayout,
  PRESET_NAMES,
  presetByName,
  type PresetName,
  ProgramRefusedError,
  repeatCopyTask,
  Rng,
  type Task,
  taskByName,
  type TrainingReport,
  trainingTask,
} from "../browser.ts";
import { decideEngine, type Engine, ENGINE_CHOICES, type EngineChoice } from "./engine.ts";
import { answerTypedProgram } from "./program_panel.ts";

/** One report of the live run, as the test reads it. */
interface PageReport {
  step: number;
  sequences: number;
  trainCostBits: number;
  costBits: number;
  bitErrors: number;
  gradNorm: number;
  trainSeqPerSecond: number;
}

/** A typed program's answers, as the browser test reads them. */
interface PageProgram {
  program: string;
  answer: string;
  generated: string;
  generated_correct: boolean;
  teacher_forced: string;
}

/** What the page measured, for the browser tests. */
interface DemoState {
  /** The engine the last run, probe or program ran on, and why (the badge's text). */
  engine: string | null;
  /** Whether the page is cross-origin isolated (shared memory for the engine's threads). */
  isolated: boolean;
  reports: PageReport[];
  done: boolean;
  probe: Record<string, number | string> | null;
  /** Typed programs answered, newest last. */
  programs: PageProgram[];
  /** Typed programs refused, one line each, newest last. */
  refusals: string[];
  errors: string[];
}

const state: DemoState = {
  engine: null,
  isolated: globalThis.crossOriginIsolated === true,
  reports: [],
  done: false,
  probe: null,
  programs: [],
  refusals: [],
  errors: [],
};
(globalThis as unknown as { ntmDemo: DemoState }).ntmDemo = state;

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`The page has no element #${id}`);
  return element as T;
};
const input = (id: string) => $<HTMLInputElement>(id);
const select = (id: string) => $<HTMLSelectElement>(id);
const query = new URLSearchParams(location.search);

/** Shows a line in the status bar (`error` and `done` colour it). */
function status(text: string, kind: "" | "error" | "done" = ""): void {
  const element = $("status");
  element.textContent = text;
  element.className = `status ${kind}`;
}

function fail(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  state.errors.push(message);
  status(`Error: ${message}`, "error");
  console.error(message);
}

/** An SVG document's markup without its XML declaration, for inline use. */
const inline = (svg: string) => svg.replace(/^<\?xml[^>]*>\s*/, "");

/** A whole number from an input, or a one-line error naming it. */
function integer(id: string, min: number): number {
  const text = input(id).value.trim();
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || !Number.isSafeInteger(value)) {
    throw new RangeError(`${id} must be an integer ≥ ${min}, got "${text}"`);
  }
  return value;
}

/** Decides the engine the picker asks for at a batch size, and shows it on the badge. */
async function engineFor(batch: number): Promise<Engine> {
  const engine = await decideEngine(select("backend").value as EngineChoice, batch);
  state.engine = engine.label;
  const badge = $("adapter");
  badge.textContent = engine.label;
  badge.className = "badge ok";
  return engine;
}

/** Draws one episode of a model through the float64 reference, as `deno task viz` does. */
function drawEpisode(
  subject: EpisodeFigureSubject,
  layout: ParameterLayout,
  params: Float64Array,
  task: Task,
  length: number,
  seed: number,
  memorySeed: number,
): void {
  const batch = task.generate(new Rng(seed), 1, { minLen: length, maxLen: length });
  const forward = forwardEpisode(subject.config, layout, params, batch, memorySeed);
  $("episode").innerHTML = inline(episodeFigureSvg(subject, length, batch, forward));
}

let stopRequested = false;

async function train(): Promise<void> {
  const taskName = select("task").value as PaperTaskName;
  const presetName = select("preset").value as PresetName;
  const task = taskByName(taskName);
  const preset = presetByName(presetName, taskName);
  const steps = integer("steps", 1), seed = integer("seed", 0);
  const reportEvery = integer("report", 1), evalEpisodes = integer("eval", 1);
  state.reports = [];
  state.done = false;
  stopRequested = false;
  $<HTMLButtonElement>("start").disabled = true;
  $<HTMLButtonElement>("stop").disabled = false;
  status(`Compiling the kernels for ${taskName} (${presetName})…`);
  const engine = await engineFor(preset.batch);
  const run = await createLiveRun(
    { task, preset, steps, seed, reportEvery, evalEpisodes },
    { backend: engine.backend, ...engine.options },
  );
  const records: MetricsRecord[] = [];
  let hookSeconds = 0;
  const onReport = async (report: TrainingReport) => {
    const began = performance.now();
    const trainSeqPerSecond = report.sequences / Math.max(1e-9, report.seconds - hookSeconds);
    state.reports.push({
      step: report.step,
      sequences: report.sequences,
      trainCostBits: report.trainCostBits,
      costBits: report.costBits,
      bitErrors: report.bitErrors,
      gradNorm: report.gradNorm,
      trainSeqPerSecond,
    });
    records.push({
      step: report.step,
      sequences: report.sequences,
      seconds: report.seconds,
      train_cost_bits: report.trainCostBits,
      grad_norm: report.gradNorm,
      cost_bits: report.costBits,
      bit_errors: report.bitErrors,
      seq_per_s: trainSeqPerSecond,
    });
    $("tStep").textContent = `${report.step} / ${steps}`;
    $("tRate").textContent = trainSeqPerSecond.toFixed(1);
    $("tTrain").textContent = report.trainCostBits.toFixed(3);
    $("tCost").textContent = report.costBits.toFixed(3);
    $("tErr").textContent = report.bitErrors.toFixed(3);
    status(
      `step ${report.step} / ${steps} · training cost ${
        report.trainCostBits.toFixed(4)
      } bits · held-out cost ` +
        `${report.costBits.toFixed(4)} bits · bit errors ${report.bitErrors.toFixed(3)} · ` +
        `${trainSeqPerSecond.toFixed(1)} seq/s`,
    );
    $("curve").innerHTML = inline(learningCurveSvg(records, `${taskName} (${presetName}, seed ${seed})`));
    const subject = {
      config: run.config,
      task: taskName,
      lengthMeaning: task.lengthMeaning,
      step: report.step,
      sequences: report.sequences,
    };
    drawEpisode(
      subject,
      run.layout,
      await run.backend.parameters(),
      task,
      preset.range.maxLen,
      run.evalSeed,
      run.memorySeed,
    );
    await new Promise((resolve) => requestAnimationFrame(resolve)); // let the page paint
    hookSeconds += (performance.now() - began) / 1000;
  };
  try {
    const result = await run.train({ onReport, shouldStop: () => stopRequested });
    state.done = true;
    const last = state.reports.at(-1);
    const how = result.interruptedAt !== undefined ? `stopped after step ${result.interruptedAt}` : "done";
    status(
      `${how} · step ${result.last.step} · held-out cost ${result.last.costBits.toFixed(4)} bits · ` +
        `bit errors ${result.last.bitErrors.toFixed(3)}${
          last ? ` · ${last.trainSeqPerSecond.toFixed(1)} seq/s` : ""
        }`,
      "done",
    );
  } finally {
    run.backend.destroy();
    $<HTMLButtonElement>("start").disabled = false;
    $<HTMLButtonElement>("stop").disabled = true;
  }
}

/** Fetches a shipped model's files and checks them as `loadCheckpoint` does. */
async function loadModel(name: string): Promise<LoadedCheckpoint> {
  const get = async (file: string) => {
    const response = await fetch(`models/${name}/${file}`);
    if (!response.ok) throw new Error(`Cannot fetch models/${name}/${file}: HTTP ${response.status}`);
    return await response.arrayBuffer();
  };
  const [config, model] = await Promise.all([get("config.json"), get("model.safetensors")]);
  return await checkpointFromBuffers({ config, model }, `models/${name}`);
}

/** Evaluates a shipped model at one length as `deno task eval` does on the engine, and draws an episode. */
async function probe(): Promise<void> {
  const name = select("model").value;
  const length = integer("length", 1), episodes = integer("episodes", 1), seed = integer("probeSeed", 0);
  status(`Loading models/${name}…`);
  const checkpoint = await loadModel(name);
  if (checkpoint.modelKind === "lstm") throw new Error(`models/${name} is a plain LSTM: nothing to probe`);
  const { training, layout, progress } = checkpoint;
  const repeats = training.task === "repeat-copy" ? integer("repeats", 1) : undefined;
  const task = trainingTask(training);
  const source = repeats === undefined ? task : repeatCopyTask({ repeats });
  status(`Evaluating models/${name} at ${task.lengthMeaning} ${length} (${episodes} episodes)…`);
  const engine = await engineFor(episodes);
  const backend = await checkpointBackend(checkpoint, engine.backend, () => {}, engine.options);
  let row0;
  try {
    const options = {
      on: backend,
      lengths: [length],
      episodes,
      seed,
      ...(repeats !== undefined && { repeats: [repeats] }),
    };
    row0 = (await evaluateCheckpoint(checkpoint, options)).rows[0]!;
  } finally {
    backend.destroy();
  }
  const evaluation = { costBits: row0.cost_bits, bitErrors: row0.bit_errors };
  state.probe = {
    model: name,
    length,
    episodes,
    seed,
    ...(repeats !== undefined && { repeats }),
    cost_bits: evaluation.costBits,
    bit_errors: evaluation.bitErrors,
  };
  const row = document.createElement("tr");
  const cells = [
    name,
    repeats === undefined ? String(length) : `${length} × ${repeats}`,
    evaluation.costBits.toFixed(3),
    evaluation.bitErrors.toFixed(3),
  ];
  for (const text of cells) row.appendChild(document.createElement("td")).textContent = text;
  $("probeTable").querySelector("tbody")!.prepend(row);
  $("probeTable").hidden = false;
  const subject = {
    config: checkpoint.config as NtmConfig,
    task: training.task,
    lengthMeaning: task.lengthMeaning,
    step: progress.step,
    sequences: progress.sequences,
  };
  drawEpisode(subject, layout, checkpoint.params, source, length, seed, training.memorySeed);
  const trained = `${training.range.minLen}..${training.range.maxLen}`;
  const verdict = evaluation.bitErrors < 0.5 ? "copied without error" : "fails";
  status(
    `probe models/${name} · ${task.lengthMeaning} ${length}${repeats ? ` × ${repeats} repeats` : ""} ` +
      `(trained on ${trained}) · cost ${evaluation.costBits.toFixed(4)} bits · bit errors ` +
      `${evaluation.bitErrors.toFixed(3)} per sequence · ${verdict}`,
    "done",
  );
}

function describePreset(): void {
  const preset = presetByName(select("preset").value as PresetName, select("task").value as PaperTaskName);
  const m = preset.model;
  $("presetInfo").textContent = `${m.controllerType ?? "lstm"} controller ${m.controllerSize}, memory ` +
    `${m.memoryN} × ${m.memoryM}, ${m.readHeads} read / ${m.writeHeads} write heads; ${preset.optimizer} ` +
    `lr ${preset.learningRate}, batch ${preset.batch}, lengths ${preset.range.minLen}..${preset.range.maxLen}`;
}

/** Answers the typed program with the picked program model; a refusal is shown, not thrown. */
async function runProgram(): Promise<void> {
  const name = select("programModel").value;
  const text = input("programText").value;
  const engine = await engineFor(1);
  status(`Loading models/${name}…`);
  const checkpoint = await loadModel(name);
  let answered;
  try {
    answered = await answerTypedProgram(checkpoint, text, engine);
  } catch (error) {
    if (!(error instanceof ProgramRefusedError)) throw error;
    state.refusals.push(error.message);
    $("programResult").textContent = `refused: ${error.message}`;
    $("programResult").className = "note refused";
    status(`models/${name} cannot read that program: ${error.message}`, "error");
    return;
  }
  const { row, figure } = answered;
  state.programs.push({
    program: row.program,
    answer: row.answer,
    generated: row.generated,
    generated_correct: row.generated_correct,
    teacher_forced: row.teacher_forced,
  });
  const right = [...row.teacher_forced].filter((c, k) => c === (row.answer + ".")[k]).length;
  $("programResult").className = "note";
  $("programResult").textContent =
    `python ${row.answer} · model ${row.generated || "(nothing)"} (${
      row.generated_correct ? "right" : "wrong"
    }) · teacher-forced ${row.teacher_forced} (${right}/${row.answer.length + 1} characters right)` +
    (row.note ? ` · ${row.note}` : "");
  $("episode").innerHTML = inline(figure);
  status(
    `models/${name}: ${row.program.replaceAll("\n", "; ")} → ${row.generated || "(nothing)"} ` +
      `(python: ${row.answer}; ${row.generated_correct ? "right" : "wrong"})`,
    "done",
  );
}

/** Fills the form from the query (`?task=copy&steps=50…`) and checks the choices it names. */
function readQuery(): void {
  const fields = [
    "task",
    "preset",
    "backend",
    "steps",
    "seed",
    "report",
    "eval",
    "length",
    "repeats",
    "episodes",
    "probeSeed",
    "model",
    "programModel",
  ];
  for (const id of fields) {
    const value = query.get(id);
    if (value !== null) ($(id) as HTMLInputElement | HTMLSelectElement).value = value;
  }
  if (query.get("program") !== null) input("programText").value = query.get("program")!;
  const check = (id: string, allowed: readonly string[]) => {
    if (!allowed.includes(select(id).value)) {
      throw new RangeError(`${id} must be one of ${allowed.join(", ")}, got "${query.get(id)}"`);
    }
  };
  check("task", PAPER_TASK_NAMES);
  check("preset", PRESET_NAMES);
  check("backend", ENGINE_CHOICES);
}

/** Lists the shipped models: the paper tasks' for the probe, the program task's for the program panel. */
async function listModels(): Promise<void> {
  const models = await (await fetch("models/index.json")).json() as {
    name: string;
    task: string;
    step: number;
  }[];
  const paper = models.filter((m) => (PAPER_TASK_NAMES as readonly string[]).includes(m.task));
  for (const m of paper) {
    select("model").add(new Option(`${m.name} (step ${m.step.toLocaleString()})`, m.name));
  }
  for (const m of models.filter((m) => m.task === "program")) {
    select("programModel").add(new Option(`${m.name} (step ${m.step.toLocaleString()})`, m.name));
  }
  const syncModel = () => {
    const task = paper.find((m) => m.name === select("model").value)?.task;
    input("repeats").disabled = task !== "repeat-copy";
    $("lengthLabel").textContent = task
      ? trainingTask({ task: task as PaperTaskName }).lengthMeaning
      : "Length";
  };
  syncModel();
  select("model").onchange = syncModel;
}

async function main(): Promise<void> {
  for (const name of PAPER_TASK_NAMES) select("task").add(new Option(name, name));
  for (const name of PRESET_NAMES) select("preset").add(new Option(name, name));
  for (const name of ENGINE_CHOICES) select("backend").add(new Option(name, name));
  await listModels();
  readQuery();
  describePreset();
  select("task").onchange = select("preset").onchange = describePreset;
  $("start").onclick = () => train().catch(fail);
  $("stop").onclick = () => stopRequested = true;
  $("probe").onclick = () => probe().catch(fail);
  $("runProgram").onclick = () => runProgram().catch(fail);
  const showEngine = () =>
    engineFor(
      presetByName(select("preset").value as PresetName, select("task").value as PaperTaskName).batch,
    );
  select("backend").onchange = () => showEngine().catch(fail);
  await showEngine();
  if (query.get("autostart") === "1") await train();
  if (query.get("probe") === "1") await probe();
  if (query.get("execute") === "1") await runProgram();
}

addEventListener("error", (event) => fail(event.error ?? event.message));
addEventListener("unhandledrejection", (event) => fail(event.reason));
main().catch(fail);
