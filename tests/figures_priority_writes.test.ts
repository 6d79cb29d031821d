import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { pearson, priorityWrites, priorityWritesSvg } from "../src/figures/priority_writes.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { vizCommand } from "../src/cli/viz.ts";
import { runEpisode } from "../src/figures/checkpoint_figures.ts";

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };

Deno.test("pearson() is ±1 on lines, 0 on a constant, and symmetric in sign", () => {
  assert.ok(Math.abs(pearson([[0, 4], [1, 2], [2, 0]]) + 1) < 1e-12);
  assert.equal(pearson([[0, 1], [1, 1], [2, 1]]), 0);
  const r = pearson([[0, 0], [1, 2], [2, 1], [3, 3]]);
  assert.ok(r > 0.5 && r < 1, String(r));
});

Deno.test("priorityWrites() finds each input's priority and written row, and viz draws the figure", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-priority-writes-" });
  try {
    const run = join(dir, "sort");
    await trainCommand(
      [
        ...["--task", "priority-sort", "--backend", "cpu", "--controller", "8", "--memory-n", "16"],
        ...["--memory-m", "4", "--read-heads", "2", "--write-heads", "3", "--batch", "2", "--steps", "4"],
        ...["--report-every", "2", "--eval-episodes", "2", "--no-eval", "--min-len", "5", "--max-len", "6"],
        ...["--out", run],
      ],
      quiet,
    );
    const checkpoint = await loadCheckpoint(run);
    const runs = [3, 4].map((seed) => runEpisode(checkpoint, 6, seed));
    const heads = priorityWrites(checkpoint, runs);
    assert.equal(heads.length, 3);
    assert.deepEqual(heads.map((h) => h.head).sort(), [0, 1, 2]);
    for (let i = 1; i < heads.length; i++) assert.ok(Math.abs(heads[i - 1]!.r) >= Math.abs(heads[i]!.r));
    for (const h of heads) {
      assert.equal(h.points.length, 12);
      // The x values are the episodes' priorities, in input order.
      const X = runs[0]!.batch.inputSize;
      assert.equal(h.points[0]![0], runs[0]!.batch.input[X - 2]);
      assert.equal(h.points[7]![0], runs[1]!.batch.input[X + X - 2]);
      for (const [, row] of h.points) assert.ok(Number.isInteger(row) && row >= 0 && row < 16);
      // The row is the argmax of the write weighting at the vector's step.
      const w = runs[0]!.forward.tapes[0]!.steps[1]!.w[2 + h.head]!;
      assert.equal(w[h.points[1]![1]], Math.max(...w));
    }
    assert.match(
      priorityWritesSvg(checkpoint, runs),
      /Write row against priority: head \d of 3, r = -?\d\.\d\d \(2 × 6/,
    );
    let out = "";
    await vizCommand(["--checkpoint", run], (t) => void (out += t));
    assert.match(out, /Write locations against priority: .*priority_writes\.svg/);
    assert.ok((await Deno.readTextFile(join(run, "priority_writes.svg"))).includes("<circle"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
