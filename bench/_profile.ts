/**
 * Where a training step's time goes, per kernel: each kernel's dispatches of one step (see
 * {@linkcode NtmGpuEngine.profileGroups}) recorded `repeats` times into a submit of their own and measured
 * with one of three clocks:
 * - `cpu`: the process's CPU time (all threads) during the submit and its wait. On a software adapter
 *   (llvmpipe), whose worker threads do the GPU's work, this is the work itself, and it stays put when
 *   other processes load the machine; it counts every worker thread, so a kernel that keeps 2 threads busy
 *   shows about 2× its wall time.
 * - `timestamp`: timestamp queries around one compute pass per kernel (needs the `timestamp-query` feature).
 * - `wall`: the wall time of each submit and its wait, less that of an empty submit.
 *
 * @module
 */

import process from "node:process";
import type { NtmGpuEngine, ProfileGroup } from "../src/gpu/engine.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

/** How {@linkcode profileTrainingStep} measures. */
export type ProfileClock = "cpu" | "timestamp" | "wall";

/** One kernel's share of a training step. */
export interface KernelTime {
  /** `phase label.entryPoint`. */
  readonly label: string;
  /** Dispatches per training step. */
  readonly dispatches: number;
  /** Milliseconds per training step on the chosen clock. */
  readonly ms: number;
}

/**
 * Measures every kernel of a training step on a batch.
 *
 * @param engine The engine (its state is changed: for profiling only).
 * @param device Its device.
 * @param batch The episodes.
 * @param options `clock` (default `cpu`) and `repeats` (default 3: each kernel's dispatches run that many
 *   times and the time is divided by it).
 * @returns The kernels in step order.
 *
 * @example
 * ```ts ignore
 * const times = await profileTrainingStep(engine, context.device, batch, { clock: "cpu" });
 * for (const { label, ms } of times) console.log(label, ms.toFixed(1));
 * ```
 */
export async function profileTrainingStep(
  engine: NtmGpuEngine,
  device: GPUDevice,
  batch: EpisodeBatch,
  options: { clock?: ProfileClock; repeats?: number } = {},
): Promise<KernelTime[]> {
  const clock = options.clock ?? "cpu", repeats = options.repeats ?? 3;
  if (clock === "timestamp" && !device.features.has("timestamp-query")) {
    throw new TypeError("Cannot profile with timestamps: the device lacks the timestamp-query feature");
  }
  const groups = await engine.profileGroups(batch);
  if (clock === "timestamp") return timestamped(device, groups, repeats);
  const overhead = clock === "wall" ? await emptySubmitMs(device) : 0;
  const times: KernelTime[] = [];
  for (const group of groups) {
    const encoder = device.createCommandEncoder({ label: group.label });
    const pass = encoder.beginComputePass({ label: group.label });
    for (let r = 0; r < repeats; r++) group.record(pass);
    pass.end();
    const cpu = process.cpuUsage(), started = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    const spent = clock === "cpu"
      ? cpuMs(process.cpuUsage(cpu))
      : Math.max(0, performance.now() - started - overhead);
    times.push({ label: group.label, dispatches: group.dispatches, ms: spent / repeats });
  }
  return times;
}

/**
 * The CPU time (ms, all threads) of a promise's work: e.g. a submit and its wait on a software adapter.
 *
 * @param work What to run.
 * @returns Its result and the process's CPU milliseconds meanwhile.
 *
 * @example
 * ```ts ignore
 * const { ms } = await cpuTimed(() => device.queue.onSubmittedWorkDone());
 * ```
 */
export async function cpuTimed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const cpu = process.cpuUsage();
  const value = await work();
  return { value, ms: cpuMs(process.cpuUsage(cpu)) };
}

function cpuMs(usage: { user: number; system: number }): number {
  return (usage.user + usage.system) / 1000;
}

async function timestamped(
  device: GPUDevice,
  groups: ProfileGroup[],
  repeats: number,
): Promise<KernelTime[]> {
  const count = 2 * groups.length;
  const querySet = device.createQuerySet({ label: "profile", type: "timestamp", count });
  const resolved = device.createBuffer({
    label: "profile timestamps",
    size: 8 * count,
    usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
  });
  const staging = device.createBuffer({
    label: "profile timestamps readback",
    size: 8 * count,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: "profile" });
  groups.forEach((group, i) => {
    const pass = encoder.beginComputePass({
      label: group.label,
      timestampWrites: { querySet, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
    });
    for (let r = 0; r < repeats; r++) group.record(pass);
    pass.end();
  });
  encoder.resolveQuerySet(querySet, 0, count, resolved, 0);
  encoder.copyBufferToBuffer(resolved, 0, staging, 0, 8 * count);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const ticks = new BigUint64Array(staging.getMappedRange().slice(0));
  staging.unmap();
  querySet.destroy(), resolved.destroy(), staging.destroy();
  return groups.map((group, i) => ({
    label: group.label,
    dispatches: group.dispatches,
    ms: Number(ticks[2 * i + 1]! - ticks[2 * i]!) / 1e6 / repeats,
  }));
}

/** The median wall time of an empty submit and its wait. */
async function emptySubmitMs(device: GPUDevice, repeats = 9): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const started = performance.now();
    const encoder = device.createCommandEncoder({ label: "empty" });
    encoder.beginComputePass({ label: "empty" }).end();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)]!;
}
