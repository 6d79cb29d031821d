/**
 * Each of the paper's five tasks trains for 200 steps through the same code path as `deno task train`
 * (the quick preset's structure with flag overrides for tiny sizes), on the CPU, and leaves a loadable
 * checkpoint with finite costs.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { readMetricsLog } from "../src/io/metrics_log.ts";
import { quickPreset } from "../tasks/presets.ts";
import type { PaperTaskName } from "../tasks/task.ts";

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };

/** Tiny sizes and short lengths per task; heads and layers follow the preset. */
const TINY: Record<PaperTaskName, string[]> = {
  "copy": ["--min-len", "1", "--max-len", "3"],
  "repeat-copy": ["--min-len", "1", "--max-len", "3"],
  "associative-recall": ["--min-len", "2", "--max-len", "3"],
  "ngrams": ["--min-len", "20", "--max-len", "20"],
  "priority-sort": ["--min-len", "6", "--max-len", "6"],
};

for (const [task, flags] of Object.entries(TINY) as [PaperTaskName, string[]][]) {
  Deno.test(`trainCommand() trains ${task} for 200 steps at tiny sizes and saves a loadable checkpoint`, async () => {
    const dir = await Deno.makeTempDir({ prefix: `ntm-smoke-${task}-` });
    try {
      const out = join(dir, "run");
      const summary = await trainCommand(
        [
          "--task",
          task,
          "--backend",
          "cpu",
          "--controller",
          "8",
          "--memory-n",
          "8",
          "--memory-m",
          "4",
          "--batch",
          "2",
          "--steps",
          "200",
          "--report-every",
          "100",
          "--eval-episodes",
          "4",
          "--out",
          out,
          "--no-eval",
          ...flags,
        ],
        quiet,
      );
      assert.ok(summary);
      assert.equal(summary.steps, 200);
      assert.ok(
        Number.isFinite(summary.cost_bits) && Number.isFinite(summary.bit_errors),
        JSON.stringify(summary),
      );
      const records = await readMetricsLog(join(out, "metrics.jsonl"));
      assert.deepEqual(records.map((r) => r.step), [100, 200]);
      for (const r of records) assert.ok(Number.isFinite(r.cost_bits) && Number.isFinite(r.train_cost_bits!));
      const checkpoint = await loadCheckpoint(out);
      assert.equal(checkpoint.progress.step, 200);
      assert.equal(checkpoint.training.task, task);
      const preset = quickPreset(task).model;
      assert.ok(checkpoint.modelKind !== "lstm");
      assert.equal(checkpoint.config.controllerLayers, preset.controllerLayers);
      assert.equal(checkpoint.config.controllerType, preset.controllerType);
      assert.equal(checkpoint.config.readHeads, preset.readHeads);
      assert.equal(checkpoint.config.writeHeads, preset.writeHeads);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}
