/**
 * The batch of episodes that every task generator returns and every backend trains on.
 *
 * @module
 */

/**
 * A batch of B episodes, padded to a common length T. Arrays are row-major.
 *
 * Steps past an episode's own length are padding: zero input, zero target and zero mask.
 */
export interface EpisodeBatch {
  /** B: episodes in the batch. */
  readonly batch: number;
  /** T: time steps of the longest episode (all arrays are padded to it). */
  readonly steps: number;
  /** X: input channels per step. */
  readonly inputSize: number;
  /** Y: output channels per step. */
  readonly outputSize: number;
  /** (B, T, X) inputs. */
  readonly input: Float32Array;
  /** (B, T, Y) targets (bits in {0, 1} for sigmoid outputs, one-hot rows for softmax outputs). */
  readonly target: Float32Array;
  /** (B, T) 1 where the step's output counts in the loss and the metrics, 0 elsewhere. */
  readonly mask: Float32Array;
  /** (B) time steps each episode really uses (≤ T). */
  readonly lengths: Int32Array;
}
