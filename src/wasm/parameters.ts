/**
 * The flat float32 parameters of a model in the kernels' memory, the gradients the engines add into them,
 * and the optimiser's state and update: the part the NTM and the LSTM baseline engines share.
 *
 * @module
 */

import type { OptimizerName, OptimizerState } from "../optim/optimizer.ts";
import { Arena } from "./arena.ts";
import type { Ptr, WasmInstance } from "./kernels.ts";

/** The optimiser an engine runs: its name, hyper-parameters and (initial) state. */
export interface WasmOptimizer {
  readonly name: OptimizerName;
  readonly options: Readonly<Record<string, number>>;
  readonly state: OptimizerState;
}

/** The slots each optimiser keeps, in their order in memory. */
const SLOTS: Readonly<Record<OptimizerName, readonly string[]>> = {
  adam: ["m", "v"],
  rmsprop: ["n", "gbar", "delta"],
  sgd: [],
};

/** Where an engine's buffers lie: the (shared) parameters, its own gradient, the optimiser's slots, its tape. */
export interface EngineRegions {
  /** (P) the parameters. */
  readonly params: Ptr;
  /** (P) this engine's gradient. */
  readonly grad: Ptr;
  /** (P) per optimiser slot (none for an engine that only computes gradients). */
  readonly slots: readonly Ptr[];
  /** Where this engine lays its tape out. */
  readonly tapeBase: number;
}

/**
 * Lays out the parameters, one gradient per engine and the optimiser's slots from the module's heap base.
 *
 * @param wasm The kernels and their memory.
 * @param size P.
 * @param optimizer The optimiser's name (its slots).
 * @param engines How many engines compute gradients (one per thread).
 * @returns Each engine's regions (the first holds the slots) and the first free byte after them.
 */
export function layEngines(
  wasm: WasmInstance,
  size: number,
  optimizer: OptimizerName,
  engines = 1,
): { regions: EngineRegions[]; end: number } {
  const arena = new Arena(wasm.kernels.heap_base());
  const params = arena.floats(size);
  const grads = Array.from({ length: engines }, () => arena.floats(size));
  const slots = SLOTS[optimizer].map(() => arena.floats(size));
  const end = arena.end;
  wasm.reserve(end);
  return {
    regions: grads.map((grad, i) => ({ params, grad, slots: i === 0 ? slots : [], tapeBase: end })),
    end,
  };
}

/** The parameters, one engine's gradient and (for the updating engine) the optimiser. */
export class WasmParameters {
  readonly #wasm: WasmInstance;
  readonly #size: number;
  readonly #regions: EngineRegions;
  readonly #optimizer: WasmOptimizer | null;
  #step: number;

  /**
   * Wraps laid-out buffers.
   *
   * @param wasm The kernels and their memory.
   * @param size P.
   * @param regions Where the buffers lie.
   * @param optimizer The optimiser (`null`: this engine only computes gradients).
   */
  constructor(wasm: WasmInstance, size: number, regions: EngineRegions, optimizer: WasmOptimizer | null) {
    this.#wasm = wasm;
    this.#size = size;
    this.#regions = regions;
    this.#optimizer = optimizer;
    this.#step = optimizer?.state.step ?? 0;
  }

  /** P. */
  get size(): number {
    return this.#size;
  }

  /** The parameters' byte offset. */
  get params(): Ptr {
    return this.#regions.params;
  }

  /** This engine's gradient's byte offset. */
  get grad(): Ptr {
    return this.#regions.grad;
  }

  /** Copies parameters in, rounded to float32. */
  write(params: Float64Array): void {
    this.#wasm.f32.set(params, this.#regions.params / 4);
  }

  /** The parameters, as float64. */
  read(): Float64Array {
    const at = this.#regions.params / 4;
    return Float64Array.from(this.#wasm.f32.subarray(at, at + this.#size));
  }

  /** The gradient, as float64 (for tests). */
  gradient(): Float64Array {
    const at = this.#regions.grad / 4;
    return Float64Array.from(this.#wasm.f32.subarray(at, at + this.#size));
  }

  /** Copies an optimiser state in (rounded to float32). */
  writeOptimizerState(state: OptimizerState): void {
    const f = this.#wasm.f32;
    SLOTS[state.name].forEach((name, i) => f.set(state.slots[name]!, this.#regions.slots[i]! / 4));
    this.#step = state.step;
  }

  /** The optimiser's state, as float64 copies. */
  optimizerState(): OptimizerState {
    const f = this.#wasm.f32, P = this.#size, name = this.#optimizer!.name;
    const slots: Record<string, Float64Array> = {};
    SLOTS[name].forEach((slot, i) => {
      const at = this.#regions.slots[i]! / 4;
      slots[slot] = Float64Array.from(f.subarray(at, at + P));
    });
    return { name, step: this.#step, slots };
  }

  /**
   * Clips the gradient and applies one optimiser update, as the float64 optimiser does: the norm of the
   * unclipped gradient first; nothing is updated when it is not finite.
   *
   * @returns The gradient's L2 norm before clipping.
   */
  optimizerStep(): number {
    const k = this.#wasm.kernels, P = this.#size, o = this.#optimizer!.options;
    const { params, grad } = this.#regions, [s0, s1, s2] = this.#regions.slots;
    const norm = k.l2_norm(grad, P);
    if (!Number.isFinite(norm)) return norm;
    this.#step += 1;
    const name = this.#optimizer!.name;
    if (name === "rmsprop") {
      k.clip_elementwise(grad, P, o.clip!);
      k.rmsprop_update(params, s0!, s1!, s2!, grad, P, o.learningRate!, o.rho!, o.momentum!, o.epsilon!);
      return norm;
    }
    if (norm > o.clip!) k.clip_scale(grad, P, o.clip! / norm);
    if (name === "adam") {
      k.adam_update(params, s0!, s1!, grad, P, this.#step, o.learningRate!, o.beta1!, o.beta2!, o.epsilon!);
    } else {
      k.sgd_update(params, grad, P, o.learningRate!);
    }
    return norm;
  }
}
