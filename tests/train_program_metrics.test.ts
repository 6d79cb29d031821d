import assert from "node:assert/strict";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { encodeProgramEpisodes, encodeProgramText } from "../tasks/program.ts";
import type { TrainingBackend } from "../src/train/backend.ts";
import { evaluateBatch } from "../src/train/loop.ts";
import {
  type Evaluation,
  frequencyBaseline,
  softmaxAccuracy,
  softmaxEvaluation,
} from "../src/train/metrics.ts";

/** A batch of B episodes of T steps over Y classes, with the given target class per step (−1: masked out). */
function batchOf(targets: number[][], Y: number): EpisodeBatch {
  const B = targets.length, T = targets[0]!.length;
  const target = new Float32Array(B * T * Y), mask = new Float32Array(B * T);
  targets.forEach((row, b) =>
    row.forEach((c, t) => {
      if (c < 0) return;
      target[(b * T + t) * Y + c] = 1;
      mask[b * T + t] = 1;
    })
  );
  return {
    batch: B,
    steps: T,
    inputSize: 1,
    outputSize: Y,
    input: new Float32Array(B * T),
    target,
    mask,
    lengths: new Int32Array(B).fill(T),
  };
}

/** Outputs that put probability `p` on the given class per step (the rest spread evenly). */
function outputsOf(classes: number[][], Y: number, p = 0.7): Float64Array {
  const B = classes.length, T = classes[0]!.length;
  const out = new Float64Array(B * T * Y).fill((1 - p) / (Y - 1));
  classes.forEach((row, b) => row.forEach((c, t) => (out[(b * T + t) * Y + c] = p)));
  return out;
}

Deno.test("softmaxAccuracy() counts wrong masked steps and episodes with every step right", () => {
  // Episode 0: steps 1..3 masked, all right. Episode 1: steps 1..3 masked, one wrong. Step 0 is masked out
  // and wrong in both, which must not count.
  const batch = batchOf([[-1, 1, 2, 0], [-1, 2, 2, 0]], 3);
  const output = outputsOf([[2, 1, 2, 0], [0, 2, 1, 0]], 3);
  const a = softmaxAccuracy(output, batch);
  assert.equal(a.maskedSteps, 6);
  assert.equal(a.wrongSteps, 1);
  assert.equal(a.correctEpisodes, 1);
  assert.equal(a.episodes, 2);
  assert.equal(a.characterAccuracy, 1 - 1 / 6);
  assert.equal(a.answerAccuracy, 0.5);
});

Deno.test("softmaxAccuracy() takes the first class on a tie and rejects outputs of the wrong size", () => {
  const batch = batchOf([[0, 1]], 2);
  const tied = Float64Array.of(0.5, 0.5, 0.5, 0.5);
  assert.equal(softmaxAccuracy(tied, batch).characterAccuracy, 0.5);
  assert.throws(() => softmaxAccuracy(new Float64Array(3), batch), /B·T·Y = 1·2·2 = 4 values, got 3/);
});

Deno.test("frequencyBaseline() is the share of the most frequent target class over masked steps", () => {
  const batch = batchOf([[-1, 2, 2, 0], [-1, 1, 2, 0]], 3);
  assert.deepEqual(frequencyBaseline(batch), { symbol: 2, characterAccuracy: 3 / 6 });
  // On program episodes the end symbol ('.', index 0) ends every answer.
  const programs = encodeProgramEpisodes([
    { program: "print(1+2)", answer: "3" },
    { program: "print(5+4)", answer: "9" },
    { program: "print(6+4)", answer: "10" },
  ]);
  assert.deepEqual(frequencyBaseline(programs), { symbol: 0, characterAccuracy: 3 / 7 });
});

Deno.test("softmaxEvaluation() sums −log2 of the targets' probabilities per episode, with the accuracies", () => {
  const batch = batchOf([[-1, 1, 2], [0, -1, 1]], 3);
  const output = outputsOf([[0, 1, 0], [0, 0, 1]], 3, 0.5);
  const e = softmaxEvaluation(output, batch);
  // Right steps have p = 0.5 (1 bit), the wrong one has 0.25 (2 bits): 1 + 2 + 1 + 1 = 5 bits over 2 episodes.
  assert.ok(Math.abs(e.costBits - 2.5) < 1e-12, String(e.costBits));
  assert.equal(e.bitErrors, 0.5);
  assert.equal(e.characterAccuracy, 0.75);
  assert.equal(e.answerAccuracy, 0.5);
  // A probability rounded to zero costs a finite amount.
  const zero = softmaxEvaluation(Float64Array.of(0, 1), batchOf([[0]], 2));
  assert.ok(Number.isFinite(zero.costBits) && zero.costBits > 100);
});

/** A backend stub: `evaluate` and `predict` as given, everything else unused. */
function stubBackend(
  name: "cpu" | "webgpu",
  evaluate: (b: EpisodeBatch) => Evaluation,
  predict: (b: EpisodeBatch) => Float64Array,
): TrainingBackend & { calls: string[] } {
  const calls: string[] = [];
  const unused = () => Promise.reject(new Error("not used"));
  return {
    calls,
    name,
    device: name,
    trainStep: unused,
    lastStep: unused,
    evaluate: (b) => (calls.push("evaluate"), Promise.resolve(evaluate(b))),
    predict: (b) => (calls.push("predict"), Promise.resolve(predict(b))),
    parameters: unused,
    optimizerState: unused,
    memoryRngState: () => [1, 2, 3, 4],
    setLearningRate: () => {
      throw new Error("not used");
    },
    destroy: () => {},
  };
}

Deno.test("evaluateBatch() measures softmax accuracy from predict() when the backend's evaluation lacks it", async () => {
  const batch = encodeProgramEpisodes([{ program: "print(1+2)", answer: "3" }]);
  const Y = batch.outputSize, T = batch.steps;
  // A model that is right at the answer step and wrong at the end step.
  const output = new Float64Array(T * Y);
  output[10 * Y + encodeProgramText("3")[0]!] = 1;
  output[11 * Y + encodeProgramText("9")[0]!] = 1;
  const gpu = stubBackend("webgpu", () => ({ costBits: 1, bitErrors: 1, episodes: 1 }), () => output);
  const e = await evaluateBatch(gpu, batch, "softmax");
  assert.deepEqual(gpu.calls, ["predict"]);
  assert.equal(e.characterAccuracy, 0.5);
  assert.equal(e.answerAccuracy, 0);
  assert.equal(e.bitErrors, 1);

  // A cpu backend's own accuracies are used as they are; sigmoid tasks never call predict().
  const own: Evaluation = { costBits: 2, bitErrors: 0, episodes: 1, characterAccuracy: 1, answerAccuracy: 1 };
  const cpu = stubBackend("cpu", () => own, () => output);
  assert.deepEqual(await evaluateBatch(cpu, batch, "softmax"), own);
  assert.deepEqual(cpu.calls, ["evaluate"]);
  const sigmoid = stubBackend("webgpu", () => ({ costBits: 3, bitErrors: 2, episodes: 1 }), () => output);
  assert.deepEqual(await evaluateBatch(sigmoid, batch, "sigmoid"), {
    costBits: 3,
    bitErrors: 2,
    episodes: 1,
  });
  assert.deepEqual(sigmoid.calls, ["evaluate"]);
});
