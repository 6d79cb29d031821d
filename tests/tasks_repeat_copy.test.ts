import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { normaliseRepeats, repeatCopyTask } from "../tasks/repeat_copy.ts";

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

/** The repeat count an episode's count channel encodes, under the default training range 1..10. */
function decodeRepeats(z: number): number {
  return Math.round(z * Math.sqrt(8.25) + 5.5);
}

Deno.test("repeatCopyTask() describes the paper's repeat-copy task", () => {
  const task = repeatCopyTask();
  assert.equal(task.name, "repeat-copy");
  assert.equal(task.inputSize, 10);
  assert.equal(task.outputSize, 9);
  assert.equal(task.outputKind, "sigmoid");
  assert.equal(task.lengthMeaning, "sequence length");
  assert.deepEqual(task.defaultRange, { minLen: 1, maxLen: 10 });
  assert.deepEqual([task.minRepeats, task.maxRepeats, task.fixedRepeats], [1, 10, null]);
  assert.equal(repeatCopyTask({ repeats: 20 }).fixedRepeats, 20);
});

Deno.test("normaliseRepeats() has mean 0 and variance 1 over the training counts", () => {
  for (const [lo, hi] of [[1, 10], [3, 7], [2, 3]] as const) {
    const zs = Array.from({ length: hi - lo + 1 }, (_, i) => normaliseRepeats(lo + i, lo, hi));
    const mean = zs.reduce((s, z) => s + z, 0) / zs.length;
    const variance = zs.reduce((s, z) => s + (z - mean) ** 2, 0) / zs.length;
    assert.ok(Math.abs(mean) < 1e-12, `mean over ${lo}..${hi} is ${mean}`);
    assert.ok(Math.abs(variance - 1) < 1e-12, `variance over ${lo}..${hi} is ${variance}`);
  }
  assert.equal(normaliseRepeats(10), 4.5 / Math.sqrt(8.25));
  assert.equal(normaliseRepeats(20), 14.5 / Math.sqrt(8.25));
  assert.equal(normaliseRepeats(4, 3, 3), 1);
});

Deno.test("repeatCopyTask().generate() lays out one episode exactly", () => {
  const rng = scripted({ ints: [2, 3], bits: [1, 0, 1, 1] });
  const e = repeatCopyTask({ bits: 2 }).generate(rng, 1, { minLen: 1, maxLen: 10 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 10);
  assert.equal(e.inputSize, 4);
  assert.equal(e.outputSize, 3);
  assert.deepEqual(e.lengths, Int32Array.from([10]));
  const z = normaliseRepeats(3);
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0, 0, 0,
    1, 1, 0, 0,
    0, 0, 1, z,
    ...new Array(7 * 4).fill(0),
  ]));
  // deno-fmt-ignore
  assert.deepEqual(e.target, Float32Array.from([
    0, 0, 0,  0, 0, 0,  0, 0, 0,
    1, 0, 0,  1, 1, 0,
    1, 0, 0,  1, 1, 0,
    1, 0, 0,  1, 1, 0,
    0, 0, 1,
  ]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 0, 1, 1, 1, 1, 1, 1, 1]));
});

Deno.test("repeatCopyTask().generate() pads shorter episodes with zeros", () => {
  const rng = scripted({ ints: [1, 1, 2, 1], bits: [1, 0, 1] });
  const e = repeatCopyTask({ bits: 1 }).generate(rng, 2, { minLen: 1, maxLen: 2 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 6);
  assert.deepEqual(e.lengths, Int32Array.from([4, 6]));
  const z = normaliseRepeats(1);
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0, 0,  0, 1, z,  0, 0, 0,  0, 0, 0,  0, 0, 0,  0, 0, 0,
    0, 0, 0,  1, 0, 0,  0, 1, z,  0, 0, 0,  0, 0, 0,  0, 0, 0,
  ]));
  // deno-fmt-ignore
  assert.deepEqual(e.target, Float32Array.from([
    0, 0,  0, 0,  1, 0,  0, 1,  0, 0,  0, 0,
    0, 0,  0, 0,  0, 0,  0, 0,  1, 0,  0, 1,
  ]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]));
});

