/**
 * Every WebAssembly kernel against its float64 twin on fresh random inputs with odd sizes (so the SIMD paths
 * and their scalar tails both run), inputs rounded to float32 first so both sides see the same values,
 * written outputs poisoned with NaN first, and `atol + rtol·|ref|` tolerances.
 */
import * as ref from "../src/reference/mod.ts";
import { adamUpdate } from "../src/optim/adam.ts";
import { clipElementwise, clipGlobalNorm, l2Norm } from "../src/optim/clip.ts";
import { rmspropUpdate } from "../src/optim/rmsprop.ts";
import { Rng } from "../src/model/random.ts";
import { assertClose } from "./_support/close.ts";
import { randomDistributions, randomF32 } from "./_support/kernel_data.ts";
import { WasmScratch } from "./_support/wasm.ts";

const FORWARD = { atol: 1e-6, rtol: 1e-4 };
const GRADIENT = { atol: 1e-5, rtol: 1e-3 };
const scratch = await WasmScratch.create();
const k = scratch.wasm.kernels;
const rng = new Rng(20261208);
const random = (n: number, lo = -1, hi = 1) => randomF32(rng, n, lo, hi);

Deno.test("linear_forward, linear_backward_input and linear_weight_grad match the float64 linear map", () => {
  for (const [rows, cols, batch] of [[9, 13, 3], [8, 16, 5], [4, 4, 1], [13, 7, 6]] as const) {
    const w = random(rows * cols), b = random(rows), x = random(batch * cols), dy = random(batch * rows);
    const y = scratch.poisoned(batch * rows);
    k.linear_forward(y, scratch.put(w), scratch.put(b), scratch.put(x), rows, cols, batch);
    const expected = new Float64Array(batch * rows), dx = new Float64Array(batch * cols);
    const dw = new Float64Array(rows * cols), db = new Float64Array(rows);
    for (let e = 0; e < batch; e++) {
      const ye = new Float64Array(rows), dxe = new Float64Array(cols);
      ref.linearForward(ye, w, b, x.subarray(e * cols, (e + 1) * cols), rows, cols);
      expected.set(ye, e * rows);
      ref.linearBackward(
        dxe,
        dw,
        db,
        dy.subarray(e * rows, (e + 1) * rows),
        w,
        x.subarray(e * cols, (e + 1) * cols),
        rows,
        cols,
      );
      dx.set(dxe, e * cols);
    }
    const label = `${rows}×${cols}, B = ${batch}`;
    assertClose(scratch.get(y, batch * rows), expected, { ...FORWARD, label: `linear_forward ${label}` });
    const pdx = scratch.put(new Float64Array(batch * cols));
    k.linear_backward_input(pdx, scratch.put(dy), scratch.put(w), rows, cols, batch);
    assertClose(scratch.get(pdx, batch * cols), dx, { ...GRADIENT, label: `linear_backward_input ${label}` });
    const pdw = scratch.put(new Float64Array(rows * cols)), pdb = scratch.put(new Float64Array(rows));
    k.linear_weight_grad(pdw, pdb, scratch.put(dy), scratch.put(x), rows, cols, batch);
    assertClose(scratch.get(pdw, rows * cols), dw, { ...GRADIENT, label: `linear_weight_grad dW ${label}` });
    assertClose(scratch.get(pdb, rows), db, { ...GRADIENT, label: `linear_weight_grad db ${label}` });
  }
});

