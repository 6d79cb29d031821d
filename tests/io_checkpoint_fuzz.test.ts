/**
 * The checkpoint loader against 1,200 random corruptions of a real checkpoint: truncations, byte flips,
 * safetensors header lengths, tensor offsets, dtypes and shapes, and config.json fields. Every load must
 * either succeed with finite parameters of the right count or fail with a CheckpointError; nothing may throw
 * anything else, hang, or make the process grow by more than the files could justify.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CheckpointError, loadCheckpoint, saveCheckpoint } from "../src/io/checkpoint.ts";
import { ntmConfig } from "../src/model/config.ts";
import { initParameters } from "../src/model/init.ts";
import { parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { createOptimizer } from "../src/optim/optimizer.ts";

const FILES = ["model.safetensors", "optimizer.safetensors", "config.json"] as const;
const ITERATIONS = 1200;

/** A value to plant in a JSON field: wrong types, huge and negative numbers, and plausible neighbours. */
function wildValue(rng: Rng, current: unknown): unknown {
  const n = typeof current === "number" ? current : 1;
  const choices: unknown[] = [
    null,
    "x",
    -1,
    0,
    n + 1,
    n * 1000,
    1e9,
    2 ** 53,
    1e308,
    -n,
    0.5,
    [],
    {},
    true,
    String(n),
  ];
  return choices[rng.int(0, choices.length - 1)];
}

/** Every path to a leaf of a JSON value. */
function leaves(value: unknown, path: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== "object") return [path];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return entries.flatMap(([k, v]) => leaves(v, [...path, k]));
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string | number, unknown>;
  node[path.at(-1)!] = value;
}

/** A safetensors file with its JSON header edited by `edit` (the length prefix rewritten to match). */
function editHeader(bytes: Uint8Array, edit: (header: Record<string, unknown>) => void): Uint8Array {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length)));
  edit(header);
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + bytes.length - 8 - length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(bytes.subarray(8 + length), 8 + text.length);
  return out;
}

/** config.json with one leaf set to a wild value. */
function configField(rng: Rng, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const config = JSON.parse(new TextDecoder().decode(bytes));
  const all = leaves(config);
  const path = all[rng.int(0, all.length - 1)]!;
  const current = path.reduce(
    (v: unknown, k) => (v as Record<string | number, unknown> | undefined)?.[k],
    config as unknown,
  );
  const value = wildValue(rng, current);
  setAt(config, path, value);
  return { bytes: new TextEncoder().encode(JSON.stringify(config)), what: `${path.join(".")} = ${value}` };
}

/** A safetensors file whose 8-byte header length is replaced. */
function headerLength(rng: Rng, out: Uint8Array, size: number): { bytes: Uint8Array; what: string } {
  const length = [0, 1, 7, 2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER, size * 2][rng.int(0, 6)]!;
  new DataView(out.buffer).setBigUint64(0, BigInt(length), true);
  return { bytes: out, what: `header length ${length}` };
}

function corrupt(rng: Rng, file: string, bytes: Uint8Array): { bytes: Uint8Array; what: string } {
  const kind = rng.int(0, file === "config.json" ? 3 : 6);
  const out = bytes.slice();
  switch (kind) {
    case 0: {
      const at = rng.int(0, bytes.length);
      return { bytes: bytes.slice(0, at), what: `truncated to ${at}` };
    }
    case 1: {
      const flips = rng.int(1, 4);
      for (let i = 0; i < flips; i++) out[rng.int(0, out.length - 1)]! ^= 1 << rng.int(0, 7);
      return { bytes: out, what: `${flips} bit flips` };
    }
    case 2: {
      const extra = new Uint8Array(rng.int(1, 64)).map(() => rng.int(0, 255));
      return { bytes: new Uint8Array([...bytes, ...extra]), what: `${extra.length} bytes appended` };
    }
    case 3:
      return file === "config.json" ? configField(rng, bytes) : headerLength(rng, out, bytes.length);
    case 4:
      return headerLength(rng, out, bytes.length);
    case 5:
      return {
        bytes: editHeader(bytes, (h) => {
          const names = Object.keys(h).filter((k) => k !== "__metadata__");
          const t = h[names[rng.int(0, names.length - 1)]!] as { data_offsets: number[] };
          t.data_offsets = [[0, 2 ** 40], [8, 4], [-8, 16], [0, 1e300]][rng.int(0, 3)]!;
        }),
        what: "offsets",
      };
    default:
      return {
        bytes: editHeader(bytes, (h) => {
          const names = Object.keys(h).filter((k) => k !== "__metadata__");
          const t = h[names[rng.int(0, names.length - 1)]!] as { dtype: string; shape: number[] };
          if (rng.bit()) t.dtype = ["F16", "I64", "F32", "BOOL", ""][rng.int(0, 4)]!;
          else t.shape = [[1e9, 1e9], [0], [-1], [t.shape[0]! + 1], []][rng.int(0, 4)]!;
        }),
        what: "dtype or shape",
      };
  }
}

