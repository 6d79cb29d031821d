/**
 * The float64 reference NTM: every op as a plain function with its backward beside it
 * (`<op>Forward` / `<op>Backward`, outputs first; backwards add into their gradients), and the whole model's
 * forward pass and backpropagation through time. It is the oracle for the GPU kernels and the engine of
 * the `cpu` backend.
 *
 * @example Gradient of a small model on a random batch
 * ```ts
 * import { ntmConfig, parameterLayout, initParameters } from "@ntm/ntm";
 * import { referenceLossAndGradient } from "@ntm/ntm/reference";
 * import { copyTask } from "@ntm/ntm/tasks";
 * import { Rng } from "@ntm/ntm";
 *
 * const task = copyTask();
 * const config = ntmConfig({ inputSize: task.inputSize, outputSize: task.outputSize, memoryN: 16, memoryM: 8, controllerSize: 16 });
 * const layout = parameterLayout(config);
 * const params = initParameters(config, layout, 1);
 * const batch = task.generate(new Rng(1), 2, { minLen: 1, maxLen: 3 });
 * const { loss, grad } = referenceLossAndGradient(config, layout, params, batch);
 * console.log(loss, grad.length);
 * ```
 *
 * @module
 */

export * from "./activations.ts";
export * from "./addressing.ts";
export * from "./controller.ts";
export * from "./head_params.ts";
export * from "./memory.ts";
export * from "./output.ts";
export * from "./model.ts";
export * from "./lstm_model.ts";
export * from "./model_step.ts";
