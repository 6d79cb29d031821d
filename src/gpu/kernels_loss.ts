/**
 * Typed constructor of the output loss kernel (`shaders/output_loss.wgsl`): the output probabilities, the
 * loss gradient and the per-episode metrics over all T steps, after the output layer's forward.
 *
 * @module
 */

import outputLossCodeSource from "../../shaders/output_loss.wgsl" with { type: "text" };
import type { OutputKind } from "../model/config.ts";
import type { KernelLaunch, KernelOptions } from "./kernel.ts";
import { kernelModule, launch, positiveSizes, workgroupSize } from "./kernel.ts";

const outputLossShader = kernelModule(outputLossCodeSource, "output_loss.wgsl");

/**
 * `sigmoid_cross_entropy` or `softmax_cross_entropy`: outputs, loss gradient and per-episode metrics over
 * all T steps (one invocation per episode).
 *
 * Bindings: `logits` (T, B, Y), `targets` (bind `target`, (T, B, Y)), `mask` (T, B) → writes `y`,
 * `d_logits` (T, B, Y) and `metrics` (B, 2): loss in nats summed over the masked steps, then the error
 * count (both f32).
 *
 * @param kind `sigmoid` (bits, binary cross-entropy) or `softmax` (classes, categorical cross-entropy).
 * @param batch B.
 * @param steps T.
 * @param outputs Y.
 * @param scale The factor on the loss in `d_logits` (default 1/B: the gradient of the batch mean).
 * @param options Workgroup size (default 64).
 * @returns The spec and its dispatch size.
 *
 * @example
 * ```ts ignore
 * const { spec, workgroups } = outputLossKernel(config.outputKind, 32, 42, 8);
 * ```
 */
export function outputLossKernel(
  kind: OutputKind,
  batch: number,
  steps: number,
  outputs: number,
  scale: number = 1 / batch,
  options: KernelOptions = {},
): KernelLaunch {
  if (kind !== "sigmoid" && kind !== "softmax") {
    throw new TypeError(`Cannot build the output loss kernel: kind must be sigmoid or softmax, got ${kind}`);
  }
  positiveSizes("controller", { B: batch, T: steps, Y: outputs });
  const wg = workgroupSize("controller", options);
  return launch(outputLossShader, {
    entryPoint: `${kind}_cross_entropy`,
    inputs: ["logits", "targets", "mask"],
    outputs: ["y", "d_logits", "metrics"],
    constants: { B: batch, T: steps, Y: outputs, SCALE: scale, WORKGROUP: wg },
  }, Math.ceil(batch / wg));
}
