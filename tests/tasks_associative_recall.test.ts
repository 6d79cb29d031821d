import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { associativeRecallTask } from "../tasks/associative_recall.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";

/** An Rng stand-in that replays scripted draws, so layouts can be checked by hand. */
function scripted(draws: { ints?: number[]; bits?: (0 | 1)[] }): Rng & { left(): number } {
  const ints = [...(draws.ints ?? [])], bits = [...(draws.bits ?? [])];
  return {
    int(lo: number, hi: number): number {
      const v = ints.shift();
      assert.ok(v !== undefined, "unscripted int() draw");
      assert.ok(lo <= v && v <= hi, `scripted int ${v} outside [${lo}, ${hi}]`);
      return v;
    },
    bit(): 0 | 1 {
      const v = bits.shift();
      assert.ok(v !== undefined, "unscripted bit() draw");
      return v;
    },
    left: () => ints.length + bits.length,
  } as unknown as Rng & { left(): number };
}

/** The `count` rows of `width` values of episode b from step t on, flattened. */
function rows(
  a: Float32Array,
  e: EpisodeBatch,
  width: number,
  b: number,
  t: number,
  count: number,
): number[] {
  const start = (b * e.steps + t) * width;
  return [...a.subarray(start, start + count * width)];
}

/** The data channels (0..bits−1) of `count` input steps of episode b from step t on. */
function inputBits(e: EpisodeBatch, bits: number, b: number, t: number, count: number): number[] {
  const out: number[] = [];
  for (let s = t; s < t + count; s++) out.push(...rows(e.input, e, e.inputSize, b, s, 1).slice(0, bits));
  return out;
}

Deno.test("associativeRecallTask() describes the paper's associative-recall task", () => {
  const task = associativeRecallTask();
  assert.equal(task.name, "associative-recall");
  assert.equal(task.inputSize, 8);
  assert.equal(task.outputSize, 6);
  assert.equal(task.outputKind, "sigmoid");
  assert.equal(task.lengthMeaning, "items");
  assert.deepEqual(task.defaultRange, { minLen: 2, maxLen: 6 });
  assert.ok(task.evalLengths.includes(12) && task.evalLengths.includes(15));
});

Deno.test("associativeRecallTask().generate() lays out one episode exactly", () => {
  const rng = scripted({ ints: [2, 0], bits: [1, 0, 0, 1, 1, 1, 1, 0] });
  const e = associativeRecallTask({ bits: 2, itemSize: 2 }).generate(rng, 1, { minLen: 2, maxLen: 6 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 12);
  assert.equal(e.inputSize, 4);
  assert.equal(e.outputSize, 2);
  assert.deepEqual(e.lengths, Int32Array.from([12]));
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    0, 0, 1, 0, // item 0 delimiter
    1, 0, 0, 0,
    0, 1, 0, 0,
    0, 0, 1, 0, // item 1 delimiter
    1, 1, 0, 0,
    1, 0, 0, 0,
    0, 0, 0, 1, // query delimiter
    1, 0, 0, 0, // query: item 0
    0, 1, 0, 0,
    0, 0, 0, 1, // query delimiter
    0, 0, 0, 0,
    0, 0, 0, 0,
  ]));
  assert.deepEqual(e.target, Float32Array.from([...new Array(20).fill(0), 1, 1, 1, 0]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1]));
});

