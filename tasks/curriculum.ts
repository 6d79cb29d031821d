/**
 * Curricula for the program task (Zaremba & Sutskever 2014, §4): which difficulty, `{ length, nesting }`,
 * each training example gets on the way to a target difficulty.
 *
 * | name       | each example's difficulty                                                            |
 * |------------|--------------------------------------------------------------------------------------|
 * | `baseline` | always the target (no curriculum)                                                    |
 * | `naive`    | the current stage, which starts at length 1, nesting 1 and advances on validation   |
 * | `mix`      | length uniform in 1..target length and nesting uniform in 1..target nesting, independently |
 * | `combined` | with probability 0.2 a `mix` draw, otherwise the `naive` current stage                |
 *
 * The naive stage advances when {@linkcode Curriculum.report} gets a validation accuracy above 0.95, or when
 * learning at the stage has stopped making progress (the paper's words, §4: "once learning stops making
 * progress on the validation set, we increase length by 1"): {@linkcode CURRICULUM_PATIENCE} reports in a row
 * without beating the stage's best accuracy by {@linkcode CURRICULUM_MIN_PROGRESS}. Without that second rule
 * a stage the model cannot take past 0.95 holds the curriculum forever (a measured run of all six operations
 * stayed at 1 digit for 90 % of its steps). The stages come in the paper's order: length first, one digit at a time up to the target length; then nesting goes up by one and
 * length starts again at 1. So a target of length 3, nesting 2 runs (1,1) (2,1) (3,1) (1,2) (2,2) (3,2) and
 * stays at the target from then on.
 *
 * @module
 */

import type { Rng } from "../src/model/random.ts";
import {
  checkProgramDifficulty,
  checkProgramOperations,
  encodeProgramEpisodes,
  type GeneratedProgram,
  generateProgram,
  PROGRAM_OPERATIONS,
  type ProgramBatch,
  type ProgramDifficulty,
  type ProgramOperation,
} from "./program.ts";

/** The name of a curriculum strategy (§4). */
export type CurriculumName = "baseline" | "naive" | "mix" | "combined";

/** The curriculum strategies, in the paper's order. */
export const CURRICULUM_NAMES: readonly CurriculumName[] = Object.freeze(
  ["baseline", "naive", "mix", "combined"] as const,
);

/** The validation accuracy a naive (or combined) curriculum must exceed to advance a stage. */
export const CURRICULUM_ADVANCE_ACCURACY = 0.95;

/**
 * Reports in a row without progress after which a naive (or combined) curriculum advances anyway: with the
 * default report interval of 100 steps, 2,000 steps of a stage that no longer improves.
 */
export const CURRICULUM_PATIENCE = 20;

/** The rise over a stage's best validation accuracy that counts as progress (one point in a hundred). */
export const CURRICULUM_MIN_PROGRESS = 0.01;

/** The share of a combined curriculum's examples drawn as in the mix strategy. */
export const COMBINED_MIX_PROBABILITY = 0.2;

/** Everything needed to resume a curriculum: plain JSON data. */
export interface CurriculumState {
  /** The strategy. */
  readonly name: CurriculumName;
  /** The difficulty it heads for. */
  readonly target: ProgramDifficulty;
  /** The naive stage reached (the target for `baseline` and `mix`). */
  readonly current: ProgramDifficulty;
  /** The best validation accuracy reported at the current stage (absent before the first report there). */
  readonly stageBest?: number;
  /** Reports at the current stage since `stageBest` was set (absent: 0). */
  readonly reportsSinceProgress?: number;
}

/** A curriculum: draws each example's difficulty and moves on as validation accuracy improves. */
export interface Curriculum {
  /** The strategy. */
  readonly name: CurriculumName;
  /** The difficulty it heads for. */
  readonly target: ProgramDifficulty;
  /** The operations its programs compose (all six unless the run chose some, e.g. `["add"]`). */
  readonly operations: readonly ProgramOperation[];
  /** The current naive stage (for `baseline` and `mix`, the target: the hardest difficulty drawn). */
  readonly current: ProgramDifficulty;
  /**
   * Draws the difficulty of one training example.
   *
   * @param rng The random source (`baseline` and `naive` draw nothing from it).
   * @returns The difficulty.
   */
  sample(rng: Rng): ProgramDifficulty;
  /**
   * Reports the latest validation accuracy (per character, in [0, 1]); a naive or combined curriculum
   * advances one stage when it is above 0.95, or when it is the {@linkcode CURRICULUM_PATIENCE}th report in
   * a row that did not beat the stage's best by {@linkcode CURRICULUM_MIN_PROGRESS}, and the target is not
   * reached yet. Others ignore it.
   *
   * @param validationAccuracy The accuracy.
   * @returns Why the stage advanced (`"passed"` the threshold or `"plateau"`), or `undefined` when it stayed.
   */
  report(validationAccuracy: number): "passed" | "plateau" | undefined;
  /**
   * The curriculum's state, to save with a checkpoint.
   *
   * @returns A JSON-serialisable copy.
   */
  state(): CurriculumState;
  /**
   * Resumes from a saved state of a curriculum with the same name and target.
   *
   * @param state The state from {@linkcode Curriculum.state}.
   */
  restore(state: CurriculumState): void;
}

