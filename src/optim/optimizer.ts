/**
 * The optimiser interface that training code uses, whichever optimiser it runs, and the factory that makes
 * one by name (`createOptimizer`) or resumes one from a checkpoint's state (`restoreOptimizer`).
 *
 * An optimiser works on all the model's parameters as one flat float64 array (the parameter layout table
 * says where each tensor lives in it), in one pass: clip the gradient, then update every element.
 *
 * @module
 */

import { ADAM_DEFAULTS, type AdamOptions, adamUpdate } from "./adam.ts";
import { clipElementwise, clipGlobalNorm } from "./clip.ts";
import { RMSPROP_DEFAULTS, type RmsPropOptions, rmspropUpdate } from "./rmsprop.ts";
import { SGD_DEFAULTS, type SgdOptions, sgdUpdate } from "./sgd.ts";

/**
 * The optimisers on offer: Adam (Collier & Beel), Graves' centred RMSProp (the NTM paper), or plain SGD
 * (learning to execute).
 */
export type OptimizerName = "adam" | "rmsprop" | "sgd";

/** Every {@linkcode OptimizerName}, in a fixed order (for argument parsing and error messages). */
export const OPTIMIZER_NAMES: readonly OptimizerName[] = Object.freeze(["adam", "rmsprop", "sgd"] as const);

/**
 * Hyper-parameters to override, by name; the rest take the optimiser's defaults (`ADAM_DEFAULTS`,
 * `RMSPROP_DEFAULTS`). Names that the chosen optimiser does not have are rejected.
 */
export type OptimizerOptions = Partial<AdamOptions> | Partial<RmsPropOptions> | Partial<SgdOptions>;

/**
 * Everything an optimiser carries from one step to the next, as saved in a checkpoint.
 *
 * Slots, each a float64 array with one value per parameter: Adam `{ m, v }` (first and second moment
 * estimates); RMSProp `{ n, gbar, delta }` (running average of g², running average of g, last update Δ);
 * SGD none.
 */
export interface OptimizerState {
  /** Which optimiser the state belongs to. */
  readonly name: OptimizerName;
  /** Updates applied so far (Adam's bias correction uses it). */
  step: number;
  /** The per-parameter arrays, by slot name. */
  readonly slots: Record<string, Float64Array>;
}

/** An optimiser over one flat float64 parameter array, with its state. */
export interface Optimizer {
  /** Which optimiser this is. */
  readonly name: OptimizerName;
  /** P: the number of parameters it updates. */
  readonly size: number;
  /** Every hyper-parameter in use (defaults filled in), e.g. `learningRate`, `clip`. */
  readonly options: Readonly<Record<string, number>>;
  /**
   * Changes the learning rate from the next step on (a learning-rate schedule's decay); the other options
   * and the state stay as they are.
   *
   * @param learningRate The new rate, finite and > 0.
   * @throws {RangeError} for any other value.
   */
  setLearningRate(learningRate: number): void;
  /**
   * The live state: the optimiser's own arrays, updated by every {@linkcode Optimizer.step}. Copy them
   * before a save that could overlap the next step.
   */
  readonly state: OptimizerState;
  /**
   * Applies one update to `params` in place from `grad`, clipping `grad` in place first (Adam: to global
   * norm `clip`; RMSProp: elementwise to `[−clip, clip]`).
   *
   * If the gradient holds a NaN or an infinity, nothing is changed (not the parameters, not the state, not
   * the step count) and the non-finite norm is returned: check the result with `Number.isFinite` and stop.
   *
   * @param params (P) the parameters θ, updated in place.
   * @param grad (P) the gradient of the loss with respect to θ; clipped in place.
   * @returns The L2 norm of the gradient before clipping.
   */
  step(params: Float64Array, grad: Float64Array): number;
}

/**
 * Makes an optimiser with zero state (step 0, every slot zero).
 *
 * @param name `"adam"` or `"rmsprop"`.
 * @param size P: the number of parameters, a positive integer.
 * @param options Hyper-parameters to override (defaults: `ADAM_DEFAULTS`, `RMSPROP_DEFAULTS`).
 * @returns The optimiser.
 * @throws {TypeError} For an unknown name or option, or an option that is not a number.
 * @throws {RangeError} For a size or an option value out of range.
 *
 * @example Two Adam steps on a tiny problem
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer } from "./optimizer.ts";
 * const params = new Float64Array([1, -1]);
 * const adam = createOptimizer("adam", 2, { learningRate: 0.01 });
 * for (let i = 0; i < 2; i++) {
 *   const grad = Float64Array.from(params, (p) => 2 * p); // d/dθ of Σθ²
 *   const norm = adam.step(params, grad);
 *   if (!Number.isFinite(norm)) throw new Error("non-finite gradient");
 * }
 * assert(adam.state.step === 2 && params[0]! < 1 && params[1]! > -1);
 * ```
 */
