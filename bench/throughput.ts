/**
 * `deno task throughput`: trains the paper's copy configuration (LSTM 100, memory 128 × 20, 1 read and
 * 1 write head, lengths 1..20) on a backend (`--backend auto|wasm|cpu|webgpu`) after a warm-up, for at least
 * `--steps` steps and `--seconds` seconds, and prints, last, one JSON line: `{"device", "backend", "batch",
 * "sequences_per_second", "gflops", "ms_per_step", "cpu_ms_per_step", "dispatches_per_step", …}`.
 *
 * GFLOP/s counts, from the shapes, the multiply-adds of every op's forward (the linear maps, content
 * addressing, interpolation, shift, sharpening, reads and writes, the output) and three times that for a
 * training step (forward, then the input and the weight gradients): a count of the work, the same for every
 * backend, not of what a backend happens to execute.
 *
 * The timed steps end with a readback, so the GPU's work is inside the measurement. `cpu_ms_per_step` is
 * the process's CPU time (all threads) per step: on a software adapter the GPU's work itself, and steadier
 * than wall time on a shared machine. `--fused on|off|auto` picks the engine's path; `--profile` prints
 * where a step's time goes instead (see `bench/_profile.ts`).
 *
 * @module
 */

import { quietMesa } from "../src/cli/quiet_mesa.ts";
import {
  choiceFlag,
  type FlagSpec,
  helpText,
  integerFlag,
  numberFlag,
  parseFlags,
  UsageError,
} from "../src/cli/args.ts";
import { type GpuContext, requestGpuContext } from "../src/gpu/device.ts";
import { cpuTimed, type KernelTime, type ProfileClock, profileTrainingStep } from "./_profile.ts";
import { NtmGpuEngine } from "../src/gpu/engine.ts";
import { KernelCache } from "../src/gpu/kernel.ts";
import { type NtmConfig, ntmConfig, readHeadWidth, shiftCount, writeHeadWidth } from "../src/model/config.ts";
import { layerInputWidth } from "../src/model/layout.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";
import { BACKEND_CHOICES, createBackend } from "../src/train/create_backend.ts";
import { copyTask } from "../tasks/copy.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

// Mesa's Vulkan driver would print a stray Wayland error line in a plain shell.
quietMesa();

const FLAGS: Record<string, FlagSpec> = {
  "batch": { type: "string", help: "B: episodes per step", default: "32" },
  "backend": { type: "string", help: "auto, wasm, webgpu or cpu", default: "auto" },
  "steps": { type: "string", help: "at least this many timed training steps", default: "20" },
  "seconds": { type: "string", help: "time at least this many seconds", default: "10" },
  "threads": {
    type: "string",
    help: "the wasm backend's threads",
    defaultFrom: "every core, one for batch 1",
  },
  "warmup": {
    type: "string",
    help: "untimed random steps, after one untimed step per length (which compiles every pipeline)",
    default: "3",
  },
  "min-len": { type: "string", help: "shortest sequence", default: "1" },
  "max-len": { type: "string", help: "longest sequence", default: "20" },
  "fused": {
    type: "string",
    help: "on (2 + 2 dispatches per time step), off (one per op), or auto (the adapter's default)",
    default: "auto",
  },
  "profile": {
    type: "boolean",
    help: "instead of timing, profile the timed steps and print ms per kernel (bench/_profile.ts)",
  },
  "clock": { type: "string", help: "the profile's clock: cpu, timestamp or wall", default: "cpu" },
  "help": { type: "boolean", help: "show this help" },
};

