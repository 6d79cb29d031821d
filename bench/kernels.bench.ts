/**
 * Per-kernel benchmarks at the copy configuration, B = 32, T = 42 (length-20 episodes): each benchmark runs
 * one training step's worth of one kernel (its 42 dispatches for a per-step kernel) on buffers left by a
 * real training step, then waits for the queue. One group per op, forward and backward side by side: the
 * fused kernels (controller step, memory step) and the per-op kernels of the unfused path they replace.
 * `floor` is the wait alone. `bench/throughput.ts --profile` measures the same kernels in CPU time.
 *
 * @module
 */

import type { ProfileGroup } from "../src/gpu/engine.ts";
import { benchSetup, copyBatch, emptySubmit, warmEngine } from "./_setup.ts";

// ——— the benchmarks ———

const setup = await benchSetup();
const device = setup.context.device;
const batch = copyBatch(32);
const fused = await warmEngine(setup, batch, true);
const unfused = await warmEngine(setup, batch, false);
const groups = new Map<string, ProfileGroup>();
for (const group of [...await fused.profileGroups(batch), ...await unfused.profileGroups(batch)]) {
  groups.set(group.label, group);
}

/** Records one kernel's dispatches of a training step, submits and waits. */
async function run(label: string): Promise<void> {
  const group = groups.get(label);
  if (!group) throw new Error(`No kernel ${label} in the training step`);
  const encoder = device.createCommandEncoder({ label });
  const pass = encoder.beginComputePass({ label });
  group.record(pass);
  pass.end();
  device.queue.submit([encoder.finish()]);
  await device.queue.onSubmittedWorkDone();
}

const options = { n: 5, warmup: 1 } as const;

Deno.bench(
  { name: "floor (submit and wait, no work)", group: "floor", baseline: true, ...options },
  () => emptySubmit(device),
);

const pairs: [group: string, forward: string, backward: string[]][] = [
  ["controller step (fused)", "forward controller_step.controller_step_forward", [
    "backward controller_step.controller_step_backward",
  ]],
  ["memory step (fused)", "forward memory_step_forward.memory_step_forward", [
    "backward memory_step_backward.memory_step_backward",
  ]],
  ["lstm", "forward lstm.lstm_forward", ["backward lstm.lstm_backward"]],
  ["head map (linear, per step)", "forward linear.linear_forward", ["backward linear.linear_backward_input"]],
  ["head_params", "forward head_params.head_params_forward", ["backward head_params.head_params_backward"]],
  ["content_address", "forward content_address.content_address_forward", [
    "backward content_address.content_address_backward",
    "backward content_address.content_address_backward_memory",
  ]],
  ["interpolate", "forward interpolate.interpolate_forward", ["backward interpolate.interpolate_backward"]],
  ["shift", "forward shift.shift_forward", ["backward shift.shift_backward"]],
  ["sharpen", "forward sharpen.sharpen_forward", ["backward sharpen.sharpen_backward"]],
  ["memory_read", "forward memory_read.memory_read_forward", ["backward memory_read.memory_read_backward"]],
  ["memory_write", "forward memory_write.memory_write_forward", [
    "backward memory_write.memory_write_backward",
  ]],
];
// A renamed shader or entry point must fail here, by name, not inside a benchmark.
const missing = pairs.flatMap(([, forward, backward]) => [forward, ...backward]).filter((l) =>
  !groups.has(l)
);
if (missing.length > 0) {
  throw new Error(
    `No kernel ${missing.join(", ")} in the training step; it has ${[...groups.keys()].join(", ")}`,
  );
}
for (const [group, forward, backward] of pairs) {
  Deno.bench({ name: forward, group, baseline: true, ...options }, () => run(forward));
  for (const label of backward) Deno.bench({ name: label, group, ...options }, () => run(label));
}

Deno.bench(
  {
    name: "finish linear.linear_weight_grad_tiled (3 maps)",
    group: "weight gradients",
    baseline: true,
    ...options,
  },
  () => run("finish linear.linear_weight_grad_tiled"),
);

globalThis.addEventListener("unload", () => {
  fused.destroy(), unfused.destroy();
});
