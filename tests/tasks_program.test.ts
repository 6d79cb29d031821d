import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import {
  decodeProgramText,
  encodeProgramEpisodes,
  encodeProgramText,
  generateProgram,
  generatePrograms,
  MAX_PROGRAM_LENGTH,
  MAX_PROGRAM_NESTING,
  PROGRAM_END,
  PROGRAM_GO,
  PROGRAM_OPERATIONS,
  PROGRAM_VOCABULARY,
  type ProgramBatch,
  programCharacters,
  programTask,
} from "../tasks/program.ts";
import {
  executeProgram,
  formatProgram,
  parseProgram,
  type ProgramStatement,
  runProgramSource,
} from "../tasks/program_interpreter.ts";

const V = PROGRAM_VOCABULARY.length;

/** Every (length, nesting) pair the generator accepts. */
function allDifficulties(): { length: number; nesting: number }[] {
  const out: { length: number; nesting: number }[] = [];
  for (let length = 1; length <= MAX_PROGRAM_LENGTH; length++) {
    for (let nesting = 1; nesting <= MAX_PROGRAM_NESTING; nesting++) out.push({ length, nesting });
  }
  return out;
}

/** The index of the single 1 in a one-hot row, or -1 for an all-zero row; fails on anything else. */
function hotIndex(row: Float32Array): number {
  let index = -1;
  for (let i = 0; i < row.length; i++) {
    if (row[i] === 0) continue;
    assert.equal(row[i], 1, `row has value ${row[i]} at ${i}`);
    assert.equal(index, -1, "row has two hot entries");
    index = i;
  }
  return index;
}

function inputRow(b: ProgramBatch, episode: number, t: number): Float32Array {
  const at = (episode * b.steps + t) * b.inputSize;
  return b.input.subarray(at, at + b.inputSize);
}

function targetRow(b: ProgramBatch, episode: number, t: number): Float32Array {
  const at = (episode * b.steps + t) * b.outputSize;
  return b.target.subarray(at, at + b.outputSize);
}

Deno.test("runProgramSource() computes hand-worked programs", async (t) => {
  await t.step("addition (the spec's example)", () => {
    assert.equal(runProgramSource("print(398345+42598)"), "440943");
  });
  await t.step("subtraction with a negative result", () => {
    assert.equal(runProgramSource("print(12345-67890)"), "-55545");
    assert.equal(runProgramSource("print(5-(9-2))"), "-2");
  });
  await t.step("multiplication by small numbers", () => {
    assert.equal(runProgramSource("print(4*(3*57))"), "684");
    assert.equal(runProgramSource("print(2*(189207351-(111767115*4)))"), "-515722218");
    assert.equal(runProgramSource("print(1+2*3)"), "7");
  });
  await t.step("for loops that accumulate", () => {
    assert.equal(runProgramSource("j=8584\nfor x in range(8):\n  j+=920\nprint(j)"), "15944");
    assert.equal(runProgramSource("q=2281\nfor x in range(7):\n  q-=5297\nprint(q)"), "-34798");
    assert.equal(runProgramSource("s=0\nfor x in range(4):\n  s+=x\nprint(s)"), "6");
  });
  await t.step("conditional expressions take the right branch", () => {
    assert.equal(runProgramSource("print(5812 if 2435<8895 else 9)"), "5812");
    assert.equal(runProgramSource("print(1 if 9<3 else 7)"), "7");
    assert.equal(runProgramSource("print(1 if 5<5 else 2)"), "2");
    assert.equal(runProgramSource("print(5 if 7<3 else 12-40)"), "-28");
  });
  await t.step("assignments", () => {
    assert.equal(runProgramSource("w=8027\nj=w+3533\nprint(j+9676)"), "21236");
  });
  await t.step("the paper's two examples", () => {
    assert.equal(
      runProgramSource("j=8584\nfor x in range(8):\n  j+=920\nb=(1500+j)\nprint((b+7567))"),
      "25011",
    );
    assert.equal(runProgramSource("i=8827\nc=(i-5347)\nprint((c+8704) if 2641<8500 else 5308)"), "12184");
  });
  await t.step("values past 2^53 stay exact", () => {
    assert.equal(runProgramSource("print(999999999*9*9*9*9*9*9*9)"), "4782968995217031");
    assert.equal(runProgramSource("print(9007199254740993+2)"), "9007199254740995");
  });
});

Deno.test("runProgramSource() rejects text outside the subset", () => {
  assert.throws(() => runProgramSource("print(1>2)"), SyntaxError);
  assert.throws(() => runProgramSource("print(007)"), /leading zero/);
  assert.throws(() => runProgramSource("for x in range(3):\nprint(1)"), /indented loop body/);
  assert.throws(() => runProgramSource("print(y)"), ReferenceError);
  assert.throws(() => runProgramSource("print(1+)"), /line 1/);
});