Deno.test("lstm_forward/lstm_backward and feedforward_forward/feedforward_backward match the float64 units", () => {
  for (const [units, batch] of [[7, 3], [8, 2]] as const) {
    const preact = random(batch * 4 * units, -4, 4),
      cPrev = random(batch * units),
      dh = random(batch * units);
    const dc = random(batch * units);
    const h = scratch.poisoned(batch * units), c = scratch.poisoned(batch * units);
    const gates = scratch.poisoned(batch * 4 * units), pc = scratch.put(cPrev);
    k.lstm_forward(h, c, gates, scratch.put(preact), pc, units, batch);
    const dpreact = scratch.put(new Float64Array(batch * 4 * units)),
      dcPrev = scratch.put(new Float64Array(batch * units));
    k.lstm_backward(dpreact, dcPrev, scratch.put(dh), scratch.put(dc), gates, c, pc, units, batch);
    for (let e = 0; e < batch; e++) {
      const he = new Float64Array(units), ce = new Float64Array(units), ge = new Float64Array(4 * units);
      const sub = (a: Float64Array, n: number) => a.subarray(e * n, (e + 1) * n);
      ref.lstmForward(he, ce, ge, sub(preact, 4 * units), sub(cPrev, units), units);
      const dpe = new Float64Array(4 * units), dce = new Float64Array(units);
      ref.lstmBackward(dpe, dce, sub(dh, units), sub(dc, units), ge, ce, sub(cPrev, units), units);
      const got = (p: number, n: number) => scratch.get(p + 4 * e * n, n);
      const label = `C = ${units}, episode ${e}`;
      assertClose(got(h, units), he, { ...FORWARD, label: `lstm_forward h ${label}` });
      assertClose(got(c, units), ce, { ...FORWARD, label: `lstm_forward c ${label}` });
      assertClose(got(gates, 4 * units), ge, { ...FORWARD, label: `lstm_forward gates ${label}` });
      assertClose(got(dpreact, 4 * units), dpe, { ...GRADIENT, label: `lstm_backward dpreact ${label}` });
      assertClose(got(dcPrev, units), dce, { ...GRADIENT, label: `lstm_backward dc_prev ${label}` });
    }
    const n = batch * units, pre = random(n, -3, 3), dhh = random(n);
    const hh = scratch.poisoned(n);
    k.feedforward_forward(hh, scratch.put(pre), n);
    const eh = new Float64Array(n);
    ref.feedforwardForward(eh, pre, n);
    assertClose(scratch.get(hh, n), eh, { ...FORWARD, label: "feedforward_forward" });
    const dp = scratch.put(new Float64Array(n)), edp = new Float64Array(n);
    k.feedforward_backward(dp, scratch.put(dhh), hh, n);
    ref.feedforwardBackward(edp, dhh, eh, n);
    assertClose(scratch.get(dp, n), edp, { ...GRADIENT, label: "feedforward_backward" });
  }
});

Deno.test("head_params_forward/backward match the float64 head activations (read and write heads)", () => {
  for (const [m, shifts, isWrite] of [[7, 3, false], [7, 5, true], [4, 3, true]] as const) {
    const width = m + shifts + 3 + (isWrite ? 2 * m : 0);
    const raw = random(width, -3, 3), dact = random(width);
    const act = scratch.poisoned(width);
    k.head_params_forward(act, scratch.put(raw), m, shifts, isWrite);
    const expected = new Float64Array(width);
    ref.headParamsForward(expected, raw, m, shifts, isWrite);
    const label = `M = ${m}, S = ${shifts}, ${isWrite ? "write" : "read"}`;
    assertClose(scratch.get(act, width), expected, { ...FORWARD, label: `head_params_forward ${label}` });
    const draw = scratch.put(new Float64Array(width)), edraw = new Float64Array(width);
    k.head_params_backward(draw, scratch.put(dact), act, scratch.put(raw), m, shifts, isWrite);
    ref.headParamsBackward(edraw, dact, expected, raw, m, shifts, isWrite);
    assertClose(scratch.get(draw, width), edraw, { ...GRADIENT, label: `head_params_backward ${label}` });
  }
});