Deno.test(`loadCheckpoint() survives ${ITERATIONS} random corruptions with CheckpointErrors only`, async () => {
  const dir = await Deno.makeTempDir({ prefix: "ntm-fuzz-" });
  try {
    const config = ntmConfig({ inputSize: 9, outputSize: 8, controllerSize: 6, memoryN: 8, memoryM: 4 });
    const layout = parameterLayout(config);
    const optimizer = createOptimizer("rmsprop", layout.size, { learningRate: 1e-3 });
    const good = join(dir, "good");
    await saveCheckpoint(good, {
      config,
      training: {
        task: "copy",
        preset: "quick",
        backend: "cpu",
        range: { minLen: 1, maxLen: 3 },
        batch: 1,
        steps: 10,
        seed: 1,
        evalSeed: 2,
        memorySeed: 3,
        reportEvery: 5,
        evalEpisodes: 2,
        stopAtBitErrors: null,
        optimizer: { name: "rmsprop", options: optimizer.options },
      },
      progress: {
        step: 5,
        sequences: 5,
        seconds: 1,
        dataRng: new Rng(1).getState(),
        memoryRng: new Rng(3).getState(),
        costBits: 1,
        bitErrors: 0,
      },
      params: initParameters(config, layout, 1),
      optimizer: { name: "rmsprop", step: optimizer.state.step, slots: optimizer.state.slots },
    });
    const originals = new Map<string, Uint8Array>();
    for (const f of FILES) originals.set(f, await Deno.readFile(join(good, f)));
    const rssBefore = Deno.memoryUsage().rss;
    const rng = new Rng(2026);
    const started = performance.now();
    let refused = 0;
    const target = join(dir, "target");
    await Deno.mkdir(target);
    for (let i = 0; i < ITERATIONS; i++) {
      const file = FILES[rng.int(0, FILES.length - 1)]!;
      for (const f of FILES) await Deno.writeFile(join(target, f), originals.get(f)!);
      const { bytes, what } = corrupt(rng, file, originals.get(file)!);
      await Deno.writeFile(join(target, file), bytes);
      try {
        const loaded = await loadCheckpoint(target);
        assert.equal(loaded.params.length, loaded.layout.size, `${file}: ${what}`);
        assert.ok(loaded.params.every(Number.isFinite), `${file}: ${what}`);
      } catch (error) {
        if (!(error instanceof CheckpointError)) {
          throw new Error(`iteration ${i}, ${file} (${what}): ${error}`, { cause: error });
        }
        assert.doesNotMatch(error.message, /\n/, `one line: ${file} (${what}): ${error.message}`);
        refused++;
      }
    }
    const seconds = (performance.now() - started) / 1000;
    assert.ok(seconds < 60, `${ITERATIONS} loads took ${seconds.toFixed(1)} s`);
    assert.ok(refused > ITERATIONS * 0.9, `only ${refused} of ${ITERATIONS} corruptions were refused`);
    const grown = Deno.memoryUsage().rss - rssBefore;
    assert.ok(grown < 512 * 2 ** 20, `the process grew by ${(grown / 2 ** 20).toFixed(0)} MiB`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
