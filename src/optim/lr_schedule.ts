/**
 * The trainer's one learning-rate schedule mechanism, applied at every report (`--lr-schedule`):
 *
 * - `constant`: the rate never changes (the default).
 * - `plateau:factor=F,patience=P[,threshold=E][,min=M]`: step decay on a plateau. When the held-out cost has
 *   not fallen below `best·(1 − E)` (E default 0.01) for P reports in a row, the rate is multiplied by F and
 *   the count starts again; never below M (default 0).
 * - `decay:factor=F,every=N[,min=M]`: multiplicative decay, the rate multiplied by F once per N steps
 *   (applied at the first report at or after each multiple of N); never below M.
 *
 * The schedule's specification is saved in a checkpoint's `config.json` (`training.lrSchedule`), the rate in
 * use as the optimiser's `learningRate`, and the plateau's best cost and count in `progress.lrSchedule`, so a
 * resumed run decays exactly as an uninterrupted one.
 *
 * @module
 */

/** A schedule's specification, as `config.json` stores it. */
export type LrScheduleSpec =
  | { readonly kind: "constant" }
  | {
    readonly kind: "plateau";
    /** The factor each decay multiplies the rate by, in (0, 1). */
    readonly factor: number;
    /** Reports without improvement before a decay, ≥ 1. */
    readonly patience: number;
    /** The relative improvement that counts, in [0, 1). */
    readonly threshold: number;
    /** The lowest rate, ≥ 0. */
    readonly min: number;
  }
  | {
    readonly kind: "decay";
    /** The factor each decay multiplies the rate by, in (0, 1). */
    readonly factor: number;
    /** Steps between decays, ≥ 1. */
    readonly every: number;
    /** The lowest rate, ≥ 0. */
    readonly min: number;
  };

/** What a schedule remembers between reports (saved in `progress.lrSchedule`). */
export interface LrScheduleState {
  /** The step of the last report it saw (the run's start step before any). */
  readonly step: number;
  /** The lowest held-out cost so far, in bits (`null` before the first report). */
  readonly best: number | null;
  /** Reports since the cost last improved on `best`. */
  readonly since: number;
}

/** The names and ranges of each kind's fields, for parsing and checking. */
const FIELDS = {
  plateau: {
    factor: [0.5, "in (0, 1)"],
    patience: [10, "an integer ≥ 1"],
    threshold: [0.01, "in [0, 1)"],
    min: [0, "≥ 0"],
  },
  decay: { factor: [0.8, "in (0, 1)"], every: [1000, "an integer ≥ 1"], min: [0, "≥ 0"] },
} as const;

/** Whether a field's value is in its range. */
function inRange(field: string, value: number): boolean {
  switch (field) {
    case "factor":
      return value > 0 && value < 1;
    case "patience":
    case "every":
      return Number.isSafeInteger(value) && value >= 1;
    case "threshold":
      return value >= 0 && value < 1;
    default:
      return value >= 0 && Number.isFinite(value);
  }
}

/**
 * Reads a schedule as `--lr-schedule` takes it.
 *
 * @param text `constant`, `plateau:factor=0.5,patience=10` or `decay:factor=0.8,every=1000` (with optional
 *   `threshold` and `min`); a field left out takes its default (plateau: factor 0.5, patience 10, threshold
 *   0.01, min 0; decay: factor 0.8, every 1000, min 0).
 * @returns The specification.
 * @throws {RangeError} naming the bad kind, field or value.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseLrSchedule("decay:factor=0.5,every=100"), { kind: "decay", factor: 0.5, every: 100, min: 0 });
 * assert.throws(() => parseLrSchedule("plateau:factor=2"), /factor must be in \(0, 1\), got 2/);
 * ```
 */
export function parseLrSchedule(text: string): LrScheduleSpec {
  const [kind, rest = ""] = text.split(/:(.*)/s) as [string, string?];
  if (kind === "constant" && rest === "") return { kind: "constant" };
  if (kind !== "plateau" && kind !== "decay") {
    throw new RangeError(
      `--lr-schedule must be constant, plateau:… or decay:…, got ${JSON.stringify(text)}`,
    );
  }
  const fields: Record<string, readonly [number, string]> = FIELDS[kind];
  const values: Record<string, number> = Object.fromEntries(Object.entries(fields).map(([k, [d]]) => [k, d]));
  for (const pair of rest === "" ? [] : rest.split(",")) {
    const [name, value] = pair.split("=") as [string, string?];
    if (!(name in fields)) {
      throw new RangeError(
        `--lr-schedule ${kind}: unknown field ${JSON.stringify(name)}; it takes ${
          Object.keys(fields).join(", ")
        }`,
      );
    }
    const number = value === undefined || value.trim() === "" ? NaN : Number(value);
    if (!inRange(name, number)) {
      throw new RangeError(`--lr-schedule ${kind}: ${name} must be ${fields[name]![1]}, got ${value}`);
    }
    values[name] = number;
  }
  return { kind, ...values } as LrScheduleSpec;
}