Deno.test("executeProgram() evaluates the generator's trees", () => {
  const n = (value: bigint) => ({ kind: "number", value }) as const;
  const program: ProgramStatement[] = [
    { kind: "assign", name: "a", op: "=", value: n(4702n) },
    {
      kind: "loop",
      variable: "x",
      count: 7n,
      body: [{ kind: "assign", name: "a", op: "+=", value: n(1896n) }],
    },
    { kind: "assign", name: "w", op: "=", value: { kind: "variable", name: "a" } },
    {
      kind: "print",
      value: {
        kind: "conditional",
        then: { kind: "binary", op: "-", left: { kind: "variable", name: "w" }, right: n(7167n) },
        left: n(212n),
        right: n(3751n),
        otherwise: n(7206n),
      },
    },
  ];
  const source = "a=4702\nfor x in range(7):\n  a+=1896\nw=a\nprint((w-7167) if 212<3751 else 7206)";
  assert.equal(formatProgram(program), source);
  // 4702 + 7·1896 = 17974; 212 < 3751, so 17974 − 7167.
  assert.equal(executeProgram(program), "10807");
  assert.deepEqual(parseProgram(source), program);
  assert.equal(
    executeProgram([{
      kind: "print",
      value: { kind: "binary", op: "+", left: n(398345n), right: n(42598n) },
    }]),
    "440943",
  );
});

Deno.test("generateProgram() reproduces a hand-checked program for a fixed seed", () => {
  const g = generateProgram(new Rng(477), { length: 4, nesting: 3 });
  assert.deepEqual(g.operations, ["loop", "assign", "if"]);
  assert.equal(
    g.program,
    "a=4702\nfor x in range(7):\n  a+=1896\nw=a\nprint((w-7167) if 212<3751 else 7206)",
  );
  assert.equal(g.answer, "10807");
});

Deno.test("generateProgram() answers what its own source prints", () => {
  const rng = new Rng(11);
  const seen = new Set<string>();
  let negatives = 0;
  for (const d of allDifficulties()) {
    for (let i = 0; i < 150; i++) {
      const g = generateProgram(rng, d);
      assert.equal(runProgramSource(g.program), g.answer, g.program);
      assert.equal(formatProgram(parseProgram(g.program)), g.program);
      assert.equal(g.operations.length, d.nesting);
      assert.ok(g.program.split("\n").at(-1)!.startsWith("print("), g.program);
      g.operations.forEach((op) => seen.add(op));
      if (g.answer.startsWith("-")) negatives++;
    }
  }
  assert.deepEqual([...seen].sort(), [...PROGRAM_OPERATIONS].sort());
  assert.ok(negatives > 0, "no negative answers");
});

Deno.test("generateProgram() never writes a number with more digits than the length", () => {
  const rng = new Rng(5);
  for (const d of allDifficulties()) {
    let longest = 0;
    for (let i = 0; i < 200; i++) {
      const { program } = generateProgram(rng, d);
      for (const digits of program.match(/\d+/g) ?? []) {
        assert.ok(digits.length <= d.length, `${digits} in ${JSON.stringify(program)} at length ${d.length}`);
        longest = Math.max(longest, digits.length);
      }
    }
    assert.equal(longest, d.length, `no ${d.length}-digit number drawn`);
  }
});

Deno.test("generateProgram() writes `print(a+b)` and `print(a-b)` at nesting 1 additions", () => {
  const rng = new Rng(2);
  let found = 0;
  for (let i = 0; i < 300; i++) {
    const g = generateProgram(rng, { length: 6, nesting: 1 });
    const m = /^print\((\d+)([+-])(\d+)\)$/.exec(g.program);
    if (!m) continue;
    found++;
    const a = BigInt(m[1]!), b = BigInt(m[3]!);
    assert.equal(g.answer, (m[2] === "+" ? a + b : a - b).toString());
  }
  assert.ok(found > 50, `only ${found} additions and subtractions`);
});

Deno.test("generatePrograms() is deterministic by seed", () => {
  const a = generatePrograms(new Rng(9), 6, { length: 5, nesting: 2 });
  const b = generatePrograms(new Rng(9), 6, { length: 5, nesting: 2 });
  const c = generatePrograms(new Rng(10), 6, { length: 5, nesting: 2 });
  assert.deepEqual(a.programs, b.programs);
  assert.deepEqual(a.answers, b.answers);
  assert.deepEqual(a.input, b.input);
  assert.deepEqual(a.target, b.target);
  assert.deepEqual(a.mask, b.mask);
  assert.notDeepEqual(a.programs, c.programs);
});

