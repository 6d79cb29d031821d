import assert from "node:assert/strict";
import { Rng } from "../src/model/random.ts";
import {
  COMBINED_MIX_PROBABILITY,
  createCurriculum,
  type Curriculum,
  CURRICULUM_NAMES,
  CURRICULUM_PATIENCE,
  type CurriculumState,
  generateCurriculumBatch,
} from "../tasks/curriculum.ts";
import type { ProgramDifficulty } from "../tasks/program.ts";

const pair = (d: ProgramDifficulty): string => `${d.length},${d.nesting}`;

/** The stages a curriculum goes through when every report is a pass. */
function stagesOnPasses(c: Curriculum, reports: number): string[] {
  const stages = [pair(c.current)];
  for (let i = 0; i < reports; i++) {
    c.report(0.99);
    stages.push(pair(c.current));
  }
  return stages;
}

Deno.test("createCurriculum('baseline') always draws the target", () => {
  const c = createCurriculum("baseline", { length: 7, nesting: 2 });
  const rng = new Rng(1);
  assert.deepEqual(c.current, { length: 7, nesting: 2 });
  for (let i = 0; i < 100; i++) {
    assert.deepEqual(c.sample(rng), { length: 7, nesting: 2 });
    c.report(i % 2 ? 1 : 0);
  }
  assert.deepEqual(c.current, { length: 7, nesting: 2 });
});

Deno.test("createCurriculum('naive') advances only above 0.95, length first, and stops at the target", () => {
  const c = createCurriculum("naive", { length: 3, nesting: 2 });
  const rng = new Rng(1);
  assert.deepEqual(c.current, { length: 1, nesting: 1 });
  assert.deepEqual(c.sample(rng), { length: 1, nesting: 1 });
  for (const accuracy of [0, 0.5, 0.9, 0.95]) {
    c.report(accuracy);
    assert.deepEqual(c.current, { length: 1, nesting: 1 }, `advanced on ${accuracy}`);
  }
  c.report(0.951);
  assert.deepEqual(c.current, { length: 2, nesting: 1 });
  assert.deepEqual(c.sample(rng), { length: 2, nesting: 1 });
  assert.deepEqual(stagesOnPasses(c, 6), ["2,1", "3,1", "1,2", "2,2", "3,2", "3,2", "3,2"]);
  assert.deepEqual(c.sample(rng), { length: 3, nesting: 2 });
});

Deno.test("createCurriculum('naive') walks every stage up to length 9, nesting 3", () => {
  const c = createCurriculum("naive", { length: 9, nesting: 3 });
  const stages = stagesOnPasses(c, 30);
  const expected: string[] = [];
  for (let nesting = 1; nesting <= 3; nesting++) {
    for (let length = 1; length <= 9; length++) expected.push(`${length},${nesting}`);
  }
  while (expected.length < stages.length) expected.push("9,3");
  assert.deepEqual(stages, expected);
});

Deno.test("createCurriculum('mix') draws every difficulty up to the target and never beyond", () => {
  const c = createCurriculum("mix", { length: 5, nesting: 3 });
  const rng = new Rng(2);
  const counts = new Map<string, number>();
  const draws = 15000;
  for (let i = 0; i < draws; i++) {
    const d = c.sample(rng);
    assert.ok(d.length >= 1 && d.length <= 5 && d.nesting >= 1 && d.nesting <= 3, pair(d));
    counts.set(pair(d), (counts.get(pair(d)) ?? 0) + 1);
  }
  assert.equal(counts.size, 15);
  for (const [key, n] of counts) assert.ok(Math.abs(n / draws - 1 / 15) < 0.015, `${key}: ${n}`);
  c.report(1);
  assert.deepEqual(c.current, { length: 5, nesting: 3 });
});

