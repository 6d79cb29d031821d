/**
 * The plain LSTM baseline (`--model lstm`) on the WebAssembly SIMD kernels, in float32: the same units,
 * linear maps, losses and optimisers as the NTM engine, without the memory; the float64 twin is
 * `lstmLossAndGradient` (src/reference/lstm_model.ts). One thread.
 *
 * @module
 */

import type { EpisodeBatch } from "../model/episode.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { LstmConfig } from "../model/lstm_config.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import { Arena } from "./arena.ts";
import { type EngineRegions, layEngines, type WasmOptimizer, WasmParameters } from "./parameters.ts";
import type { Ptr, WasmInstance, WasmKernels } from "./kernels.ts";
import type { Tape } from "./tape.ts";

/**
 * One batch's tape: the NTM tape's buffers without the memory's (same shapes and meanings; the LSTM layers are
 * the NTM controller's, and its input is the episode's alone).
 */
type LstmTape = Pick<
  Tape,
  | "batch"
  | "steps"
  | "input"
  | "target"
  | "mask"
  | "layerInput"
  | "gates"
  | "cell"
  | "hidden"
  | "dpreact"
  | "dhNext"
  | "dcNext"
  | "dhPrev"
  | "dcPrev"
  | "y"
  | "dlogits"
  | "logits"
  | "dh"
  | "dIn"
  | "preact"
  | "end"
>;

/** The LSTM baseline's forward, backward and update over one linear memory. */
export class LstmWasmEngine {
  readonly #wasm: WasmInstance;
  readonly #k: WasmKernels;
  readonly #config: LstmConfig;
  readonly #layout: ParameterLayout;
  readonly #regions: EngineRegions;
  /** The parameters, gradient and optimiser. */
  readonly #update: WasmParameters;
  #tape: LstmTape | undefined;

  /**
   * Lays the baseline's buffers out and copies its parameters and optimiser state in.
   *
   * @param wasm The kernels and their memory.
   * @param config The baseline.
   * @param layout Its parameter layout.
   * @param params (P) the starting parameters (rounded to float32).
   * @param optimizer The optimiser and its state.
   */
  constructor(
    wasm: WasmInstance,
    config: LstmConfig,
    layout: ParameterLayout,
    params: Float64Array,
    optimizer: WasmOptimizer,
  ) {
    this.#wasm = wasm;
    this.#k = wasm.kernels;
    this.#config = config;
    this.#layout = layout;
    this.#regions = layEngines(wasm, layout.size, optimizer.name).regions[0]!;
    this.#update = new WasmParameters(wasm, layout.size, this.#regions, optimizer);
    this.#update.write(params);
    this.#update.writeOptimizerState(optimizer.state);
  }

