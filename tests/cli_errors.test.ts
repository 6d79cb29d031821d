/**
 * No user error anywhere in the CLI prints a stack trace: a table of bad invocations, each run as a real
 * process, must exit with its code and print one line `error: …` that names what is wrong, and nothing
 * that looks like a trace ("Uncaught", "    at ").
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint, saveCheckpoint } from "../src/io/checkpoint.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };
const TINY = [
  "--backend",
  "cpu",
  "--controller",
  "8",
  "--memory-n",
  "8",
  "--memory-m",
  "4",
  "--eval-episodes",
  "2",
];

interface Case {
  readonly command: "train" | "eval" | "viz" | "ship";
  readonly args: readonly string[];
  readonly code: number;
  readonly names: string | RegExp;
}

async function run(c: Case): Promise<{ code: number; text: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      join(ROOT, `src/cli/${c.command}.ts`),
      ...c.args,
    ],
    env: { NO_COLOR: "1" },
  }).output();
  return { code, text: new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr) };
}

Deno.test("bad invocations of train, eval, viz and ship exit with a one-line error and no stack trace", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-errors-" });
  try {
    const run0 = join(dir, "run");
    await trainCommand([
      ...TINY,
      "--steps",
      "2",
      "--report-every",
      "1",
      "--no-eval",
      "--max-len",
      "3",
      "--out",
      run0,
    ], quiet);
    const file = join(dir, "a-file");
    await Deno.writeTextFile(file, "not a directory");
    // A checkpoint whose metrics log is corrupt.
    const corruptLog = join(dir, "corrupt-log");
    await Deno.mkdir(corruptLog);
    await saveCheckpoint(corruptLog, {
      ...(await loadCheckpoint(run0)),
      optimizer: (await loadCheckpoint(run0)).optimizer!,
    });
    await Deno.writeTextFile(join(corruptLog, "metrics.jsonl"), '{"step": 1}\n{not json\n');
    // A directory with a stale metrics log and no checkpoint.
    const stale = join(dir, "stale");
    await Deno.mkdir(stale);
    await Deno.writeTextFile(join(stale, "metrics.jsonl"), "");
    // Tampered config.json files: a huge batch; a model that does not fit its task.
    const tamper = async (
      name: string,
      edit: (config: { training: Record<string, unknown>; model: Record<string, unknown> }) => void,
    ) => {
      const out = join(dir, name);
      await Deno.mkdir(out);
      for (const f of ["model.safetensors", "optimizer.safetensors", "config.json"]) {
        await Deno.copyFile(join(run0, f), join(out, f));
      }
      const config = JSON.parse(await Deno.readTextFile(join(out, "config.json")));
      edit(config);
      await Deno.writeTextFile(join(out, "config.json"), JSON.stringify(config));
      return out;
    };
    const hugeBatch = await tamper("huge-batch", (c) => c.training.batch = 1e8);
    const wrongTask = await tamper("wrong-task", (c) => c.training.task = "repeat-copy");
    const hugeModel = await tamper("huge-model", (c) => c.model.memoryN = 1e9);
    // A checkpoint whose eval.json cannot be written (a directory is in its place).
    const unwritable = await tamper("unwritable", () => {});
    await Deno.mkdir(join(unwritable, "eval.json"));

    const cases: Case[] = [
      { command: "train", args: ["--memory-n", "1000000000"], code: 2, names: "memoryN" },
      { command: "train", args: ["--controller", "100000"], code: 2, names: "controllerSize" },
      { command: "train", args: ["--read-heads", "1e8"], code: 2, names: "--read-heads" },
      { command: "train", args: ["--controller-layers", "100000000"], code: 2, names: "controllerLayers" },
      { command: "train", args: ["--max-len", "100000000"], code: 2, names: "--max-len" },
      { command: "train", args: ["--max-len", "100000"], code: 2, names: /more than the limit of 8\.0 GiB/ },
      { command: "train", args: ["--batch", "100000000"], code: 2, names: "--batch" },
      { command: "train", args: ["--eval-episodes", "100000000"], code: 2, names: "--eval-episodes" },
      { command: "train", args: ["--seed", "9007199254740991"], code: 2, names: "--seed" },
      { command: "train", args: ["--lr", "1e39"], code: 2, names: "float32" },
      { command: "train", args: ["--task", "nope"], code: 2, names: "--task" },
      { command: "train", args: ["--out", file], code: 2, names: "is a file" },
      { command: "train", args: ["--out", join(file, "sub")], code: 2, names: join(file, "sub") },
      { command: "train", args: ["--out", ""], code: 2, names: "--out" },
      { command: "train", args: ["--out", "/proc/ntm-run"], code: 2, names: "/proc/ntm-run" },
      { command: "train", args: ["--out", stale], code: 2, names: "metrics.jsonl but no checkpoint" },
      {
        command: "train",
        args: ["--resume", corruptLog, "--steps", "5"],
        code: 1,
        names: "metrics.jsonl: line 1 must have",
      },
      { command: "train", args: ["--resume", hugeBatch, "--steps", "5"], code: 1, names: "training.batch" },
      { command: "train", args: ["--resume", wrongTask, "--steps", "5"], code: 1, names: "does not fit" },
      { command: "train", args: ["--resume", hugeModel, "--steps", "5"], code: 1, names: "memoryN" },
      { command: "train", args: ["--resume", join(dir, "missing")], code: 1, names: "does not exist" },
      {
        command: "eval",
        args: ["--checkpoint", run0, "--episodes", "100000000"],
        code: 2,
        names: "--episodes",
      },
      { command: "eval", args: ["--checkpoint", run0, "--lengths", "10000000"], code: 2, names: "--lengths" },
      {
        command: "eval",
        args: ["--checkpoint", unwritable, "--lengths", "2", "--episodes", "2"],
        code: 1,
        names: "--no-write",
      },
      { command: "eval", args: ["--checkpoint", file], code: 1, names: "not a directory" },
      { command: "viz", args: ["--checkpoint", run0, "--length", "1000000"], code: 2, names: "--length" },
      { command: "viz", args: ["--checkpoint", run0, "--out", file], code: 2, names: "--out" },
      { command: "ship", args: ["--checkpoint", run0], code: 2, names: "--out" },
    ];
    for (let i = 0; i < cases.length; i += 4) {
      await Promise.all(
        cases.slice(i, i + 4).map(async (c) => {
          const args = c.command === "train" && !c.args.includes("--resume")
            ? ["--backend", "cpu", "--no-eval", "--steps", "1", ...c.args]
            : c.args;
          const { code, text } = await run({ ...c, args });
          const what = `${c.command} ${args.join(" ")}:\n${text}`;
          assert.equal(code, c.code, what);
          assert.doesNotMatch(text, /Uncaught|^\s+at /m, what);
          const errors = text.split("\n").filter((l) => l.startsWith("error: "));
          assert.equal(errors.length, 1, what);
          if (typeof c.names === "string") assert.ok(errors[0]!.includes(c.names), what);
          else assert.match(errors[0]!, c.names, what);
        }),
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("training piped into a reader that closes early finishes its run and exits 0", async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-cli-pipe-" });
  try {
    const out = join(dir, "run");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        ...["run", "--allow-read", "--allow-write", "--allow-env", join(ROOT, "src/cli/train.ts"), ...TINY],
        ...["--steps", "40", "--report-every", "2", "--no-eval", "--max-len", "3", "--out", out],
      ],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read(); // the first line, then the reader goes away like `head -1`
    await reader.cancel();
    const [status, stderr] = await Promise.all([child.status, new Response(child.stderr).text()]);
    assert.equal(status.code, 0, stderr);
    assert.doesNotMatch(stderr, /BrokenPipe|Uncaught/);
    assert.equal((await loadCheckpoint(out)).progress.step, 40);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
