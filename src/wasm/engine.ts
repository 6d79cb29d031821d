/**
 * The NTM on the WebAssembly SIMD kernels, in float32: the parameters, their gradient and the optimiser's
 * state live in the kernels' linear memory; a training step runs the forward over T steps (saving the
 * tape), the loss, backpropagation through time, clipping and the optimiser, each phase as in
 * `src/reference/model_step.ts` but batched over the B episodes. Nothing is allocated inside the time loop:
 * the tape is laid out again only when a batch is wider or longer than any before.
 *
 * @module
 */

import type { NtmConfig } from "../model/config.ts";
import type { EpisodeBatch } from "../model/episode.ts";
import type { ParameterLayout } from "../model/layout.ts";
import type { OptimizerState } from "../optim/optimizer.ts";
import type { Ptr, WasmInstance, WasmKernels } from "./kernels.ts";
import { type EngineRegions, layEngines, type WasmOptimizer, WasmParameters } from "./parameters.ts";
import { layTape, type Tape, type TapeSizes, tapeSizes } from "./tape.ts";

/** The NTM's forward, backward and update over one linear memory. */
export class NtmWasmEngine {
  readonly #wasm: WasmInstance;
  readonly #k: WasmKernels;
  readonly #config: NtmConfig;
  readonly #layout: ParameterLayout;
  readonly #z: TapeSizes;
  /** (P) parameters, (P) this engine's gradient, the optimiser. */
  readonly #parameters: WasmParameters;
  readonly #params: Ptr;
  readonly #grad: Ptr;
  #tapeBase: number;
  #tape: Tape | undefined;

  /**
   * An engine over buffers already laid out ({@linkcode layEngines}).
   *
   * @param wasm The kernels and their memory.
   * @param config The NTM.
   * @param layout Its parameter layout.
   * @param regions Where its buffers lie.
   * @param optimizer The optimiser (`null`: this engine only computes gradients).
   */
  constructor(
    wasm: WasmInstance,
    config: NtmConfig,
    layout: ParameterLayout,
    regions: EngineRegions,
    optimizer: WasmOptimizer | null,
  ) {
    this.#wasm = wasm;
    this.#k = wasm.kernels;
    this.#config = config;
    this.#layout = layout;
    this.#z = tapeSizes(config);
    this.#parameters = new WasmParameters(wasm, layout.size, regions, optimizer);
    this.#params = regions.params;
    this.#grad = regions.grad;
    this.#tapeBase = regions.tapeBase;
  }

  /**
   * A single engine: lays its buffers out and copies the parameters and the optimiser's state in.
   *
   * @param wasm The kernels and their memory.
   * @param config The NTM.
   * @param layout Its parameter layout.
   * @param params (P) the starting parameters (rounded to float32).
   * @param optimizer The optimiser and its state.
   * @returns The engine.
   */
  static create(
    wasm: WasmInstance,
    config: NtmConfig,
    layout: ParameterLayout,
    params: Float64Array,
    optimizer: WasmOptimizer,
  ): NtmWasmEngine {
    const engine = new NtmWasmEngine(
      wasm,
      config,
      layout,
      layEngines(wasm, layout.size, optimizer.name).regions[0]!,
      optimizer,
    );
    engine.writeParameters(params);
    engine.writeOptimizerState(optimizer.state);
    return engine;
  }

  /** Copies an optimiser state in (rounded to float32). */
  writeOptimizerState(state: OptimizerState): void {
    this.#parameters.writeOptimizerState(state);
  }

  /** P: the number of parameters. */
  get parameterCount(): number {
    return this.#layout.size;
  }

  /** The byte offset of this engine's gradient, (P). */
  get gradientPointer(): Ptr {
    return this.#grad;
  }

  /**
   * Moves the tape (another thread's engines lay theirs out after it).
   *
   * @param base The first byte the tape may use.
   */
  set tapeBase(base: number) {
    if (base !== this.#tapeBase) this.#tape = undefined;
    this.#tapeBase = base;
  }

  /** Copies parameters in, rounded to float32. */
  writeParameters(params: Float64Array): void {
    this.#parameters.write(params);
  }

  /** The parameters, as float64. */
  parameters(): Float64Array {
    return this.#parameters.read();
  }

  /** The optimiser's state, as float64 copies. */
  optimizerState(): OptimizerState {
    return this.#parameters.optimizerState();
  }

  /** A parameter block's pointer. */
  #p(name: string): Ptr {
    return this.#params + 4 * this.#layout.get(name).offset;
  }

