/**
 * Backpropagation through time of the whole reference NTM, checked against central finite differences in
 * float64 over EVERY parameter, grouped by layout entry, for both controllers, learned and constant memory,
 * sigmoid and softmax outputs; also the gradients with respect to the inputs and the initial memories.
 */

import assert from "node:assert/strict";
import { type NtmConfig, ntmConfig } from "../src/model/config.ts";
import { type ParameterLayout, parameterLayout } from "../src/model/layout.ts";
import { Rng } from "../src/model/random.ts";
import { referenceBackward, referenceForward, referenceLossAndGradient } from "../src/reference/model.ts";
import { randomInitialMemory } from "../src/model/initial_memory.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { randomArray, randomBatch } from "./_support/random_batch.ts";
import { centralDifference, fmtErr, GRAD_TOLERANCE, relativeError } from "./_support/finite_difference.ts";

/**
 * The FD step of the whole-model checks. The loss sums hundreds of rounded terms, so its rounding error,
 * divided by 2h, dominates at h = 1e-6 (group errors ~1e-7); at 1e-5 the O(h²) truncation is still far
 * below it and the errors drop to ~1e-8.
 */
const MODEL_STEP = 1e-5;

/** Small sizes, all different, so that a transposed or misplaced block shows. */
const SIZES = { X: 3, Y: 2, C: 5, N: 7, M: 4, R: 2, W: 2, L: 2, T: 6, B: 2 } as const;

function smallConfig(overrides: Partial<NtmConfig>): NtmConfig {
  return ntmConfig({
    inputSize: SIZES.X,
    outputSize: SIZES.Y,
    controllerSize: SIZES.C,
    controllerLayers: SIZES.L,
    memoryN: SIZES.N,
    memoryM: SIZES.M,
    readHeads: SIZES.R,
    writeHeads: SIZES.W,
    shiftRange: 1,
    ...overrides,
  });
}

/**
 * The batch with its input held in a Float64Array. The model only indexes `batch.input[...]` and copies the
 * values into float64 buffers, so it behaves exactly as with a Float32Array of the same values; but the
 * finite differences can now move an input by h = 1e-6 exactly, where a Float32Array would round x ± h
 * back to the nearest float32 (spacing ≈ 6e-8 near 1) and spoil the difference quotient.
 */
function withFloat64Input(batch: EpisodeBatch): EpisodeBatch & { input64: Float64Array } {
  const input64 = Float64Array.from(batch.input);
  return { ...batch, input: input64 as unknown as Float32Array, input64 };
}

/** The training objective: the mean over episodes of each episode's summed loss. */
function meanLoss(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
  memory0?: Float64Array,
): number {
  const { loss } = referenceForward(config, layout, params, batch, memory0);
  let sum = 0;
  for (const l of loss) sum += l;
  return sum / batch.batch;
}

interface GroupError {
  readonly name: string;
  readonly size: number;
  readonly err: number;
  readonly norm: number;
}

/** FD over every parameter; the relative error per layout entry. */
function parameterGroupErrors(
  config: NtmConfig,
  layout: ParameterLayout,
  params: Float64Array,
  batch: EpisodeBatch,
): GroupError[] {
  const { grad, loss } = referenceLossAndGradient(config, layout, params, batch);
  assert.ok(Math.abs(loss - meanLoss(config, layout, params, batch)) < 1e-14, "the loss is the batch mean");
  const fd = centralDifference(() => meanLoss(config, layout, params, batch), params, MODEL_STEP);
  return layout.entries.map((e) => {
    const a = grad.subarray(e.offset, e.offset + e.size), n = fd.subarray(e.offset, e.offset + e.size);
    let norm = 0;
    for (const v of a) norm += v * v;
    return { name: e.name, size: e.size, err: relativeError(n, a), norm: Math.sqrt(norm) };
  });
}

function formatTable(title: string, groups: readonly GroupError[]): string {
  const width = Math.max(...groups.map((g) => g.name.length));
  const lines = groups.map((g) =>
    `  ${g.name.padEnd(width)}  ${String(g.size).padStart(4)}  ‖grad‖ ${g.norm.toExponential(2)}  rel. err ${
      fmtErr(g.err)
    }`
  );
  return [title, ...lines].join("\n");
}

function assertGroups(groups: readonly GroupError[]): void {
  const bad = groups.filter((g) => !(g.err < GRAD_TOLERANCE));
  assert.ok(
    bad.length === 0,
    `groups over ${GRAD_TOLERANCE}: ${bad.map((g) => `${g.name} ${g.err}`).join(", ")}`,
  );
  // Every group must carry gradient, or the check would be vacuous.
  const dead = groups.filter((g) => !(g.norm > 1e-8));
  assert.ok(dead.length === 0, `groups with no gradient: ${dead.map((g) => g.name).join(", ")}`);
}

const summary: { check: string; worst: number; group: string }[] = [];

const CASES = [
  { controllerType: "lstm", memoryInit: "learned", outputKind: "sigmoid" },
  { controllerType: "lstm", memoryInit: "constant", outputKind: "sigmoid" },
  { controllerType: "feedforward", memoryInit: "learned", outputKind: "sigmoid" },
  { controllerType: "feedforward", memoryInit: "constant", outputKind: "sigmoid" },
  { controllerType: "lstm", memoryInit: "learned", outputKind: "softmax" },
  { controllerType: "feedforward", memoryInit: "constant", outputKind: "softmax" },
] as const;