Deno.test("createCurriculum('combined') draws about 20% mix and otherwise the naive stage", () => {
  const c = createCurriculum("combined", { length: 9, nesting: 3 });
  const rng = new Rng(3);
  const draws = 20000;
  let offStage = 0;
  for (let i = 0; i < draws; i++) {
    const d = c.sample(rng);
    assert.ok(d.length <= 9 && d.nesting <= 3, pair(d));
    if (d.length !== 1 || d.nesting !== 1) offStage++;
  }
  // A mix draw lands on the current stage (1, 1) with probability 1/27.
  const expected = COMBINED_MIX_PROBABILITY * (26 / 27);
  assert.equal(COMBINED_MIX_PROBABILITY, 0.2);
  assert.ok(Math.abs(offStage / draws - expected) < 0.015, `off-stage share ${offStage / draws}`);

  c.report(0.5);
  assert.deepEqual(c.current, { length: 1, nesting: 1 });
  assert.deepEqual(stagesOnPasses(c, 2), ["1,1", "2,1", "3,1"]);
  let atStage = 0;
  for (let i = 0; i < 2000; i++) if (pair(c.sample(rng)) === "3,1") atStage++;
  assert.ok(atStage > 0.8 * 2000, `only ${atStage} draws at the naive stage`);
});

Deno.test("Curriculum.state() survives JSON and restore() resumes it", () => {
  const c = createCurriculum("combined", { length: 4, nesting: 2 });
  stagesOnPasses(c, 5);
  assert.deepEqual(c.current, { length: 2, nesting: 2 });
  const saved = JSON.parse(JSON.stringify(c.state())) as CurriculumState;
  assert.deepEqual(saved, {
    name: "combined",
    target: { length: 4, nesting: 2 },
    current: { length: 2, nesting: 2 },
  });

  const resumed = createCurriculum("combined", { length: 4, nesting: 2 });
  resumed.restore(saved);
  assert.deepEqual(resumed.current, { length: 2, nesting: 2 });
  resumed.report(0.99);
  assert.deepEqual(resumed.current, { length: 3, nesting: 2 });
  assert.deepEqual(c.current, { length: 2, nesting: 2 }, "the original moved with the copy");

  assert.throws(() => createCurriculum("naive", { length: 4, nesting: 2 }).restore(saved), TypeError);
  assert.throws(() => createCurriculum("combined", { length: 5, nesting: 2 }).restore(saved), RangeError);
  assert.throws(
    () => resumed.restore({ ...saved, current: { length: 5, nesting: 1 } }),
    /current must be|past the target/,
  );
  assert.throws(
    () => createCurriculum("mix", { length: 4, nesting: 2 }).restore({ ...saved, name: "mix" }),
    /always at its target/,
  );
});

Deno.test("createCurriculum() rejects unknown names, listing the valid ones", () => {
  assert.deepEqual(CURRICULUM_NAMES, ["baseline", "naive", "mix", "combined"]);
  assert.throws(() => createCurriculum("mixed", { length: 3, nesting: 1 }), (e: unknown) => {
    assert.ok(e instanceof TypeError);
    for (const name of CURRICULUM_NAMES) assert.ok(e.message.includes(name), e.message);
    assert.ok(e.message.includes('"mixed"'), e.message);
    return true;
  });
});

Deno.test("createCurriculum() rejects out-of-range targets, naming the field and value", () => {
  for (
    const [target, message] of [
      [{ length: 0, nesting: 1 }, /length must be an integer in 1\.\.15, got 0/],
      [{ length: 16, nesting: 1 }, /length must be an integer in 1\.\.15, got 16/],
      [{ length: 1, nesting: 0 }, /nesting must be an integer in 1\.\.3, got 0/],
      [{ length: 1, nesting: 4 }, /nesting must be an integer in 1\.\.3, got 4/],
    ] as const
  ) {
    assert.throws(() => createCurriculum("naive", target), (e: unknown) => {
      assert.ok(e instanceof RangeError);
      assert.match(e.message, message);
      return true;
    });
  }
  assert.throws(() => createCurriculum("naive", { length: 2, nesting: 1 }, []), /at least one of add/);
  assert.throws(
    () => createCurriculum("naive", { length: 2, nesting: 1 }, ["add", "divide" as "add"]),
    /operation "divide" is not one of add, subtract, multiply, if, assign, loop/,
  );
  const c = createCurriculum("combined", { length: 2, nesting: 1 }, ["add"]);
  const b = generateCurriculumBatch(new Rng(3), 32, c);
  assert.ok(b.programs.every((p) => /^print\(\d+\+\d+\)$/.test(p)), b.programs.join(" "));
});

