import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/cli/args.ts";
import { evalCommand, formatEvalTable, lengthsFlag } from "../src/cli/eval.ts";
import { defaultEvalLengths, type EvalResult, evaluateCheckpoint } from "../src/train/evaluate.ts";
import { sliceEpisodes } from "../src/model/episode.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { CheckpointError, loadCheckpoint } from "../src/io/checkpoint.ts";
import { Rng } from "../src/model/random.ts";
import { referenceForward } from "../src/reference/model.ts";
import { errorsPerSequence } from "../src/train/metrics.ts";
import { copyTask } from "../tasks/copy.ts";
import { taskByName } from "../tasks/presets.ts";

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };

/** Trains a tiny model for 10 steps into `dir/<task>` and returns the directory. */
async function tinyCheckpoint(dir: string, task: string, lengths: [number, number]): Promise<string> {
  const out = join(dir, task);
  await trainCommand(
    [
      ...["--task", task, "--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4"],
      ...["--batch", "2", "--steps", "10", "--report-every", "5", "--eval-episodes", "4", "--no-eval"],
      ...["--min-len", String(lengths[0]), "--max-len", String(lengths[1]), "--out", out],
    ],
    quiet,
  );
  return out;
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-eval-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("evaluateCheckpoint() evaluates episodes of exactly each length; eval writes it to eval.json", async () => {
  await withTempDir(async (dir) => {
    const run = await tinyCheckpoint(dir, "copy", [1, 3]);
    const options = { lengths: [2, 5], episodes: 6, backend: "cpu" } as const;
    const result = await evaluateCheckpoint(await loadCheckpoint(run), options);
    assert.equal(result.task, "copy");
    assert.equal(result.length_meaning, "sequence length");
    assert.equal(result.step, 10);
    assert.equal(result.file, null);
    assert.deepEqual(result.rows.map((r) => r.length), [2, 5]);
    const args = ["--checkpoint", run, "--lengths", "2,5", "--episodes", "6", "--backend", "cpu"];
    const written = await evalCommand(args, () => {});
    assert.deepEqual({ ...written, file: null }, result);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(join(run, "eval.json"))),
      JSON.parse(JSON.stringify(written)),
    );

    // The row for length 5 is the reference's cost on 6 episodes of exactly length 5 from the held-out seed.
    const checkpoint = await loadCheckpoint(run);
    assert.ok(checkpoint.modelKind !== "lstm");
    const batch = copyTask().generate(new Rng(checkpoint.training.evalSeed), 6, { minLen: 5, maxLen: 5 });
    assert.ok(batch.lengths.every((t) => t === 11));
    const forward = referenceForward(checkpoint.config, checkpoint.layout, checkpoint.params, batch);
    const costBits = forward.loss.reduce((a, b) => a + b, 0) / 6 / Math.LN2;
    assert.ok(Math.abs(result.rows[1]!.cost_bits - costBits) < 1e-9);
    assert.equal(result.rows[1]!.bit_errors, errorsPerSequence(forward.output, batch, "sigmoid"));
    assert.equal(result.rows[0]!.optimum_bits, undefined);
  });
});

Deno.test("sliceEpisodes() splits a batch into parts whose costs add up to the whole batch's", async () => {
  await withTempDir(async (dir) => {
    const run = await tinyCheckpoint(dir, "copy", [1, 3]);
    const checkpoint = await loadCheckpoint(run);
    assert.ok(checkpoint.modelKind !== "lstm");
    const a = await evaluateCheckpoint(checkpoint, {
      lengths: [3],
      episodes: 5,
      backend: "cpu",
    });
    assert.equal(a.file, null);
    const batch = copyTask().generate(new Rng(checkpoint.training.evalSeed), 5, { minLen: 3, maxLen: 3 });
    const parts = [sliceEpisodes(batch, 0, 2), sliceEpisodes(batch, 2, 3)];
    let loss = 0;
    for (const part of parts) {
      loss += referenceForward(checkpoint.config, checkpoint.layout, checkpoint.params, part).loss.reduce((
        x,
        y,
      ) => x + y);
    }
    assert.ok(Math.abs(a.rows[0]!.cost_bits - loss / 5 / Math.LN2) < 1e-9);
  });
});

Deno.test("evaluateCheckpoint() reports the Bayesian optimum for ngrams", async () => {
  await withTempDir(async (dir) => {
    const run = await tinyCheckpoint(dir, "ngrams", [20, 20]);
    const result = await evaluateCheckpoint(await loadCheckpoint(run), {
      lengths: [20, 40],
      episodes: 4,
      backend: "cpu",
    });
    assert.equal(result.length_meaning, "bits");
    for (const row of result.rows) {
      assert.ok(row.optimum_bits! > 0);
      assert.ok(Math.abs(row.above_optimum_bits! - (row.cost_bits - row.optimum_bits!)) < 1e-12);
    }
    const table = formatEvalTable(result);
    assert.match(table, /optimum \(bits\)\s+above optimum/);
    assert.match(table, /length = bits/);
  });
});

