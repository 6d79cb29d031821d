/**
 * The program task's batch source: training batches from a curriculum (`generateCurriculumBatch`), a
 * held-out batch at the target difficulty, and the curriculum's advance at every report.
 *
 * Two validation batches, both drawn from the held-out seed and never trained on:
 *
 * - the **held-out batch** at the target difficulty: every report's cost, per-character and whole-answer
 *   accuracy (and the frequency baseline) are measured on it, whatever the curriculum's stage, so that
 *   runs with different curricula are compared on the same episodes;
 * - the **stage batch** at the curriculum's current stage: a naive or combined curriculum is told its
 *   per-character accuracy (`curriculum.report`), and advances once it passes 0.95, as the paper's
 *   curricula move on when the current difficulty is learned. At the target the stage batch is the
 *   held-out batch itself (no second evaluation); `baseline` and `mix` curricula are always there.
 *
 * @module
 */

import { type Curriculum, generateCurriculumBatch } from "../../tasks/curriculum.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import { generatePrograms, type ProgramDifficulty } from "../../tasks/program.ts";
import { Rng } from "../model/random.ts";
import type { BatchSource, SourceReport } from "./batch_source.ts";
import type { Evaluation } from "./metrics.ts";

/** The curriculum source: a {@linkcode BatchSource} with its curriculum. */
export interface CurriculumBatchSource extends BatchSource {
  /** The curriculum it draws from and reports to (its state goes into checkpoints). */
  readonly curriculum: Curriculum;
}

/**
 * Creates the program task's batch source over a curriculum (see the module doc for its two validation
 * batches).
 *
 * @param curriculum The curriculum (at its first stage, or restored from a checkpoint).
 * @returns The source.
 *
 * @example A naive curriculum moves on after a good stage evaluation
 * ```ts
 * import assert from "node:assert/strict";
 * import { curriculumBatchSource } from "./curriculum_source.ts";
 * import { createCurriculum } from "../../tasks/curriculum.ts";
 * const source = curriculumBatchSource(createCurriculum("naive", { length: 2, nesting: 1 }));
 * source.heldOut(4, 2); // the held-out batch, at the target difficulty
 * const perfect = { costBits: 0, bitErrors: 0, episodes: 4, characterAccuracy: 1, answerAccuracy: 1 };
 * await source.afterEvaluation!(perfect, () => Promise.resolve(perfect));
 * assert(source.curriculum.current.length === 2);
 * ```
 */
export function curriculumBatchSource(curriculum: Curriculum): CurriculumBatchSource {
  const target = curriculum.target;
  let held: { episodes: number; seed: number; batch: EpisodeBatch } | undefined;
  const stageBatches = new Map<string, EpisodeBatch>();
  return {
    curriculum,
    next: (rng, batch) => generateCurriculumBatch(rng, batch, curriculum),
    heldOut(episodes: number, seed: number): EpisodeBatch {
      if (held?.episodes !== episodes || held.seed !== seed) {
        held = {
          episodes,
          seed,
          batch: generatePrograms(new Rng(seed), episodes, target, curriculum.operations),
        };
        stageBatches.clear();
      }
      return held.batch;
    },
    async afterEvaluation(
      evaluation: Evaluation,
      evaluate: (batch: EpisodeBatch) => Promise<Evaluation>,
    ): Promise<SourceReport> {
      const stage = curriculum.current;
      let stageEvaluation = evaluation;
      if (!sameDifficulty(stage, target)) {
        if (!held) throw new Error("Cannot validate the curriculum's stage before heldOut() was called");
        const key = `${stage.length},${stage.nesting}`;
        let batch = stageBatches.get(key);
        if (!batch) {
          batch = generatePrograms(new Rng(held.seed), held.episodes, stage, curriculum.operations);
          stageBatches.set(key, batch);
        }
        stageEvaluation = await evaluate(batch);
      }
      const accuracy = stageEvaluation.characterAccuracy;
      if (accuracy === undefined) {
        throw new TypeError(
          "Cannot report to the curriculum: the evaluation has no characterAccuracy (is the output softmax?)",
        );
      }
      const why = curriculum.report(accuracy);
      const next = curriculum.current;
      const moved = why === undefined ? "" : ` → ${next.length}/${next.nesting} (${why})`;
      return {
        summary: `${curriculum.name} stage ${stage.length}/${stage.nesting} acc ${
          accuracy.toFixed(3)
        }${moved}`,
        fields: {
          stage_length: stage.length,
          stage_nesting: stage.nesting,
          stage_char_accuracy: accuracy,
          next_stage_length: next.length,
          next_stage_nesting: next.nesting,
          // 1: passed the 0.95 threshold, 2: advanced after a plateau, 0: stayed.
          stage_advanced: why === "passed" ? 1 : why === "plateau" ? 2 : 0,
        },
      };
    },
  };
}

function sameDifficulty(a: ProgramDifficulty, b: ProgramDifficulty): boolean {
  return a.length === b.length && a.nesting === b.nesting;
}
