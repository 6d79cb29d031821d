import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { prioritySortTask } from "../tasks/priority_sort.ts";

/** An Rng stand-in that replays scripted draws, so layouts can be checked by hand. */
function scripted(
  draws: { ints?: number[]; bits?: (0 | 1)[]; uniforms?: number[] },
): Rng & { left(): number } {
  const ints = [...(draws.ints ?? [])],
    bits = [...(draws.bits ?? [])],
    uniforms = [...(draws.uniforms ?? [])];
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
    uniform(): number {
      const v = uniforms.shift();
      assert.ok(v !== undefined, "unscripted uniform() draw");
      return v;
    },
    left: () => ints.length + bits.length + uniforms.length,
  } as unknown as Rng & { left(): number };
}

Deno.test("prioritySortTask() describes the paper's priority-sort task", () => {
  const task = prioritySortTask();
  assert.equal(task.name, "priority-sort");
  assert.equal(task.inputSize, 10);
  assert.equal(task.outputSize, 8);
  assert.equal(task.outputKind, "sigmoid");
  assert.equal(task.lengthMeaning, "input vectors");
  assert.deepEqual(task.defaultRange, { minLen: 20, maxLen: 20 });
  assert.deepEqual(task.evalLengths, [20]);
});

Deno.test("prioritySortTask().generate() lays out one episode exactly", () => {
  const rng = scripted({ ints: [3], bits: [1, 0, 0, 1, 1, 1], uniforms: [0.25, 0.875, 0.5] });
  const e = prioritySortTask({ bits: 2, outputs: 2 }).generate(rng, 1, { minLen: 1, maxLen: 20 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 6);
  assert.equal(e.inputSize, 4);
  assert.equal(e.outputSize, 2);
  assert.deepEqual(e.lengths, Int32Array.from([6]));
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0, -0.5, 0,
    0, 1, 0.75, 0,
    1, 1, 0, 0,
    0, 0, 0, 1, // go
    0, 0, 0, 0,
    0, 0, 0, 0,
  ]));
  assert.deepEqual(e.target, Float32Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 0, 0, 1, 1]));
});

Deno.test("prioritySortTask().generate() writes every input when fewer than outputs, and pads", () => {
  const rng = scripted({ ints: [1, 3], bits: [1, 0, 1, 1], uniforms: [0.5, 0.5, 0.75, 0.25] });
  const e = prioritySortTask({ bits: 1, outputs: 2 }).generate(rng, 2, { minLen: 1, maxLen: 3 });
  assert.equal(rng.left(), 0);
  assert.equal(e.steps, 6);
  assert.deepEqual(e.lengths, Int32Array.from([3, 6]));
  // deno-fmt-ignore
  assert.deepEqual(e.input, Float32Array.from([
    1, 0, 0,  0, 0, 1,  0, 0, 0,    0, 0, 0,  0, 0, 0,    0, 0, 0,
    0, 0, 0,  1, 0.5, 0,  1, -0.5, 0,  0, 0, 1,  0, 0, 0,  0, 0, 0,
  ]));
  assert.deepEqual(e.target, Float32Array.from([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0]));
  assert.deepEqual(e.mask, Float32Array.from([0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1]));
});

Deno.test("prioritySortTask().generate() targets the top vectors by descending priority", () => {
  const e = prioritySortTask().generate(new Rng(12), 32, { minLen: 10, maxLen: 24 });
  const { steps: T, inputSize: X, outputSize: Y } = e;
  for (let b = 0; b < e.batch; b++) {
    const len = e.lengths[b]!;
    const L = len > 2 * 16 ? len - 17 : (len - 1) / 2;
    const K = Math.min(16, L);
    assert.equal(len, L + 1 + K);
    const priorities: number[] = [];
    for (let t = 0; t < L; t++) {
      const p = e.input[(b * T + t) * X + 8]!;
      assert.ok(p >= -1 && p <= 1);
      priorities.push(p);
      assert.equal(e.input[(b * T + t) * X + 9], 0);
    }
    assert.ok(new Set(priorities).size > L / 2, "priorities should vary");
    assert.equal(e.input[(b * T + L) * X + 9], 1, `go step of episode ${b}`);
    // The expected order, worked out independently: repeatedly take the highest remaining priority.
    const remaining = priorities.map((p, i) => ({ p, i }));
    for (let k = 0; k < K; k++) {
      let best = 0;
      for (let j = 1; j < remaining.length; j++) if (remaining[j]!.p > remaining[best]!.p) best = j;
      const { i } = remaining.splice(best, 1)[0]!;
      const want = [...e.input.subarray((b * T + i) * X, (b * T + i) * X + 8)];
      const got = [...e.target.subarray((b * T + L + 1 + k) * Y, (b * T + L + 2 + k) * Y)];
      assert.deepEqual(got, want, `output ${k} of episode ${b} should be input ${i}`);
    }
    for (let t = 0; t < T; t++) {
      assert.equal(e.mask[b * T + t], t > L && t < len ? 1 : 0, `mask ${b}/${t}`);
      if (t >= len) {
        assert.ok(e.input.subarray((b * T + t) * X, (b * T + t + 1) * X).every((v) => v === 0));
        assert.ok(e.target.subarray((b * T + t) * Y, (b * T + t + 1) * Y).every((v) => v === 0));
      }
    }
  }
});

Deno.test("prioritySortTask().generate() draws the counts, then each vector's bits and priority", () => {
  const e = prioritySortTask({ bits: 2 }).generate(new Rng(31), 2, { minLen: 2, maxLen: 5 });
  const rng = new Rng(31);
  const counts = [rng.int(2, 5), rng.int(2, 5)];
  for (let b = 0; b < 2; b++) {
    const L = counts[b]!;
    assert.equal(e.lengths[b], 2 * L + 1);
    for (let t = 0; t < L; t++) {
      const row = (b * e.steps + t) * 4;
      assert.equal(e.input[row], rng.bit());
      assert.equal(e.input[row + 1], rng.bit());
      assert.equal(e.input[row + 2], Math.fround(2 * rng.uniform() - 1));
    }
  }
});

Deno.test("prioritySortTask().generate() is deterministic given the seed", () => {
  const task = prioritySortTask();
  const range = { minLen: 20, maxLen: 20 };
  const a = task.generate(new Rng(42), 4, range), b = task.generate(new Rng(42), 4, range);
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.input, task.generate(new Rng(43), 4, range).input);
});

Deno.test("prioritySortTask() rejects bad options and generate() bad arguments", async (t) => {
  await t.step("outputs 0", () => {
    assert.throws(() => prioritySortTask({ outputs: 0 }), {
      name: "RangeError",
      message: /Cannot create the priority-sort task: outputs must be a positive integer, got 0/,
    });
  });
  await t.step("bits as a string", () => {
    assert.throws(() => prioritySortTask({ bits: "8" as unknown as number }), {
      name: "TypeError",
      message: /bits must be a positive integer, got "8"/,
    });
  });
  await t.step("minLen > maxLen", () => {
    assert.throws(() => prioritySortTask().generate(new Rng(1), 2, { minLen: 21, maxLen: 20 }), {
      name: "RangeError",
      message: /Cannot generate priority-sort episodes: minLen must be ≤ maxLen, got minLen 21 > maxLen 20/,
    });
  });
});
