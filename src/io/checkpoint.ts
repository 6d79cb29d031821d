/**
 * Training checkpoints: a directory of three files that hold everything needed to continue a run exactly
 * where it stopped, or to evaluate and draw the model.
 *
 * | file | content |
 * |---|---|
 * | `model.safetensors` | every tensor of the parameter layout (`controller.0.weight`, …), F64, row-major; metadata `format`, `format_version`, `step` |
 * | `optimizer.safetensors` | each optimiser slot (`m`, `v` for Adam; `n`, `gbar`, `delta` for RMSProp) as a flat F64 tensor of P values; metadata `format`, `format_version`, `optimizer`, `optimizer_step`, `step` |
 * | `config.json` | `format`, `formatVersion`, `package`, `packageVersion`, `savedAt`, `modelKind` (`ntm` or `lstm`; absent means `ntm`), `model` (the {@linkcode NtmConfig}, or the {@linkcode LstmConfig} of the plain LSTM baseline), `parameters` (P), `training` ({@linkcode TrainingOptions}), `progress` ({@linkcode TrainingProgress}) |
 *
 * A program-task run also records its curriculum: `training.program` (the strategy and the target
 * difficulty) and `progress.curriculum` (the stage reached), so that a resumed run draws the same batches.
 * Float64 throughout, so that a CPU run resumed from a checkpoint is bit-identical to an uninterrupted one.
 *
 * A save never leaves a half-written checkpoint behind for the ordinary failures (a full disk, a
 * non-finite parameter, an interrupted write): all three files are first written in full next to the old
 * ones (each with {@linkcode writeFileAtomic}), and only then renamed over them. Every file carries the
 * training step, and loading checks that the three agree.
 *
 * This module gathers the checkpoint API: the types (`checkpoint_types.ts`), saving and shipping
 * (`checkpoint_save.ts`), loading (`checkpoint_load.ts`) and the file names (`checkpoint_files.ts`, which
 * also holds the commit protocol); `checkpoint_schema.ts` holds the checks of `config.json` and metadata.
 *
 * @module
 */

export * from "./checkpoint_types.ts";
export * from "./checkpoint_save.ts";
export * from "./checkpoint_load.ts";
export { CHECKPOINT_FILES } from "./checkpoint_files.ts";
export type { CurriculumName, CurriculumState } from "../../tasks/curriculum.ts";
export type { ProgramDifficulty, ProgramOperation } from "../../tasks/program.ts";
export type { LstmConfig } from "../model/lstm_config.ts";
