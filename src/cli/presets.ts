/**
 * The `quick` presets of `deno task train`: the paper's model structure for each task, shrunk so that it
 * trains in minutes on a CPU, with Adam (Collier & Beel). The `paper` presets are `paperPreset` in
 * tasks/presets.ts.
 *
 * @module
 */

import { paperPreset, type TaskPreset } from "../../tasks/presets.ts";
import type { PaperTaskName } from "../../tasks/task.ts";

/** The presets `--preset` selects from. */
export type PresetName = "quick" | "paper";

/** Every {@linkcode PresetName}, in the order `--help` lists them. */
export const PRESET_NAMES: readonly PresetName[] = ["quick", "paper"];

/**
 * The quick preset of a task: the paper's structure (controller type and layers, heads, shifts) with a
 * smaller controller and memory (C = 64, N = 32, M = 8), Adam at lr 1e-3, batch 16, 20,000 steps; copy
 * trains on lengths 1..5 for 6,000 steps (measured: below 0.1 bit errors per sequence after about 3,000
 * steps and none by 5,500; about 6 minutes on the software WebGPU adapter of a 2-core machine).
 *
 * @param task One of the five paper tasks.
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { quickPreset } from "./presets.ts";
 * const preset = quickPreset("copy");
 * console.assert(preset.optimizer === "adam" && preset.model.memoryN === 32);
 * ```
 */
export function quickPreset(task: PaperTaskName): TaskPreset {
  const paper = paperPreset(task);
  const small = { controllerSize: 64, memoryN: 32, memoryM: 8 };
  const byTask: Partial<Record<PaperTaskName, Partial<TaskPreset>>> = {
    copy: { model: { ...paper.model, ...small }, range: { minLen: 1, maxLen: 5 }, steps: 6_000 },
  };
  return {
    ...paper,
    model: { ...paper.model, ...small },
    optimizer: "adam",
    learningRate: 1e-3,
    batch: 16,
    steps: 20_000,
    ...byTask[task],
  };
}

/**
 * The preset a name selects.
 *
 * @param name `quick` or `paper`.
 * @param task One of the five paper tasks.
 * @returns The preset.
 *
 * @example
 * ```ts
 * import { presetByName } from "./presets.ts";
 * console.assert(presetByName("paper", "copy").optimizer === "rmsprop");
 * ```
 */
export function presetByName(name: PresetName, task: PaperTaskName): TaskPreset {
  return name === "paper" ? paperPreset(task) : quickPreset(task);
}
