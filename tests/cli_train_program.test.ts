import assert from "node:assert/strict";
import { join } from "node:path";
import { UsageError } from "../src/cli/args.ts";
import { evalCommand } from "../src/cli/eval.ts";
import type { EvalResult } from "../src/train/evaluate.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { CHECKPOINT_FILES, loadCheckpoint } from "../src/io/checkpoint.ts";

function capture(): { io: TrainIo; out: () => string; errors: string[] } {
  let out = "";
  const errors: string[] = [];
  return {
    io: { write: (t) => void (out += t), error: (l) => void errors.push(l), live: false, columns: 300 },
    out: () => out,
    errors,
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-program-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof Error, `expected a rejection, got ${error}`);
  return error;
}

/** A tiny program-task run on the CPU that trains in well under a second. */
const RUN = [
  "--task",
  "program",
  "--backend",
  "cpu",
  "--batch",
  "2",
  "--eval-episodes",
  "4",
  "--report-every",
  "10",
];
/** A tiny NTM for it. */
const TINY = [...RUN, "--controller", "8", "--memory-n", "8", "--memory-m", "4"];

Deno.test("trainCommand() checks the program task's flags, naming the flag", async () => {
  const { io } = capture();
  for (
    const [args, fragment] of [
      [["--task", "program", "--target-length", "0"], "--target-length must be an integer in 1..9"],
      [["--task", "program", "--target-length", "10"], "--target-length"],
      [["--task", "program", "--target-nesting", "4"], "--target-nesting must be an integer in 1..3"],
      [["--task", "program", "--curriculum", "hard"], "--curriculum must be one of baseline, naive, mix"],
      [["--task", "copy", "--curriculum", "naive"], "--curriculum applies only to --task program"],
      [["--target-length", "3"], "--target-length applies only to --task program"],
      [["--task", "program", "--max-len", "3"], "--max-len does not apply to --task program"],
      [["--task", "program", "--operations", "add,divide"], "--operations must be one of add, subtract"],
      [["--task", "program", "--operations", "add,add"], "--operations must list each operation once"],
      [["--task", "copy", "--operations", "add"], "--operations applies only to --task program"],
      [["--task", "program", "--preset", "paper"], "--preset paper"],
      [["--task", "program", "--model", "gru"], "--model must be one of ntm, lstm"],
      [
        ["--task", "program", "--model", "lstm", "--backend", "webgpu"],
        "--backend webgpu cannot run --model lstm",
      ],
      [
        ["--task", "program", "--model", "lstm", "--memory-n", "8"],
        "--memory-n does not apply to --model lstm",
      ],
    ] as [string[], string][]
  ) {
    const error = await rejection(trainCommand(args, io));
    assert.ok(error instanceof UsageError, `${args.join(" ")}: ${error}`);
    assert.ok(error.message.includes(fragment), `"${error.message}" should include "${fragment}"`);
  }
});