/**
 * Creates a curriculum that heads for a target difficulty.
 *
 * @param name `baseline`, `naive`, `mix` or `combined`.
 * @param target The target digits per number (1..9) and nesting (1..3).
 * @param operations The operations its programs compose (default all six).
 * @returns The curriculum, at its first stage.
 * @throws {TypeError} when the name is not one of the four (the message lists them).
 * @throws {RangeError} when the target or the operations are out of range.
 *
 * @example A naive curriculum advances after a good validation
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCurriculum } from "./curriculum.ts";
 * const c = createCurriculum("naive", { length: 4, nesting: 2 });
 * c.report(0.97);
 * assert(c.current.length === 2 && c.current.nesting === 1);
 * ```
 */
export function createCurriculum(
  name: string,
  target: ProgramDifficulty,
  operations: readonly ProgramOperation[] = PROGRAM_OPERATIONS,
): Curriculum {
  if (!(CURRICULUM_NAMES as readonly string[]).includes(name)) {
    throw new TypeError(
      `Cannot create the curriculum: name must be one of ${CURRICULUM_NAMES.join(", ")}, got ${
        JSON.stringify(name)
      }`,
    );
  }
  const strategy = name as CurriculumName;
  const goal: ProgramDifficulty = copy(checkProgramDifficulty(target, "Cannot create the curriculum"));
  const drawFrom = Object.freeze([...checkProgramOperations(operations, "Cannot create the curriculum")]);
  const advances = strategy === "naive" || strategy === "combined";
  let current: ProgramDifficulty = advances ? copy({ length: 1, nesting: 1 }) : goal;
  let stageBest: number | undefined;
  let reportsSinceProgress = 0;
  const mix = (rng: Rng): ProgramDifficulty => {
    const length = rng.int(1, goal.length);
    return { length, nesting: rng.int(1, goal.nesting) };
  };
  return {
    name: strategy,
    target: goal,
    operations: drawFrom,
    get current(): ProgramDifficulty {
      return current;
    },
    sample(rng: Rng): ProgramDifficulty {
      switch (strategy) {
        case "baseline":
        case "naive":
          return current;
        case "mix":
          return mix(rng);
        case "combined":
          return rng.uniform() < COMBINED_MIX_PROBABILITY ? mix(rng) : current;
      }
    },
    report(validationAccuracy: number): "passed" | "plateau" | undefined {
      if (typeof validationAccuracy !== "number" || Number.isNaN(validationAccuracy)) {
        throw new TypeError(
          `Cannot report to the curriculum: validationAccuracy must be a number in [0, 1], got ${validationAccuracy}`,
        );
      }
      if (validationAccuracy < 0 || validationAccuracy > 1) {
        throw new RangeError(
          `Cannot report to the curriculum: validationAccuracy must be in [0, 1], got ${validationAccuracy}`,
        );
      }
      if (!advances || sameStage(current, goal)) return undefined;
      let why: "passed" | "plateau" | undefined;
      if (validationAccuracy > CURRICULUM_ADVANCE_ACCURACY) {
        why = "passed";
      } else if (stageBest === undefined || validationAccuracy >= stageBest + CURRICULUM_MIN_PROGRESS) {
        stageBest = validationAccuracy;
        reportsSinceProgress = 0;
      } else if (++reportsSinceProgress >= CURRICULUM_PATIENCE) {
        why = "plateau";
      }
      if (why !== undefined) {
        current = nextStage(current, goal);
        stageBest = undefined;
        reportsSinceProgress = 0;
      }
      return why;
    },
    state(): CurriculumState {
      return {
        name: strategy,
        target: copy(goal),
        current: copy(current),
        ...(stageBest !== undefined && { stageBest }),
        ...(reportsSinceProgress > 0 && { reportsSinceProgress }),
      };
    },
    restore(state: CurriculumState): void {
      const what = "Cannot restore the curriculum";
      if (typeof state !== "object" || state === null) {
        throw new TypeError(`${what}: state must be an object { name, target, current }, got ${state}`);
      }
      if (state.name !== strategy) {
        throw new TypeError(`${what}: the state is for ${JSON.stringify(state.name)}, not ${strategy}`);
      }
      checkProgramDifficulty(state.target, what);
      if (state.target.length !== goal.length || state.target.nesting !== goal.nesting) {
        throw new RangeError(
          `${what}: the state's target ${JSON.stringify(state.target)} differs from ${JSON.stringify(goal)}`,
        );
      }
      checkProgramDifficulty(state.current, what);
      if (state.current.length > goal.length || state.current.nesting > goal.nesting) {
        throw new RangeError(
          `${what}: the state's current ${JSON.stringify(state.current)} is past the target ${
            JSON.stringify(goal)
          }`,
        );
      }
      if (!advances && (state.current.length !== goal.length || state.current.nesting !== goal.nesting)) {
        throw new RangeError(`${what}: a ${strategy} curriculum is always at its target`);
      }
      const best = state.stageBest, since = state.reportsSinceProgress ?? 0;
      if (best !== undefined && (typeof best !== "number" || !(best >= 0 && best <= 1))) {
        throw new RangeError(`${what}: the state's stageBest must be in [0, 1], got ${best}`);
      }
      if (!Number.isInteger(since) || since < 0 || since >= CURRICULUM_PATIENCE) {
        throw new RangeError(
          `${what}: the state's reportsSinceProgress must be an integer in 0..${
            CURRICULUM_PATIENCE - 1
          }, got ${since}`,
        );
      }
      current = copy(state.current);
      stageBest = best;
      reportsSinceProgress = since;
    },
  };
}

