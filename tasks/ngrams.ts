/**
 * The dynamic N-grams task (NTM paper §4.4): predict the next bit of a sequence drawn from a 6-gram model
 * whose 32 probabilities are drawn afresh for every episode, and the Bayesian optimum of that prediction
 * (paper eq. 10).
 *
 * Each episode draws a table p(next = 1 | previous 5 bits), one Beta(½, ½) probability per 5-bit context;
 * then bits s_0 … s_4 uniformly and each later bit s_t from the table given s_{t−5} … s_{t−1}. The context
 * index reads those 5 bits as a binary number, oldest bit most significant.
 *
 * Layout of one episode of L bits (X = 1, Y = 1, T = L − 1 prediction steps):
 *
 * ```text
 * step t     0      1      …    L−2
 * input      s_0    s_1    …    s_{L−2}
 * target     s_1    s_2    …    s_{L−1}
 * mask       1      1      …    1
 * ```
 *
 * Every step is a prediction and counts in the loss, including the first four, whose bits are uniform and
 * cost even the optimal predictor 1 bit each.
 *
 * The optimum (eq. 10) predicts `p(1 | context) = (N1 + ½)/(N0 + N1 + 1)`, where N0 and N1 count how often
 * the context has been followed by 0 and by 1 earlier in the episode, and `p = ½` for s_1 … s_4, which have
 * no full context. Its cost is Σ −log₂ p(actual next bit) over the same T steps as the mask; for L = 200
 * it averages about 132.6 bits (the paper quotes 133).
 *
 * Random draws, in order: every episode's length L (episode 0 first); then, per episode, the 32 table
 * entries (`rng.betaHalfHalf()`, context 0 first), the first 5 bits (`rng.bit()`), and one `rng.uniform()`
 * per later bit (the bit is 1 when the draw is below the table's probability).
 *
 * @module
 */

import type { Rng } from "../src/model/random.ts";
import type { EpisodeBatch } from "../src/model/episode.ts";
import { allocateBatch, checkGenerateArgs, type LengthRange, type Task } from "./task.ts";

/** The context of the 6-gram: the 5 bits before the one predicted. */
export const NGRAM_CONTEXT_BITS = 5;

/** A batch of N-gram episodes with each episode's Bayesian optimum cost. */
export type NgramsBatch = EpisodeBatch & {
  /** (B) the cost in bits of the Bayes-optimal predictor (paper eq. 10) over each episode's masked steps. */
  readonly optimumBits: Float64Array;
};

/** The N-grams task, whose batches carry the optimum cost. */
export interface NgramsTask extends Task {
  /**
   * Draws a batch of episodes, each with a length uniform in the range, padded to the longest.
   *
   * @param rng The random source; the same state gives the same batch.
   * @param batch B: episodes to draw.
   * @param range The sequence lengths in bits (≥ 2) to draw from.
   * @returns The padded batch and each episode's optimum cost.
   */
  generate(rng: Rng, batch: number, range: LengthRange): NgramsBatch;
}

/**
 * The cost in bits of the Bayes-optimal predictor (paper eq. 10) on a bit sequence, summed over the
 * predictions of bits 1 … L − 1, exactly the steps an N-grams episode's mask counts.
 *
 * @param sequence The bits s_0 … s_{L−1} (each 0 or 1).
 * @returns Σ −log₂ p(s_t | s_0 … s_{t−1}) for t = 1 … L − 1.
 *
 * @example A constant sequence becomes cheap to predict
 * ```ts
 * import assert from "node:assert/strict";
 * import { ngramOptimumBits } from "./ngrams.ts";
 * const cost = ngramOptimumBits(new Array(100).fill(0));
 * assert(cost < 20);
 * ```
 */
export function ngramOptimumBits(sequence: ArrayLike<number>): number {
  const contexts = 1 << NGRAM_CONTEXT_BITS;
  const n0 = new Float64Array(contexts), n1 = new Float64Array(contexts);
  let cost = 0;
  for (let t = 1; t < sequence.length; t++) {
    const bit = sequence[t]!;
    if (t < NGRAM_CONTEXT_BITS) {
      cost += 1;
      continue;
    }
    let context = 0;
    for (let j = t - NGRAM_CONTEXT_BITS; j < t; j++) context = context * 2 + sequence[j]!;
    const p1 = (n1[context]! + 0.5) / (n0[context]! + n1[context]! + 1);
    cost -= Math.log2(bit === 1 ? p1 : 1 - p1);
    if (bit === 1) n1[context]! += 1;
    else n0[context]! += 1;
  }
  return cost;
}

/**
 * Creates the dynamic N-grams task (6-grams).
 *
 * @returns The task: X = 1, Y = 1; lengths count bits (≥ 2), trained on 200.
 *
 * @example Compare a batch with its optimum
 * ```ts
 * import assert from "node:assert/strict";
 * import { ngramsTask } from "./ngrams.ts";
 * import { Rng } from "../src/model/random.ts";
 * const episodes = ngramsTask().generate(new Rng(1), 4, { minLen: 200, maxLen: 200 });
 * assert(episodes.steps === 199 && episodes.optimumBits.length === 4);
 * ```
 */
export function ngramsTask(): NgramsTask {
  const contexts = 1 << NGRAM_CONTEXT_BITS;
  return {
    name: "ngrams",
    inputSize: 1,
    outputSize: 1,
    outputKind: "sigmoid",
    lengthMeaning: "bits",
    defaultRange: { minLen: 200, maxLen: 200 },
    evalLengths: [200],
    generate(rng: Rng, batch: number, range: LengthRange): NgramsBatch {
      checkGenerateArgs("ngrams", batch, range, 2);
      const seqLens: number[] = [];
      for (let b = 0; b < batch; b++) seqLens.push(rng.int(range.minLen, range.maxLen));
      const out = allocateBatch(1, 1, seqLens.map((L) => L - 1));
      const T = out.steps;
      const optimumBits = new Float64Array(batch);
      const table = new Float64Array(contexts); // p(next = 1 | context)
      for (let b = 0; b < batch; b++) {
        const L = seqLens[b]!;
        for (let i = 0; i < contexts; i++) table[i] = rng.betaHalfHalf();
        const sequence = new Uint8Array(L);
        let context = 0;
        for (let t = 0; t < L; t++) {
          const bit = t < NGRAM_CONTEXT_BITS ? rng.bit() : rng.uniform() < table[context]! ? 1 : 0;
          sequence[t] = bit;
          context = ((context << 1) | bit) & (contexts - 1);
        }
        for (let t = 0; t < L - 1; t++) {
          out.input[b * T + t] = sequence[t]!;
          out.target[b * T + t] = sequence[t + 1]!;
          out.mask[b * T + t] = 1;
        }
        optimumBits[b] = ngramOptimumBits(sequence);
      }
      return { ...out, optimumBits };
    },
  };
}
