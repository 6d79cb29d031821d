/**
 * The engine's binding-name rules: which of its buffers a kernel's binding name refers to. A kernel names
 * its bindings after what it reads or writes (`kernels_*.ts`); the engine resolves `saved_x` to `x` (the
 * forward's buffer that the backward reads again), a few aliases to the buffer they share, and the carried
 * gradients `d_w`/`d_w_prev` and `d_memory`/`d_memory_prev` to one of two buffers by the parity of the
 * reverse step t (they ping-pong between steps).
 *
 * @module
 */

/** Binding names that are another buffer's. */
const ALIASES: Readonly<Record<string, string>> = {
  grad_in: "grad",
  clip_state_in: "clip_state",
  targets: "target",
  bias_grad: "grad",
  d_reads_prev: "d_reads",
};

/** The carried gradients of step t and of step t − 1, by the parity of t. */
const PING_PONG: Readonly<Record<string, readonly [string, string]>> = {
  d_w: ["d_w_a", "d_w_b"],
  d_w_prev: ["d_w_b", "d_w_a"],
  d_memory: ["d_memory_a", "d_memory_b"],
  d_memory_prev: ["d_memory_b", "d_memory_a"],
};

/**
 * The name of the engine buffer that a binding refers to.
 *
 * @param binding The binding's name in its kernel's spec, e.g. `saved_w` or `d_memory_prev`.
 * @param parity t mod 2, for the carried gradients of the reverse loop (0 outside it).
 * @returns The buffer's name, e.g. `w` or `d_memory_b`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bufferName } from "./engine_bindings.ts";
 * assert(bufferName("saved_w", 0) === "w");
 * assert(bufferName("d_memory_prev", 0) === "d_memory_b");
 * ```
 */
export function bufferName(binding: string, parity: number): string {
  const name = ALIASES[binding] ?? binding.replace(/^saved_/, "");
  return PING_PONG[name]?.[parity] ?? name;
}