function copy(d: ProgramDifficulty): ProgramDifficulty {
  return Object.freeze({ length: d.length, nesting: d.nesting });
}

function sameStage(a: ProgramDifficulty, b: ProgramDifficulty): boolean {
  return a.length === b.length && a.nesting === b.nesting;
}

function nextStage(d: ProgramDifficulty, goal: ProgramDifficulty): ProgramDifficulty {
  if (d.length < goal.length) return copy({ length: d.length + 1, nesting: d.nesting });
  if (d.nesting < goal.nesting) return copy({ length: 1, nesting: d.nesting + 1 });
  return d;
}

/** A batch of program episodes whose difficulties a curriculum drew, one per episode. */
export interface CurriculumBatch extends ProgramBatch {
  /** Each episode's difficulty (B of them). */
  readonly difficulties: readonly ProgramDifficulty[];
}

/**
 * Generates a batch in which each episode's difficulty is drawn from the curriculum: for episode 0, its
 * difficulty then its program; then episode 1; and so on.
 *
 * @param rng The random source; the same state (and curriculum stage) gives the same batch.
 * @param batch B: episodes to draw (a positive integer).
 * @param curriculum The curriculum to draw difficulties from.
 * @returns The padded batch (X = Y = 49) with the texts and the difficulties.
 * @throws {RangeError} when `batch` is not a positive integer.
 *
 * @example A mixed batch
 * ```ts
 * import assert from "node:assert/strict";
 * import { createCurriculum, generateCurriculumBatch } from "./curriculum.ts";
 * import { Rng } from "../src/model/random.ts";
 * const b = generateCurriculumBatch(new Rng(5), 16, createCurriculum("mix", { length: 5, nesting: 2 }));
 * assert(b.difficulties.every((d) => d.length <= 5 && d.nesting <= 2));
 * ```
 */
export function generateCurriculumBatch(rng: Rng, batch: number, curriculum: Curriculum): CurriculumBatch {
  if (typeof batch !== "number" || !Number.isInteger(batch) || batch < 1) {
    throw new RangeError(
      `Cannot generate a curriculum batch: batch must be a positive integer, got ${batch}`,
    );
  }
  const difficulties: ProgramDifficulty[] = [];
  const examples: GeneratedProgram[] = [];
  for (let b = 0; b < batch; b++) {
    const d = curriculum.sample(rng);
    difficulties.push(d);
    examples.push(generateProgram(rng, d, curriculum.operations));
  }
  return { ...encodeProgramEpisodes(examples), difficulties };
}