Deno.test("content_address_forward/backward match the float64 content addressing, zero rows and keys included", () => {
  for (
    const [n, m, zeroRow, zeroKey] of [[13, 7, false, false], [16, 8, true, false], [
      5,
      3,
      false,
      true,
    ]] as const
  ) {
    const key = zeroKey ? new Float64Array(m) : random(m), mem = random(n * m), dwc = random(n), beta = 3.5;
    if (zeroRow) mem.fill(0, 2 * m, 3 * m);
    const norms = scratch.poisoned(n), pmem = scratch.put(mem), pk = scratch.put(key);
    k.memory_row_norms(norms, pmem, n, m);
    const wc = scratch.poisoned(n), sim = scratch.poisoned(n);
    k.content_address_forward(wc, sim, pk, beta, pmem, norms, n, m);
    const expected = new Float64Array(n);
    ref.contentAddressForward(expected, key, beta, mem, n, m);
    const label = `N = ${n}, M = ${m}${zeroRow ? ", a zero row" : ""}${zeroKey ? ", a zero key" : ""}`;
    assertClose(scratch.get(wc, n), expected, { ...FORWARD, label: `content_address_forward ${label}` });
    const dk = scratch.put(new Float64Array(m)),
      dbeta = scratch.put([0]),
      dmem = scratch.put(new Float64Array(n * m));
    k.content_address_backward(dk, dbeta, dmem, scratch.put(dwc), wc, sim, pk, beta, pmem, norms, n, m);
    const edk = new Float64Array(m), edbeta = new Float64Array(1), edmem = new Float64Array(n * m);
    ref.contentAddressBackward(edk, edbeta, edmem, dwc, expected, key, beta, mem, n, m);
    // Near a zero norm the gradient is huge (1/ε): compare relative to it.
    const tolerance = zeroKey || zeroRow ? { atol: 1e-3, rtol: 1e-3 } : GRADIENT;
    assertClose(scratch.get(dk, m), edk, { ...tolerance, label: `content_address_backward dk ${label}` });
    assertClose(scratch.get(dbeta, 1), edbeta, {
      ...tolerance,
      label: `content_address_backward dβ ${label}`,
    });
    assertClose(scratch.get(dmem, n * m), edmem, {
      ...tolerance,
      label: `content_address_backward dmem ${label}`,
    });
  }
});