Deno.test("trainCommand() --task program trains 50 steps from the curriculum and reports accuracies", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    const { io, out } = capture();
    const summary = await trainCommand([...TINY, "--steps", "50", "--out", run], io);
    assert.ok(summary);
    assert.equal(summary.task, "program");
    assert.equal(summary.model, "ntm");
    assert.equal(summary.steps, 50);
    for (const key of ["character_accuracy", "answer_accuracy", "frequency_baseline"] as const) {
      const v = summary[key];
      assert.ok(typeof v === "number" && v >= 0 && v <= 1, `${key} = ${v}`);
    }
    const text = out();
    assert.match(text, /combined curriculum to length 2, nesting 1 \(stage 1\/1\)/);
    assert.match(text, /frequency baseline \(always '\.'\): \d+\.\d% per character/);
    assert.match(text, /step 50\/50 .*char acc \d+\.\d%, answers \d+\.\d% {2}combined stage 1\/1 acc/);
    assert.match(text, /length\s+nesting\s+cost \(bits\/seq\)\s+wrong chars\/seq\s+char accuracy/);
    const lines = (await Deno.readTextFile(join(run, "metrics.jsonl"))).trim().split("\n").map((l) =>
      JSON.parse(l)
    );
    assert.deepEqual(lines.map((r) => r.step), [10, 20, 30, 40, 50]);
    for (const key of ["char_accuracy", "answer_accuracy", "stage_length", "stage_char_accuracy"]) {
      assert.ok(typeof lines[0][key] === "number", key);
    }
    const evaluation: EvalResult = JSON.parse(await Deno.readTextFile(join(run, "eval.json")));
    assert.deepEqual(evaluation.rows.map((r) => r.length), [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.ok(evaluation.rows.every((r) => r.nesting === 1 && r.character_accuracy !== undefined));
    assert.deepEqual(evaluation.program, { curriculum: "combined", target: { length: 2, nesting: 1 } });
    const checkpoint = await loadCheckpoint(run);
    assert.deepEqual(checkpoint.training.program, {
      curriculum: "combined",
      target: { length: 2, nesting: 1 },
    });
    const { stageBest, reportsSinceProgress, ...stage } = checkpoint.progress.curriculum!;
    assert.deepEqual(stage, {
      name: "combined",
      target: { length: 2, nesting: 1 },
      current: { length: 1, nesting: 1 },
    });
    // Five reports at the first stage: its best accuracy so far, and the reports since it last rose.
    assert.ok(stageBest! > 0 && stageBest! <= 1, String(stageBest));
    assert.ok((reportsSinceProgress ?? 0) <= 4, String(reportsSinceProgress));
    assert.equal(checkpoint.progress.characterAccuracy, summary.character_accuracy);
    assert.ok(summary.figures.some((f) => f.endsWith("episode.svg")));
  });
});

Deno.test("trainCommand() resumes a program run exactly, curriculum stage included", async (t) => {
  for (
    const [name, model] of [["ntm", TINY], ["lstm", [
      ...RUN,
      "--model",
      "lstm",
      "--controller",
      "6",
    ]]] as const
  ) {
    await t.step(name, async () => {
      await withTempDir(async (dir) => {
        const whole = join(dir, "whole"), split = join(dir, "split");
        const { io } = capture();
        // A report every step: these tiny models plateau, so the curriculum's patience rule advances
        // the stage within the run, and the split falls before the last advance.
        const flags = [
          ...model,
          "--report-every",
          "1",
          "--curriculum",
          "naive",
          "--target-length",
          "3",
          "--no-eval",
        ];
        await trainCommand([...flags, "--steps", "80", "--out", whole], io);
        await trainCommand([...flags, "--steps", "45", "--out", split], io);
        const middle = await loadCheckpoint(split);
        const final = await loadCheckpoint(whole);
        assert.notDeepEqual(middle.progress.curriculum?.current, final.progress.curriculum?.current);
        const summary = await trainCommand(["--resume", split, "--steps", "80", "--no-eval"], io);
        assert.equal(summary!.steps, 80);
        assert.equal(summary!.model, name);
        for (const file of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer]) {
          assert.deepEqual(
            await Deno.readFile(join(split, file)),
            await Deno.readFile(join(whole, file)),
            file,
          );
        }
        const a = await loadCheckpoint(whole), b = await loadCheckpoint(split);
        assert.equal(b.modelKind, name);
        assert.deepEqual(b.progress.dataRng, a.progress.dataRng);
        assert.deepEqual(b.progress.curriculum, a.progress.curriculum);
        assert.equal(b.progress.costBits, a.progress.costBits);
        // Resuming with another target or curriculum is refused.
        const other = name === "ntm" ? "lstm" : "ntm";
        for (const [flag, value] of [["--target-length", "4"], ["--curriculum", "mix"], ["--model", other]]) {
          const error = await rejection(
            trainCommand(["--resume", split, "--steps", "50", flag!, value!], io),
          );
          assert.ok(error instanceof UsageError && error.message.startsWith(flag!), String(error));
        }
      });
    });
  }
});