Deno.test("PROGRAM_VOCABULARY covers every character of every program and answer", () => {
  assert.equal(V, 49);
  assert.equal(new Set(PROGRAM_VOCABULARY).size, V, "duplicate symbols");
  assert.ok(PROGRAM_VOCABULARY.every((c) => c.length === 1));
  const rng = new Rng(3);
  const used = new Set<string>();
  for (const d of allDifficulties()) {
    const b = generatePrograms(rng, 64, d);
    for (const text of [...b.programs, ...b.answers]) {
      for (const c of text) {
        assert.ok(PROGRAM_VOCABULARY.includes(c), `${JSON.stringify(c)} not in the vocabulary`);
        used.add(c);
      }
    }
  }
  assert.ok(!used.has(PROGRAM_GO) && !used.has(PROGRAM_END), "go/end symbols appear inside texts");
  for (const c of "print(for in range):\n+-*<= ifelse0123456789") assert.ok(used.has(c), `never used: ${c}`);
});

Deno.test("encodeProgramText() and decodeProgramText() round-trip and reject strangers", () => {
  const text = "j=8584\nfor x in range(8):\n  j+=920\nprint(j-1)";
  const ids = encodeProgramText(text);
  assert.equal(ids.length, text.length);
  assert.equal(decodeProgramText(ids), text);
  assert.deepEqual(encodeProgramText(PROGRAM_END + PROGRAM_GO), [0, 1]);
  assert.throws(() => encodeProgramText("print(1>2)"), RangeError);
  assert.throws(() => decodeProgramText([V]), RangeError);
  assert.throws(() => decodeProgramText([1.5]), RangeError);
});

Deno.test("encodeProgramEpisodes() lays out teacher-forced episodes", () => {
  const examples = [
    { program: "print(1+2)", answer: "3" }, // P = 10, A = 1: 12 steps
    { program: "a=9\nprint(a-12)", answer: "-3" }, // P = 15, A = 2: 18 steps
  ];
  const b = encodeProgramEpisodes(examples);
  assert.equal(b.batch, 2);
  assert.equal(b.steps, 18);
  assert.equal(b.inputSize, V);
  assert.equal(b.outputSize, V);
  assert.deepEqual(b.lengths, Int32Array.from([12, 18]));
  assert.deepEqual(b.programs, examples.map((e) => e.program));
  assert.deepEqual(b.answers, examples.map((e) => e.answer));
  examples.forEach(({ program, answer }, e) => {
    const P = program.length, A = answer.length;
    const inputs = program + PROGRAM_GO + answer; // the END step reads the last answer character
    const targets = answer + PROGRAM_END;
    for (let t = 0; t < b.steps; t++) {
      const mask = b.mask[e * b.steps + t];
      const x = hotIndex(inputRow(b, e, t)), y = hotIndex(targetRow(b, e, t));
      if (t < P) {
        assert.equal(mask, 0, `episode ${e} step ${t}: mask during the program`);
        assert.equal(PROGRAM_VOCABULARY[x], inputs[t]);
        assert.equal(y, -1);
      } else if (t <= P + A) {
        assert.equal(mask, 1, `episode ${e} step ${t}: mask during the answer`);
        assert.equal(PROGRAM_VOCABULARY[x], inputs[t], `input at ${t}`);
        assert.equal(PROGRAM_VOCABULARY[y], targets[t - P], `target at ${t}`);
      } else {
        assert.equal(mask, 0, `episode ${e} step ${t}: mask in the padding`);
        assert.equal(x, -1);
        assert.equal(y, -1);
      }
    }
  });
  // Teacher forcing: from the second answer step on, the input is the previous step's target.
  for (let t = 16; t < 18; t++) {
    assert.deepEqual(inputRow(b, 1, t), targetRow(b, 1, t - 1));
  }
  assert.equal(PROGRAM_VOCABULARY[hotIndex(inputRow(b, 1, 15))], PROGRAM_GO);
  assert.throws(() => encodeProgramEpisodes([]), RangeError);
  assert.throws(() => encodeProgramEpisodes([{ program: "print(1)", answer: "" }]), RangeError);
});

