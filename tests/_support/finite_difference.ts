/**
 * Test helpers: central finite differences in float64 and the relative error that every gradient check
 * of the reference uses, `‖fd − analytic‖ / max(‖fd‖ + ‖analytic‖, 1e-8)`.
 */

import assert from "node:assert/strict";
import { Rng } from "../../src/model/random.ts";

/** The step of the central differences: small enough for O(h²) truncation, large enough for rounding. */
export const FD_STEP = 1e-6;

/** The largest relative error a float64 gradient check accepts. */
export const GRAD_TOLERANCE = 1e-6;

/** Euclidean norm. */
export function norm(a: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * a[i]!;
  return Math.sqrt(sum);
}

/** Σ a(i)·b(i). */
export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, `dot of lengths ${a.length} and ${b.length}`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i]! * b[i]!;
  return sum;
}

/** `‖fd − analytic‖ / max(‖fd‖ + ‖analytic‖, 1e-8)`; NaN anywhere gives Infinity (a failure). */
export function relativeError(fd: ArrayLike<number>, analytic: ArrayLike<number>): number {
  assert.equal(fd.length, analytic.length, `gradients of lengths ${fd.length} and ${analytic.length}`);
  const diff = new Float64Array(fd.length);
  for (let i = 0; i < fd.length; i++) diff[i] = fd[i]! - analytic[i]!;
  const err = norm(diff) / Math.max(norm(fd) + norm(analytic), 1e-8);
  return Number.isNaN(err) ? Infinity : err;
}

/**
 * Central differences `(L(x + h·e_i) − L(x − h·e_i)) / 2h` for every element of `x`, which is perturbed in
 * place and restored exactly after each element.
 *
 * @param loss The scalar loss of the current value of `x` (and anything else it closes over).
 * @param x The input to differentiate with respect to.
 * @param h The step.
 * @param indices Only these elements (default: all); the others are left 0.
 */
export function centralDifference(
  loss: () => number,
  x: { [i: number]: number; readonly length: number },
  h: number = FD_STEP,
  indices?: Iterable<number>,
): Float64Array {
  const grad = new Float64Array(x.length);
  for (const i of indices ?? grad.keys()) {
    const saved = x[i]!;
    x[i] = saved + h;
    const plus = loss();
    x[i] = saved - h;
    const minus = loss();
    x[i] = saved;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** One op's gradient check: the inputs to perturb, the loss, and the backward under test. */
export interface GradCheckSpec {
  /** Inputs the loss depends on, perturbed in place (scalars as length-1 arrays). */
  readonly inputs: Readonly<Record<string, Float64Array>>;
  /** The scalar loss of the current inputs: runs the forward, then e.g. `Σ out·upstream`. */
  readonly loss: () => number;
  /**
   * Runs the forward at the current inputs and then the backward under test, which must ADD the gradient of
   * `loss` with respect to each input into `grads[name]` (one array per name of `inputs`).
   */
  readonly backward: (grads: Record<string, Float64Array>) => void;
  /** The FD step (default {@linkcode FD_STEP}). */
  readonly h?: number;
}

/** What {@linkcode gradCheck} found. */
export interface GradCheckResult {
  /** Relative error per input. */
  readonly errors: Record<string, number>;
  /** The largest of `errors`. */
  readonly worst: number;
  /** The backward's gradient (from zeroed arrays). */
  readonly analytic: Record<string, Float64Array>;
  /** The central-difference gradient. */
  readonly numeric: Record<string, Float64Array>;
  /**
   * The largest `|(after − before) − analytic| / (1 + |analytic|)` when the backward ran into arrays
   * pre-filled with nonzero values: 0 up to rounding if it adds, about 1 if it overwrites.
   */
  readonly addsError: number;
}

/**
 * Checks a backward against central differences of its loss, and that it adds into its gradients.
 *
 * @param spec The inputs, loss and backward.
 * @returns Errors per input, the worst, and both gradients.
 */
export function gradCheck(spec: GradCheckSpec): GradCheckResult {
  const names = Object.keys(spec.inputs);
  const zeros = (): Record<string, Float64Array> =>
    Object.fromEntries(names.map((n) => [n, new Float64Array(spec.inputs[n]!.length)]));
  const analytic = zeros();
  spec.backward(analytic);
  const numeric: Record<string, Float64Array> = {}, errors: Record<string, number> = {};
  for (const name of names) {
    numeric[name] = centralDifference(spec.loss, spec.inputs[name]!, spec.h ?? FD_STEP);
    errors[name] = relativeError(numeric[name]!, analytic[name]!);
  }
  // The same backward into arrays that already hold nonzero values must add to them.
  const rng = new Rng(0x5eed);
  const before: Record<string, Float64Array> = {};
  for (const name of names) {
    before[name] = Float64Array.from(analytic[name]!, () => 0.25 + rng.uniform());
  }
  const after = Object.fromEntries(names.map((n) => [n, before[n]!.slice()]));
  spec.backward(after);
  let addsError = 0;
  for (const name of names) {
    const a = analytic[name]!, b = before[name]!, c = after[name]!;
    for (let i = 0; i < a.length; i++) {
      const e = Math.abs(c[i]! - b[i]! - a[i]!) / (1 + Math.abs(a[i]!));
      addsError = Math.max(addsError, Number.isNaN(e) ? Infinity : e);
    }
  }
  const worst = Math.max(...names.map((n) => errors[n]!));
  return { errors, worst, analytic, numeric, addsError };
}

/** Formats a relative error for a test name, e.g. `3.2e-10`. */
export function fmtErr(err: number): string {
  return err.toExponential(1);
}

/** A one-line summary of per-input errors, e.g. `dk 1.2e-10, dbeta 3.0e-11`. */
export function describeErrors(errors: Readonly<Record<string, number>>): string {
  return Object.entries(errors).map(([n, e]) => `d${n} ${fmtErr(e)}`).join(", ");
}

/** Asserts every relative error of a check is below the tolerance, naming the inputs that fail. */
export function assertGradCheck(result: GradCheckResult, tolerance: number = GRAD_TOLERANCE): void {
  const bad = Object.entries(result.errors).filter(([, e]) => !(e < tolerance));
  assert.ok(
    bad.length === 0,
    `gradient check failed (tolerance ${tolerance}): ${describeErrors(result.errors)}`,
  );
}

/** Asserts that the backward added into pre-filled gradient arrays rather than overwriting them. */
export function assertAddsInto(result: GradCheckResult, tolerance = 1e-12): void {
  assert.ok(
    result.addsError < tolerance,
    `the backward does not add into its gradients: worst deviation ${result.addsError}`,
  );
}

/**
 * Runs a gradient check as two test steps: the FD comparison, named with its worst relative error, and the
 * adds-into check. Logs the per-input errors.
 *
 * @param t The test context.
 * @param label What is checked, e.g. `"dk, dβ, dmem"`.
 * @param spec The check.
 * @returns The result, for further assertions.
 */
export async function gradCheckSteps(
  t: Deno.TestContext,
  label: string,
  spec: GradCheckSpec,
): Promise<GradCheckResult> {
  const result = gradCheck(spec);
  console.log(`  ${label}: ${describeErrors(result.errors)}`);
  await t.step(`${label} match central differences (worst rel. err ${fmtErr(result.worst)})`, () => {
    assertGradCheck(result);
  });
  await t.step(`${label}: the backward adds into pre-filled gradients`, () => {
    assertAddsInto(result);
  });
  return result;
}
