/**
 * The learning-rate schedule: every backend's `setLearningRate` takes the next step exactly as a backend
 * created with that rate (the WebGPU one rebuilds its update kernel); `--lr-schedule` decays as specified,
 * records the rate in `metrics.jsonl` and the checkpoint, and a run resumed at a report decays and trains
 * exactly as one that was not interrupted; bad specifications get one line naming the field.
 */
import { quietMesa } from "../src/cli/quiet_mesa.ts";
import assert from "node:assert/strict";
import { join } from "node:path";
import { testGpu } from "./_support/gpu.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer, type OptimizerName, restoreOptimizer } from "../src/optim/optimizer.ts";
import { createBackend } from "../src/train/create_backend.ts";
import type { BackendInit, BackendName } from "../src/train/backend.ts";
import { copyTask } from "../tasks/copy.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { readMetricsLog } from "../src/io/metrics_log.ts";
import { UsageError } from "../src/cli/args.ts";

quietMesa();

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };

/** A tiny NTM's starting point with an optimiser at some rate. */
function init(name: OptimizerName, learningRate: number): BackendInit {
  const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 8, memoryN: 8, memoryM: 4 });
  const layout = parameterLayout(config);
  const params = initParameters(config, layout, 5);
  const optimizer = createOptimizer(name, layout.size, { learningRate });
  return { kind: "ntm", config, layout, params, optimizer, batch: 2, memorySeed: 3, startStep: 0 };
}

for (const backendName of ["cpu", "wasm", "webgpu"] as BackendName[]) {
  for (const optimizer of ["rmsprop", "adam", "sgd"] as OptimizerName[]) {
    Deno.test(`${backendName} ${optimizer}: after setLearningRate(r) the next step is a backend's at rate r`, async () => {
      const context = backendName === "webgpu" ? { context: (await testGpu()).context } : {};
      const batch = (seed: number) => copyTask().generate(new Rng(seed), 2, { minLen: 2, maxLen: 3 });
      const changed = await createBackend(backendName, init(optimizer, 1e-3), () => {}, context);
      let restarted;
      try {
        await changed.trainStep(batch(1));
        // A backend created at rate 7e-3 from the state after that step, against the one whose rate changes.
        const state = await changed.optimizerState();
        restarted = await createBackend(
          backendName,
          {
            ...init(optimizer, 7e-3),
            params: await changed.parameters(),
            optimizer: restoreOptimizer(
              state,
              { ...createOptimizer(optimizer, 1).options, learningRate: 7e-3 },
              (await changed.parameters()).length,
            ),
            startStep: 1,
          },
          () => {},
          context,
        );
        changed.setLearningRate(7e-3);
        await changed.trainStep(batch(2));
        await restarted.trainStep(batch(2));
        await Promise.all([changed.lastStep(), restarted.lastStep()]);
        assert.deepEqual(await changed.parameters(), await restarted.parameters());
        assert.throws(() => changed.setLearningRate(-1), /learningRate must be/);
      } finally {
        changed.destroy();
        restarted?.destroy();
      }
    });
  }
}

Deno.test("--lr-schedule decays, is recorded, and a run resumed at a report decays as one that was not", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-lr-schedule-" });
  const tiny = [
    ...["--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "2"],
    ...["--eval-episodes", "4", "--no-eval", "--max-len", "3", "--report-every", "5", "--lr", "1e-2"],
  ];
  try {
    for (const schedule of ["plateau:factor=0.5,patience=1,threshold=0.2", "decay:factor=0.5,every=8"]) {
      const whole = join(dir, `whole-${schedule.slice(0, 5)}`),
        parts = join(dir, `parts-${schedule.slice(0, 5)}`);
      await trainCommand([...tiny, "--lr-schedule", schedule, "--steps", "40", "--out", whole], quiet);
      await trainCommand([...tiny, "--lr-schedule", schedule, "--steps", "20", "--out", parts], quiet);
      await trainCommand(["--resume", parts, "--steps", "40"], quiet);
      const [a, b] = [await loadCheckpoint(whole), await loadCheckpoint(parts)];
      const rates = (await readMetricsLog(join(whole, "metrics.jsonl"))).map((r) => r.lr as number);
      assert.equal(rates.length, 8);
      assert.ok(rates.at(-1)! < 1e-2, `${schedule}: the rate decayed: ${rates.join(", ")}`);
      if (schedule.startsWith("decay")) {
        assert.deepEqual(rates, [1e-2, 5e-3, 5e-3, 2.5e-3, 1.25e-3, 1.25e-3, 6.25e-4, 3.125e-4]);
      }
      assert.deepEqual((await readMetricsLog(join(parts, "metrics.jsonl"))).map((r) => r.lr), rates);
      assert.equal(a.training.optimizer.options.learningRate, rates.at(-1));
      assert.deepEqual(b.training.lrSchedule, a.training.lrSchedule);
      assert.deepEqual(b.progress.lrSchedule, a.progress.lrSchedule);
      assert.deepEqual(b.params, a.params);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--lr-schedule refuses a bad kind, field or value in one line", async () => {
  for (
    const [value, message] of [
      ["cosine", /--lr-schedule must be constant, plateau:… or decay:…, got "cosine"/],
      ["plateau:factor=2", /--lr-schedule plateau: factor must be in \(0, 1\), got 2/],
      ["decay:every=0.5", /--lr-schedule decay: every must be an integer ≥ 1, got 0.5/],
      ["plateau:speed=1", /unknown field "speed"; it takes factor, patience, threshold, min/],
    ] as const
  ) {
    await assert.rejects(
      () => trainCommand(["--lr-schedule", value, "--steps", "1", "--backend", "cpu"], quiet),
      (error: Error) => error instanceof UsageError && message.test(error.message),
    );
  }
});
