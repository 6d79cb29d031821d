import assert from "node:assert/strict";
import { createCurriculum, CURRICULUM_PATIENCE, type CurriculumBatch } from "../tasks/curriculum.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { generatePrograms, type ProgramBatch, programTask } from "../tasks/program.ts";
import { Rng } from "../src/model/random.ts";
import type { TrainingBackend } from "../src/train/backend.ts";
import { taskBatchSource } from "../src/train/batch_source.ts";
import { curriculumBatchSource } from "../src/train/curriculum_source.ts";
import { type TrainingReport, trainLoop } from "../src/train/loop.ts";

/** Digits per number of a program: the longest run of digits in it. */
function digits(program: string): number {
  return Math.max(...(program.match(/\d+/g) ?? [""]).map((d) => d.length));
}

/**
 * A backend that trains nothing and reports a per-character accuracy chosen by the test: `accuracy(batch)`
 * for each evaluated batch. It records the difficulties of the training batches it gets and the batches
 * it evaluates.
 */
function scriptedBackend(accuracy: (batch: ProgramBatch) => number) {
  const trained: string[][] = [];
  const evaluated: ProgramBatch[] = [];
  const backend: TrainingBackend = {
    name: "cpu",
    device: "scripted",
    trainStep(batch: EpisodeBatch) {
      trained.push((batch as CurriculumBatch).difficulties.map((d) => `${d.length},${d.nesting}`));
      return Promise.resolve();
    },
    lastStep: () => Promise.resolve({ lossNats: 1, gradNorm: 1 }),
    evaluate(batch: EpisodeBatch) {
      evaluated.push(batch as ProgramBatch);
      const a = accuracy(batch as ProgramBatch);
      return Promise.resolve({
        costBits: 1,
        bitErrors: 1,
        episodes: batch.batch,
        characterAccuracy: a,
        answerAccuracy: 0,
      });
    },
    predict: () => Promise.reject(new Error("not used")),
    parameters: () => Promise.resolve(new Float64Array(1)),
    optimizerState: () => Promise.reject(new Error("not used")),
    setLearningRate: () => {
      throw new Error("not used");
    },
    memoryRngState: () => [1, 2, 3, 4],
    destroy: () => {},
  };
  return { backend, trained, evaluated };
}

const schedule = (source: ReturnType<typeof curriculumBatchSource>, steps: number) => ({
  task: programTask({ length: 3, nesting: 2 }),
  range: { minLen: 1, maxLen: 3 },
  batch: 4,
  steps,
  reportEvery: 2,
  evalEpisodes: 6,
  evalSeed: 9,
  source,
});

Deno.test("trainLoop() with a naive curriculum advances a stage at each report whose accuracy passes 0.95", async () => {
  const source = curriculumBatchSource(createCurriculum("naive", { length: 3, nesting: 2 }));
  const { backend, trained, evaluated } = scriptedBackend(() => 0.96);
  const reports: TrainingReport[] = [];
  await trainLoop(backend, schedule(source, 12), new Rng(1), 0, { onReport: (r) => void reports.push(r) });
  // Two steps per stage: (1,1) (2,1) (3,1) (1,2) (2,2), then the target (3,2).
  assert.deepEqual(trained.map((d) => new Set(d).size === 1 ? d[0] : "mixed"), [
    "1,1",
    "1,1",
    "2,1",
    "2,1",
    "3,1",
    "3,1",
    "1,2",
    "1,2",
    "2,2",
    "2,2",
    "3,2",
    "3,2",
  ]);
  assert.deepEqual(source.curriculum.current, { length: 3, nesting: 2 });
  assert.deepEqual(reports.map((r) => r.source!.fields.stage_length), [1, 2, 3, 1, 2, 3]);
  assert.deepEqual(reports.map((r) => r.source!.fields.next_stage_nesting), [1, 1, 2, 2, 2, 2]);
  assert.match(reports[0]!.source!.summary, /naive stage 1\/1 acc 0\.960 → 2\/1/);
  assert.equal(reports[0]!.characterAccuracy, 0.96);
  // Each report evaluates the held-out batch at the target, then (below the target) the stage's own batch.
  const held = generatePrograms(new Rng(9), 6, { length: 3, nesting: 2 });
  assert.deepEqual(evaluated[0]!.programs, held.programs);
  assert.deepEqual(evaluated.map((b) => Math.max(...b.programs.map(digits))), [
    3,
    1,
    3,
    2,
    3,
    3,
    3,
    1,
    3,
    2,
    3,
  ]);
  assert.equal(evaluated.length, 11); // the last report is at the target: no second evaluation
});

