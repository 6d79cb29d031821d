import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CHECKPOINT_FILES,
  CheckpointError,
  hasCheckpoint,
  loadCheckpoint,
  type NtmCheckpoint,
  saveCheckpoint,
  shipModel,
  type TrainingOptions,
} from "../src/io/checkpoint.ts";
import { stagedName } from "../src/io/checkpoint_files.ts";
import { decodeSafetensors, encodeSafetensors } from "../src/io/safetensors.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer, type OptimizerName } from "../src/optim/optimizer.ts";

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "ntm-checkpoint-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** A small checkpoint whose optimiser has taken a step (so no slot is all zeros). */
function makeCheckpoint(
  options: { memoryN?: number; step?: number; optimizer?: OptimizerName; clip?: number } = {},
): NtmCheckpoint {
  const config = ntmConfig({
    inputSize: 9,
    outputSize: 8,
    controllerSize: 4,
    memoryN: options.memoryN ?? 8,
    memoryM: 4,
  });
  const layout = parameterLayout(config);
  const params = initParameters(config, layout, 7);
  const optimizer = createOptimizer(options.optimizer ?? "adam", layout.size, {
    learningRate: 0.01,
    ...(options.clip !== undefined && { clip: options.clip }),
  });
  const rng = new Rng(3);
  optimizer.step(params, Float64Array.from(params, () => rng.normal()));
  const training: TrainingOptions = {
    task: "copy",
    preset: "quick",
    backend: "cpu",
    range: { minLen: 1, maxLen: 3 },
    batch: 2,
    steps: 100,
    seed: 1,
    evalSeed: 2,
    memorySeed: 3,
    reportEvery: 10,
    evalEpisodes: 4,
    stopAtBitErrors: null,
    optimizer: { name: optimizer.name, options: optimizer.options },
  };
  const step = options.step ?? 10;
  return {
    config,
    training,
    progress: {
      step,
      sequences: step * 2,
      seconds: 1.25,
      dataRng: new Rng(1).getState(),
      memoryRng: new Rng(3).getState(),
      costBits: 12.5,
      bitErrors: 3,
    },
    params,
    optimizer: { name: optimizer.name, step: optimizer.state.step, slots: optimizer.state.slots },
  };
}

async function snapshot(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(dir)) {
    files.set(entry.name, await Deno.readFile(join(dir, entry.name)));
  }
  return files;
}