Deno.test("associativeRecallTask().generate() targets the item after the query", () => {
  const e = associativeRecallTask().generate(new Rng(8), 64, { minLen: 2, maxLen: 6 });
  const { steps: T, inputSize: X } = e;
  const queried = new Map<number, Set<number>>();
  for (let b = 0; b < e.batch; b++) {
    const len = e.lengths[b]!;
    assert.equal((len - 8) % 4, 0);
    const n = (len - 8) / 4;
    assert.ok(n >= 2 && n <= 6);
    for (let t = 0; t < T; t++) {
      const isItemDelim = t < 4 * n && t % 4 === 0;
      const isQueryDelim = t === 4 * n || t === 4 * n + 4;
      assert.equal(e.input[(b * T + t) * X + 6], isItemDelim ? 1 : 0, `item delimiter ${b}/${t}`);
      assert.equal(e.input[(b * T + t) * X + 7], isQueryDelim ? 1 : 0, `query delimiter ${b}/${t}`);
      assert.equal(e.mask[b * T + t], t >= 4 * n + 5 && t < len ? 1 : 0, `mask ${b}/${t}`);
      if (t >= len) {
        assert.deepEqual(rows(e.input, e, X, b, t, 1), new Array(X).fill(0));
        assert.deepEqual(rows(e.target, e, 6, b, t, 1), new Array(6).fill(0));
      }
    }
    const query = inputBits(e, 6, b, 4 * n + 1, 3);
    const q = Array.from({ length: n }, (_, i) => i).find((i) =>
      JSON.stringify(inputBits(e, 6, b, 4 * i + 1, 3)) === JSON.stringify(query)
    );
    assert.ok(
      q !== undefined && q <= n - 2,
      `episode ${b}: query must be one of items 0..${n - 2}, got ${q}`,
    );
    assert.deepEqual(rows(e.target, e, 6, b, 4 * n + 5, 3), inputBits(e, 6, b, 4 * (q + 1) + 1, 3));
    assert.deepEqual(inputBits(e, 6, b, 4 * n + 5, 3), new Array(18).fill(0));
    if (!queried.has(n)) queried.set(n, new Set());
    queried.get(n)!.add(q);
  }
  assert.ok((queried.get(4)?.size ?? 0) >= 2, "queries should vary over the items");
});

Deno.test("associativeRecallTask().generate() draws the counts, then each episode's bits and query", () => {
  const e = associativeRecallTask({ bits: 2, itemSize: 1 }).generate(new Rng(4), 3, { minLen: 3, maxLen: 5 });
  const rng = new Rng(4);
  const counts = [rng.int(3, 5), rng.int(3, 5), rng.int(3, 5)];
  for (let b = 0; b < 3; b++) {
    const n = counts[b]!;
    assert.equal(e.lengths[b], 2 * n + 4);
    const items = Array.from({ length: n }, () => [rng.bit(), rng.bit()]);
    const q = rng.int(0, n - 2);
    for (let i = 0; i < n; i++) assert.deepEqual(inputBits(e, 2, b, 2 * i + 1, 1), items[i]);
    assert.deepEqual(inputBits(e, 2, b, 2 * n + 1, 1), items[q]);
    assert.deepEqual(rows(e.target, e, 2, b, 2 * n + 3, 1), items[q + 1]);
  }
});

Deno.test("associativeRecallTask().generate() is deterministic given the seed", () => {
  const task = associativeRecallTask();
  const range = { minLen: 2, maxLen: 6 };
  const a = task.generate(new Rng(42), 8, range), b = task.generate(new Rng(42), 8, range);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.input, task.generate(new Rng(43), 8, range).input);
});

Deno.test("associativeRecallTask() rejects bad options and generate() bad arguments", async (t) => {
  await t.step("one item", () => {
    assert.throws(() => associativeRecallTask().generate(new Rng(1), 1, { minLen: 1, maxLen: 3 }), {
      name: "RangeError",
      message: /Cannot generate associative-recall episodes: minLen must be an integer ≥ 2, got 1/,
    });
  });
  await t.step("itemSize 0", () => {
    assert.throws(() => associativeRecallTask({ itemSize: 0 }), {
      name: "RangeError",
      message: /itemSize must be a positive integer, got 0/,
    });
  });
  await t.step("range not an object", () => {
    assert.throws(
      () => associativeRecallTask().generate(new Rng(1), 1, null as unknown as { minLen: 2; maxLen: 2 }),
      { name: "TypeError", message: /range must be an object/ },
    );
  });
});