Deno.test("trainLoop() keeps a naive curriculum at its stage while the stage's accuracy is 0.95 or less", async () => {
  const source = curriculumBatchSource(createCurriculum("naive", { length: 3, nesting: 2 }));
  // The held-out batch (3-digit numbers) scores 1, the stage's own batch 0.95: only the latter counts.
  const { backend, trained } = scriptedBackend((b) => b.programs.some((p) => digits(p) === 3) ? 1 : 0.95);
  await trainLoop(backend, schedule(source, 8), new Rng(1), 0);
  assert.ok(trained.flat().every((d) => d === "1,1"));
  assert.deepEqual(source.curriculum.current, { length: 1, nesting: 1 });
});

Deno.test("trainLoop() with a combined curriculum draws a fifth of its episodes from the mix", async () => {
  const source = curriculumBatchSource(createCurriculum("combined", { length: 3, nesting: 2 }));
  const { backend, trained, evaluated } = scriptedBackend(() => 0.5);
  // 18 reports: fewer than the patience, so the constant accuracy does not move the stage on.
  await trainLoop(backend, { ...schedule(source, 36), batch: 20 }, new Rng(3), 0);
  const all = trained.flat();
  const naive = all.filter((d) => d === "1,1").length / all.length;
  // P(stage) = 0.8 + 0.2 · P(mix draws 1,1) = 0.8 + 0.2/6.
  assert.ok(Math.abs(naive - (0.8 + 0.2 / 6)) < 0.04, String(naive));
  assert.ok(all.some((d) => d === "3,2"));
  assert.deepEqual(source.curriculum.current, { length: 1, nesting: 1 });
  assert.equal(evaluated.length, 36); // 18 reports, each with the held-out and the stage batch
});

Deno.test("trainLoop() moves a naive curriculum on once its stage stops making progress", async () => {
  const source = curriculumBatchSource(createCurriculum("naive", { length: 3, nesting: 1 }));
  // The stage's accuracy climbs 0.02 a report up to 0.6, then stays: a plateau well below 0.95.
  let reports = 0;
  const { backend } = scriptedBackend((b) => {
    if (b.programs.some((p) => digits(p) === 3)) return 0.5; // the held-out batch
    return Math.min(0.6, 0.2 + 0.02 * reports++);
  });
  const fields: number[] = [];
  const steps = 2 * (20 + CURRICULUM_PATIENCE + 1);
  await trainLoop(backend, { ...schedule(source, steps), batch: 4 }, new Rng(1), 0, {
    onReport: (r) => {
      fields.push(r.source?.fields.stage_advanced ?? -1);
    },
  });
  // 20 reports of progress (the last at 0.6), then PATIENCE without: the stage moves on, as a plateau.
  assert.deepEqual(source.curriculum.current, { length: 2, nesting: 1 });
  assert.equal(fields.indexOf(2), 20 + CURRICULUM_PATIENCE);
  assert.ok(fields.every((f) => f === 0 || f === 2));
});

Deno.test("taskBatchSource() draws training and held-out batches from the task over the range", () => {
  const task = programTask({ length: 4, nesting: 1 });
  const source = taskBatchSource(task, { minLen: 2, maxLen: 2 });
  const held = source.heldOut(5, 7) as ProgramBatch;
  assert.deepEqual(
    held.programs,
    (task.generate(new Rng(7), 5, { minLen: 2, maxLen: 2 }) as ProgramBatch).programs,
  );
  const train = source.next(new Rng(1), 3) as ProgramBatch;
  assert.ok(train.programs.every((p) => digits(p) <= 2));
});
