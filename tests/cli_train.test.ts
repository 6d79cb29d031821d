import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/cli/args.ts";
import { ProgressDisplay } from "../src/cli/progress.ts";
import { TRAIN_FLAGS, trainCommand, TrainingStoppedError, type TrainIo } from "../src/cli/train.ts";
import { CHECKPOINT_FILES, CheckpointError, loadCheckpoint } from "../src/io/checkpoint.ts";
import { readMetricsLog } from "../src/io/metrics_log.ts";

/** Captures what a command writes. */
function capture(live = false): { io: TrainIo; out: () => string; errors: string[] } {
  let out = "";
  const errors: string[] = [];
  return {
    io: { write: (t) => void (out += t), error: (l) => void errors.push(l), live, columns: 200 },
    out: () => out,
    errors,
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-train-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Tiny models that train in well under a second. */
const TINY = [
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
  "--max-len",
  "3",
  "--eval-episodes",
  "4",
  "--report-every",
  "10",
];

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof Error, `expected a rejection, got ${error}`);
  return error;
}

Deno.test("trainCommand() --help lists every flag with its default", async () => {
  const { io, out } = capture();
  assert.equal(await trainCommand(["--help"], io), undefined);
  const flags = [
    "task",
    "preset",
    "backend",
    "controller-type",
    "controller",
    "controller-layers",
    "read-heads",
    "write-heads",
    "memory-n",
    "memory-m",
    "shift-range",
    "lr",
    "optimizer",
    "batch",
    "steps",
    "seed",
    "min-len",
    "max-len",
    "memory-init",
    "report-every",
    "stop-at-bit-errors",
    "eval-episodes",
    "out",
    "resume",
    "no-eval",
  ];
  for (const flag of flags) {
    assert.ok(out().includes(`--${flag} `), `--help should list --${flag}`);
    assert.ok(TRAIN_FLAGS[flag], flag);
    if (TRAIN_FLAGS[flag]!.type === "string" && flag !== "resume") {
      const spec = TRAIN_FLAGS[flag]!;
      assert.ok((spec.default ?? spec.defaultFrom) !== undefined, `--${flag} should show a default`);
    }
  }
  assert.match(out(), /--task VALUE\s+.*\(default: copy\)/);
});

Deno.test("trainCommand() names unknown flags and malformed values", async () => {
  const { io } = capture();
  for (
    const [args, fragment] of [
      [["--bogus"], "--bogus"],
      [["--steps", "ten"], "--steps"],
      [["--lr", "-1"], "--lr"],
      [["--task", "juggle"], "--task"],
      [["--backend", "tpu"], "--backend"],
      [["--min-len", "5", "--max-len", "2"], "--min-len"],
      [["--stop-at-bit-errors", "x"], "--stop-at-bit-errors"],
    ] as [string[], string][]
  ) {
    const error = await rejection(trainCommand(args, io));
    assert.ok(error instanceof UsageError, `${args.join(" ")}: ${error}`);
    assert.ok(error.message.includes(fragment), `"${error.message}" should name ${fragment}`);
  }
});

Deno.test("trainCommand() saves a checkpoint and metrics at every report and ends with the JSON line", async () => {
  await withTempDir(async (dir) => {
    const outDir = join(dir, "run");
    const { io, out } = capture();
    const summary = await trainCommand([...TINY, "--steps", "20", "--out", outDir, "--no-eval"], io);
    const lines = out().trim().split("\n");
    const last = JSON.parse(lines.at(-1)!);
    assert.deepEqual(last, JSON.parse(JSON.stringify(summary)));
    for (
      const key of [
        "steps",
        "sequences",
        "seconds",
        "cost_bits",
        "bit_errors",
        "stopped_early",
        "task",
        "backend",
      ]
    ) {
      assert.ok(key in last, key);
    }
    assert.equal(last.steps, 20);
    assert.equal(last.sequences, 40);
    assert.equal(last.checkpoint, outDir);
    assert.equal(last.eval, null);
    assert.ok(out().includes(`Checkpoint: ${outDir}`));
    // Plain lines, not a live line, when not on a terminal.
    assert.ok(!out().includes("\r"));
    assert.equal(lines.filter((l) => l.startsWith("step ")).length, 2);
    const records = await readMetricsLog(join(outDir, "metrics.jsonl"));
    assert.deepEqual(records.map((r) => r.step), [10, 20]);
    assert.deepEqual(Object.keys(records[0]!), [
      "step",
      "sequences",
      "seconds",
      "train_cost_bits",
      "grad_norm",
      "cost_bits",
      "bit_errors",
      "seq_per_s",
    ]);
    assert.equal((await loadCheckpoint(outDir)).progress.step, 20);
  });
});

