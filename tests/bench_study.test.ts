import assert from "node:assert/strict";
import { join } from "node:path";
import type { MetricsRecord } from "../src/io/metrics_log.ts";
import {
  comparisonMarkdown,
  firstCrossing,
  type SeedResult,
  spread,
  studyMarkdown,
  type StudyResult,
  studySvg,
  summarise,
} from "../bench/_study_report.ts";
import { studyCommand } from "../bench/study.ts";

const record = (step: number, bitErrors: number): MetricsRecord => ({
  step,
  sequences: 4 * step,
  seconds: step / 10,
  train_cost_bits: 1,
  grad_norm: 1,
  cost_bits: bitErrors,
  bit_errors: bitErrors,
  seq_per_s: 40,
});

const seed = (n: number, converged: SeedResult["converged"]): SeedResult => ({
  seed: n,
  dir: `d${n}`,
  converged,
  last: { step: 10, sequences: 40, seconds: 1, bitErrors: converged ? 0 : 3 },
  finalStep: 10,
  lengths: [{ length: 30, bitErrors: n, costBits: n }],
  curve: [[4, 5], [40, converged ? 0 : 3]],
});

Deno.test("firstCrossing() finds the first report strictly below the threshold, or null", () => {
  const log = [record(100, 5), record(200, 0.1), record(300, 0.05), record(400, 0)];
  assert.deepEqual(firstCrossing(log, 0.1), { step: 300, sequences: 1200, seconds: 30 });
  assert.deepEqual(firstCrossing(log, 1), { step: 200, sequences: 800, seconds: 20 });
  assert.equal(firstCrossing(log.slice(0, 2), 0.1), null);
});

Deno.test("spread() gives the median (middle two averaged) and the range", () => {
  assert.deepEqual(spread([5, 1, 3]), { median: 3, min: 1, max: 5 });
  assert.deepEqual(spread([4, 1, 3, 10]), { median: 3.5, min: 1, max: 10 });
  assert.throws(() => spread([]), RangeError);
});

Deno.test("summarise() takes the spread over converged seeds only and counts the failures", () => {
  const s = summarise([
    seed(1, { step: 100, sequences: 400, seconds: 10 }),
    seed(2, null),
    seed(3, { step: 300, sequences: 1200, seconds: 30 }),
  ]);
  assert.equal(s.convergedCount, 2);
  assert.deepEqual(s.sequences, { median: 800, min: 400, max: 1200 });
  assert.deepEqual(s.seconds, { median: 20, min: 10, max: 30 });
});

Deno.test("studyMarkdown() and studySvg() report every seed, failures named", () => {
  const seeds = [seed(1, { step: 100, sequences: 400, seconds: 10 }), seed(2, null)];
  const study: StudyResult = {
    name: "demo",
    trainArgs: [],
    threshold: 0.1,
    jobs: 2,
    cpu: "Test CPU, 2 cores",
    seeds,
    ...summarise(seeds),
    command: "deno task study --name demo",
  };
  const md = studyMarkdown(study);
  assert.match(md, /1 of 2 seeds reached < 0\.1/);
  assert.match(md, /did not converge within the budget: seed 2/);
  assert.match(md, /\| 2 \| not within 40 \|/);
  assert.match(md, /length 30/);
  assert.match(md, /Test CPU, 2 cores/);
  const svg = studySvg(study);
  assert.equal(svg.match(/<polyline/g)?.length, 3, "two seeds and the threshold");
  assert.match(svg, /seed 2 \(no\)/);
});

Deno.test("studyCommand() trains every seed, reports crossings and failures, and reuses finished seeds", async () => {
  const out = await Deno.makeTempDir();
  const train = [
    "--backend",
    "cpu",
    "--controller",
    "8",
    "--memory-n",
    "8",
    "--memory-m",
    "4",
    "--min-len",
    "1",
    "--max-len",
    "2",
    "--batch",
    "2",
    "--steps",
    "20",
    "--report-every",
    "10",
  ];
  try {
    const easy = await studyCommand([
      "--seeds",
      "1,2",
      "--jobs",
      "2",
      "--threshold",
      "1000",
      "--out",
      join(out, "a"),
      "--lengths",
      "3",
      "--extra-steps",
      "10",
      "--",
      ...train,
    ]);
    assert.ok(easy);
    assert.equal(easy.convergedCount, 2);
    for (const s of easy.seeds) {
      assert.equal(s.converged?.step, 10, "below 1000 bit errors at the first report");
      assert.equal(s.finalStep, 20, "10 extra steps after converging");
      assert.equal(s.lengths[0]?.length, 3);
      assert.ok(Number.isFinite(s.lengths[0]!.bitErrors));
    }
    const hard = await studyCommand([
      "--seeds",
      "1",
      "--threshold",
      "1e-9",
      "--out",
      join(out, "b"),
      "--",
      ...train,
    ]);
    assert.equal(hard?.convergedCount, 0);
    assert.equal(hard?.seeds[0]?.converged, null);
    assert.equal(hard?.seeds[0]?.last.step, 20, "trained its whole budget");
    for (const file of ["study.json", "study.md", "study.svg"]) await Deno.stat(join(out, "b", file));
    // A second run reuses the finished seed instead of training it again.
    const log = join(out, "b", "seed-1", "study.log");
    const before = await Deno.readTextFile(log);
    await studyCommand(["--seeds", "1", "--threshold", "1e-9", "--out", join(out, "b"), "--", ...train]);
    assert.equal(await Deno.readTextFile(log), before);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("studyCommand() refuses flags it sets itself and bad values, naming them", async () => {
  await assert.rejects(() => studyCommand(["--", "--seed", "3"]), /--seed is set by the study/);
  await assert.rejects(() => studyCommand(["--jobs", "0"]), /--jobs/);
  await assert.rejects(() => studyCommand(["--seeds", "1,1"]), /repeats a seed/);
});

Deno.test("comparisonMarkdown() puts studies side by side with the median bit errors per length", () => {
  const seeds = [
    seed(1, { step: 100, sequences: 400, seconds: 10 }),
    seed(3, { step: 300, sequences: 1200, seconds: 30 }),
  ];
  const row = (name: string): StudyResult => ({
    name,
    trainArgs: [],
    threshold: 0.1,
    jobs: 1,
    cpu: "cpu",
    seeds,
    ...summarise(seeds),
    command: "",
  });
  const md = comparisonMarkdown([row("a"), row("b")]);
  assert.match(md, /\| a \| 2 of 2 \| 800 \(400–1,200\) \| 20 \(10–30\) \| 2 \|/);
  assert.equal(md.trim().split("\n").length, 4);
});