Deno.test("interpolate, shift and sharpen (forward and backward) match the float64 addressing, exact zeros included", () => {
  for (const [n, shifts] of [[13, 3], [16, 5], [3, 3]] as const) {
    const wc = randomDistributions(rng, 1, n), wPrev = randomDistributions(rng, 1, n), g = 0.3;
    const s = randomDistributions(rng, 1, shifts), gamma = 2.7;
    const label = `N = ${n}, S = ${shifts}`;
    const wg = scratch.poisoned(n);
    k.interpolate_forward(wg, scratch.put(wc), scratch.put(wPrev), g, n);
    const ewg = new Float64Array(n);
    ref.interpolateForward(ewg, wc, wPrev, g, n);
    assertClose(scratch.get(wg, n), ewg, { ...FORWARD, label: `interpolate_forward ${label}` });
    const wt = scratch.poisoned(n);
    k.shift_forward(wt, wg, scratch.put(s), n, shifts);
    const ewt = new Float64Array(n);
    ref.shiftForward(ewt, ewg, s, n, shifts);
    assertClose(scratch.get(wt, n), ewt, { ...FORWARD, label: `shift_forward ${label}` });
    const wtZero = ewt.slice();
    wtZero[1] = 0; // an exact zero before sharpening stays zero
    const pwt = scratch.put(wtZero), w = scratch.poisoned(n);
    k.sharpen_forward(w, pwt, gamma, n);
    const ew = new Float64Array(n);
    ref.sharpenForward(ew, wtZero, gamma, n);
    assertClose(scratch.get(w, n), ew, { ...FORWARD, label: `sharpen_forward ${label}` });
    const dw = random(n), dwt = scratch.put(new Float64Array(n)), dgamma = scratch.put([0]);
    k.sharpen_backward(dwt, dgamma, scratch.put(dw), w, pwt, gamma, n);
    const edwt = new Float64Array(n), edgamma = new Float64Array(1);
    ref.sharpenBackward(edwt, edgamma, dw, ew, wtZero, gamma, n);
    assertClose(scratch.get(dwt, n), edwt, { ...GRADIENT, label: `sharpen_backward dw̃ ${label}` });
    assertClose(scratch.get(dgamma, 1), edgamma, { ...GRADIENT, label: `sharpen_backward dγ ${label}` });
    const dwtilde = random(n),
      dwg = scratch.put(new Float64Array(n)),
      ds = scratch.put(new Float64Array(shifts));
    k.shift_backward(dwg, ds, scratch.put(dwtilde), wg, scratch.put(s), n, shifts);
    const edwg = new Float64Array(n), eds = new Float64Array(shifts);
    ref.shiftBackward(edwg, eds, dwtilde, ewg, s, n, shifts);
    assertClose(scratch.get(dwg, n), edwg, { ...GRADIENT, label: `shift_backward dwg ${label}` });
    assertClose(scratch.get(ds, shifts), eds, { ...GRADIENT, label: `shift_backward ds ${label}` });
    const dwgIn = random(n), dwc = scratch.put(new Float64Array(n)), dwp = scratch.put(new Float64Array(n));
    const dg = scratch.put([0]);
    k.interpolate_backward(dwc, dwp, dg, scratch.put(dwgIn), scratch.put(wc), scratch.put(wPrev), g, n);
    const edwc = new Float64Array(n), edwp = new Float64Array(n), edg = new Float64Array(1);
    ref.interpolateBackward(edwc, edwp, edg, dwgIn, wc, wPrev, g, n);
    assertClose(scratch.get(dwc, n), edwc, { ...GRADIENT, label: `interpolate_backward dwc ${label}` });
    assertClose(scratch.get(dwp, n), edwp, { ...GRADIENT, label: `interpolate_backward dw_prev ${label}` });
    assertClose(scratch.get(dg, 1), edg, { ...GRADIENT, label: `interpolate_backward dg ${label}` });
  }
});

Deno.test("memory_read and memory_write (forward and backward, two write heads) match the float64 memory ops", () => {
  for (const [n, m, heads] of [[13, 7, 2], [8, 8, 1], [5, 3, 3]] as const) {
    const mem = random(n * m), w = randomDistributions(rng, heads, n), e = random(heads * m, 0, 1);
    const a = random(heads * m), dr = random(m), dOut = random(n * m);
    const label = `N = ${n}, M = ${m}, W = ${heads}`;
    const pmem = scratch.put(mem), pw = scratch.put(w);
    const r = scratch.poisoned(m);
    k.memory_read_forward(r, pw, pmem, n, m);
    const er = new Float64Array(m);
    ref.memoryReadForward(er, w.subarray(0, n), mem, n, m);
    assertClose(scratch.get(r, m), er, { ...FORWARD, label: `memory_read_forward ${label}` });
    const dw = scratch.put(new Float64Array(n)), dmem = scratch.put(new Float64Array(n * m));
    k.memory_read_backward(dw, dmem, scratch.put(dr), pw, pmem, n, m);
    const edw = new Float64Array(n), edmem = new Float64Array(n * m);
    ref.memoryReadBackward(edw, edmem, dr, w.subarray(0, n), mem, n, m);
    assertClose(scratch.get(dw, n), edw, { ...GRADIENT, label: `memory_read_backward dw ${label}` });
    assertClose(scratch.get(dmem, n * m), edmem, {
      ...GRADIENT,
      label: `memory_read_backward dmem ${label}`,
    });
    const out = scratch.poisoned(n * m), pe = scratch.put(e), pa = scratch.put(a);
    k.memory_write_forward(out, pmem, pw, pe, pa, n, m, heads);
    const eout = new Float64Array(n * m);
    ref.memoryWriteForward(eout, mem, w, e, a, n, m, heads);
    assertClose(scratch.get(out, n * m), eout, { ...FORWARD, label: `memory_write_forward ${label}` });
    const dIn = scratch.put(new Float64Array(n * m)), dww = scratch.put(new Float64Array(heads * n));
    const de = scratch.put(new Float64Array(heads * m)), da = scratch.put(new Float64Array(heads * m));
    k.memory_write_backward(dIn, dww, de, da, scratch.put(dOut), pmem, pw, pe, pa, n, m, heads);
    const edIn = new Float64Array(n * m), edww = new Float64Array(heads * n);
    const ede = new Float64Array(heads * m), eda = new Float64Array(heads * m);
    ref.memoryWriteBackward(edIn, edww, ede, eda, dOut, mem, w, e, a, n, m, heads);
    assertClose(scratch.get(dIn, n * m), edIn, { ...GRADIENT, label: `memory_write_backward dmem ${label}` });
    assertClose(scratch.get(dww, heads * n), edww, {
      ...GRADIENT,
      label: `memory_write_backward dw ${label}`,
    });
    assertClose(scratch.get(de, heads * m), ede, { ...GRADIENT, label: `memory_write_backward de ${label}` });
    assertClose(scratch.get(da, heads * m), eda, { ...GRADIENT, label: `memory_write_backward da ${label}` });
  }
});