Deno.test("repeatCopyTask().generate() targets the sequence n times, then the end marker", () => {
  const e = repeatCopyTask().generate(new Rng(5), 64, { minLen: 1, maxLen: 10 });
  const { steps: T, inputSize: X, outputSize: Y } = e;
  const seen = new Set<number>();
  for (let b = 0; b < e.batch; b++) {
    let L = -1;
    for (let t = 0; t < T && L < 0; t++) if (e.input[(b * T + t) * X + 8] === 1) L = t;
    assert.ok(L >= 1 && L <= 10, `episode ${b} has its delimiter at ${L}`);
    const n = decodeRepeats(e.input[(b * T + L) * X + 9]!);
    assert.ok(n >= 1 && n <= 10);
    seen.add(n);
    assert.equal(e.lengths[b], (n + 1) * L + 2);
    const end = L + 1 + n * L;
    for (let t = 0; t < T; t++) {
      assert.equal(e.mask[b * T + t], t > L && t <= end ? 1 : 0, `mask of episode ${b} step ${t}`);
      assert.equal(e.target[(b * T + t) * Y + 8], t === end ? 1 : 0, `end marker of episode ${b} step ${t}`);
      if (t > L && t < end) {
        const from = (t - L - 1) % L;
        for (let c = 0; c < 8; c++) {
          assert.equal(e.target[(b * T + t) * Y + c], e.input[(b * T + from) * X + c]);
        }
      }
      if (t !== L) assert.equal(e.input[(b * T + t) * X + 9], 0);
    }
  }
  assert.equal(seen.size, 10, `all counts 1..10 should be drawn, got ${[...seen]}`);
});

Deno.test("repeatCopyTask({ repeats }) fixes the count and keeps the training scale", () => {
  const task = repeatCopyTask({ repeats: 20 });
  const e = task.generate(new Rng(2), 3, { minLen: 10, maxLen: 10 });
  assert.deepEqual(e.lengths, Int32Array.from([212, 212, 212]));
  for (let b = 0; b < 3; b++) {
    assert.equal(e.input[(b * e.steps + 10) * 10 + 9], Math.fround(normaliseRepeats(20)));
    assert.equal(e.target[(b * e.steps + 211) * 9 + 8], 1);
  }
  const other = repeatCopyTask({ minRepeats: 2, maxRepeats: 4, repeats: 3 });
  const f = other.generate(new Rng(2), 1, { minLen: 1, maxLen: 1 });
  assert.equal(f.input[1 * 10 + 9], 0);
});

Deno.test("repeatCopyTask().generate() draws each length and count, then the bits", () => {
  const e = repeatCopyTask({ bits: 2 }).generate(new Rng(9), 3, { minLen: 1, maxLen: 5 });
  const rng = new Rng(9);
  const drawn = [0, 1, 2].map(() => [rng.int(1, 5), rng.int(1, 10)] as const);
  for (let b = 0; b < 3; b++) {
    const [L, n] = drawn[b]!;
    assert.equal(e.lengths[b], (n + 1) * L + 2);
    for (let t = 0; t < L; t++) {
      for (let c = 0; c < 2; c++) assert.equal(e.input[(b * e.steps + t) * 4 + c], rng.bit());
    }
  }
});

Deno.test("repeatCopyTask().generate() is deterministic given the seed", () => {
  const task = repeatCopyTask();
  const range = { minLen: 1, maxLen: 10 };
  const a = task.generate(new Rng(42), 8, range), b = task.generate(new Rng(42), 8, range);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.input, task.generate(new Rng(43), 8, range).input);
});

Deno.test("repeatCopyTask() rejects bad options and generate() bad arguments", async (t) => {
  await t.step("minRepeats > maxRepeats", () => {
    assert.throws(() => repeatCopyTask({ minRepeats: 5, maxRepeats: 2 }), {
      name: "RangeError",
      message:
        /Cannot create the repeat-copy task: minRepeats must be ≤ maxRepeats, got minRepeats 5 > maxRepeats 2/,
    });
  });
  await t.step("repeats 0", () => {
    assert.throws(() => repeatCopyTask({ repeats: 0 }), {
      name: "RangeError",
      message: /repeats must be a positive integer, got 0/,
    });
  });
  await t.step("bits -1", () => {
    assert.throws(() => repeatCopyTask({ bits: -1 }), { name: "RangeError", message: /bits .* got -1/ });
  });
  await t.step("minLen > maxLen", () => {
    assert.throws(() => repeatCopyTask().generate(new Rng(1), 1, { minLen: 4, maxLen: 2 }), {
      name: "RangeError",
      message: /Cannot generate repeat-copy episodes: minLen must be ≤ maxLen/,
    });
  });
  await t.step("batch -3", () => {
    assert.throws(() => repeatCopyTask().generate(new Rng(1), -3, { minLen: 1, maxLen: 2 }), {
      name: "RangeError",
      message: /batch must be a positive integer, got -3/,
    });
  });
});