export function createOptimizer(name: OptimizerName, size: number, options?: OptimizerOptions): Optimizer {
  const kind = specFor("Cannot create an optimiser", "name", name);
  const where = `Cannot create the ${kind.title} optimiser`;
  checkSize(where, "size", size);
  const full = resolveOptions(where, kind, options);
  const slots: Record<string, Float64Array> = {};
  for (const slot of kind.slots) slots[slot.name] = new Float64Array(size);
  return new SlotOptimizer(kind, size, full, { name, step: 0, slots: Object.freeze(slots) });
}

/**
 * Makes an optimiser that carries on from a saved state (say, read from a checkpoint), so that the next
 * steps are exactly those an uninterrupted run would have taken. The state's arrays are copied.
 *
 * @param state The saved state: name, step count and every slot of the optimiser (see
 *   {@linkcode OptimizerState}), each with P finite values (`v` and `n` non-negative).
 * @param options Hyper-parameters to override (defaults: `ADAM_DEFAULTS`, `RMSPROP_DEFAULTS`); pass the ones
 *   the run was started with to continue it exactly.
 * @param size P, the parameter count that the slots must match; by default, the length of the first slot.
 * @returns The optimiser.
 * @throws {TypeError} For an unknown name, a missing, extra or non-Float64Array slot, or a bad option.
 * @throws {RangeError} For a step count, slot length, slot value or option out of range.
 *
 * @example Resume from a copy of the state
 * ```ts
 * import assert from "node:assert/strict";
 * import { createOptimizer, restoreOptimizer } from "./optimizer.ts";
 * const opt = createOptimizer("rmsprop", 3);
 * opt.step(new Float64Array(3), new Float64Array([1, 2, 3]));
 * const saved = { ...opt.state, slots: structuredClone(opt.state.slots) };
 * const resumed = restoreOptimizer(saved, opt.options, 3);
 * assert(resumed.state.step === 1 && resumed.state.slots.n![2] === opt.state.slots.n![2]);
 * ```
 */
export function restoreOptimizer(
  state: OptimizerState,
  options?: OptimizerOptions,
  size?: number,
): Optimizer {
  if (typeof state !== "object" || state === null) {
    throw new TypeError(`Cannot restore an optimiser: state must be an object, got ${describe(state)}`);
  }
  const kind = specFor("Cannot restore an optimiser", "state.name", state.name);
  const where = `Cannot restore the ${kind.title} optimiser`;
  const step = state.step;
  if (!Number.isSafeInteger(step) || step < 0) {
    throw new RangeError(`${where}: state.step must be a non-negative integer, got ${describe(step)}`);
  }
  const given = state.slots;
  if (typeof given !== "object" || given === null) {
    throw new TypeError(`${where}: state.slots must be an object, got ${describe(given)}`);
  }
  const expectedNames = kind.slots.map((s) => s.name);
  for (const key of Object.keys(given)) {
    if (!expectedNames.includes(key)) {
      throw new TypeError(
        `${where}: unexpected slot state.slots.${key}; expected exactly ${expectedNames.join(", ")}`,
      );
    }
  }
  let expectedLength = size;
  if (expectedLength !== undefined) checkSize(where, "size", expectedLength);
  const slots: Record<string, Float64Array> = {};
  for (const slot of kind.slots) {
    const field = `state.slots.${slot.name}`;
    const array: unknown = given[slot.name];
    if (!(array instanceof Float64Array)) {
      throw new TypeError(`${where}: ${field} must be a Float64Array, got ${describe(array)}`);
    }
    if (expectedLength === undefined) {
      checkSize(where, `the parameter count (${field}.length)`, array.length);
      expectedLength = array.length;
    }
    if (array.length !== expectedLength) {
      throw new RangeError(
        `${where}: ${field} must have length ${expectedLength} (the parameter count), got ${array.length}`,
      );
    }
    for (let i = 0; i < array.length; i++) {
      const x = array[i]!;
      if (!Number.isFinite(x) || (slot.nonNegative && x < 0)) {
        const expected = slot.nonNegative ? "finite values ≥ 0" : "finite values";
        throw new RangeError(`${where}: ${field}[${i}] must hold ${expected}, got ${x}`);
      }
    }
    slots[slot.name] = array.slice();
  }
  const full = resolveOptions(where, kind, options);
  return new SlotOptimizer(kind, expectedLength!, full, {
    name: state.name,
    step,
    slots: Object.freeze(slots),
  });
}

/** What differs between optimisers: defaults, slots, how to clip and how to update. */
interface OptimizerKind {
  readonly title: string;
  readonly defaults: Readonly<Record<string, number>>;
  /** Option name → [test, what the test requires]. */
  readonly ranges: Readonly<Record<string, readonly [(x: number) => boolean, string]>>;
  readonly slots: readonly { readonly name: string; readonly nonNegative: boolean }[];
  readonly clip: (grad: Float64Array, limit: number) => number;
  readonly update: (
    params: Float64Array,
    slots: Record<string, Float64Array>,
    grad: Float64Array,
    step: number,
    options: Readonly<Record<string, number>>,
  ) => void;
}

const positive: readonly [(x: number) => boolean, string] = [(x) => x > 0 && Number.isFinite(x), "> 0"];
const decay: readonly [(x: number) => boolean, string] = [(x) => x >= 0 && x < 1, "in [0, 1)"];
const clipLimit: readonly [(x: number) => boolean, string] = [(x) => x > 0, "> 0 (Infinity for no clipping)"];

