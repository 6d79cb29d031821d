/**
 * The browser entry of `@ntm/ntm`: what a web page needs to train a Neural Turing Machine on the visitor's
 * GPU with the package's WGSL kernels or on its CPU with the WebAssembly SIMD engine (`createWasmBackend`;
 * its threads need a cross-origin isolated page), load a shipped model from its files' bytes and draw what
 * the machine does. Nothing here uses `Deno.*` or `node:` modules, so it bundles for the browser
 * (`deno bundle --platform browser`); the demo page in `web/` is built on it (`deno task demo`).
 *
 * @example Train the quick copy preset live and print its reports
 * ```ts ignore
 * import { createLiveRun, presetByName, taskByName } from "@ntm/ntm/browser";
 *
 * const run = await createLiveRun({
 *   task: taskByName("copy"), preset: presetByName("quick", "copy"),
 *   steps: 200, seed: 1, reportEvery: 20, evalEpisodes: 16,
 * });
 * await run.train({ onReport: (r) => console.log(`step ${r.step}: ${r.costBits.toFixed(2)} bits`) });
 * ```
 *
 * @module
 */

export * from "./src/model/config.ts";
export * from "./src/model/layout.ts";
export * from "./src/model/random.ts";
export * from "./src/model/episode.ts";
export * from "./tasks/mod.ts";
export type { InitOptions, InitWeighting } from "./src/model/init.ts";
export type { LstmConfig } from "./src/model/lstm_config.ts";
export type { Evaluation } from "./src/train/metrics.ts";
export type { MetricsRecord } from "./src/io/metrics_log.ts";
export * from "./src/optim/mod.ts";
export * from "./src/gpu/device.ts";
export * from "./src/train/backend.ts";
export * from "./src/train/loop.ts";
export * from "./src/train/webgpu_backend.ts";
export * from "./src/train/wasm_backend.ts";
export type { WasmAssets } from "./src/wasm/kernels.ts";
export * from "./src/train/typed_programs.ts";
export * from "./src/train/create_backend.ts";
export * from "./src/train/evaluate.ts";
export * from "./src/train/run_setup.ts";
export * from "./src/train/live_run.ts";
export * from "./src/io/checkpoint_parse.ts";
export * from "./src/io/checkpoint_types.ts";
export * from "./src/figures/episode_figure.ts";
export * from "./src/figures/learning_curve.ts";
export type { EpisodeTape, ReferenceForward, StepTape } from "./src/reference/model.ts";
export type { AddressingTape, ControllerTape } from "./src/reference/model_step.ts";
export type { ProgramExampleRow } from "./src/train/program_examples.ts";
