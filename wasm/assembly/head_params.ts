// One head's parameters (NTM paper §3.3): the raw outputs of the head map activated field by field, in the
// layout k (M), β, g, s (S), γ, and for a write head e (M), a (M); the float64 twins are in
// src/reference/head_params.ts.

import { add, at, ptr, put } from "./access";
import { sigmoid, softmax_backward_into, softmax_into, softplus, tanh } from "./activations";

/** k = tanh, β = softplus, g = σ, s = softmax, γ = 1 + softplus; a write head's e = σ and a = tanh. */
export function head_params_forward(act: usize, raw: usize, m: i32, shifts: i32, is_write: bool): void {
  const beta = m, g = m + 1, s = m + 2, gamma = m + shifts + 2, e = m + shifts + 3, a = 2 * m + shifts + 3;
  for (let j = 0; j < m; j++) put(act, j, tanh(at(raw, j)));
  put(act, beta, softplus(at(raw, beta)));
  put(act, g, sigmoid(at(raw, g)));
  softmax_into(ptr(act, s), ptr(raw, s), shifts);
  put(act, gamma, 1 + softplus(at(raw, gamma)));
  if (!is_write) return;
  for (let j = 0; j < m; j++) {
    put(act, e + j, sigmoid(at(raw, e + j)));
    put(act, a + j, tanh(at(raw, a + j)));
  }
}

/** The head parameters' backward: draw added to from dact. */
export function head_params_backward(
  draw: usize,
  dact: usize,
  act: usize,
  raw: usize,
  m: i32,
  shifts: i32,
  is_write: bool,
): void {
  const beta = m, g = m + 1, s = m + 2, gamma = m + shifts + 2, e = m + shifts + 3, a = 2 * m + shifts + 3;
  for (let j = 0; j < m; j++) add(draw, j, at(dact, j) * (1 - at(act, j) * at(act, j)));
  add(draw, beta, at(dact, beta) * sigmoid(at(raw, beta)));
  add(draw, g, at(dact, g) * at(act, g) * (1 - at(act, g)));
  softmax_backward_into(ptr(draw, s), ptr(dact, s), ptr(act, s), shifts);
  add(draw, gamma, at(dact, gamma) * sigmoid(at(raw, gamma)));
  if (!is_write) return;
  for (let j = 0; j < m; j++) {
    const ej = at(act, e + j), aj = at(act, a + j);
    add(draw, e + j, at(dact, e + j) * ej * (1 - ej));
    add(draw, a + j, at(dact, a + j) * (1 - aj * aj));
  }
}