Deno.test("the output losses and cross_entropy_backward match the float64 output layer, ±60 logits included", () => {
  for (const width of [5, 8]) {
    const logits = random(width, -60, 60), target = new Float64Array(width), mask = 0.75;
    target[2] = 1;
    for (const kind of ["sigmoid", "softmax"] as const) {
      const y = scratch.poisoned(width), pl = scratch.put(logits), pt = scratch.put(target);
      const loss = kind === "sigmoid"
        ? k.sigmoid_cross_entropy_forward(y, pl, pt, mask, width)
        : k.softmax_cross_entropy_forward(y, pl, pt, mask, width);
      const ey = new Float64Array(width);
      const eloss = kind === "sigmoid"
        ? ref.sigmoidCrossEntropyForward(ey, logits, target, mask, width)
        : ref.softmaxCrossEntropyForward(ey, logits, target, mask, width);
      assertClose(scratch.get(y, width), ey, { ...FORWARD, label: `${kind}_cross_entropy_forward y` });
      assertClose([loss], [eloss], { atol: 1e-4, rtol: 1e-5, label: `${kind}_cross_entropy_forward loss` });
      const dl = scratch.put(new Float64Array(width)), edl = new Float64Array(width);
      k.cross_entropy_backward(dl, y, pl, pt, mask, 0.5, width, kind === "softmax");
      ref.crossEntropyBackward(edl, ey, target, mask, 0.5, width);
      assertClose(scratch.get(dl, width), edl, { ...GRADIENT, label: `cross_entropy_backward (${kind})` });
    }
  }
});

