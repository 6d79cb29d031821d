/** Test helpers: random batches and random arrays (never zeros) for gradient and parity checks. */

import type { EpisodeBatch } from "../../src/model/episode.ts";
import type { Rng } from "../../src/model/random.ts";

/** (length) uniform values in [lo, hi). */
export function randomArray(rng: Rng, length: number, lo = -1, hi = 1): Float64Array {
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * rng.uniform();
  return out;
}

/**
 * A batch of B episodes of T steps with real-valued random inputs, random bit targets (or one-hot
 * targets for softmax outputs), a random mask with at least one 1 per episode, and the last episode one
 * step shorter than the rest (padding exercised).
 */
export function randomBatch(
  rng: Rng,
  batch: number,
  steps: number,
  inputSize: number,
  outputSize: number,
  outputKind: "sigmoid" | "softmax" = "sigmoid",
): EpisodeBatch {
  const input = new Float32Array(batch * steps * inputSize);
  const target = new Float32Array(batch * steps * outputSize);
  const mask = new Float32Array(batch * steps);
  const lengths = new Int32Array(batch).fill(steps);
  if (batch > 1) lengths[batch - 1] = steps - 1;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < lengths[b]!; t++) {
      const bt = b * steps + t;
      for (let x = 0; x < inputSize; x++) input[bt * inputSize + x] = 2 * rng.uniform() - 1;
      mask[bt] = t === 0 || rng.uniform() < 0.7 ? 1 : 0;
      if (outputKind === "sigmoid") {
        for (let y = 0; y < outputSize; y++) target[bt * outputSize + y] = rng.bit();
      } else {
        target[bt * outputSize + rng.int(0, outputSize - 1)] = 1;
      }
    }
  }
  return { batch, steps, inputSize, outputSize, input, target, mask, lengths };
}