for (const [index, overrides] of CASES.entries()) {
  const label =
    `${overrides.controllerType}, ${overrides.memoryInit} memory, ${overrides.outputKind} outputs`;
  Deno.test(`referenceBackward() matches FD over every parameter (${label})`, async (t) => {
    const config = smallConfig(overrides), layout = parameterLayout(config);
    const rng = new Rng(1000 + index);
    const params = randomArray(rng, layout.size, -0.8, 0.8);
    const batch = randomBatch(rng, SIZES.B, SIZES.T, SIZES.X, SIZES.Y, config.outputKind);
    const groups = parameterGroupErrors(config, layout, params, batch);
    const worst = groups.reduce((a, g) => (g.err > a.err ? g : a));
    summary.push({ check: label, worst: worst.err, group: worst.name });
    console.log(formatTable(`${label}: ${layout.size} parameters`, groups));
    if (config.memoryInit === "learned") assert.ok(groups.some((g) => g.name === "init.memory"));
    await t.step(
      `${layout.size} parameters in ${groups.length} groups (worst rel. err ${
        fmtErr(worst.err)
      }, ${worst.name})`,
      () => assertGroups(groups),
    );
  });
}

Deno.test("referenceBackward() matches FD with respect to the inputs", async (t) => {
  for (const controllerType of ["lstm", "feedforward"] as const) {
    const config = smallConfig({ controllerType, memoryInit: "learned" }), layout = parameterLayout(config);
    const rng = new Rng(2000);
    const params = randomArray(rng, layout.size, -0.8, 0.8);
    const batch = withFloat64Input(randomBatch(rng, SIZES.B, SIZES.T, SIZES.X, SIZES.Y));
    const forward = referenceForward(config, layout, params, batch);
    const inputGrad = new Float64Array(batch.input64.length), grad = new Float64Array(layout.size);
    referenceBackward(config, layout, params, batch, forward, grad, { inputGrad });
    const fd = centralDifference(() => meanLoss(config, layout, params, batch), batch.input64, MODEL_STEP);
    const err = relativeError(fd, inputGrad);
    summary.push({ check: `${controllerType}: d input`, worst: err, group: "input" });
    await t.step(`${controllerType}: d input (worst rel. err ${fmtErr(err)})`, () => {
      assert.ok(err < GRAD_TOLERANCE, `relative error ${err}`);
      // The padding step of the shorter episode is last and masked: nothing depends on its input.
      const { T, X } = SIZES, b = SIZES.B - 1, t = T - 1;
      for (let x = 0; x < X; x++) assert.equal(inputGrad[(b * T + t) * X + x], 0);
    });
  }
});

Deno.test("referenceBackward() matches FD with respect to a given initial memory", async (t) => {
  // memoryInit "random": the memories come from the caller, one per episode, and memoryGrad receives theirs.
  const config = smallConfig({ memoryInit: "random" }), layout = parameterLayout(config);
  const rng = new Rng(3000);
  const params = randomArray(rng, layout.size, -0.8, 0.8);
  const batch = randomBatch(rng, SIZES.B, SIZES.T, SIZES.X, SIZES.Y);
  const memory0 = randomInitialMemory(config, SIZES.B, () => rng.uniform());
  const forward = referenceForward(config, layout, params, batch, memory0);
  const memoryGrad = new Float64Array(memory0.length), grad = new Float64Array(layout.size);
  referenceBackward(config, layout, params, batch, forward, grad, { memoryGrad });
  const fd = centralDifference(() => meanLoss(config, layout, params, batch, memory0), memory0, MODEL_STEP);
  const err = relativeError(fd, memoryGrad);
  summary.push({ check: "lstm: d memory0 (random init)", worst: err, group: "memory0" });
  await t.step(`d memory0 (worst rel. err ${fmtErr(err)})`, () => assert.ok(err < GRAD_TOLERANCE, `${err}`));
  await t.step("the parameter gradient equals referenceLossAndGradient's", () => {
    const again = referenceLossAndGradient(config, layout, params, batch, memory0).grad;
    assert.deepEqual(again, grad);
  });
});

Deno.test("referenceBackward() scales by lossScale and adds into grad", () => {
  const config = smallConfig({ memoryInit: "learned" }), layout = parameterLayout(config);
  const rng = new Rng(4000);
  const params = randomArray(rng, layout.size, -0.8, 0.8);
  const batch = randomBatch(rng, SIZES.B, SIZES.T, SIZES.X, SIZES.Y);
  const forward = referenceForward(config, layout, params, batch);
  const mean = new Float64Array(layout.size), sum = new Float64Array(layout.size).fill(0.5);
  referenceBackward(config, layout, params, batch, forward, mean);
  referenceBackward(config, layout, params, batch, forward, sum, { lossScale: 1 });
  for (let i = 0; i < layout.size; i++) {
    const expected = 0.5 + SIZES.B * mean[i]!;
    assert.ok(Math.abs(sum[i]! - expected) < 1e-12 * (1 + Math.abs(expected)), `grad[${i}]`);
  }
});

Deno.test("gradient check summary", () => {
  const width = Math.max(...summary.map((s) => s.check.length));
  console.log(
    ["worst relative error per whole-model check:"]
      .concat(summary.map((s) => `  ${s.check.padEnd(width)}  ${fmtErr(s.worst)}  (${s.group})`))
      .join("\n"),
  );
  for (const s of summary) assert.ok(s.worst < GRAD_TOLERANCE, s.check);
});
