// Writing (NTM paper §3.2, eqs. 3–4) of four columns of one row: each write head h erases by the factor
// (1 − w_h(i)·e_h) and adds w_h(i)·a_h, all erases before all adds, so
//   Mem_t(i) = Mem_{t−1}(i) ⊙ Π_h (1 − w_h(i)·e_h) + Σ_h w_h(i)·a_h.
// The float64 twin is src/reference/memory.ts, memoryWriteForward. A one-column caller passes splats and
// takes `.x`.

// One head's erase factor 1 − w_h(i)·e_h (eq. 3).
fn erase_factor(weight: f32, e: vec4<f32>) -> vec4<f32> {
  return 1.0 - weight * e;
}

// The written row from the erase product `keep` and the sum of the add terms `added` (eq. 4).
fn written_row(memory_prev: vec4<f32>, keep: vec4<f32>, added: vec4<f32>) -> vec4<f32> {
  return memory_prev * keep + added;
}