async function main(args: string[]): Promise<void> {
  const values = parseFlags(args, FLAGS);
  if (values.help) return console.log(helpText("deno task throughput [flags]", FLAGS));
  const str = (name: string) => values[name] as string;
  const batch = integerFlag(str("batch"), "batch", 1);
  const backendChoice = choiceFlag(str("backend"), "backend", BACKEND_CHOICES);
  const steps = integerFlag(str("steps"), "steps", 1);
  const minSeconds = numberFlag(str("seconds"), "seconds", 0, true);
  const threads = values.threads === undefined ? undefined : integerFlag(str("threads"), "threads", 1, 256);
  const warmup = integerFlag(str("warmup"), "warmup", 0);
  const range = {
    minLen: integerFlag(str("min-len"), "min-len", 1),
    maxLen: integerFlag(str("max-len"), "max-len", 1),
  };
  const fusedFlag = choiceFlag(str("fused"), "fused", ["on", "off", "auto"] as const);
  const clock = choiceFlag(str("clock"), "clock", ["cpu", "timestamp", "wall"] as const);
  const task = copyTask();
  const config = ntmConfig({ inputSize: task.inputSize, outputSize: task.outputSize });
  const layout = parameterLayout(config);
  const params = initParameters(config, layout, 1);
  const optimizer = createOptimizer("adam", layout.size);
  const rng = new Rng(1);
  // On the GPU the warm-up first runs one batch of every length in the range, so that every T's pipelines
  // are compiled before the timed steps (each new T compiles the kernels specialised on it), then `warmup`
  // random ones.
  const probe = task.generate(new Rng(4), batch, range);
  const backend = values.profile || backendChoice === "webgpu" ? undefined : await createBackend(
    backendChoice,
    { kind: "ntm", config, layout, params, optimizer, batch, memorySeed: 2, startStep: 0 },
    (line) => console.error(line),
    { probe, ...(threads !== undefined && { threads }) },
  );
  const backendName = backend?.name ?? "webgpu";
  const lengths = backendName === "webgpu"
    ? Array.from({ length: range.maxLen - range.minLen + 1 }, (_, i) => range.minLen + i)
    : [];
  const batches = [
    ...lengths.map((length) => task.generate(rng, batch, { minLen: length, maxLen: length })),
    ...Array.from({ length: warmup + steps }, () => task.generate(rng, batch, range)),
  ];
  const timedBatches = batches.slice(lengths.length + warmup);
  /** The timed batches, cycled until at least `steps` steps and `minSeconds` seconds have run. */
  const timed = async (train: (b: EpisodeBatch) => Promise<void> | void, finish: () => Promise<unknown>) => {
    const started = performance.now();
    let count = 0;
    while (count < steps || (performance.now() - started) / 1000 < minSeconds) {
      await train(timedBatches[count % timedBatches.length]!);
      count++;
    }
    await finish();
    return count;
  };
  const untimed = lengths.length + warmup;
  const sequencesPerStep = batch;

  let device: string, dispatches = 0, seconds: number, fused = false, cpuSeconds = 0, timedSteps = 0;
  if (backendName === "webgpu") {
    const context = values.profile && clock === "timestamp"
      ? await timestampContext()
      : await requestGpuContext();
    device = context.adapterName;
    const engine = new NtmGpuEngine(
      context,
      new KernelCache(context.device),
      config,
      layout,
      batch,
      "adam",
      {},
      fusedFlag === "auto" ? {} : { fused: fusedFlag === "on" },
    );
    fused = engine.fused;
    engine.writeParameters(params);
    engine.writeOptimizerState(optimizer.state);
    for (const b of batches.slice(0, untimed)) engine.trainStep(b);
    await engine.readStepReport();
    if (values.profile) {
      await printProfile(engine, context.device, batches.slice(untimed), clock);
      engine.destroy();
      return;
    }
    const started = performance.now();
    const { ms } = await cpuTimed(async () => {
      timedSteps = await timed((b) => {
        engine.trainStep(b);
        dispatches += engine.dispatchesPerStep;
      }, () => engine.readStepReport());
    });
    seconds = (performance.now() - started) / 1000;
    cpuSeconds = ms / 1000;
    engine.destroy();
  } else {
    device = backend!.device;
    for (const b of batches.slice(0, untimed)) await backend!.trainStep(b);
    const started = performance.now();
    const { ms } = await cpuTimed(async () => {
      timedSteps = await timed((b) => backend!.trainStep(b), () => backend!.lastStep());
    });
    seconds = (performance.now() - started) / 1000;
    cpuSeconds = ms / 1000;
    backend!.destroy();
  }
  const timedT = Array.from({ length: timedSteps }, (_, i) => timedBatches[i % timedBatches.length]!.steps);
  const meanSteps = timedT.reduce((sum, t) => sum + t, 0) / timedSteps;
  const flops = timedT.reduce((sum, t) => sum + 3 * forwardFlops(config, t) * batch, 0);
  console.log(
    `copy, LSTM ${config.controllerSize}, memory ${config.memoryN}×${config.memoryM}, lengths ${range.minLen}..${range.maxLen} ` +
      `(mean T ${meanSteps.toFixed(1)}), batch ${batch}, ${timedSteps} steps in ${
        seconds.toFixed(2)
      } s on ${device}`,
  );
  console.log(JSON.stringify({
    device,
    backend: backendName,
    batch,
    sequences_per_second: Number(((timedSteps * sequencesPerStep) / seconds).toFixed(2)),
    gflops: Number((flops / seconds / 1e9).toFixed(2)),
    ms_per_step: Number(((seconds * 1000) / timedSteps).toFixed(2)),
    cpu_ms_per_step: Number(((cpuSeconds * 1000) / timedSteps).toFixed(2)),
    cores: navigator.hardwareConcurrency,
    dispatches_per_step: backendName === "webgpu" ? Number((dispatches / timedSteps).toFixed(1)) : 0,
    submits_per_step: backendName === "webgpu" ? 1 : 0,
    mean_steps_per_episode: Number(meanSteps.toFixed(1)),
    fused,
    deno: Deno.version.deno,
  }));
}

