import assert from "node:assert/strict";
import { join } from "node:path";
import { FAST_RECIPE, FAST_TASKS, fastPreset, presetByName, quickPreset } from "../tasks/presets.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { paperPreset } from "../tasks/presets.ts";
import { PAPER_TASK_NAMES } from "../tasks/task.ts";

Deno.test("fastPreset() keeps the paper's model for every task and trains it with the fast recipe", () => {
  for (const task of PAPER_TASK_NAMES) {
    const fast = fastPreset(task), paper = paperPreset(task);
    assert.deepEqual(fast.model, paper.model, task);
    assert.deepEqual(fast.range, paper.range, task);
    assert.equal(fast.optimizer, FAST_RECIPE.optimizer);
    assert.equal(fast.batch, 1);
    assert.equal(fast.reportEvery, FAST_TASKS[task].reportEvery);
    assert.equal(fast.learningRate, FAST_TASKS[task].learningRate, task);
    assert.equal(fast.steps, FAST_TASKS[task].steps, task);
    // Faster than the paper's rate, never more than ten times it.
    assert.ok(fast.learningRate > paper.learningRate && fast.learningRate <= 10 * paper.learningRate, task);
  }
  assert.deepEqual(presetByName("fast", "copy"), fastPreset("copy"));
});

Deno.test("quickPreset('copy') is the paper's copy setup with the fast recipe and fewer steps", () => {
  const quick = quickPreset("copy"), paper = paperPreset("copy");
  assert.deepEqual(quick.model, paper.model);
  assert.deepEqual(quick.range, { minLen: 1, maxLen: 20 });
  assert.equal(quick.learningRate, FAST_RECIPE.learningRate);
  assert.ok(quick.steps < fastPreset("copy").steps);
  assert.equal(quickPreset("priority-sort").model.memoryN, 32, "the other tasks stay shrunk");
});

Deno.test("trainCommand() --preset fast records its preset and reports every 500 steps unless told otherwise", async () => {
  const dir = await Deno.makeTempDir();
  const io: TrainIo = { write: () => {}, error: () => {}, live: false };
  const tiny = [
    "--backend",
    "cpu",
    "--controller",
    "8",
    "--memory-n",
    "8",
    "--memory-m",
    "4",
    "--max-len",
    "2",
  ];
  try {
    await trainCommand(
      ["--preset", "fast", ...tiny, "--steps", "3", "--no-eval", "--out", join(dir, "a")],
      io,
    );
    const a = await loadCheckpoint(join(dir, "a"));
    assert.equal(a.training.preset, "fast");
    assert.equal(a.training.reportEvery, 500);
    assert.equal(a.training.optimizer.options.learningRate, FAST_RECIPE.learningRate);
    await trainCommand(
      [
        "--preset",
        "fast",
        ...tiny,
        "--steps",
        "3",
        "--report-every",
        "1",
        "--no-eval",
        "--out",
        join(dir, "b"),
      ],
      io,
    );
    assert.equal((await loadCheckpoint(join(dir, "b"))).training.reportEvery, 1);
    await assert.rejects(
      () => trainCommand(["--preset", "fast", "--task", "program"], io),
      /--preset fast has no setup for --task program/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
