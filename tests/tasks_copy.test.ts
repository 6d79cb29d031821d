import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { copyTask } from "../tasks/copy.ts";

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

Deno.test("copyTask() describes the paper's copy task", () => {
  const task = copyTask();
  assert.equal(task.name, "copy");
  assert.equal(task.inputSize, 9);
  assert.equal(task.outputSize, 8);
  assert.equal(task.outputKind, "sigmoid");
  assert.equal(task.lengthMeaning, "sequence length");
  assert.deepEqual(task.defaultRange, { minLen: 1, maxLen: 20 });
  assert.deepEqual(task.evalLengths, [10, 20, 30, 40, 50, 120]);
  assert.equal(copyTask({ bits: 3 }).inputSize, 4);
  assert.equal(copyTask({ bits: 3 }).outputSize, 3);
});

Deno.test("copyTask().generate() lays out one episode exactly", () => {
  const rng = scripted({ ints: [2], bits: [1, 0, 1, 0, 1, 1] });
  const e = copyTask({ bits: 3 }).generate(rng, 1, { minLen: 1, maxLen: 4 });
  assert.equal(rng.left(), 0);
  assert.equal(e.batch, 1);
  assert.equal(e.steps, 5);
  assert.equal(e.inputSize, 4);
  assert.equal(e.outputSize, 3);
  assert.deepEqual(e.lengths, Int32Array.from([5]));
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0, 1, 0,
    0, 1, 1, 0,
    0, 0, 0, 1,
    0, 0, 0, 0,
    0, 0, 0, 0,
  ]));
  // deno-fmt-ignore
  assert.deepEqual(e.target, Float32Array.from([
    0, 0, 0,
    0, 0, 0,
    0, 0, 0,
    1, 0, 1,
    0, 1, 1,
  ]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 0, 1, 1]));
});

Deno.test("copyTask().generate() pads shorter episodes with zeros", () => {
  const rng = scripted({ ints: [1, 2], bits: [1, 1, 0] });
  const e = copyTask({ bits: 1 }).generate(rng, 2, { minLen: 1, maxLen: 2 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 5);
  assert.deepEqual(e.lengths, Int32Array.from([3, 5]));
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0,  0, 1,  0, 0,  0, 0,  0, 0,
    1, 0,  0, 0,  0, 1,  0, 0,  0, 0,
  ]));
  assert.deepEqual(e.target, Float32Array.from([0, 0, 1, 0, 0, 0, 0, 0, 1, 0]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 1, 0, 0, 0, 0, 0, 1, 1]));
});

Deno.test("copyTask().generate() targets the input sequence after the delimiter", () => {
  const task = copyTask();
  const e = task.generate(new Rng(3), 16, { minLen: 1, maxLen: 20 });
  const { steps: T, inputSize: X, outputSize: Y } = e;
  let ones = 0, total = 0;
  for (let b = 0; b < e.batch; b++) {
    const len = e.lengths[b]!;
    assert.equal(len % 2, 1);
    const L = (len - 1) / 2;
    assert.ok(L >= 1 && L <= 20);
    for (let t = 0; t < T; t++) {
      const m = e.mask[b * T + t]!;
      assert.equal(m, t > L && t < len ? 1 : 0, `mask of episode ${b} step ${t}`);
      assert.equal(e.input[(b * T + t) * X + 8], t === L ? 1 : 0, `delimiter of episode ${b} step ${t}`);
      for (let c = 0; c < 8; c++) {
        const x = e.input[(b * T + t) * X + c]!, y = e.target[(b * T + t) * Y + c]!;
        if (t < L) {
          assert.equal(e.target[(b * T + L + 1 + t) * Y + c], x);
          ones += x;
          total++;
        } else assert.equal(x, 0);
        if (t <= L || t >= len) assert.equal(y, 0);
      }
    }
  }
  assert.ok(Math.abs(ones / total - 0.5) < 0.05, `bits should be fair coins, got mean ${ones / total}`);
  assert.equal(e.steps, Math.max(...e.lengths));
});

Deno.test("copyTask().generate() draws lengths first, then bits by step and channel", () => {
  const e = copyTask({ bits: 2 }).generate(new Rng(11), 3, { minLen: 1, maxLen: 4 });
  const rng = new Rng(11);
  const Ls = [rng.int(1, 4), rng.int(1, 4), rng.int(1, 4)];
  for (let b = 0; b < 3; b++) {
    const L = Ls[b]!;
    assert.equal(e.lengths[b], 2 * L + 1);
    for (let t = 0; t < L; t++) {
      for (let c = 0; c < 2; c++) assert.equal(e.input[(b * e.steps + t) * 3 + c], rng.bit());
    }
  }
});

Deno.test("copyTask().generate() is deterministic given the seed", () => {
  const task = copyTask();
  const range = { minLen: 1, maxLen: 20 };
  const a = task.generate(new Rng(42), 8, range), b = task.generate(new Rng(42), 8, range);
  assert.deepEqual(a, b);
  const c = task.generate(new Rng(43), 8, range);
  assert.notDeepEqual(a.input, c.input);
});

Deno.test("copyTask() rejects bad options and generate() bad arguments", () => {
  const task = copyTask();
  const rng = new Rng(1);
  assert.throws(() => copyTask({ bits: 0 }), {
    name: "RangeError",
    message: /bits must be a positive integer, got 0/,
  });
  assert.throws(() => task.generate(rng, 0, { minLen: 1, maxLen: 2 }), {
    name: "RangeError",
    message: /Cannot generate copy episodes: batch must be a positive integer, got 0/,
  });
  assert.throws(() => task.generate(rng, 1.5, { minLen: 1, maxLen: 2 }), {
    name: "RangeError",
    message: /batch/,
  });
  assert.throws(() => task.generate(rng, "2" as unknown as number, { minLen: 1, maxLen: 2 }), {
    name: "TypeError",
    message: /batch must be a positive integer, got "2"/,
  });
  assert.throws(() => task.generate(rng, 1, { minLen: 5, maxLen: 3 }), {
    name: "RangeError",
    message: /Cannot generate copy episodes: minLen must be ≤ maxLen, got minLen 5 > maxLen 3/,
  });
  assert.throws(() => task.generate(rng, 1, { minLen: 0, maxLen: 3 }), {
    name: "RangeError",
    message: /minLen must be a positive integer, got 0/,
  });
  assert.throws(() => task.generate(rng, 1, { minLen: 1, maxLen: 2.5 }), {
    name: "RangeError",
    message: /maxLen must be a positive integer, got 2.5/,
  });
});