  /** A parameter block's gradient pointer. */
  #g(name: string): Ptr {
    return this.#grad + 4 * this.#layout.get(name).offset;
  }

  /** The tape for a batch, laid out again when the batch is wider or longer than the last. */
  #tapeFor(batch: number, steps: number): Tape {
    const t = this.#tape;
    if (t && t.batch === batch && t.steps >= steps) return t;
    const next = layTape(
      this.#z,
      batch,
      Math.max(steps, t && t.batch === batch ? t.steps : 0),
      this.#tapeBase,
    );
    this.#wasm.reserve(next.end);
    this.#tape = next;
    return next;
  }

  /**
   * The forward pass over a batch from its initial memories, saving the tape.
   *
   * @param batch The episodes.
   * @param memory0 (B, N, M) initial memories, or `null` for the learned `init.memory`.
   * @returns (B) each episode's loss in nats.
   */
  forward(batch: EpisodeBatch, memory0: Float64Array | null): Float64Array {
    const tape = this.#tapeFor(batch.batch, batch.steps);
    const f = this.#wasm.f32;
    f.set(batch.input, tape.input / 4);
    f.set(batch.target, tape.target / 4);
    f.set(batch.mask, tape.mask / 4);
    this.#initialState(tape, batch, memory0);
    const loss = new Float64Array(batch.batch);
    for (let t = 0; t < batch.steps; t++) this.#stepForward(tape, batch, t, loss);
    return loss;
  }

  /** Slot 0 of the tape: w_0 = softmax(init.weighting), r_0, h_0 and c_0, Mem_0. */
  #initialState(tape: Tape, batch: EpisodeBatch, memory0: Float64Array | null): void {
    const z = this.#z, f = this.#wasm.f32, B = batch.batch;
    const logits = f.subarray(this.#p("init.weighting") / 4, this.#p("init.weighting") / 4 + z.H * z.N);
    const w0 = new Float32Array(z.H * z.N);
    for (let h = 0; h < z.H; h++) {
      let max = -Infinity, sum = 0;
      for (let i = 0; i < z.N; i++) max = Math.max(max, logits[h * z.N + i]!);
      const row = new Float64Array(z.N);
      for (let i = 0; i < z.N; i++) sum += row[i] = Math.exp(logits[h * z.N + i]! - max);
      for (let i = 0; i < z.N; i++) w0[h * z.N + i] = row[i]! / sum;
    }
    const initRead = this.#p("init.read") / 4;
    for (let e = 0; e < B; e++) {
      f.set(w0, tape.w / 4 + e * z.H * z.N);
      f.copyWithin(tape.reads / 4 + e * z.RM, initRead, initRead + z.RM);
    }
    for (let l = 0; l < z.L; l++) {
      for (let e = 0; e < B; e++) {
        const at = e * z.C;
        if (z.lstm) {
          const h0 = this.#p("init.hidden") / 4 + l * z.C, c0 = this.#p("init.cell") / 4 + l * z.C;
          f.copyWithin(tape.hidden[l]! / 4 + at, h0, h0 + z.C);
          f.copyWithin(tape.cell[l]! / 4 + at, c0, c0 + z.C);
        } else {
          f.fill(0, tape.hidden[l]! / 4 + at, tape.hidden[l]! / 4 + at + z.C);
        }
      }
    }
    const NM = z.N * z.M;
    if (memory0) f.set(memory0, tape.memory / 4);
    else {
      const at = this.#p("init.memory") / 4;
      for (let e = 0; e < B; e++) f.copyWithin(tape.memory / 4 + e * NM, at, at + NM);
    }
  }

  /** One time step's forward for every episode; adds each step's loss into `loss`. */
  #stepForward(tape: Tape, batch: EpisodeBatch, t: number, loss: Float64Array): void {
    const k = this.#k, z = this.#z, B = batch.batch, T = batch.steps;
    // 1. The controller, bottom layer up.
    for (let l = 0; l < z.L; l++) {
      const K = z.K[l]!, input = tape.layerInput[l]! + 4 * t * B * K;
      if (l === 0) {
        k.copy_rows(input, K, tape.input + 4 * t * z.X, T * z.X, z.X, B);
        k.copy_rows(input + 4 * z.X, K, tape.reads + 4 * t * B * z.RM, z.RM, z.RM, B);
      } else {
        k.copy_rows(input, K, tape.hidden[l - 1]! + 4 * (t + 1) * B * z.C, z.C, z.C, B);
      }
      const weight = this.#p(`controller.${l}.weight`), bias = this.#p(`controller.${l}.bias`);
      const hNext = tape.hidden[l]! + 4 * (t + 1) * B * z.C;
      if (z.lstm) {
        k.copy_rows(input + 4 * z.IN[l]!, K, tape.hidden[l]! + 4 * t * B * z.C, z.C, z.C, B);
        k.linear_forward(tape.preact, weight, bias, input, 4 * z.C, K, B);
        const cell = tape.cell[l]!;
        k.lstm_forward(
          hNext,
          cell + 4 * (t + 1) * B * z.C,
          tape.gates[l]! + 4 * t * B * 4 * z.C,
          tape.preact,
          cell + 4 * t * B * z.C,
          z.C,
          B,
        );
      } else {
        k.linear_forward(tape.preact, weight, bias, input, z.C, K, B);
        k.feedforward_forward(hNext, tape.preact, B * z.C);
      }
    }
    const top = tape.hidden[z.L - 1]! + 4 * (t + 1) * B * z.C;
    // 2. The head parameters.
    const raw = tape.raw + 4 * t * B * z.P, act = tape.act + 4 * t * B * z.P;
    k.linear_forward(raw, this.#p("heads.weight"), this.#p("heads.bias"), top, z.P, z.C, B);
    // 2–4. Per episode that still runs at t: the heads' parameters, addressing, reading and writing. An
    // episode past its length skips them (its loss and gradients there are zero); its reads are set to
    // zero so the controller's batched rows stay finite.
    for (let e = 0; e < B; e++) {
      if (t >= batch.lengths[e]!) {
        k.zero(tape.reads + 4 * ((t + 1) * B + e) * z.RM, z.RM);
        continue;
      }
      for (let h = 0; h < z.H; h++) {
        const o = 4 * (e * z.P + this.#headOffset(h));
        k.head_params_forward(act + o, raw + o, z.M, z.S, h >= z.R);
      }
      this.#memoryForward(tape, B, t, e);
    }
    // 5. The output and its loss.
    const outIn = tape.outIn + 4 * t * B * (z.C + z.RM), width = z.C + z.RM;
    k.copy_rows(outIn, width, top, z.C, z.C, B);
    k.copy_rows(outIn + 4 * z.C, width, tape.reads + 4 * (t + 1) * B * z.RM, z.RM, z.RM, B);
    const logits = tape.logits + 4 * t * B * z.Y;
    k.linear_forward(logits, this.#p("output.weight"), this.#p("output.bias"), outIn, z.Y, width, B);
    const f = this.#wasm.f32;
    const lossOf = this.#config.outputKind === "sigmoid"
      ? k.sigmoid_cross_entropy_forward
      : k.softmax_cross_entropy_forward;
    for (let e = 0; e < B; e++) {
      const y = tape.y + 4 * (t * B + e) * z.Y, target = tape.target + 4 * (e * T + t) * z.Y;
      loss[e]! += lossOf(y, logits + 4 * e * z.Y, target, f[tape.mask / 4 + e * T + t]!, z.Y);
    }
  }

  /** Where head h's parameters start in one episode's (P): read heads first, then write heads. */
  #headOffset(h: number): number {
    const z = this.#z, read = z.M + z.S + 3, write = read + 2 * z.M;
    return h < z.R ? h * read : z.R * read + (h - z.R) * write;
  }

  /** Episode e at step t: every head's addressing on Mem_{t−1}, the reads, then the write of Mem_t. */
  #memoryForward(tape: Tape, B: number, t: number, e: number): void {
    const k = this.#k, z = this.#z, f = this.#wasm.f32, N = z.N, M = z.M;
    const memPrev = tape.memory + 4 * (t * B + e) * N * M,
      memNext = tape.memory + 4 * ((t + 1) * B + e) * N * M;
    const act = tape.act + 4 * (t * B + e) * z.P, norms = tape.norms + 4 * (t * B + e) * N;
    k.memory_row_norms(norms, memPrev, N, M);
    for (let h = 0; h < z.H; h++) {
      const o = act + 4 * this.#headOffset(h), at = 4 * ((t * B + e) * z.H + h) * N;
      const wPrev = tape.w + at, wNext = tape.w + 4 * (((t + 1) * B + e) * z.H + h) * N;
      const beta = f[o / 4 + M]!, g = f[o / 4 + M + 1]!, gamma = f[o / 4 + M + z.S + 2]!;
      k.content_address_forward(tape.wc + at, tape.sim + at, o, beta, memPrev, norms, N, M);
      k.interpolate_forward(tape.wg + at, tape.wc + at, wPrev, g, N);
      k.shift_forward(tape.wTilde + at, tape.wg + at, o + 4 * (M + 2), N, z.S);
      k.sharpen_forward(wNext, tape.wTilde + at, gamma, N);
    }
    const wNow = tape.w + 4 * ((t + 1) * B + e) * z.H * N;
    const reads = tape.reads + 4 * ((t + 1) * B + e) * z.RM;
    for (let h = 0; h < z.R; h++) k.memory_read_forward(reads + 4 * h * M, wNow + 4 * h * N, memPrev, N, M);
    this.#gatherWrites(tape, act, wNow);
    k.memory_write_forward(memNext, memPrev, tape.writeW, tape.erase, tape.add, N, M, z.W);
  }

  /** One episode's write weightings (W, N), erase and add vectors (W, M), gathered for the write ops. */
  #gatherWrites(tape: Tape, act: Ptr, w: Ptr): void {
    const z = this.#z, f = this.#wasm.f32, N = z.N, M = z.M;
    for (let hw = 0; hw < z.W; hw++) {
      const o = act / 4 + this.#headOffset(z.R + hw), e = o + M + z.S + 3, a = e + M;
      f.copyWithin(tape.writeW / 4 + hw * N, w / 4 + (z.R + hw) * N, w / 4 + (z.R + hw + 1) * N);
      f.copyWithin(tape.erase / 4 + hw * M, e, e + M);
      f.copyWithin(tape.add / 4 + hw * M, a, a + M);
    }
  }

  /**
   * The outputs of the last forward, (B, T, Y), zero past each episode's length.
   *
   * @param batch The episodes of that forward.
   * @returns The outputs.
   */
  outputs(batch: EpisodeBatch): Float64Array {
    const tape = this.#tape!, z = this.#z, f = this.#wasm.f32, B = batch.batch, T = batch.steps;
    const out = new Float64Array(B * T * z.Y);
    for (let e = 0; e < B; e++) {
      for (let t = 0; t < batch.lengths[e]!; t++) {
        const from = tape.y / 4 + (t * B + e) * z.Y;
        for (let j = 0; j < z.Y; j++) out[(e * T + t) * z.Y + j] = f[from + j]!;
      }
    }
    return out;
  }

  /**
   * Backpropagation through time of the last forward: the gradient of `scale · Σ_b loss_b` into the
   * engine's gradient buffer (zeroed first).
   *
   * @param batch The episodes of that forward.
   * @param scale The loss's scale (1/B: the batch mean).
   */
  backward(batch: EpisodeBatch, scale: number): void {
    const tape = this.#tape!, k = this.#k, z = this.#z, B = batch.batch;
    k.zero(this.#grad, this.#layout.size);
    const carried = {
      dh: [...tape.dhNext],
      dc: [...tape.dcNext],
      dhPrev: [...tape.dhPrev],
      dcPrev: [...tape.dcPrev],
      dw: tape.dwNext,
      dwPrev: tape.dwPrev,
      dMem: tape.dMem,
      dMemPrev: tape.dMemPrev,
    };
    for (let l = 0; l < z.L; l++) k.zero(carried.dh[l]!, B * z.C), k.zero(carried.dc[l]!, B * z.C);
    k.zero(tape.drNext, B * z.RM);
    k.zero(carried.dw, B * z.H * z.N);
    k.zero(carried.dMem, B * z.N * z.M);
    for (let t = batch.steps - 1; t >= 0; t--) {
      this.#stepBackward(tape, batch, t, scale, carried);
      // Swap each pair in place (a destructuring swap would allocate an array per time step).
      const { dh, dc, dw, dMem } = carried;
      carried.dh = carried.dhPrev, carried.dhPrev = dh;
      carried.dc = carried.dcPrev, carried.dcPrev = dc;
      carried.dw = carried.dwPrev, carried.dwPrev = dw;
      carried.dMem = carried.dMemPrev, carried.dMemPrev = dMem;
    }
    this.#initialStateBackward(tape, B, carried);
    this.#weightGradients(tape, B * batch.steps);
  }

  /** The linear maps' weight and bias gradients over every step of every episode at once. */
  #weightGradients(tape: Tape, count: number): void {
    const k = this.#k, z = this.#z;
    for (let l = 0; l < z.L; l++) {
      const rows = z.lstm ? 4 * z.C : z.C;
      const weight = this.#g(`controller.${l}.weight`), bias = this.#g(`controller.${l}.bias`);
      k.linear_weight_grad(weight, bias, tape.dpreact[l]!, tape.layerInput[l]!, rows, z.K[l]!, count);
    }
    const top = tape.hidden[z.L - 1]! + 4 * tape.batch * z.C; // (T, B, C): slots 1 … T of (T + 1, B, C)
    k.linear_weight_grad(this.#g("heads.weight"), this.#g("heads.bias"), tape.draw, top, z.P, z.C, count);
    const outputWeight = this.#g("output.weight"), outputBias = this.#g("output.bias");
    k.linear_weight_grad(outputWeight, outputBias, tape.dlogits, tape.outIn, z.Y, z.C + z.RM, count);
  }

  /** One time step's backward for every episode; `c` holds the carried gradients (swapped by the caller). */
  #stepBackward(
    tape: Tape,
    batch: EpisodeBatch,
    t: number,
    scale: number,
    c: { dh: Ptr[]; dc: Ptr[]; dhPrev: Ptr[]; dcPrev: Ptr[]; dw: Ptr; dwPrev: Ptr; dMem: Ptr; dMemPrev: Ptr },
  ): void {
    const k = this.#k, z = this.#z, f = this.#wasm.f32, B = batch.batch, T = batch.steps;
    // 5. The output.
    const width = z.C + z.RM;
    const dlogits = tape.dlogits + 4 * t * B * z.Y;
    k.zero(dlogits, B * z.Y);
    k.zero(tape.dOutIn, B * width);
    for (let e = 0; e < B; e++) {
      const y = tape.y + 4 * (t * B + e) * z.Y, target = tape.target + 4 * (e * T + t) * z.Y;
      const logits = tape.logits + 4 * (t * B + e) * z.Y, softmax = this.#config.outputKind === "softmax";
      const mask = f[tape.mask / 4 + e * T + t]!;
      k.cross_entropy_backward(dlogits + 4 * e * z.Y, y, logits, target, mask, scale, z.Y, softmax);
    }
    k.linear_backward_input(tape.dOutIn, dlogits, this.#p("output.weight"), z.Y, width, B);
    k.copy_rows(tape.dTop, z.C, tape.dOutIn, width, z.C, B);
    k.copy_rows(tape.dReads, z.RM, tape.dOutIn + 4 * z.C, width, z.RM, B);
    k.add_rows(tape.dReads, z.RM, tape.drNext, z.RM, z.RM, B);
    // 4–3. Reading and writing, then addressing, episode by episode.
    f.copyWithin(tape.dw / 4, c.dw / 4, c.dw / 4 + B * z.H * z.N);
    k.zero(c.dMemPrev, B * z.N * z.M);
    k.zero(tape.dact, B * z.P);
    k.zero(c.dwPrev, B * z.H * z.N);
    // Episodes past their length at t skip steps 4–2 (every gradient there is zero: their mask is).
    for (let e = 0; e < B; e++) if (t < batch.lengths[e]!) this.#memoryBackward(tape, B, t, e, c);
    // 2. The head parameters.
    const draw = tape.draw + 4 * t * B * z.P;
    k.zero(draw, B * z.P);
    const raw = tape.raw + 4 * t * B * z.P, act = tape.act + 4 * t * B * z.P;
    for (let e = 0; e < B; e++) {
      if (t >= batch.lengths[e]!) continue;
      for (let h = 0; h < z.H; h++) {
        const o = 4 * (e * z.P + this.#headOffset(h));
        k.head_params_backward(draw + o, tape.dact + o, act + o, raw + o, z.M, z.S, h >= z.R);
      }
    }
    k.linear_backward_input(tape.dTop, draw, this.#p("heads.weight"), z.P, z.C, B);
    // 1. The controller, top layer down.
    this.#controllerBackward(tape, B, t, c);
  }

  /** Episode e at step t: the write's and reads' backward, then every head's addressing backward. */
  #memoryBackward(
    tape: Tape,
    B: number,
    t: number,
    e: number,
    c: { dw: Ptr; dwPrev: Ptr; dMem: Ptr; dMemPrev: Ptr },
  ): void {
    const k = this.#k, z = this.#z, f = this.#wasm.f32, N = z.N, M = z.M;
    const memPrev = tape.memory + 4 * (t * B + e) * N * M;
    const dMemPrev = c.dMemPrev + 4 * e * N * M, dMem = c.dMem + 4 * e * N * M;
    const act = tape.act + 4 * (t * B + e) * z.P, dact = tape.dact + 4 * e * z.P;
    const wNow = tape.w + 4 * ((t + 1) * B + e) * z.H * N, dw = tape.dw + 4 * e * z.H * N;
    const dReads = tape.dReads + 4 * e * z.RM;
    for (let h = 0; h < z.R; h++) {
      k.memory_read_backward(dw + 4 * h * N, dMemPrev, dReads + 4 * h * M, wNow + 4 * h * N, memPrev, N, M);
    }
    this.#gatherWrites(tape, act, wNow);
    k.zero(tape.dErase, z.W * M);
    k.zero(tape.dAdd, z.W * M);
    k.memory_write_backward(
      dMemPrev,
      dw + 4 * z.R * N,
      tape.dErase,
      tape.dAdd,
      dMem,
      memPrev,
      tape.writeW,
      tape.erase,
      tape.add,
      N,
      M,
      z.W,
    );
    for (let hw = 0; hw < z.W; hw++) {
      const o = dact / 4 + this.#headOffset(z.R + hw) + M + z.S + 3;
      f.copyWithin(o, tape.dErase / 4 + hw * M, tape.dErase / 4 + (hw + 1) * M);
      f.copyWithin(o + M, tape.dAdd / 4 + hw * M, tape.dAdd / 4 + (hw + 1) * M);
    }
    for (let h = 0; h < z.H; h++) {
      const o = 4 * this.#headOffset(h), at = 4 * ((t * B + e) * z.H + h) * N;
      const ah = act + o, dh = dact + o;
      const beta = f[ah / 4 + M]!, g = f[ah / 4 + M + 1]!, gamma = f[ah / 4 + M + z.S + 2]!;
      k.zero(tape.dwTilde, N), k.zero(tape.dwg, N), k.zero(tape.dwc, N);
      k.sharpen_backward(
        tape.dwTilde,
        dh + 4 * (M + z.S + 2),
        dw + 4 * h * N,
        wNow + 4 * h * N,
        tape.wTilde + at,
        gamma,
        N,
      );
      k.shift_backward(tape.dwg, dh + 4 * (M + 2), tape.dwTilde, tape.wg + at, ah + 4 * (M + 2), N, z.S);
      const dwPrev = c.dwPrev + 4 * (e * z.H + h) * N;
      k.interpolate_backward(tape.dwc, dwPrev, dh + 4 * (M + 1), tape.dwg, tape.wc + at, tape.w + at, g, N);
      const norms = tape.norms + 4 * (t * B + e) * N;
      k.content_address_backward(
        dh,
        dh + 4 * M,
        dMemPrev,
        tape.dwc,
        tape.wc + at,
        tape.sim + at,
        ah,
        beta,
        memPrev,
        norms,
        N,
        M,
      );
    }
  }

  /** The controller's backward at step t, top layer down; leaves r_{t−1}'s gradient in drNext. */
  #controllerBackward(
    tape: Tape,
    B: number,
    t: number,
    c: { dh: Ptr[]; dc: Ptr[]; dhPrev: Ptr[]; dcPrev: Ptr[] },
  ): void {
    const k = this.#k, z = this.#z, C = z.C;
    let above = tape.dTop, aboveStride = C;
    for (let l = z.L - 1; l >= 0; l--) {
      const K = z.K[l]!;
      k.copy_rows(tape.dh, C, above, aboveStride, C, B);
      k.add_rows(tape.dh, C, c.dh[l]!, C, C, B);
      const weight = this.#p(`controller.${l}.weight`), rows = z.lstm ? 4 * C : C;
      const dpreact = tape.dpreact[l]! + 4 * t * B * rows;
      k.zero(tape.dIn, B * K);
      k.zero(dpreact, B * rows);
      if (z.lstm) {
        k.zero(c.dcPrev[l]!, B * C);
        const cell = tape.cell[l]!;
        k.lstm_backward(
          dpreact,
          c.dcPrev[l]!,
          tape.dh,
          c.dc[l]!,
          tape.gates[l]! + 4 * t * B * 4 * C,
          cell + 4 * (t + 1) * B * C,
          cell + 4 * t * B * C,
          C,
          B,
        );
        k.linear_backward_input(tape.dIn, dpreact, weight, rows, K, B);
        k.copy_rows(c.dhPrev[l]!, C, tape.dIn + 4 * z.IN[l]!, K, C, B);
      } else {
        k.feedforward_backward(dpreact, tape.dh, tape.hidden[l]! + 4 * (t + 1) * B * C, B * C);
        k.linear_backward_input(tape.dIn, dpreact, weight, rows, K, B);
        k.zero(c.dhPrev[l]!, B * C);
        k.zero(c.dcPrev[l]!, B * C);
      }
      if (l > 0) {
        // Layer l − 1's output gradient is the first C columns of this layer's input gradient; copied
        // before the next layer overwrites dIn.
        k.copy_rows(tape.dTop, C, tape.dIn, K, C, B);
        above = tape.dTop, aboveStride = C;
      }
    }
    k.copy_rows(tape.drNext, z.RM, tape.dIn + 4 * z.X, z.K[0]!, z.RM, B);
  }

  /** The learned initial state's gradient from what reaches step 0 (summed over episodes). */
  #initialStateBackward(tape: Tape, B: number, c: { dh: Ptr[]; dc: Ptr[]; dw: Ptr; dMem: Ptr }): void {
    const k = this.#k, z = this.#z, f = this.#wasm.f32;
    k.add_rows(this.#g("init.read"), 0, tape.drNext, z.RM, z.RM, B);
    const g0 = this.#g("init.weighting") / 4;
    for (let e = 0; e < B; e++) {
      for (let h = 0; h < z.H; h++) {
        const p = tape.w / 4 + (e * z.H + h) * z.N, dp = c.dw / 4 + (e * z.H + h) * z.N;
        let dot = 0;
        for (let i = 0; i < z.N; i++) dot += f[p + i]! * f[dp + i]!;
        for (let i = 0; i < z.N; i++) f[g0 + h * z.N + i]! += f[p + i]! * (f[dp + i]! - dot);
      }
    }
    if (z.lstm) {
      for (let l = 0; l < z.L; l++) {
        k.add_rows(this.#g("init.hidden") + 4 * l * z.C, 0, c.dh[l]!, z.C, z.C, B);
        k.add_rows(this.#g("init.cell") + 4 * l * z.C, 0, c.dc[l]!, z.C, z.C, B);
      }
    }
    if (this.#config.memoryInit === "learned") {
      k.add_rows(this.#g("init.memory"), 0, c.dMem, z.N * z.M, z.N * z.M, B);
    }
  }

  /**
   * Clips the gradient and applies one optimiser update ({@linkcode WasmParameters.optimizerStep}).
   *
   * @returns The gradient's L2 norm before clipping.
   */
  optimizerStep(): number {
    return this.#parameters.optimizerStep();
  }

  /** The gradient of the last backward, as float64 (for tests). */
  gradient(): Float64Array {
    return this.#parameters.gradient();
  }
}