/**
 * The floating-point operations of one episode's forward over T steps (a multiply-add is two): the
 * controller's and the heads' and output's linear maps, content addressing (rows' norms, similarities,
 * softmax), interpolation, the shift, sharpening, the reads and the writes.
 */
export function forwardFlops(config: NtmConfig, steps: number): number {
  const { controllerSize: C, controllerLayers: L, memoryN: N, memoryM: M } = config;
  const { readHeads: R, writeHeads: W, outputSize: Y } = config;
  const S = shiftCount(config), H = R + W;
  const lstm = config.controllerType === "lstm";
  let controller = 0;
  for (let l = 0; l < L; l++) {
    const inputs = layerInputWidth(config, l) + (lstm ? C : 0);
    controller += 2 * (lstm ? 4 * C : C) * inputs;
  }
  const heads = 2 * (R * readHeadWidth(config) + W * writeHeadWidth(config)) * C;
  const addressing = 2 * N * M + H * (2 * N * M + 3 * N + 3 * N + 2 * N * S + 4 * N);
  const memory = R * 2 * N * M + W * 4 * N * M;
  const output = 2 * Y * (C + R * M);
  return steps * (controller + heads + addressing + memory + output);
}
/** A device like `requestGpuContext`'s, with the `timestamp-query` feature (for `--profile --clock timestamp`). */
async function timestampContext(): Promise<GpuContext> {
  const base = await requestGpuContext();
  const adapter = await navigator.gpu.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter?.features.has("timestamp-query")) {
    throw new UsageError("--clock timestamp: the adapter has no timestamp-query feature");
  }
  const requiredLimits: Record<string, number> = {};
  for (const name of LIMITS) requiredLimits[name] = base.device.limits[name] as number;
  const device = await adapter.requestDevice({
    label: "ntm profiling",
    requiredFeatures: ["timestamp-query"],
    requiredLimits,
  });
  base.device.destroy();
  return { ...base, device };
}

const LIMITS: (keyof GPUSupportedLimits)[] = [
  "maxStorageBuffersPerShaderStage",
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
  "maxComputeWorkgroupSizeX",
  "maxComputeWorkgroupsPerDimension",
];

/** Profiles each batch and prints the median ms per step of every kernel, largest first. */
async function printProfile(
  engine: NtmGpuEngine,
  device: GPUDevice,
  batches: EpisodeBatch[],
  clock: ProfileClock,
): Promise<void> {
  const runs: Map<string, KernelTime>[] = [];
  for (const b of batches) {
    runs.push(new Map((await profileTrainingStep(engine, device, b, { clock })).map((k) => [k.label, k])));
  }
  const median = (values: number[]) => values.sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  const rows = [...runs[0]!.keys()].map((label) => ({
    label,
    dispatches: median(runs.map((run) => run.get(label)?.dispatches ?? 0)),
    ms: median(runs.map((run) => run.get(label)?.ms ?? 0)),
  })).sort((x, y) => y.ms - x.ms);
  const total = rows.reduce((sum, row) => sum + row.ms, 0);
  console.log(`| phase kernel | dispatches | ${clock} ms per step | share |\n|---|---|---|---|`);
  for (const row of rows) {
    console.log(
      `| ${row.label} | ${row.dispatches} | ${row.ms.toFixed(1)} | ${(100 * row.ms / total).toFixed(1)}% |`,
    );
  }
  const phases = new Map<string, number>();
  for (const row of rows) {
    const phase = row.label.split(" ")[0]!;
    phases.set(phase, (phases.get(phase) ?? 0) + row.ms);
  }
  console.log(
    `total ${total.toFixed(1)} ${clock} ms: ` +
      [...phases].map(([phase, ms]) => `${phase} ${ms.toFixed(1)}`).join(", "),
  );
}

if (import.meta.main) {
  try {
    await main(Deno.args);
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`error: ${error.message}`);
      Deno.exit(2);
    }
    throw error;
  }
}
