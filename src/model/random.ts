/**
 * A small, fast, seeded pseudo-random number generator (xoshiro128**), whose whole state is four
 * 32-bit words so that it can be saved in a checkpoint and restored exactly.
 *
 * @module
 */

/** The four 32-bit words of a {@linkcode Rng}'s state, as saved in checkpoints. */
export type RngState = [number, number, number, number];

/**
 * The largest seed a training run takes (2³² − 1): the run derives its held-out, memory and probe streams
 * from `seed + 1 … seed + 3`, which stay exact integers.
 */
export const MAX_SEED = 2 ** 32 - 1;

/**
 * Seeded random numbers: uniform floats, integers, bits, normals and Beta(½, ½) draws.
 *
 * @example Draw reproducible numbers
 * ```ts
 * import assert from "node:assert/strict";
 * import { Rng } from "./random.ts";
 * const a = new Rng(7), b = new Rng(7);
 * assert(a.uniform() === b.uniform());
 * ```
 */
export class Rng {
  #s: Uint32Array = new Uint32Array(4);

  /**
   * Creates a generator from an integer seed (any safe integer; equal seeds give equal streams).
   *
   * @param seed The seed.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new TypeError(`Cannot seed the random generator: seed must be a safe integer, got ${seed}`);
    }
    // splitmix32 spreads the seed over the four state words (never all zero).
    let x = (seed ^ Math.floor(seed / 2 ** 32) * 0x9e3779b9) >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.#s[0]! | this.#s[1]! | this.#s[2]! | this.#s[3]!) === 0) this.#s[0] = 1;
  }

  /**
   * The generator's state, to save and later {@linkcode Rng.setState restore}.
   *
   * @returns A copy of the four state words.
   */
  getState(): RngState {
    return [this.#s[0]!, this.#s[1]!, this.#s[2]!, this.#s[3]!];
  }

  /**
   * Restores a state from {@linkcode Rng.getState}.
   *
   * @param state Four unsigned 32-bit integers, not all zero.
   */
  setState(state: RngState): void {
    if (
      !Array.isArray(state) || state.length !== 4 ||
      state.some((v) => !Number.isInteger(v) || v < 0 || v > 0xffffffff) || state.every((v) => v === 0)
    ) {
      throw new TypeError(
        `Cannot restore the random generator: expected four unsigned 32-bit integers, not all zero, got ${
          JSON.stringify(state)
        }`,
      );
    }
    this.#s.set(state);
  }

  /**
   * The next 32 random bits.
   *
   * @returns An unsigned 32-bit integer.
   */
  nextUint32(): number {
    const s = this.#s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /**
   * A uniform float in [0, 1) with 53 random bits.
   *
   * @returns The draw.
   */
  uniform(): number {
    const hi = this.nextUint32() >>> 5, lo = this.nextUint32() >>> 6;
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /**
   * A uniform integer in [lo, hi], both ends included.
   *
   * @param lo The smallest value.
   * @param hi The largest value.
   * @returns The draw.
   */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.uniform() * (hi - lo + 1));
  }

  /**
   * A fair coin: 0 or 1.
   *
   * @returns The bit.
   */
  bit(): 0 | 1 {
    return (this.nextUint32() >>> 31) as 0 | 1;
  }

  /**
   * A standard normal draw (Box–Muller).
   *
   * @returns The draw.
   */
  normal(): number {
    const u = 1 - this.uniform(), v = this.uniform();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A draw from Beta(½, ½): `sin²(πU/2)` for uniform U (the arcsine distribution).
   *
   * @returns The draw, in [0, 1].
   */
  betaHalfHalf(): number {
    const s = Math.sin((Math.PI / 2) * this.uniform());
    return s * s;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
