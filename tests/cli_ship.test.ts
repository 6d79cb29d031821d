import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { UsageError } from "../src/cli/args.ts";
import { evaluateCheckpoint } from "../src/train/evaluate.ts";
import { shipCommand } from "../src/cli/ship.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";

const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };

Deno.test("shipCommand() ships a checkpoint that evaluates like it and cannot be resumed", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-ship-" });
  try {
    const run = join(dir, "run"), shipped = join(dir, "models", "copy");
    await trainCommand(
      [
        ...["--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "2"],
        ...["--steps", "10", "--report-every", "5", "--eval-episodes", "4", "--no-eval", "--max-len", "3"],
        ...["--out", run],
      ],
      quiet,
    );
    let out = "";
    assert.equal(await shipCommand(["--checkpoint", run, "--out", shipped], (t) => void (out += t)), shipped);
    assert.match(out, /step 10, \d+ parameters\) to .*KiB of float32 weights/);
    const files = [];
    for await (const entry of Deno.readDir(shipped)) files.push(entry.name);
    assert.deepEqual(files.sort(), ["config.json", "metrics.jsonl", "model.safetensors"]);
    assert.equal((await loadCheckpoint(shipped)).shipped, true);

    // The float32 rounding moves the evaluation by far less than the noise of 16 episodes.
    const options = { lengths: [3], episodes: 16, backend: "cpu" } as const;
    const [a, b] = [
      await evaluateCheckpoint(await loadCheckpoint(run), options),
      await evaluateCheckpoint(await loadCheckpoint(shipped), options),
    ];
    assert.ok(
      Math.abs(a.rows[0]!.cost_bits - b.rows[0]!.cost_bits) < 1e-3,
      `${a.rows[0]!.cost_bits} vs ${b.rows[0]!.cost_bits}`,
    );

    const fails = async (args: string[], fragment: string) => {
      const error = await (args[0] === "train"
        ? trainCommand(args.slice(1), quiet).then(() =>
          undefined, (e: unknown) => e)
        : shipCommand(args, () => {}).then(() => undefined, (e: unknown) => e));
      assert.ok(error instanceof UsageError, String(error));
      assert.ok(error.message.includes(fragment), `"${error.message}" should name ${fragment}`);
    };
    await fails(["train", "--resume", shipped], "shipped model");
    await fails(["--checkpoint", shipped, "--out", join(dir, "again")], "shipped model already");
    await fails(["--checkpoint", run, "--out", run], "own directory");
    await fails(["--checkpoint", run], "--out DIR");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