Deno.test("trainCommand() resumed from step K to 2K matches an uninterrupted 2K-step run bit for bit", async (t) => {
  const variants: [string, string[]][] = [
    ["adam, constant memory", []],
    ["rmsprop, random memory", ["--optimizer", "rmsprop", "--lr", "1e-3", "--memory-init", "random"]],
  ];
  for (const [name, extra] of variants) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const whole = join(dir, "whole"), split = join(dir, "split");
        const { io } = capture();
        await trainCommand([...TINY, ...extra, "--steps", "40", "--out", whole, "--no-eval"], io);
        await trainCommand([...TINY, ...extra, "--steps", "20", "--out", split, "--no-eval"], io);
        // The same command line plus --resume and a new step target (shape flags that agree are allowed).
        const summary = await trainCommand([
          ...TINY,
          ...extra,
          "--steps",
          "40",
          "--resume",
          split,
          "--no-eval",
        ], io);
        assert.equal(summary!.steps, 40);
        for (const file of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer]) {
          assert.deepEqual(
            await Deno.readFile(join(split, file)),
            await Deno.readFile(join(whole, file)),
            file,
          );
        }
        const a = await loadCheckpoint(whole), b = await loadCheckpoint(split);
        assert.deepEqual(b.params, a.params);
        assert.deepEqual(b.optimizer, a.optimizer);
        assert.deepEqual(b.progress.dataRng, a.progress.dataRng);
        assert.deepEqual(b.progress.memoryRng, a.progress.memoryRng);
        assert.equal(b.progress.costBits, a.progress.costBits); // the same held-out batch
        const steps = (await readMetricsLog(join(split, "metrics.jsonl"))).map((r) => r.step);
        assert.deepEqual(steps, [10, 20, 30, 40]);
      });
    });
  }
});

Deno.test("trainCommand() --resume rejects flags that change the model or the run, naming the flag", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    const { io } = capture();
    await trainCommand([...TINY, "--steps", "10", "--out", run, "--no-eval"], io);
    const before = await Deno.readFile(join(run, CHECKPOINT_FILES.model));
    for (
      const [args, flag] of [
        [["--memory-n", "16"], "--memory-n"],
        [["--controller", "9"], "--controller"],
        [["--read-heads", "2"], "--read-heads"],
        [["--controller-type", "feedforward"], "--controller-type"],
        [["--memory-init", "constant"], "--memory-init"],
        [["--task", "ngrams"], "--task"],
        [["--optimizer", "adam"], "--optimizer"],
        [["--batch", "4"], "--batch"],
      ] as [string[], string][]
    ) {
      const error = await rejection(trainCommand(["--resume", run, "--steps", "20", ...args], io));
      assert.ok(error instanceof UsageError, String(error));
      assert.ok(error.message.startsWith(flag), `"${error.message}" should name ${flag}`);
    }
    assert.deepEqual(await Deno.readFile(join(run, CHECKPOINT_FILES.model)), before);
    const missing = await rejection(trainCommand(["--resume", join(dir, "nothing")], io));
    assert.ok(missing instanceof CheckpointError);
    const taken = await rejection(trainCommand([...TINY, "--out", run], io));
    assert.ok(taken instanceof UsageError && taken.message.includes("--out"), taken.message);
  });
});

Deno.test("trainCommand() stops on a non-finite loss and keeps the last good checkpoint", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    const { io } = capture();
    // Ten sound steps on WebGPU (float32), then a learning rate that overflows the parameters: a real divergence.
    await trainCommand([...TINY, "--backend", "webgpu", "--steps", "10", "--out", run, "--no-eval"], io);
    const snapshot = await Deno.readFile(join(run, CHECKPOINT_FILES.model));
    const error = await rejection(trainCommand(["--resume", run, "--lr", "1e30", "--steps", "30"], io));
    assert.ok(error instanceof TrainingStoppedError, String(error));
    assert.match(error.message, /Training stopped at step 20: .* not finite/);
    assert.match(error.message, /last good checkpoint \(step 10\)/);
    // The advice names a command that works: --resume with another --seed would be refused.
    assert.ok(error.message.includes(`deno task train --resume ${run} --lr <lower>`), error.message);
    assert.doesNotMatch(error.message, /--seed/);
    assert.deepEqual(await Deno.readFile(join(run, CHECKPOINT_FILES.model)), snapshot);
    const checkpoint = await loadCheckpoint(run);
    assert.equal(checkpoint.progress.step, 10);
    assert.ok(checkpoint.params.every(Number.isFinite));
  });
});

