/**
 * The NTM paper's five tasks and Learning to Execute's program task, as pure seeded generators of
 * episode batches (typed arrays `input`, `target`, `mask`), with the paper's presets and curricula.
 * Tasks know nothing of the model or the GPU.
 *
 * @example Draw a batch of copy episodes
 * ```ts
 * import { copyTask } from "@ntm/ntm/tasks";
 * import { Rng } from "@ntm/ntm";
 * const batch = copyTask().generate(new Rng(1), 4, { minLen: 1, maxLen: 5 });
 * console.log(batch.steps, batch.input.length);
 * ```
 *
 * @module
 */

export * from "../src/model/episode.ts";
export * from "./task.ts";
export * from "./copy.ts";
export * from "./repeat_copy.ts";
export * from "./associative_recall.ts";
export * from "./ngrams.ts";
export * from "./priority_sort.ts";
export * from "./program.ts";
export * from "./program_interpreter.ts";
export * from "./curriculum.ts";
export * from "./presets.ts";