  #p(name: string): Ptr {
    return this.#regions.params + 4 * this.#layout.get(name).offset;
  }

  #g(name: string): Ptr {
    return this.#regions.grad + 4 * this.#layout.get(name).offset;
  }

  #tapeFor(batch: number, steps: number): LstmTape {
    const t = this.#tape;
    if (t && t.batch === batch && t.steps >= steps) return t;
    const { units: C, layers: L, inputSize: X, outputSize: Y } = this.#config;
    const a = new Arena(this.#regions.tapeBase), B = batch, T = steps;
    const K = Array.from({ length: L }, (_, l) => (l === 0 ? X : C) + C);
    const perLayer = (floats: number) => Array.from({ length: L }, () => a.floats(floats));
    const tape: LstmTape = {
      batch,
      steps,
      input: a.floats(B * T * X),
      target: a.floats(B * T * Y),
      mask: a.floats(B * T),
      layerInput: K.map((k) => a.floats(T * B * k)),
      gates: perLayer(T * B * 4 * C),
      cell: perLayer((T + 1) * B * C),
      hidden: perLayer((T + 1) * B * C),
      dpreact: perLayer(T * B * 4 * C),
      dhNext: perLayer(B * C),
      dcNext: perLayer(B * C),
      dhPrev: perLayer(B * C),
      dcPrev: perLayer(B * C),
      y: a.floats(T * B * Y),
      dlogits: a.floats(T * B * Y),
      logits: a.floats(T * B * Y),
      dh: a.floats(B * C),
      dIn: a.floats(B * Math.max(...K)),
      preact: a.floats(B * 4 * C),
      end: a.end,
    };
    this.#wasm.reserve(tape.end);
    this.#tape = tape;
    return tape;
  }

  /**
   * The forward pass over a batch, saving the tape.
   *
   * @param batch The episodes.
   * @returns (B) each episode's loss in nats.
   */
  forward(batch: EpisodeBatch): Float64Array {
    const k = this.#k, { units: C, layers: L, inputSize: X, outputSize: Y } = this.#config;
    const B = batch.batch, T = batch.steps, tape = this.#tapeFor(B, T);
    const f = this.#wasm.f32; // after the tape's layout, which may grow the memory
    f.set(batch.input, tape.input / 4),
      f.set(batch.target, tape.target / 4),
      f.set(batch.mask, tape.mask / 4);
    for (let l = 0; l < L; l++) {
      for (let e = 0; e < B; e++) {
        const h0 = this.#p("init.hidden") / 4 + l * C, c0 = this.#p("init.cell") / 4 + l * C;
        f.copyWithin(tape.hidden[l]! / 4 + e * C, h0, h0 + C);
        f.copyWithin(tape.cell[l]! / 4 + e * C, c0, c0 + C);
      }
    }
    const loss = new Float64Array(B);
    const lossOf = this.#config.outputKind === "sigmoid"
      ? k.sigmoid_cross_entropy_forward
      : k.softmax_cross_entropy_forward;
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < L; l++) {
        const IN = l === 0 ? X : C, K = IN + C, input = tape.layerInput[l]! + 4 * t * B * K;
        if (l === 0) k.copy_rows(input, K, tape.input + 4 * t * X, T * X, X, B);
        else k.copy_rows(input, K, tape.hidden[l - 1]! + 4 * (t + 1) * B * C, C, C, B);
        k.copy_rows(input + 4 * IN, K, tape.hidden[l]! + 4 * t * B * C, C, C, B);
        k.linear_forward(
          tape.preact,
          this.#p(`lstm.${l}.weight`),
          this.#p(`lstm.${l}.bias`),
          input,
          4 * C,
          K,
          B,
        );
        const cell = tape.cell[l]!;
        k.lstm_forward(
          tape.hidden[l]! + 4 * (t + 1) * B * C,
          cell + 4 * (t + 1) * B * C,
          tape.gates[l]! + 4 * t * B * 4 * C,
          tape.preact,
          cell + 4 * t * B * C,
          C,
          B,
        );
      }
      const top = tape.hidden[L - 1]! + 4 * (t + 1) * B * C;
      const logits = tape.logits + 4 * t * B * Y;
      k.linear_forward(logits, this.#p("output.weight"), this.#p("output.bias"), top, Y, C, B);
      for (let e = 0; e < B; e++) {
        const y = tape.y + 4 * (t * B + e) * Y, target = tape.target + 4 * (e * T + t) * Y;
        loss[e]! += lossOf(y, logits + 4 * e * Y, target, f[tape.mask / 4 + e * T + t]!, Y);
      }
    }
    return loss;
  }

  /**
   * The outputs of the last forward, (B, T, Y), zero past each episode's length.
   *
   * @param batch The episodes of that forward.
   * @returns The outputs.
   */
  outputs(batch: EpisodeBatch): Float64Array {
    const tape = this.#tape!,
      f = this.#wasm.f32,
      Y = this.#config.outputSize,
      B = batch.batch,
      T = batch.steps;
    const out = new Float64Array(B * T * Y);
    for (let e = 0; e < B; e++) {
      for (let t = 0; t < batch.lengths[e]!; t++) {
        const from = tape.y / 4 + (t * B + e) * Y;
        for (let j = 0; j < Y; j++) out[(e * T + t) * Y + j] = f[from + j]!;
      }
    }
    return out;
  }

  /**
   * Backpropagation through time of the last forward into the gradient (zeroed first).
   *
   * @param batch The episodes of that forward.
   * @param scale The loss's scale (1/B: the batch mean).
   */
  backward(batch: EpisodeBatch, scale: number): void {
    const k = this.#k, f = this.#wasm.f32, tape = this.#tape!;
    const { units: C, layers: L, inputSize: X, outputSize: Y } = this.#config;
    const B = batch.batch, T = batch.steps;
    k.zero(this.#regions.grad, this.#layout.size);
    let dh = [...tape.dhNext], dc = [...tape.dcNext], dhPrev = [...tape.dhPrev], dcPrev = [...tape.dcPrev];
    for (let l = 0; l < L; l++) k.zero(dh[l]!, B * C), k.zero(dc[l]!, B * C);
    for (let t = T - 1; t >= 0; t--) {
      const dlogits = tape.dlogits + 4 * t * B * Y;
      k.zero(dlogits, B * Y);
      for (let e = 0; e < B; e++) {
        const y = tape.y + 4 * (t * B + e) * Y, target = tape.target + 4 * (e * T + t) * Y;
        const logits = tape.logits + 4 * (t * B + e) * Y, softmax = this.#config.outputKind === "softmax";
        const mask = f[tape.mask / 4 + e * T + t]!;
        k.cross_entropy_backward(dlogits + 4 * e * Y, y, logits, target, mask, scale, Y, softmax);
      }
      k.zero(tape.dIn, B * C);
      k.linear_backward_input(tape.dIn, dlogits, this.#p("output.weight"), Y, C, B);
      let above = tape.dIn, aboveStride = C;
      for (let l = L - 1; l >= 0; l--) {
        const IN = l === 0 ? X : C, K = IN + C, dpreact = tape.dpreact[l]! + 4 * t * B * 4 * C;
        k.copy_rows(tape.dh, C, above, aboveStride, C, B);
        k.add_rows(tape.dh, C, dh[l]!, C, C, B);
        k.zero(dpreact, B * 4 * C);
        k.zero(dcPrev[l]!, B * C);
        const cell = tape.cell[l]!;
        k.lstm_backward(
          dpreact,
          dcPrev[l]!,
          tape.dh,
          dc[l]!,
          tape.gates[l]! + 4 * t * B * 4 * C,
          cell + 4 * (t + 1) * B * C,
          cell + 4 * t * B * C,
          C,
          B,
        );
        k.zero(tape.dIn, B * K);
        k.linear_backward_input(tape.dIn, dpreact, this.#p(`lstm.${l}.weight`), 4 * C, K, B);
        k.copy_rows(dhPrev[l]!, C, tape.dIn + 4 * IN, K, C, B);
        above = tape.dIn, aboveStride = K;
      }
      const h = dh, c = dc; // swapped in place: a destructuring swap would allocate per time step
      dh = dhPrev, dhPrev = h, dc = dcPrev, dcPrev = c;
    }
    for (let l = 0; l < L; l++) {
      k.add_rows(this.#g("init.hidden") + 4 * l * C, 0, dh[l]!, C, C, B);
      k.add_rows(this.#g("init.cell") + 4 * l * C, 0, dc[l]!, C, C, B);
      const K = (l === 0 ? X : C) + C;
      k.linear_weight_grad(
        this.#g(`lstm.${l}.weight`),
        this.#g(`lstm.${l}.bias`),
        tape.dpreact[l]!,
        tape.layerInput[l]!,
        4 * C,
        K,
        B * T,
      );
    }
    const top = tape.hidden[L - 1]! + 4 * B * C; // (T, B, C): slots 1 … T
    k.linear_weight_grad(this.#g("output.weight"), this.#g("output.bias"), tape.dlogits, top, Y, C, B * T);
  }

  /** Clips the gradient and applies one update; returns the gradient's norm before clipping. */
  optimizerStep(): number {
    return this.#update.optimizerStep();
  }

  /** The parameters, as float64. */
  parameters(): Float64Array {
    return this.#update.read();
  }

  /** The optimiser's state, as float64 copies. */
  optimizerState(): OptimizerState {
    return this.#update.optimizerState();
  }
}