Deno.test("Curriculum.report() rejects accuracies outside [0, 1]", () => {
  const c = createCurriculum("naive", { length: 2, nesting: 1 });
  assert.throws(() => c.report(1.5), RangeError);
  assert.throws(() => c.report(-0.1), RangeError);
  assert.throws(() => c.report(Number.NaN), TypeError);
  assert.deepEqual(c.current, { length: 1, nesting: 1 });
});

Deno.test("generateCurriculumBatch() gives each episode its own drawn difficulty", () => {
  const c = createCurriculum("mix", { length: 6, nesting: 3 });
  const b = generateCurriculumBatch(new Rng(7), 64, c);
  assert.equal(b.batch, 64);
  assert.equal(b.difficulties.length, 64);
  assert.equal(b.programs.length, 64);
  assert.ok(new Set(b.difficulties.map(pair)).size > 5, "difficulties do not vary");
  b.programs.forEach((program, e) => {
    const d = b.difficulties[e]!;
    const digits = (program.match(/\d+/g) ?? []).map((s) => s.length);
    assert.ok(Math.max(...digits) <= d.length, `${JSON.stringify(program)} exceeds length ${d.length}`);
    assert.equal(b.lengths[e], program.length + b.answers[e]!.length + 1);
  });
  const again = generateCurriculumBatch(new Rng(7), 64, createCurriculum("mix", { length: 6, nesting: 3 }));
  assert.deepEqual(again.programs, b.programs);
  assert.deepEqual(again.difficulties, b.difficulties);
  assert.throws(() => generateCurriculumBatch(new Rng(7), 0, c), RangeError);
});

Deno.test("generateCurriculumBatch() follows a naive curriculum's stage", () => {
  const c = createCurriculum("naive", { length: 4, nesting: 2 });
  const first = generateCurriculumBatch(new Rng(1), 32, c);
  assert.ok(first.difficulties.every((d) => d.length === 1 && d.nesting === 1));
  assert.ok(first.programs.every((p) => (p.match(/\d+/g) ?? []).every((s) => s.length === 1)));
  c.report(0.99);
  const second = generateCurriculumBatch(new Rng(1), 32, c);
  assert.ok(second.difficulties.every((d) => d.length === 2 && d.nesting === 1));
});

Deno.test("a naive curriculum advances after CURRICULUM_PATIENCE reports without progress, and resumes mid-count", () => {
  const c = createCurriculum("naive", { length: 2, nesting: 1 });
  assert.equal(c.report(0.5), undefined); // the stage's first report sets its best
  assert.equal(c.report(0.505), undefined); // below best + 0.01: no progress
  assert.equal(c.state().reportsSinceProgress, 1);
  assert.equal(c.report(0.52), undefined); // progress: the count starts again
  assert.deepEqual([c.state().stageBest, c.state().reportsSinceProgress], [0.52, undefined]);
  for (let i = 0; i < CURRICULUM_PATIENCE - 1; i++) assert.equal(c.report(0.52), undefined);
  // A copy restored from the state mid-count advances on the same report as the original.
  const twin = createCurriculum("naive", { length: 2, nesting: 1 });
  twin.restore(c.state());
  assert.equal(c.report(0.3), "plateau");
  assert.equal(twin.report(0.3), "plateau");
  assert.deepEqual(c.current, { length: 2, nesting: 1 });
  assert.deepEqual(twin.state(), c.state());
  // At the target nothing moves, and a report above 0.95 elsewhere is a pass.
  assert.equal(c.report(0.1), undefined);
  const d = createCurriculum("combined", { length: 3, nesting: 1 });
  assert.equal(d.report(0.96), "passed");
  assert.throws(
    () => d.restore({ ...d.state(), reportsSinceProgress: CURRICULUM_PATIENCE }),
    /reportsSinceProgress must be an integer in 0\.\.19, got 20/,
  );
  assert.throws(() => d.restore({ ...d.state(), stageBest: 1.5 }), /stageBest must be in \[0, 1\], got 1.5/);
});