Deno.test("evaluateCheckpoint() evaluates repeat copy over lengths × fixed repeat counts", async () => {
  await withTempDir(async (dir) => {
    const run = await tinyCheckpoint(dir, "repeat-copy", [1, 3]);
    const result = await evaluateCheckpoint(await loadCheckpoint(run), {
      lengths: [2, 5],
      repeats: [1, 12],
      episodes: 4,
      backend: "cpu",
    });
    assert.deepEqual(result.rows.map((r) => [r.repeats, r.length]), [[1, 2], [1, 5], [12, 2], [12, 5]]);
    // An episode of 12 repeats has 12 times the target bits of 1 repeat: cost and errors grow with the count.
    assert.ok(result.rows[2]!.cost_bits > 5 * result.rows[0]!.cost_bits, JSON.stringify(result.rows));
    assert.match(formatEvalTable(result), /length\s+repeats\s+cost/);
    let out = "";
    await evalCommand(
      ["--checkpoint", run, "--repeats", "3", "--lengths", "4", "--episodes", "2", "--backend", "cpu"],
      (t) => void (out += t),
    );
    assert.match(out, /^ +4 +3 /m);
    const error = await evalCommand(["--checkpoint", run, "--repeats", "0"], () => {}).catch((e: unknown) =>
      e
    );
    assert.ok(error instanceof UsageError && error.message.includes("--repeats"), String(error));
    const recall = await tinyCheckpoint(dir, "associative-recall", [2, 3]);
    const other = await evalCommand(["--checkpoint", recall, "--repeats", "2"], () => {}).catch((
      e: unknown,
    ) => e);
    assert.ok(other instanceof UsageError && other.message.includes("only to repeat-copy"), String(other));
  });
});

Deno.test("evalCommand() prints the table, uses the task's test lengths by default and names bad flags", async () => {
  await withTempDir(async (dir) => {
    const run = await tinyCheckpoint(dir, "associative-recall", [2, 3]);
    let out = "";
    const result = await evalCommand(
      ["--checkpoint", run, "--episodes", "2", "--backend", "cpu"],
      (t) => void (out += t),
    );
    assert.deepEqual(result!.rows.map((r) => r.length), [...taskByName("associative-recall").evalLengths]);
    assert.match(out, /length = items/);
    assert.match(out, /^ {4}15 /m);
    assert.ok(out.includes(`Written to ${join(run, "eval.json")}`));

    const fails = async (
      args: string[],
      fragment: string,
      kind: new (message: string) => Error = UsageError,
    ) => {
      const error = await evalCommand(args, () => {}).then(() => undefined, (e: unknown) => e);
      assert.ok(error instanceof kind, `${args.join(" ")}: ${error}`);
      assert.ok(
        (error as Error).message.includes(fragment),
        `"${(error as Error).message}" should name ${fragment}`,
      );
    };
    await fails([], "--checkpoint");
    await fails(["--checkpoint", run, "--lengths", "3,x"], "--lengths");
    await fails(["--checkpoint", run, "--lengths", "0"], "--lengths");
    await fails(["--checkpoint", run, "--lengths", "1", "--backend", "cpu"], "--lengths"); // recall needs ≥ 2 items
    await fails(["--checkpoint", run, "--episodes", "0"], "--episodes");
    await fails(["--checkpoint", run, "--what"], "--what");
    await fails(["--checkpoint", join(dir, "missing")], "does not exist", CheckpointError);
  });
});

Deno.test("defaultEvalLengths() caps the task's test lengths at 4× the training length", () => {
  const copy = copyTask();
  assert.deepEqual(defaultEvalLengths(copy, { minLen: 1, maxLen: 20 }), [10, 20, 30, 40, 50]);
  assert.deepEqual(defaultEvalLengths(copy, { minLen: 1, maxLen: 5 }), [10, 20]);
  assert.deepEqual(defaultEvalLengths(copy, { minLen: 1, maxLen: 2 }), [2]);
  assert.deepEqual(defaultEvalLengths(taskByName("ngrams"), { minLen: 200, maxLen: 200 }), [200]);
});

Deno.test("lengthsFlag() reads comma-separated positive integers", () => {
  assert.deepEqual(lengthsFlag("10,20, 30"), [10, 20, 30]);
  for (const bad of ["", "1,,2", "a", "-1", "1.5"]) assert.throws(() => lengthsFlag(bad), UsageError);
});

Deno.test("formatEvalTable() aligns one row per length", () => {
  const result: EvalResult = {
    task: "copy",
    length_meaning: "sequence length",
    checkpoint: "runs/x",
    step: 100,
    sequences: 1600,
    train_range: { minLen: 1, maxLen: 20 },
    episodes: 64,
    seed: 2,
    backend: "cpu",
    file: null,
    rows: [{ length: 10, cost_bits: 0.25, bit_errors: 0 }, {
      length: 120,
      cost_bits: 123.456,
      bit_errors: 7.5,
    }],
  };
  const lines = formatEvalTable(result).split("\n");
  assert.equal(lines.length, 4);
  assert.equal(lines[2], "    10            0.250           0.000");
  assert.equal(lines[3], "   120          123.456           7.500");
});
