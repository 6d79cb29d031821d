import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import { NGRAM_CONTEXT_BITS, ngramOptimumBits, ngramsTask } from "../tasks/ngrams.ts";

Deno.test("ngramsTask() describes the paper's dynamic N-grams task", () => {
  const task = ngramsTask();
  assert.equal(task.name, "ngrams");
  assert.equal(task.inputSize, 1);
  assert.equal(task.outputSize, 1);
  assert.equal(task.outputKind, "sigmoid");
  assert.equal(task.lengthMeaning, "bits");
  assert.deepEqual(task.defaultRange, { minLen: 200, maxLen: 200 });
  assert.equal(NGRAM_CONTEXT_BITS, 5);
});

Deno.test("ngramsTask().generate() predicts each next bit and pads shorter episodes", () => {
  const e = ngramsTask().generate(new Rng(6), 12, { minLen: 2, maxLen: 40 });
  const T = e.steps;
  assert.equal(T, Math.max(...e.lengths));
  assert.equal(e.optimumBits.length, 12);
  const lengths = new Set<number>();
  for (let b = 0; b < e.batch; b++) {
    const len = e.lengths[b]!;
    lengths.add(len);
    assert.ok(len >= 1 && len <= 39, `episode ${b} has ${len} steps`);
    for (let t = 0; t < T; t++) {
      const x = e.input[b * T + t]!, y = e.target[b * T + t]!;
      assert.equal(e.mask[b * T + t], t < len ? 1 : 0, `mask ${b}/${t}`);
      if (t < len) {
        assert.ok(x === 0 || x === 1);
        assert.ok(y === 0 || y === 1);
        if (t + 1 < len) assert.equal(e.input[b * T + t + 1], y, `target ${b}/${t} is the next input`);
      } else {
        assert.equal(x, 0);
        assert.equal(y, 0);
      }
    }
  }
  assert.ok(lengths.size > 1, "lengths should vary");
});

Deno.test("ngramsTask().generate() draws the lengths, then each table, first bits and later bits", () => {
  const e = ngramsTask().generate(new Rng(21), 2, { minLen: 8, maxLen: 30 });
  const rng = new Rng(21);
  const Ls = [rng.int(8, 30), rng.int(8, 30)];
  for (let b = 0; b < 2; b++) {
    const L = Ls[b]!;
    assert.equal(e.lengths[b], L - 1);
    const table = Array.from({ length: 32 }, () => rng.betaHalfHalf());
    const s: number[] = [];
    for (let t = 0; t < L; t++) {
      if (t < 5) s.push(rng.bit());
      else {
        const context = 16 * s[t - 5]! + 8 * s[t - 4]! + 4 * s[t - 3]! + 2 * s[t - 2]! + s[t - 1]!;
        s.push(rng.uniform() < table[context]! ? 1 : 0);
      }
    }
    const got = [...e.input.subarray(b * e.steps, b * e.steps + L - 1), e.target[b * e.steps + L - 2]!];
    assert.deepEqual(got, s);
    assert.equal(e.optimumBits[b], ngramOptimumBits(s));
  }
});

Deno.test("ngramOptimumBits() follows paper eq. 10", () => {
  assert.equal(ngramOptimumBits([0]), 0);
  assert.equal(ngramOptimumBits([0, 1]), 1);
  // Bits 1..4 cost 1 bit each; bit 5 sees context 00000 for the first time: p = ½.
  assert.equal(ngramOptimumBits([0, 0, 0, 0, 0, 0]), 5);
  // Bit 6 sees context 00000 once followed by 0: p(0) = (1 + ½)/(1 + 1) = ¾.
  assert.ok(Math.abs(ngramOptimumBits([0, 0, 0, 0, 0, 0, 0]) - (5 - Math.log2(0.75))) < 1e-12);
  // Then followed by a 1: p(1) = (0 + ½)/(2 + 1) = 1/6.
  assert.ok(
    Math.abs(ngramOptimumBits([0, 0, 0, 0, 0, 0, 0, 1]) - (5 - Math.log2(0.75) - Math.log2(1 / 6))) < 1e-12,
  );
  // Counts are per context: 11111 is new after 00000 has been seen.
  assert.equal(ngramOptimumBits([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]), 4 + 1 + 4 * 1 + 1);
});

Deno.test("ngramsTask().generate() has an optimum near the paper's 133 bits per 200-bit sequence", () => {
  const e = ngramsTask().generate(new Rng(2014), 1000, { minLen: 200, maxLen: 200 });
  const mean = e.optimumBits.reduce((s, v) => s + v, 0) / e.batch;
  assert.ok(mean > 125 && mean < 141, `mean optimum is ${mean} bits, the paper's is 133`);
  // Uniform bits would cost 199 bits: the sequences really follow a 6-gram table.
  assert.ok(e.optimumBits.every((v) => v < 199));
});

Deno.test("ngramsTask().generate() is deterministic given the seed", () => {
  const task = ngramsTask();
  const range = { minLen: 100, maxLen: 200 };
  const a = task.generate(new Rng(42), 4, range), b = task.generate(new Rng(42), 4, range);
  assert.deepEqual(a, b);
  const c = task.generate(new Rng(43), 4, range);
  assert.notDeepEqual(a.input, c.input);
  assert.notDeepEqual(a.optimumBits, c.optimumBits);
});

Deno.test("ngramsTask().generate() rejects bad arguments", async (t) => {
  await t.step("one bit", () => {
    assert.throws(() => ngramsTask().generate(new Rng(1), 1, { minLen: 1, maxLen: 200 }), {
      name: "RangeError",
      message: /Cannot generate ngrams episodes: minLen must be an integer ≥ 2, got 1/,
    });
  });
  await t.step("minLen > maxLen", () => {
    assert.throws(() => ngramsTask().generate(new Rng(1), 1, { minLen: 200, maxLen: 100 }), {
      name: "RangeError",
      message: /minLen must be ≤ maxLen, got minLen 200 > maxLen 100/,
    });
  });
  await t.step("batch NaN", () => {
    assert.throws(() => ngramsTask().generate(new Rng(1), NaN, { minLen: 200, maxLen: 200 }), {
      name: "RangeError",
      message: /batch must be a positive integer, got NaN/,
    });
  });
});
