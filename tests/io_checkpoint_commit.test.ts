/**
 * A save interrupted at any step of its commit leaves the previous or the new checkpoint loadable, and the
 * next save cleans up; loading checks each file's digest, type and size before trusting it.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CHECKPOINT_FILES,
  CheckpointError,
  loadCheckpoint,
  type NtmCheckpoint,
  saveCheckpoint,
  type TrainingOptions,
} from "../src/io/checkpoint.ts";
import type { CommitStep } from "../src/io/checkpoint_files.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";

/** A small checkpoint at `step`, whose parameters differ from step to step. */
function checkpointAt(step: number): NtmCheckpoint {
  const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 4, memoryN: 8, memoryM: 4 });
  const layout = parameterLayout(config);
  const params = initParameters(config, layout, step);
  const optimizer = createOptimizer("rmsprop", layout.size, { learningRate: 1e-3 });
  const rng = new Rng(step);
  optimizer.step(params, Float64Array.from(params, () => rng.normal()));
  const training: TrainingOptions = {
    task: "copy",
    preset: "quick",
    backend: "cpu",
    range: { minLen: 1, maxLen: 2 },
    batch: 1,
    steps: 100,
    seed: 1,
    evalSeed: 2,
    memorySeed: 3,
    reportEvery: 10,
    evalEpisodes: 4,
    stopAtBitErrors: null,
    optimizer: { name: optimizer.name, options: optimizer.options },
  };
  return {
    config,
    training,
    progress: {
      step,
      sequences: step,
      seconds: step / 10,
      dataRng: new Rng(1).getState(),
      memoryRng: new Rng(3).getState(),
      costBits: 1,
      bitErrors: 0,
    },
    params,
    optimizer: { name: optimizer.name, step: optimizer.state.step, slots: optimizer.state.slots },
  };
}

class Crash extends Error {}

const STEPS: readonly CommitStep[] = [
  "staged model.safetensors",
  "staged optimizer.safetensors",
  "staged config.json",
  "renamed model.safetensors",
  "renamed optimizer.safetensors",
  "renamed config.json",
];

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-commit-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const listing = async (dir: string) => (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();

for (const [i, crashAt] of STEPS.entries()) {
  Deno.test(`a save that crashes after "${crashAt}" leaves a loadable checkpoint, and the next save tidies up`, async () => {
    await withTempDir(async (dir) => {
      await saveCheckpoint(dir, checkpointAt(10));
      const crashed = saveCheckpoint(dir, checkpointAt(20), {
        afterStep: (step) => {
          if (step === crashAt) throw new Crash(step);
        },
      });
      await assert.rejects(crashed, Crash);
      // Before the staged config.json (the commit point) exists the old set stands; from then on the new one.
      const expected = checkpointAt(i < 2 ? 10 : 20);
      const loaded = await loadCheckpoint(dir);
      assert.equal(loaded.progress.step, expected.progress.step);
      assert.deepEqual(loaded.params, expected.params);
      assert.deepEqual(loaded.optimizer?.slots, expected.optimizer.slots);
      // A load of a committed set rolls it forward; the next save leaves only the three files.
      await saveCheckpoint(dir, checkpointAt(30));
      assert.deepEqual(await listing(dir), [...Object.values(CHECKPOINT_FILES)].sort());
      assert.equal((await loadCheckpoint(dir)).progress.step, 30);
    });
  });
}

Deno.test("a committed save is read from its staged files when a crash left the directory mixed", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, checkpointAt(10));
    await assert.rejects(
      saveCheckpoint(dir, checkpointAt(20), {
        afterStep: (step) => {
          if (step === "renamed model.safetensors") throw new Crash(step);
        },
      }),
      Crash,
    );
    // Make the roll-forward impossible by moving the staged files away and back in a copy: load must still
    // read the new set from whichever copy matches (here, a copy of the mixed directory).
    const copy = join(dir, "copy");
    await Deno.mkdir(copy);
    for (const name of await listing(dir)) {
      if (name !== "copy") await Deno.copyFile(join(dir, name), join(copy, name));
    }
    assert.deepEqual(await listing(copy), [
      ".config.json.next",
      ".optimizer.safetensors.next",
      "config.json",
      "model.safetensors",
      "optimizer.safetensors",
    ]);
    assert.equal((await loadCheckpoint(copy)).progress.step, 20);
  });
});

Deno.test("leftovers of crashed saves (temporary and uncommitted staged files) are removed by the next save", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, checkpointAt(10));
    await Deno.writeTextFile(join(dir, "..model.safetensors.next.tmp-0badc0ffee00"), "partial");
    await Deno.writeTextFile(join(dir, ".optimizer.safetensors.next"), "uncommitted");
    assert.equal((await loadCheckpoint(dir)).progress.step, 10);
    await saveCheckpoint(dir, checkpointAt(20));
    assert.deepEqual(await listing(dir), [...Object.values(CHECKPOINT_FILES)].sort());
  });
});

Deno.test("loadCheckpoint() detects a flipped data byte through the recorded SHA-256", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, checkpointAt(10));
    for (const file of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer]) {
      const path = join(dir, file);
      const original = await Deno.readFile(path);
      const flipped = original.slice();
      flipped[flipped.length - 3]! ^= 0x01; // a low mantissa bit of the last value: still a finite number
      await Deno.writeFile(path, flipped);
      const error = await loadCheckpoint(dir).catch((e: unknown) => e);
      assert.ok(error instanceof CheckpointError, String(error));
      assert.match(error.message, new RegExp(`${file}.*does not match the SHA-256`));
      await Deno.writeFile(path, original);
    }
    assert.equal((await loadCheckpoint(dir)).progress.step, 10);
  });
});

Deno.test("loadCheckpoint() refuses a FIFO, a device and an oversized file before reading them", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, checkpointAt(10));
    const model = join(dir, CHECKPOINT_FILES.model);
    await Deno.rename(model, `${model}.bak`);
    await Deno.symlink("/dev/zero", model);
    const device = await loadCheckpoint(dir).catch((e: unknown) => e);
    assert.ok(device instanceof CheckpointError && /not a regular file/.test(device.message), String(device));
    await Deno.remove(model);
    const big = await Deno.open(model, { write: true, create: true });
    await big.truncate(1 << 30); // sparse: 1 GiB that the model cannot need
    big.close();
    const oversized = await loadCheckpoint(dir).catch((e: unknown) => e);
    assert.ok(
      oversized instanceof CheckpointError && /more than the/.test(oversized.message),
      String(oversized),
    );
    await Deno.remove(model);
    await Deno.rename(`${model}.bak`, model);

    const config = join(dir, CHECKPOINT_FILES.config);
    await Deno.remove(config);
    const mkfifo = await new Deno.Command("mkfifo", { args: [config] }).output();
    assert.ok(mkfifo.success);
    const fifo = await loadCheckpoint(dir).catch((e: unknown) => e); // would hang if it were opened
    assert.ok(fifo instanceof CheckpointError && /not a regular file/.test(fifo.message), String(fifo));
  });
});
