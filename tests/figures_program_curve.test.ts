import assert from "node:assert/strict";
import { parseMetricsLog } from "../src/io/metrics_log.ts";
import { programLearningCurveSvg } from "../src/figures/program_curve.ts";

const line = (sequences: number, accuracy: number, stage: number) =>
  JSON.stringify({
    step: sequences,
    sequences,
    seconds: sequences / 100,
    train_cost_bits: 5,
    grad_norm: 1,
    cost_bits: 20,
    bit_errors: 4,
    seq_per_s: 100,
    char_accuracy: accuracy,
    answer_accuracy: 0,
    stage_length: stage,
    stage_nesting: 1,
    stage_char_accuracy: 0.8,
    next_stage_length: stage,
    stage_advanced: 0,
  });

Deno.test("parseMetricsLog() keeps the program task's accuracies and curriculum stage, and only those", () => {
  const [r] = parseMetricsLog(line(1000, 0.25, 3) + "\n");
  assert.equal(r!.char_accuracy, 0.25);
  assert.equal(r!.stage_length, 3);
  assert.equal(r!.stage_char_accuracy, 0.8);
  assert.equal("next_stage_length" in r!, false);
  const [copy] = parseMetricsLog('{"step":1,"sequences":8,"cost_bits":3,"bit_errors":1}\n');
  assert.equal("char_accuracy" in copy!, false);
});

Deno.test("programLearningCurveSvg() draws accuracy in % and the stage as steps, and refuses a copy log", () => {
  const records = parseMetricsLog(
    [line(1000, 0.2, 1), line(2000, 0.3, 1), line(3000, 0.4, 2)].join("\n") + "\n",
  );
  const svg = programLearningCurveSvg(records, "addition");
  const polylines = [...svg.matchAll(/<polyline[^>]*points="([^"]+)"/g)].map((m) =>
    m[1]!.trim().split(/\s+/)
  );
  // target accuracy, stage accuracy, stage: the stage gains a corner where it changes.
  assert.deepEqual(polylines.map((p) => p.length), [3, 3, 4]);
  assert.match(svg, /Curriculum stage/);
  assert.match(svg, /digits per number/);
  assert.doesNotMatch(svg, />nesting</, "nesting 1 throughout is not drawn");
  const copy = parseMetricsLog('{"step":1,"sequences":8,"cost_bits":3,"bit_errors":1}\n');
  assert.throws(() => programLearningCurveSvg(copy, "copy"), /no record has char_accuracy/);
});