Deno.test("trainCommand() evaluates and draws figures after training unless --no-eval", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    const { io, out } = capture();
    const summary = await trainCommand([...TINY, "--steps", "10", "--out", run], io);
    assert.equal(summary!.eval, join(run, "eval.json"));
    assert.deepEqual(summary!.figures, [join(run, "episode.svg"), join(run, "learning_curve.svg")]);
    for (const file of ["eval.json", "episode.svg", "learning_curve.svg"]) await Deno.stat(join(run, file));
    assert.match(out(), /length\s+cost \(bits\/seq\)\s+bit errors\/seq/);
    assert.ok(out().includes(`Evaluation: ${join(run, "eval.json")}`));
    assert.ok(out().includes("Figures: "));
  });
});

Deno.test("trainCommand() redraws one live progress line on a terminal", async () => {
  await withTempDir(async (dir) => {
    const { io, out } = capture(true);
    await trainCommand([...TINY, "--steps", "20", "--out", join(dir, "run"), "--no-eval"], io);
    assert.ok(out().includes("\r\x1b[2Kstep 20/20"));
    assert.equal(JSON.parse(out().trim().split("\n").at(-1)!).steps, 20);
  });
});

Deno.test("ProgressDisplay keeps the whole line on a terminal that reports a width of 0", () => {
  let out = "", now = 0;
  const progress = new ProgressDisplay({
    totalSteps: 100,
    startStep: 0,
    batch: 4,
    live: true,
    write: (t) => void (out += t),
    now: () => now,
    columns: 0,
  });
  now = 1000;
  progress.step(10);
  assert.match(out, /step 10\/100 {2}40 seq {2}40\.0 seq\/s {2}ETA 9s$/);
});

Deno.test("ProgressDisplay shows the step, costs, rate and ETA", () => {
  let out = "", now = 0;
  const progress = new ProgressDisplay({
    totalSteps: 100,
    startStep: 0,
    batch: 4,
    live: true,
    write: (t) => void (out += t),
    now: () => now,
  });
  now = 1000;
  progress.step(10);
  // deno-lint-ignore no-control-regex
  assert.match(out, /\r\x1b\[2Kstep 10\/100 {2}40 seq {2}40\.0 seq\/s {2}ETA 9s$/);
  now = 2000;
  progress.report({
    step: 20,
    sequences: 80,
    seconds: 2,
    sequencesPerSecond: 40,
    trainCostBits: 5.5,
    gradNorm: 1,
    costBits: 4.25,
    bitErrors: 1.5,
  });
  assert.match(
    out,
    /step 20\/100 {2}80 seq {2}train 5\.500 bits {2}held-out 4\.250 bits, 1\.500 bit errors\/seq/,
  );
  assert.match(out, /ETA 8s$/);
  progress.message("hello");
  assert.ok(out.includes("\r\x1b[2Khello\n"));
  progress.finish();
  assert.ok(out.endsWith("\n"));
});

Deno.test("trainCommand() --init-heads-gain and --init-weighting start from that initialisation, record it, and refuse it on resume", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "init");
    const { io } = capture();
    await trainCommand(
      [
        ...TINY,
        "--steps",
        "10",
        "--no-eval",
        "--out",
        out,
        "--init-heads-gain",
        "1.4",
        "--init-weighting",
        "random",
      ],
      io,
    );
    const checkpoint = await loadCheckpoint(out);
    assert.deepEqual(checkpoint.training.init, { headsGain: 1.4, weighting: "random" });
    const error = await rejection(
      trainCommand(["--resume", out, "--init-weighting", "uniform"], capture().io),
    );
    assert.ok(error instanceof UsageError);
    assert.match(error.message, /--init-weighting sets the initialisation/);
    const plain = join(dir, "plain");
    await trainCommand([...TINY, "--steps", "10", "--no-eval", "--out", plain], capture().io);
    assert.equal((await loadCheckpoint(plain)).training.init, undefined, "the default is not recorded");
    const bad = await rejection(trainCommand([...TINY, "--init-weighting", "zeros"], capture().io));
    assert.match(bad.message, /--init-weighting.*uniform, random/);
  });
});

Deno.test("trainCommand() --stop-at-bit-errors never trains every step, also on resume", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "never");
    const first = await trainCommand(
      [...TINY, "--steps", "20", "--no-eval", "--out", out, "--stop-at-bit-errors", "1000"],
      capture().io,
    );
    assert.equal(first?.steps, 10, "stopped at the first report");
    const second = await trainCommand(
      ["--resume", out, "--steps", "30", "--stop-at-bit-errors", "never", "--no-eval"],
      capture().io,
    );
    assert.equal(second?.steps, 30);
    assert.equal(second?.stopped_early, false);
    assert.equal((await loadCheckpoint(out)).training.stopAtBitErrors, null);
  });
});