Deno.test("cross_entropy_backward keeps a confident output's gradient that float32 y − t would round to zero", () => {
  // σ(25) rounds to 1 in float32, and so does the softmax's largest output: y − t would be 0.
  const logits = Float64Array.of(25, -25, 30, 0), target = Float64Array.of(1, 0, 1, 0);
  const pl = scratch.put(logits), pt = scratch.put(target), y = scratch.poisoned(4);
  k.sigmoid_cross_entropy_forward(y, pl, pt, 1, 4);
  const dl = scratch.put(new Float64Array(4));
  k.cross_entropy_backward(dl, y, pl, pt, 1, 1, 4, false);
  // σ(z) − 1 = −σ(−z), computed so in float64 too (1/(1 + e^−z) − 1 would itself cancel).
  const expected = [...logits].map((z, j) =>
    target[j] === 1 ? -1 / (1 + Math.exp(z)) : 1 / (1 + Math.exp(-z))
  );
  assertClose(scratch.get(dl, 4), expected, { atol: 0, rtol: 1e-5, label: "sigmoid: σ(z) − t at |z| ≥ 25" });
  const oneHot = Float64Array.of(1, 0, 0, 0), softLogits = Float64Array.of(20, 0, -3, 1);
  const ps = scratch.put(softLogits), po = scratch.put(oneHot), ys = scratch.poisoned(4);
  k.softmax_cross_entropy_forward(ys, ps, po, 1, 4);
  const ds = scratch.put(new Float64Array(4));
  k.cross_entropy_backward(ds, ys, ps, po, 1, 1, 4, true);
  const ey = new Float64Array(4);
  ref.softmaxCrossEntropyForward(ey, softLogits, oneHot, 1, 4);
  assertClose(scratch.get(ds, 4), [...ey].map((v, j) => v - oneHot[j]!), {
    atol: 0,
    rtol: 1e-4,
    label: "softmax: y − t of a confident class",
  });
});

Deno.test("the optimisers, clipping and the gradient norm match the float64 optimisers over three steps", () => {
  const size = 37;
  const params = random(size), grads = [random(size, -20, 20), random(size), random(size, -3, 3)];
  const rms = { learningRate: 1e-3, rho: 0.95, momentum: 0.9, epsilon: 1e-4, clip: 10 };
  const adam = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, clip: 5 };
  const p1 = scratch.put(params), s1 = [0, 1, 2].map(() => scratch.put(new Float64Array(size)));
  const p2 = scratch.put(params), s2 = [0, 1].map(() => scratch.put(new Float64Array(size)));
  const e1 = params.slice(),
    n = new Float64Array(size),
    gbar = new Float64Array(size),
    delta = new Float64Array(size);
  const e2 = params.slice(), m = new Float64Array(size), v = new Float64Array(size);
  grads.forEach((grad, t) => {
    const pg = scratch.put(grad);
    assertClose([k.l2_norm(pg, size)], [l2Norm(grad)], { atol: 0, rtol: 1e-6, label: "l2_norm" });
    k.clip_elementwise(pg, size, rms.clip);
    const g1 = grad.slice();
    clipElementwise(g1, rms.clip);
    assertClose(scratch.get(pg, size), g1, { atol: 0, rtol: 0, label: "clip_elementwise" });
    k.rmsprop_update(
      p1,
      s1[0]!,
      s1[1]!,
      s1[2]!,
      pg,
      size,
      rms.learningRate,
      rms.rho,
      rms.momentum,
      rms.epsilon,
    );
    rmspropUpdate(e1, n, gbar, delta, g1, rms);
    assertClose(scratch.get(p1, size), e1, { atol: 1e-6, rtol: 1e-5, label: `rmsprop_update step ${t + 1}` });
    const pg2 = scratch.put(grad), norm = l2Norm(grad), g2 = grad.slice();
    if (norm > adam.clip) k.clip_scale(pg2, size, adam.clip / norm);
    clipGlobalNorm(g2, adam.clip);
    assertClose(scratch.get(pg2, size), g2, { atol: 1e-6, rtol: 1e-5, label: "clip_scale" });
    k.adam_update(
      p2,
      s2[0]!,
      s2[1]!,
      pg2,
      size,
      t + 1,
      adam.learningRate,
      adam.beta1,
      adam.beta2,
      adam.epsilon,
    );
    adamUpdate(e2, m, v, g2, t + 1, adam);
    assertClose(scratch.get(p2, size), e2, { atol: 1e-6, rtol: 1e-5, label: `adam_update step ${t + 1}` });
  });
  const grad = random(size);
  const p3 = scratch.put(params);
  k.sgd_update(p3, scratch.put(grad), size, 0.5);
  assertClose(scratch.get(p3, size), params.map((p, i) => p - 0.5 * grad[i]!), {
    ...FORWARD,
    label: "sgd_update",
  });
});