const KINDS: Readonly<Record<OptimizerName, OptimizerKind>> = {
  adam: {
    title: "Adam",
    defaults: ADAM_DEFAULTS,
    ranges: { learningRate: positive, beta1: decay, beta2: decay, epsilon: positive, clip: clipLimit },
    slots: [{ name: "m", nonNegative: false }, { name: "v", nonNegative: true }],
    clip: clipGlobalNorm,
    update: (params, slots, grad, step, options) =>
      adamUpdate(params, slots.m!, slots.v!, grad, step, options as AdamOptions),
  },
  rmsprop: {
    title: "RMSProp",
    defaults: RMSPROP_DEFAULTS,
    ranges: { learningRate: positive, rho: decay, momentum: decay, epsilon: positive, clip: clipLimit },
    slots: [
      { name: "n", nonNegative: true },
      { name: "gbar", nonNegative: false },
      { name: "delta", nonNegative: false },
    ],
    clip: clipElementwise,
    update: (params, slots, grad, _step, options) =>
      rmspropUpdate(params, slots.n!, slots.gbar!, slots.delta!, grad, options as RmsPropOptions),
  },
  sgd: {
    title: "SGD",
    defaults: SGD_DEFAULTS,
    ranges: { learningRate: positive, clip: clipLimit },
    slots: [],
    clip: clipGlobalNorm,
    update: (params, _slots, grad, _step, options) => sgdUpdate(params, grad, options as SgdOptions),
  },
};

class SlotOptimizer implements Optimizer {
  readonly name: OptimizerName;
  readonly size: number;
  readonly state: OptimizerState;
  readonly #kind: OptimizerKind;
  #options: Readonly<Record<string, number>>;

  constructor(kind: OptimizerKind, size: number, options: Record<string, number>, state: OptimizerState) {
    this.#kind = kind;
    this.name = state.name;
    this.size = size;
    this.#options = Object.freeze(options);
    this.state = state;
  }

  get options(): Readonly<Record<string, number>> {
    return this.#options;
  }

  setLearningRate(learningRate: number): void {
    const where = `Cannot set the ${this.#kind.title} optimiser's learning rate`;
    this.#options = Object.freeze(resolveOptions(where, this.#kind, { ...this.#options, learningRate }));
  }

  step(params: Float64Array, grad: Float64Array): number {
    const where = `Cannot take an ${this.#kind.title} step`;
    checkArray(where, "params", params, this.size);
    checkArray(where, "grad", grad, this.size);
    const norm = this.#kind.clip(grad, this.options.clip!);
    if (!Number.isFinite(norm)) return norm;
    this.state.step += 1;
    this.#kind.update(params, this.state.slots, grad, this.state.step, this.options);
    return norm;
  }
}

function specFor(where: string, field: string, name: unknown): OptimizerKind {
  if (typeof name !== "string" || !Object.hasOwn(KINDS, name)) {
    const valid = OPTIMIZER_NAMES.map((n) => `"${n}"`).join(", ");
    throw new TypeError(`${where}: ${field} must be one of ${valid}, got ${describe(name)}`);
  }
  return KINDS[name as OptimizerName];
}

function checkArray(where: string, field: string, array: Float64Array, size: number): void {
  if (!(array instanceof Float64Array)) {
    throw new TypeError(`${where}: ${field} must be a Float64Array, got ${describe(array)}`);
  }
  if (array.length !== size) {
    throw new RangeError(
      `${where}: ${field} must have length ${size} (the parameter count), got ${array.length}`,
    );
  }
}

function checkSize(where: string, field: string, size: number): void {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`${where}: ${field} must be a positive integer, got ${describe(size)}`);
  }
}

function resolveOptions(
  where: string,
  kind: OptimizerKind,
  options: OptimizerOptions | undefined,
): Record<string, number> {
  const full: Record<string, number> = { ...kind.defaults };
  if (options === undefined) return full;
  if (typeof options !== "object" || options === null || Array.isArray(options)) {
    throw new TypeError(`${where}: options must be an object, got ${describe(options)}`);
  }
  const valid = Object.keys(kind.defaults);
  for (const [key, value] of Object.entries(options) as [string, unknown][]) {
    if (!valid.includes(key)) {
      throw new TypeError(`${where}: unknown option "${key}"; valid options are ${valid.join(", ")}`);
    }
    if (value === undefined) continue; // absent, as far as callers spreading optional settings are concerned
    if (typeof value !== "number") {
      throw new TypeError(`${where}: ${key} must be a number, got ${describe(value)}`);
    }
    const [test, requirement] = kind.ranges[key]!;
    if (!test(value)) throw new RangeError(`${where}: ${key} must be ${requirement}, got ${value}`);
    full[key] = value;
  }
  return full;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value)) {
    return `${value.constructor.name} of length ${(value as unknown as ArrayLike<unknown>).length}`;
  }
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return typeof value === "object" ? (value.constructor?.name ?? "an object") : typeof value;
}