async function assertLoadFails(dir: string, ...fragments: (string | RegExp)[]): Promise<void> {
  const error = await loadCheckpoint(dir).then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${error}`);
  for (const f of fragments) {
    if (typeof f === "string") {
      assert.ok(error.message.includes(f), `"${error.message}" should mention "${f}"`);
    } else assert.match(error.message, f);
  }
}

Deno.test("saveCheckpoint() and loadCheckpoint() round-trip every value bit for bit", async () => {
  await withTempDir(async (dir) => {
    for (const optimizer of ["adam", "rmsprop"] as const) {
      const saved = makeCheckpoint({ optimizer });
      const path = join(dir, optimizer);
      await saveCheckpoint(path, saved);
      assert.deepEqual([...(await snapshot(path)).keys()].sort(), [
        "config.json",
        "model.safetensors",
        "optimizer.safetensors",
      ]);
      const loaded = await loadCheckpoint(path);
      assert.deepEqual(loaded.params, saved.params);
      assert.deepEqual(loaded.config, saved.config);
      assert.deepEqual(loaded.training, saved.training);
      assert.deepEqual(loaded.progress, saved.progress);
      assert.equal(loaded.optimizer?.name, optimizer);
      assert.equal(loaded.optimizer?.step, 1);
      assert.deepEqual(loaded.optimizer?.slots, saved.optimizer.slots);
      assert.equal(loaded.layout.size, saved.params.length);
      assert.equal(await hasCheckpoint(path), true);
    }
    assert.equal(await hasCheckpoint(dir), false);
  });
});

Deno.test("saveCheckpoint() writes named F64 tensors from the layout and format metadata", async () => {
  await withTempDir(async (dir) => {
    const saved = makeCheckpoint();
    await saveCheckpoint(dir, saved);
    const model = decodeSafetensors(await Deno.readFile(join(dir, CHECKPOINT_FILES.model)));
    const layout = parameterLayout(saved.config);
    assert.deepEqual([...model.tensors.keys()], layout.entries.map((e) => e.name));
    for (const e of layout.entries) {
      const t = model.tensors.get(e.name)!;
      assert.equal(t.dtype, "F64");
      assert.deepEqual(t.shape, e.shape);
    }
    assert.equal(model.metadata.format, "ntm-checkpoint");
    assert.equal(model.metadata.format_version, "1");
    assert.equal(model.metadata.step, "10");
    const opt = decodeSafetensors(await Deno.readFile(join(dir, CHECKPOINT_FILES.optimizer)));
    assert.deepEqual([...opt.tensors.keys()].sort(), ["m", "v"]);
    assert.equal(opt.metadata.optimizer, "adam");
    assert.equal(opt.metadata.optimizer_step, "1");
    const config = JSON.parse(await Deno.readTextFile(join(dir, CHECKPOINT_FILES.config)));
    assert.equal(config.format, "ntm-checkpoint");
    assert.equal(config.formatVersion, 1);
    assert.equal(typeof config.packageVersion, "string");
    assert.equal(config.parameters, layout.size);
  });
});

Deno.test("saveCheckpoint() keeps an infinite clip option through JSON", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint({ clip: Infinity }));
    assert.equal((await loadCheckpoint(dir)).training.optimizer.options.clip, Infinity);
  });
});

Deno.test("saveCheckpoint() leaves the existing checkpoint intact when a write fails", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint({ step: 10 }));
    const before = await snapshot(dir);
    // A directory where a file is to be staged makes the real write fail there (its rename onto the
    // directory), after the files before it were staged: each file in turn.
    for (const file of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer, CHECKPOINT_FILES.config]) {
      const blocker = join(dir, stagedName(file));
      await Deno.mkdir(blocker);
      await Deno.writeTextFile(join(blocker, "keep"), ""); // not empty: the save's clean-up cannot remove it
      const error = await saveCheckpoint(dir, makeCheckpoint({ step: 20 })).then(
        () => undefined,
        (e: unknown) => e,
      );
      assert.ok(error instanceof CheckpointError, `expected a CheckpointError, got ${error}`);
      assert.ok(error.message.includes(`writing ${blocker} failed`), error.message);
      assert.match(error.message, /previous checkpoint is kept/);
      await Deno.remove(blocker, { recursive: true });
      assert.deepEqual(await snapshot(dir), before, `after a failure writing ${file}`);
    }
    assert.equal((await loadCheckpoint(dir)).progress.step, 10);
  });
});

Deno.test("saveCheckpoint() refuses non-finite parameters and writes nothing", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint());
    const before = await snapshot(dir);
    const bad = makeCheckpoint({ step: 20 });
    bad.params[5] = NaN;
    await assert.rejects(() => saveCheckpoint(dir, bad), (e: Error) => {
      assert.ok(e instanceof CheckpointError);
      assert.match(e.message, /controller\.0\.weight\[5\] is NaN/);
      return true;
    });
    assert.deepEqual(await snapshot(dir), before);
  });
});

Deno.test("loadCheckpoint() names a truncated model.safetensors", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint());
    const path = join(dir, CHECKPOINT_FILES.model);
    const bytes = await Deno.readFile(path);
    await Deno.writeFile(path, bytes.subarray(0, bytes.length - 100));
    await assertLoadFails(dir, path, "truncated");
    await Deno.writeFile(path, bytes.subarray(0, 5));
    await assertLoadFails(dir, path, "truncated");
  });
});

Deno.test("loadCheckpoint() names a model.safetensors of another shape", async () => {
  await withTempDir(async (dir) => {
    const a = join(dir, "a"), b = join(dir, "b");
    await saveCheckpoint(a, makeCheckpoint({ memoryN: 8 }));
    await saveCheckpoint(b, makeCheckpoint({ memoryN: 16 }));
    await Deno.copyFile(join(b, CHECKPOINT_FILES.model), join(a, CHECKPOINT_FILES.model));
    await assertLoadFails(a, join(a, CHECKPOINT_FILES.model), "init.weighting", "[2,16]", "[2,8]");
  });
});

Deno.test("loadCheckpoint() names a missing or extra tensor", async () => {
  await withTempDir(async (dir) => {
    const saved = makeCheckpoint();
    await saveCheckpoint(dir, saved);
    const path = join(dir, CHECKPOINT_FILES.model);
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path));
    const named = [...tensors].map(([name, t]) => ({ name, ...t }));
    await Deno.writeFile(path, encodeSafetensors(named.filter((t) => t.name !== "output.bias"), metadata));
    await assertLoadFails(dir, path, `"output.bias"`, "missing");
    const extra = { name: "extra", dtype: "F64" as const, shape: [1], data: new Float64Array(1) };
    await Deno.writeFile(path, encodeSafetensors([...named, extra], metadata));
    await assertLoadFails(dir, path, `unexpected tensor "extra"`);
  });
});

Deno.test("loadCheckpoint() names a directory that is not a checkpoint", async () => {
  await withTempDir(async (dir) => {
    await assertLoadFails(dir, join(dir, "config.json"), "missing");
    await assertLoadFails(join(dir, "nope"), "does not exist");
    await Deno.writeTextFile(join(dir, "file"), "x");
    await assertLoadFails(join(dir, "file"), "not a directory");
    await saveCheckpoint(join(dir, "c"), makeCheckpoint());
    await Deno.remove(join(dir, "c", CHECKPOINT_FILES.optimizer));
    await assertLoadFails(join(dir, "c"), join(dir, "c", CHECKPOINT_FILES.optimizer), "missing");
  });
});

Deno.test("loadCheckpoint() names a garbage or incomplete config.json", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint());
    const path = join(dir, CHECKPOINT_FILES.config);
    const good = JSON.parse(await Deno.readTextFile(path));
    await Deno.writeTextFile(path, "{ not json");
    await assertLoadFails(dir, path, "not valid JSON");
    await Deno.writeTextFile(path, "[1, 2]");
    await assertLoadFails(dir, path, "must be a JSON object");
    // deno-lint-ignore no-explicit-any
    const cases: [(c: Record<string, any>) => void, string][] = [
      [(c) => delete c.model.memoryN, "model.memoryN is missing"],
      [(c) => c.model.memoryN = 0, "model is not a valid configuration"],
      [(c) => delete c.training, "training must be a JSON object"],
      [(c) => c.training.batch = "two", "training.batch must be an integer"],
      [(c) => c.training.task = "sing", "training.task must be one of"],
      [(c) => c.progress.dataRng = [0, 0, 0, 0], "progress.dataRng"],
      [(c) => c.formatVersion = 2, "format version 2 is not supported"],
      [(c) => c.format = "other", `format must be "ntm-checkpoint"`],
      [(c) => c.parameters = 3, "parameters must be"],
      [(c) => c.training.optimizer.name = "rmsprop", "optimizer.safetensors"],
      [(c) => c.progress.step = 11, "do not belong together"],
    ];
    for (const [edit, message] of cases) {
      const c = structuredClone(good);
      edit(c);
      await Deno.writeTextFile(path, JSON.stringify(c));
      await assertLoadFails(dir, message);
    }
  });
});

Deno.test("loadCheckpoint() rejects safetensors files of another format version", async () => {
  await withTempDir(async (dir) => {
    await saveCheckpoint(dir, makeCheckpoint());
    const path = join(dir, CHECKPOINT_FILES.optimizer);
    const { tensors, metadata } = decodeSafetensors(await Deno.readFile(path));
    await Deno.writeFile(
      path,
      encodeSafetensors([...tensors].map(([name, t]) => ({ name, ...t })), {
        ...metadata,
        format_version: "9",
      }),
    );
    await assertLoadFails(dir, path, `format version "9" is not supported`);
  });
});

Deno.test("shipModel() writes float32 weights without optimiser state, which loadCheckpoint() reads back", async () => {
  await withTempDir(async (dir) => {
    const saved = makeCheckpoint();
    const out = join(dir, "shipped");
    await shipModel(out, saved);
    assert.deepEqual([...(await snapshot(out)).keys()].sort(), [
      CHECKPOINT_FILES.config,
      CHECKPOINT_FILES.model,
    ]);
    const loaded = await loadCheckpoint(out);
    assert.equal(loaded.shipped, true);
    assert.equal(loaded.optimizer, null);
    assert.deepEqual(loaded.params, Float64Array.from(Float32Array.from(saved.params)));
    assert.ok(
      loaded.params.some((v, i) => v !== saved.params[i]),
      "the weights should be rounded to float32",
    );
    assert.deepEqual(loaded.progress, saved.progress);
    const full = join(dir, "full");
    await saveCheckpoint(full, saved);
    const sizes = async (d: string) => (await Deno.stat(join(d, CHECKPOINT_FILES.model))).size;
    assert.ok((await sizes(out)) < 0.6 * (await sizes(full)));
    assert.equal((await loadCheckpoint(full)).shipped, false);

    // A shipped config over float64 weights, or an unknown marker, is refused by name.
    const mixed = join(dir, "mixed");
    await Deno.mkdir(mixed);
    await Deno.copyFile(join(out, CHECKPOINT_FILES.config), join(mixed, CHECKPOINT_FILES.config));
    await Deno.copyFile(join(full, CHECKPOINT_FILES.model), join(mixed, CHECKPOINT_FILES.model));
    await assertLoadFails(mixed, "must be F32", "shipped float32 model");
    const config = JSON.parse(await Deno.readTextFile(join(out, CHECKPOINT_FILES.config)));
    await Deno.writeTextFile(
      join(out, CHECKPOINT_FILES.config),
      JSON.stringify({ ...config, shipped: "F16" }),
    );
    await assertLoadFails(out, 'shipped must be "F32"');
    // A training checkpoint still needs its optimiser file.
    await Deno.remove(join(full, CHECKPOINT_FILES.optimizer));
    await assertLoadFails(full, "optimizer.safetensors is missing");
  });
});
