/**
 * Real child processes: SIGINT and SIGTERM stop a run after the current step with a saved checkpoint and
 * exit 130 / 143, a second signal exits at once leaving a loadable checkpoint, and a second run cannot
 * train into a directory a live run holds.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { loadCheckpoint } from "../src/io/checkpoint.ts";
import { trainCommand, type TrainIo } from "../src/cli/train.ts";
import { RunLockedError } from "../src/io/run_lock.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const quiet: TrainIo = { write: () => {}, error: () => {}, live: false };
const TINY = [
  ...["--backend", "cpu", "--controller", "8", "--memory-n", "8", "--memory-m", "4", "--batch", "1"],
  ...["--eval-episodes", "2", "--no-eval", "--max-len", "3"],
];

/** A training process and its output so far. */
interface Child {
  readonly process: Deno.ChildProcess;
  readonly output: () => string;
  /** Resolves once the output contains `text`. */
  readonly waitFor: (text: string) => Promise<void>;
  readonly done: Promise<{ code: number; output: string }>;
}

function startTraining(args: string[]): Child {
  const process = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", join(ROOT, "src/cli/train.ts"), ...args],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1" },
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) text += decoder.decode(chunk, { stream: true });
  };
  const pumps = Promise.all([pump(process.stdout), pump(process.stderr)]);
  const done = (async () => {
    const status = await process.status;
    await pumps;
    return { code: status.code, output: text };
  })();
  return {
    process,
    output: () => text,
    async waitFor(fragment: string) {
      for (let i = 0; i < 600 && !text.includes(fragment); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(text.includes(fragment), `no "${fragment}" in:\n${text}`);
    },
    done,
  };
}

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-signals-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
  Deno.test(`${signal} stops training after the current step, saves it, and exits ${code}`, async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, "run");
      const child = startTraining([...TINY, "--steps", "1000000", "--report-every", "100000", "--out", out]);
      await child.waitFor("Checkpoint and logs");
      await new Promise((r) => setTimeout(r, 1500)); // some steps past the step-0 checkpoint
      child.process.kill(signal);
      const { code: exit, output } = await child.done;
      assert.equal(exit, code, output);
      const match = output.match(/Stopped by (\w+) after step (\d+): the checkpoint in .* is at step (\d+)/);
      assert.ok(match, output);
      assert.equal(match[1], signal);
      const step = Number(match[2]);
      assert.ok(step > 0 && step === Number(match[3]), output);
      assert.match(output, /deno task train --resume /);
      assert.doesNotMatch(output, /Uncaught| at file:/);
      const saved = await loadCheckpoint(out);
      assert.equal(saved.progress.step, step);
      const files = (await Array.fromAsync(Deno.readDir(out))).map((e) => e.name).sort();
      // The lock file stays, empty and unlocked; nothing else is left behind.
      assert.deepEqual(files, [".lock", "config.json", "model.safetensors", "optimizer.safetensors"]);
      assert.equal(await Deno.readTextFile(join(out, ".lock")), "");
      await trainCommand(["--resume", out, "--steps", String(step + 3)], quiet);
      assert.equal((await loadCheckpoint(out)).progress.step, step + 3);
    });
  });
}

Deno.test("a second signal exits at once and the checkpoint still loads", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "run");
    const child = startTraining([...TINY, "--steps", "1000000", "--report-every", "3", "--out", out]);
    await child.waitFor("step 3/");
    child.process.kill("SIGINT");
    child.process.kill("SIGINT");
    const { code } = await child.done;
    assert.equal(code, 130);
    const saved = await loadCheckpoint(out);
    assert.ok(saved.progress.step >= 0);
  });
});

Deno.test("a run cannot train into a directory that a live run holds; the error names its pid", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "run");
    const child = startTraining([...TINY, "--steps", "1000000", "--report-every", "100000", "--out", out]);
    await child.waitFor("Checkpoint and logs");
    for (let i = 0; i < 200 && !(await Deno.stat(join(out, "config.json")).catch(() => null)); i++) {
      await new Promise((r) => setTimeout(r, 50)); // the step-0 checkpoint
    }
    const error = await trainCommand(["--resume", out, "--steps", "5"], quiet).catch((e: unknown) => e);
    assert.ok(
      error instanceof RunLockedError,
      `${error} ${JSON.stringify(error)} ${(error as Error)?.stack}`,
    );
    assert.ok(
      error.message.includes(out) && error.message.includes(`pid ${child.process.pid}`),
      error.message,
    );
    child.process.kill("SIGTERM");
    assert.equal((await child.done).code, 143);
    // The holder is gone and its lock with it: the directory can be resumed now.
    await trainCommand(
      ["--resume", out, "--steps", String((await loadCheckpoint(out)).progress.step + 1)],
      quiet,
    );
  });
});

Deno.test("the lock of a process that was killed outright is gone with it", async () => {
  await withTempDir(async (dir) => {
    const out = join(dir, "run");
    const child = startTraining([...TINY, "--steps", "1000000", "--report-every", "100000", "--out", out]);
    await child.waitFor("Checkpoint and logs");
    for (let i = 0; i < 200 && !(await Deno.stat(join(out, "config.json")).catch(() => null)); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    child.process.kill("SIGKILL"); // no handler runs: the record of its pid stays in .lock
    await child.done;
    assert.match(await Deno.readTextFile(join(out, ".lock")), new RegExp(`"pid":${child.process.pid}`));
    const step = (await loadCheckpoint(out)).progress.step;
    await trainCommand(["--resume", out, "--steps", String(step + 2)], quiet);
    assert.equal((await loadCheckpoint(out)).progress.step, step + 2);
  });
});