/**
 * A schedule's text, as `--lr-schedule` takes it and the run's header prints it.
 *
 * @param spec The specification.
 * @returns E.g. `plateau:factor=0.5,patience=10,threshold=0.01,min=0`.
 */
export function formatLrSchedule(spec: LrScheduleSpec): string {
  if (spec.kind === "constant") return "constant";
  const { kind, ...fields } = spec;
  return `${kind}:${Object.entries(fields).map(([k, v]) => `${k}=${v}`).join(",")}`;
}

/**
 * Checks a specification read from a file (every field present and in range).
 *
 * @param value The parsed JSON.
 * @returns The specification.
 * @throws {RangeError} naming what is wrong.
 */
export function checkLrScheduleSpec(value: unknown): LrScheduleSpec {
  const spec = value as Record<string, unknown> | null;
  if (typeof spec !== "object" || spec === null) throw new RangeError(`must be an object, got ${value}`);
  if (spec.kind === "constant") return { kind: "constant" };
  if (spec.kind !== "plateau" && spec.kind !== "decay") {
    throw new RangeError(`kind must be constant, plateau or decay, got ${JSON.stringify(spec.kind)}`);
  }
  const fields: Record<string, readonly [number, string]> = FIELDS[spec.kind];
  for (const [name, [, range]] of Object.entries(fields)) {
    if (typeof spec[name] !== "number" || !inRange(name, spec[name] as number)) {
      throw new RangeError(`${name} must be ${range}, got ${JSON.stringify(spec[name])}`);
    }
  }
  return spec as unknown as LrScheduleSpec;
}

/** A schedule running: its rate, and what it remembers. */
export class LrSchedule {
  /** Its specification. */
  readonly spec: LrScheduleSpec;
  #rate: number;
  #state: LrScheduleState;

  /**
   * Starts a schedule, or restores it from a checkpoint.
   *
   * @param spec The specification.
   * @param learningRate The rate in use now.
   * @param state What it remembered at the checkpoint a run resumes from, or the start step of a fresh run.
   */
  constructor(spec: LrScheduleSpec, learningRate: number, state: LrScheduleState | number) {
    this.spec = spec;
    this.#rate = learningRate;
    this.#state = typeof state === "number" ? { step: state, best: null, since: 0 } : state;
  }

  /** The rate in use. */
  get learningRate(): number {
    return this.#rate;
  }

  /** What it remembers, for a checkpoint. */
  get state(): LrScheduleState {
    return this.#state;
  }

  /**
   * Takes a report into account.
   *
   * @param step The report's step.
   * @param costBits Its held-out cost.
   * @returns The new rate when it changed, else `undefined`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * const schedule = new LrSchedule(parseLrSchedule("plateau:factor=0.5,patience=2"), 1e-3, 0);
   * const rates = [10, 9, 9, 9, 8].map((cost, i) => schedule.afterReport(100 * (i + 1), cost));
   * assert.deepEqual(rates, [undefined, undefined, undefined, 5e-4, undefined]);
   * ```
   */
  afterReport(step: number, costBits: number): number | undefined {
    const before = this.#rate, { spec } = this;
    const { best, since } = this.#state;
    let next = { step, best, since };
    if (spec.kind === "decay") {
      const crossed = Math.floor(step / spec.every) - Math.floor(this.#state.step / spec.every);
      if (crossed > 0) this.#rate = Math.max(spec.min, this.#rate * spec.factor ** crossed);
    } else if (spec.kind === "plateau") {
      const improved = best === null || costBits < best - spec.threshold * Math.abs(best);
      next = improved ? { step, best: costBits, since: 0 } : { step, best, since: since + 1 };
      if (next.since >= spec.patience) {
        this.#rate = Math.max(spec.min, this.#rate * spec.factor);
        next = { ...next, since: 0 };
      }
    }
    this.#state = next;
    return this.#rate !== before ? this.#rate : undefined;
  }
}