Deno.test("generatePrograms() masks exactly the answer and end steps", () => {
  const b = generatePrograms(new Rng(8), 16, { length: 9, nesting: 3 });
  for (let e = 0; e < b.batch; e++) {
    const P = b.programs[e]!.length, A = b.answers[e]!.length;
    assert.equal(b.lengths[e], P + A + 1);
    let masked = 0;
    for (let t = 0; t < b.steps; t++) masked += b.mask[e * b.steps + t]!;
    assert.equal(masked, A + 1);
    assert.equal(b.mask[e * b.steps + P], 1);
    assert.equal(b.mask[e * b.steps + P - 1], 0);
    let decoded = "";
    for (let t = P; t <= P + A; t++) decoded += PROGRAM_VOCABULARY[hotIndex(targetRow(b, e, t))];
    assert.equal(decoded, b.answers[e] + PROGRAM_END);
  }
});

Deno.test("programTask() describes the program task and draws lengths from the range", () => {
  const task = programTask({ length: 6, nesting: 2 });
  assert.equal(task.name, "program");
  assert.equal(task.inputSize, V);
  assert.equal(task.outputSize, V);
  assert.equal(task.outputKind, "softmax");
  assert.deepEqual(task.defaultRange, { minLen: 6, maxLen: 6 });
  assert.deepEqual(task.evalLengths, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 15]);
  assert.match(task.lengthMeaning, /digits per number/);
  const b = task.generate(new Rng(4), 32, { minLen: 1, maxLen: 3 }) as ProgramBatch;
  const longest = b.programs.map((p) => Math.max(...(p.match(/\d+/g) ?? []).map((s) => s.length)));
  assert.equal(Math.max(...longest), 3);
  assert.ok(longest.includes(1), "no episode drawn at length 1");
  assert.equal(programTask().defaultRange.maxLen, 9);
  assert.throws(() => task.generate(new Rng(1), 1, { minLen: 1, maxLen: 16 }), /maxLen must be ≤ 15/);
  // Past the paper's 9 digits, for generalisation probes: 15-digit numbers, uniformly drawn.
  const long = task.generate(new Rng(2), 64, { minLen: 15, maxLen: 15 }) as ProgramBatch;
  const numbers = long.programs.flatMap((p) => p.match(/\d+/g) ?? []).filter((n) => n.length > 1);
  assert.ok(numbers.some((n) => n.length === 15) && numbers.every((n) => n.length <= 15));
  assert.throws(() => task.generate(new Rng(1), 1, { minLen: 0, maxLen: 3 }), RangeError);
  assert.throws(() => task.generate(new Rng(1), 0, { minLen: 1, maxLen: 3 }), RangeError);
});

Deno.test("generatePrograms() and programTask() reject out-of-range knobs, naming the field", async (t) => {
  const cases = [
    { length: 0, nesting: 1, message: /length must be an integer in 1\.\.15, got 0/ },
    { length: 16, nesting: 1, message: /length must be an integer in 1\.\.15, got 16/ },
    { length: 3, nesting: 0, message: /nesting must be an integer in 1\.\.3, got 0/ },
    { length: 3, nesting: 4, message: /nesting must be an integer in 1\.\.3, got 4/ },
    { length: 2.5, nesting: 1, message: /length must be an integer in 1\.\.15, got 2\.5/ },
  ];
  for (const { length, nesting, message } of cases) {
    await t.step(`length ${length}, nesting ${nesting}`, () => {
      assert.throws(() => generatePrograms(new Rng(1), 1, { length, nesting }), (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, message);
        return true;
      });
      assert.throws(() => programTask({ length, nesting }), (e: unknown) => {
        assert.ok(e instanceof RangeError);
        assert.match(e.message, message);
        return true;
      });
    });
  }
  assert.throws(() => generatePrograms(new Rng(1), 0, { length: 1, nesting: 1 }), /batch must be/);
});

Deno.test("programCharacters() lists every character the operations' programs use, and no other", () => {
  for (const op of PROGRAM_OPERATIONS) {
    const allowed = new Set(programCharacters([op]));
    const used = new Set<string>();
    const rng = new Rng(11);
    for (let i = 0; i < 400; i++) {
      const { program } = generateProgram(rng, { length: 1 + (i % 9), nesting: 1 + (i % 3) }, [op]);
      for (const c of program) used.add(c);
    }
    for (const c of used) assert.ok(allowed.has(c), `${op}: ${JSON.stringify(c)} is used but not listed`);
    // Letters apart (only some variable names turn up in 400 programs), every listed character is used.
    for (const c of allowed) {
      if (!/[a-z]/.test(c) || "print".includes(c)) {
        assert.ok(used.has(c), `${op}: ${JSON.stringify(c)} unused`);
      }
    }
  }
  assert.equal(programCharacters(["add"]), "()+0123456789inprt");
  assert.throws(() => programCharacters([]), /at least one/);
});
