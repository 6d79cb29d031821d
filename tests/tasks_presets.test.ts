import assert from "node:assert/strict";
import { type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { Rng } from "../src/model/random.ts";
import { paperPreset, presetByName, taskByName } from "../tasks/presets.ts";
import { trainCommand } from "../src/cli/train.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { PAPER_TASK_NAMES, type PaperTaskName } from "../tasks/task.ts";

/** Graves et al. 2014, Tables 1 and 2: heads, controller units × layers, learning rate. */
const TABLES: Record<"lstm" | "feedforward", Record<PaperTaskName, [number, number, number, number]>> = {
  lstm: {
    "copy": [1, 100, 1, 1e-4],
    "repeat-copy": [1, 100, 1, 1e-4],
    "associative-recall": [1, 100, 1, 1e-4],
    "ngrams": [1, 100, 1, 3e-5],
    "priority-sort": [5, 100, 2, 3e-5],
  },
  feedforward: {
    "copy": [1, 100, 1, 1e-4],
    "repeat-copy": [1, 100, 1, 1e-4],
    "associative-recall": [4, 256, 1, 1e-4],
    "ngrams": [1, 100, 1, 3e-5],
    "priority-sort": [8, 512, 1, 3e-5],
  },
};

const RANGES: Record<PaperTaskName, [number, number]> = {
  "copy": [1, 20],
  "repeat-copy": [1, 10],
  "associative-recall": [2, 6],
  "ngrams": [200, 200],
  "priority-sort": [20, 20],
};

Deno.test("paperPreset() matches the paper's Tables 1 and 2", async (t) => {
  for (const controllerType of ["lstm", "feedforward"] as const) {
    for (const task of PAPER_TASK_NAMES) {
      await t.step(`${task}, ${controllerType}`, () => {
        const [heads, units, layers, lr] = TABLES[controllerType][task];
        const preset = controllerType === "lstm" ? paperPreset(task) : paperPreset(task, controllerType);
        assert.equal(preset.task, task);
        assert.equal(preset.model.controllerType, controllerType);
        assert.equal(preset.model.readHeads, heads);
        assert.equal(preset.model.writeHeads, heads);
        assert.equal(preset.model.controllerSize, units);
        assert.equal(preset.model.controllerLayers, layers);
        assert.equal(preset.model.memoryN, 128);
        assert.equal(preset.model.memoryM, 20);
        assert.equal(preset.model.shiftRange, 1);
        assert.equal(preset.learningRate, lr);
        assert.equal(preset.optimizer, "rmsprop");
        assert.equal(preset.batch, 1);
        assert.deepEqual(preset.range, { minLen: RANGES[task][0], maxLen: RANGES[task][1] });
        assert.ok(Number.isInteger(preset.steps) && preset.steps >= 100_000);
      });
    }
  }
});

Deno.test("paperPreset() gives models that build with their task's sizes", () => {
  for (const controllerType of ["lstm", "feedforward"] as const) {
    for (const name of PAPER_TASK_NAMES) {
      const task = taskByName(name);
      const config = ntmConfig({
        inputSize: task.inputSize,
        outputSize: task.outputSize,
        outputKind: task.outputKind,
        ...paperPreset(name, controllerType).model,
      });
      assert.equal(config.memoryN, 128);
    }
  }
});

Deno.test("paperPreset() rejects unknown tasks and controllers", () => {
  assert.throws(() => paperPreset("program" as PaperTaskName), { name: "TypeError", message: /programTask/ });
  assert.throws(() => paperPreset("sort" as PaperTaskName), {
    name: "TypeError",
    message: /task must be one of copy, repeat-copy, associative-recall, ngrams, priority-sort, got "sort"/,
  });
  assert.throws(() => paperPreset("copy", "gru" as "lstm"), {
    name: "TypeError",
    message: /controllerType must be one of lstm, feedforward, got "gru"/,
  });
});

Deno.test("taskByName() creates each paper task with its options", () => {
  for (const name of PAPER_TASK_NAMES) assert.equal(taskByName(name).name, name);
  assert.equal(taskByName("copy", { bits: 4 }).inputSize, 5);
  assert.equal(taskByName("repeat-copy", { repeats: 20 }).fixedRepeats, 20);
  assert.equal(taskByName("associative-recall", { bits: 4, itemSize: 2 }).inputSize, 6);
  assert.equal(
    taskByName("priority-sort", { outputs: 4 }).generate(new Rng(1), 1, { minLen: 20, maxLen: 20 }).steps,
    25,
  );
  const ngrams = taskByName("ngrams").generate(new Rng(1), 2, { minLen: 200, maxLen: 200 });
  assert.equal(ngrams.optimumBits.length, 2);
});

Deno.test("taskByName() rejects unknown names, the program task and bad options", () => {
  assert.throws(() => taskByName("cpy" as PaperTaskName), {
    name: "TypeError",
    message: /Cannot create the task by name: task must be one of copy, repeat-copy, .*got "cpy"/,
  });
  assert.throws(() => taskByName("program" as PaperTaskName), {
    name: "TypeError",
    message: /programTask from tasks\/program.ts/,
  });
  assert.throws(() => taskByName("copy", 8 as unknown as { bits: 8 }), {
    name: "TypeError",
    message: /options must be an object, got 8/,
  });
  assert.throws(() => taskByName("copy", { bits: 0 }), { name: "RangeError", message: /bits/ });
});

Deno.test("a feed-forward controller takes Table 2's row in every preset, and deno task train follows it", async () => {
  for (const name of ["paper", "fast", "quick"] as const) {
    const ff = presetByName(name, "associative-recall", "feedforward").model;
    assert.equal(ff.controllerType, "feedforward");
    assert.equal(ff.readHeads, 4, `${name}: Table 2's recall model has 4 read heads`);
    assert.equal(presetByName(name, "associative-recall").model.readHeads, 1, `${name}: Table 1's has 1`);
  }
  assert.equal(presetByName("paper", "priority-sort", "feedforward").model.controllerSize, 512);
  const dir = await Deno.makeTempDir({ prefix: "ntm-ff-preset-" });
  try {
    const flags = "--task associative-recall --preset paper --controller-type feedforward --steps 1 " +
      "--report-every 1 --eval-episodes 2 --backend cpu --no-eval";
    await trainCommand([...flags.split(" "), "--out", dir], {
      write: () => {},
      error: () => {},
      live: false,
    });
    const { config } = await loadCheckpoint(dir) as { config: NtmConfig };
    assert.deepEqual([config.controllerType, config.controllerSize, config.readHeads], [
      "feedforward",
      256,
      4,
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