Deno.test("trainCommand() --model lstm trains a plain LSTM of about the NTM's size on the CPU (wasm)", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "lstm");
    const { io, out, errors } = capture();
    const summary = await trainCommand(
      [
        "--task",
        "program",
        "--model",
        "lstm",
        "--batch",
        "2",
        "--steps",
        "10",
        "--eval-episodes",
        "4",
        "--out",
        run,
      ],
      io,
    );
    assert.equal(summary!.model, "lstm");
    assert.equal(summary!.backend, "wasm");
    assert.deepEqual(errors, [
      "notice: the plain LSTM baseline runs on the CPU; using wasm (float32 WebAssembly SIMD)",
    ]);
    const match = out().match(
      /plain LSTM (\d+)×1 \(no memory\), (\d+) parameters \(the NTM of this preset: (\d+)\)/,
    );
    assert.ok(match, out());
    assert.ok(Math.abs(Number(match[2]) - Number(match[3])) / Number(match[3]) < 0.02, match[0]);
    assert.deepEqual(summary!.figures, [join(run, "learning_curve.svg")]);
    const checkpoint = await loadCheckpoint(run);
    assert.equal(checkpoint.modelKind, "lstm");
    assert.ok(checkpoint.modelKind === "lstm" && checkpoint.config.units === Number(match[1]));
  });
});

Deno.test("evalCommand() on a program checkpoint prints accuracy by length and nesting, and examples", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    await trainCommand([...TINY, "--steps", "10", "--out", run, "--no-eval"], capture().io);
    let text = "";
    const result = await evalCommand(
      [
        "--checkpoint",
        run,
        "--lengths",
        "1,3",
        "--nestings",
        "1,2",
        "--episodes",
        "5",
        "--examples",
        "2",
        "--backend",
        "cpu",
      ],
      (t) => void (text += t),
    );
    assert.deepEqual(result!.rows.map((r) => [r.length, r.nesting]), [[1, 1], [3, 1], [1, 2], [3, 2]]);
    for (const r of result!.rows) {
      for (const v of [r.character_accuracy!, r.answer_accuracy!, r.frequency_baseline!]) {
        assert.ok(v >= 0 && v <= 1);
      }
    }
    assert.equal(result!.examples!.length, 2);
    const example = result!.examples![0]!;
    assert.equal(example.teacher_forced.length, example.answer.length + 1);
    assert.match(text, /answer accuracy\s+frequency baseline/);
    assert.ok(text.includes(`  answer          ${example.answer}`));
    const error = await rejection(evalCommand(["--checkpoint", run, "--nestings", "4"], () => {}));
    assert.ok(error instanceof UsageError && error.message.startsWith("--nestings"), String(error));
  });
});

Deno.test("loadCheckpoint() checks a program run's curriculum state against its options", async () => {
  await withTempDir(async (dir) => {
    const run = join(dir, "run");
    await trainCommand([...TINY, "--steps", "10", "--out", run, "--no-eval"], capture().io);
    const path = join(run, CHECKPOINT_FILES.config);
    const json = JSON.parse(await Deno.readTextFile(path));
    json.progress.curriculum.current = { length: 3, nesting: 1 };
    await Deno.writeTextFile(path, JSON.stringify(json));
    const past = await rejection(loadCheckpoint(run));
    assert.match(past.message, /progress\.curriculum does not fit training\.program: .*past the target/);
    json.progress.curriculum.current = { length: 1, nesting: 1 };
    json.training.program.target.nesting = 4;
    await Deno.writeTextFile(path, JSON.stringify(json));
    assert.match(
      (await rejection(loadCheckpoint(run))).message,
      /nesting must be an integer in 1\.\.3, got 4/,
    );
  });
});
