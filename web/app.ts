/// <reference lib="dom" />
/**
 * The demo page: trains an NTM live on the visitor's GPU through the package's browser entry, drawing the
 * learning curve and an episode (inputs, targets, outputs, heads' vectors and weightings) at every report,
 * and loads a shipped model from `models/` to probe it at a length (and repeat count) of the visitor's
 * choosing. A query starts it without clicks, e.g. `?task=copy&preset=quick&steps=50&seed=1&autostart=1`
 * (also `report`, `eval`) or `?model=copy&length=120&episodes=16&probeSeed=2&probe=1` (also `repeats`).
 * What it measured is kept in `window.ntmDemo` for the browser test.
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
  type GpuContext,
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
  repeatCopyTask,
  requestGpuContext,
  Rng,
  type Task,
  taskByName,
  type TrainingReport,
  trainingTask,
} from "../browser.ts";

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

/** What the page measured, for the browser test. */
interface DemoState {
  adapter: string | null;
  reports: PageReport[];
  done: boolean;
  probe: Record<string, number | string> | null;
  errors: string[];
}

const state: DemoState = { adapter: null, reports: [], done: false, probe: null, errors: [] };
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

let context: GpuContext | undefined;
/** The WebGPU device, requested once; the adapter badge says which. */
async function gpu(): Promise<GpuContext> {
  if (context) return context;
  context = await requestGpuContext();
  const info = context.adapterInfo;
  const name = [info.vendor, info.architecture, info.device, info.description].filter((s) => s).join(" · ");
  state.adapter = name;
  const badge = $("adapter");
  badge.textContent = `WebGPU: ${name}${context.isSoftware ? " (software, on the CPU)" : ""}`;
  badge.className = "badge ok";
  return context;
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
  const run = await createLiveRun({ task, preset, steps, seed, reportEvery, evalEpisodes }, await gpu());
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

/** Evaluates a shipped model at one length as `deno task eval --backend webgpu` does, and draws an episode. */
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
  const backend = await checkpointBackend(checkpoint, "webgpu", () => {}, { context: await gpu() });
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

async function main(): Promise<void> {
  for (const name of PAPER_TASK_NAMES) select("task").add(new Option(name, name));
  for (const name of PRESET_NAMES) select("preset").add(new Option(name, name));
  const fields: [string, string][] = [
    ["task", "task"],
    ["preset", "preset"],
    ["steps", "steps"],
    ["seed", "seed"],
    ["report", "report"],
    ["eval", "eval"],
    ["length", "length"],
    ["repeats", "repeats"],
    ["episodes", "episodes"],
    ["probeSeed", "probeSeed"],
  ];
  for (const [param, id] of fields) {
    const value = query.get(param);
    if (value !== null) ($(id) as HTMLInputElement | HTMLSelectElement).value = value;
  }
  if (!(PAPER_TASK_NAMES as readonly string[]).includes(select("task").value)) {
    throw new RangeError(`task must be one of ${PAPER_TASK_NAMES.join(", ")}, got "${query.get("task")}"`);
  }
  if (!(PRESET_NAMES as readonly string[]).includes(select("preset").value)) {
    throw new RangeError(`preset must be one of ${PRESET_NAMES.join(", ")}, got "${query.get("preset")}"`);
  }
  describePreset();
  select("task").onchange = select("preset").onchange = describePreset;
  $("start").onclick = () => train().catch(fail);
  $("stop").onclick = () => stopRequested = true;
  $("probe").onclick = () => probe().catch(fail);

  // The probe evaluates by length (and repeat count): the five paper tasks' models, not the program task's.
  const models =
    (await (await fetch("models/index.json")).json() as { name: string; task: string; step: number }[])
      .filter((m) => (PAPER_TASK_NAMES as readonly string[]).includes(m.task));
  for (const m of models) {
    select("model").add(new Option(`${m.name} (step ${m.step.toLocaleString()})`, m.name));
  }
  const syncModel = () => {
    const task = models.find((m) => m.name === select("model").value)?.task;
    input("repeats").disabled = task !== "repeat-copy";
    $("lengthLabel").textContent = task
      ? trainingTask({ task: task as PaperTaskName }).lengthMeaning
      : "Length";
  };
  if (query.get("model") !== null) select("model").value = query.get("model")!;
  syncModel();
  select("model").onchange = syncModel;

  if (!(globalThis.navigator as Navigator | undefined)?.gpu) {
    const banner = $("nogpu");
    banner.hidden = false;
    banner.textContent =
      "This browser offers no WebGPU (navigator.gpu is missing), so nothing can train here. " +
      "Use a recent Chrome, Edge or Safari, or Firefox with WebGPU enabled; on Linux Chrome may need " +
      "--enable-unsafe-webgpu.";
    $("adapter").textContent = "WebGPU: not available";
    $("adapter").className = "badge bad";
    for (const id of ["start", "probe"]) $<HTMLButtonElement>(id).disabled = true;
    status("WebGPU is not available in this browser.", "error");
    return;
  }
  await gpu();
  if (query.get("autostart") === "1") await train();
  if (query.get("probe") === "1") await probe();
}

addEventListener("error", (event) => fail(event.error ?? event.message));
addEventListener("unhandledrejection", (event) => fail(event.reason));
main().catch(fail);
